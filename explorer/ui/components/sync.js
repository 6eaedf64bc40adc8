// The invisible half of the player, mounted last in the detail panel's fragment. The chart
// (player.js) calls REG.sync[id](step) and REG.syncNode[id](node); this sets the trigger "step"
// or "node", which reruns only the fragment. On mount it also catches up with a step the chart
// reached while the panel reran. The other way round:
//   data.seek = {step, nonce}  (player.seek on the server) shows that step on the chart without
//                              reporting it back, once per nonce (a later rerun never replays it);
//   data.node                  the page's node: when the server changed it (the panel's node
//                              picker), the chart selects it;
//   data.texts = {node, frames} the node's message texts of every step, placed by the server.
const REG = (window.__mpe = window.__mpe || { players: {}, sync: {}, plotly: null, keysBound: false });

export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data) return;
  REG.seeks = REG.seeks || {};
  REG.syncNode = REG.syncNode || {};
  REG.nodes = REG.nodes || {};
  let last = data.step;
  REG.sync[data.id] = (k) => {  // true: the trigger was set (it leaves in a later task)
    if (k === last) return false;
    last = k;
    setTriggerValue("step", k);
    return true;
  };
  REG.syncNode[data.id] = (v) => { setTriggerValue("node", v); return true; };
  const P = REG.players[data.id];
  if (data.node !== undefined) {
    // only a node the server changed moves the chart: a panel run that started before a click
    // still carries the old node and must not undo the click
    const changed = REG.nodes[data.id] !== undefined && REG.nodes[data.id] !== data.node;
    REG.nodes[data.id] = data.node;
    if (P && P.S && changed && P.sel !== data.node) P.select(data.node, false);
  }
  if (data.texts) {
    if (P && P.ready) P.setTexts(data.texts);
    else REG.pendingTexts = Object.assign(REG.pendingTexts || {}, { [data.id]: data.texts });
  }
  const seek = data.seek;
  if (seek && REG.seeks[data.id] !== seek.nonce) {
    REG.seeks[data.id] = seek.nonce;
    if (P) {
      P.stop(false);
      P.show(seek.step, false);  // before the figure is drawn this sets the step it opens on
    } else {
      REG.pendingSeek = Object.assign(REG.pendingSeek || {}, { [data.id]: seek.step });
    }
    return;
  }
  if (P && P.ready && P.step !== data.step) {
    last = P.step;
    setTriggerValue("step", P.step);
  }
}
