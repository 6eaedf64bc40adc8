// The invisible half of the player, mounted inside the detail panel's fragment: the chart
// (player.js) calls REG.sync[id](step) and this sets the trigger "step", which reruns only the
// fragment. On mount it also catches up with a step the chart reached while the panel reran.
const REG = (window.__mpe = window.__mpe || { players: {}, sync: {}, plotly: null, keysBound: false });

export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data) return;
  let last = data.step;
  REG.sync[data.id] = (k) => {
    if (k === last) return;
    last = k;
    setTriggerValue("step", k);
  };
  const P = REG.players[data.id];
  if (P && P.ready && P.step !== data.step) {
    last = P.step;
    setTriggerValue("step", P.step);
  }
}
