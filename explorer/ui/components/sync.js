// The invisible half of the player, mounted inside the detail panel's fragment: the chart
// (player.js) calls REG.sync[id](step) and this sets the trigger "step", which reruns only the
// fragment. On mount it also catches up with a step the chart reached while the panel reran.
// The other way round, data.seek = {step, nonce} (player.seek on the server) shows that step on
// the chart without reporting it back — once per nonce, so a later rerun never replays it.
const REG = (window.__mpe = window.__mpe || { players: {}, sync: {}, plotly: null, keysBound: false });

export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data) return;
  REG.seeks = REG.seeks || {};
  let last = data.step;
  REG.sync[data.id] = (k) => {
    if (k === last) return;
    last = k;
    setTriggerValue("step", k);
  };
  const P = REG.players[data.id];
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
