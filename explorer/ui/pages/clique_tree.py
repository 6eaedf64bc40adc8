"""Clique tree: the chain's two passes on any model, every marginal from one calibration."""

import itertools

import numpy as np
import streamlit as st

from explorer import pgm
from explorer.viz import grid_view
from explorer.ui import cache, clamp, player, shell, sources
from explorer.ui.map_panel import TIE_TOL
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
On the chain, one sweep of messages from left to right and one from right to left gave every
marginal at once. A **clique tree** (junction tree) brings that trick to any model. Variables
are eliminated one by one as in variable elimination, and every elimination leaves a group of
variables that had to be handled together: a **clique**. The cliques form a tree. Two
neighbouring cliques exchange a table over the variables they share (the **separator**), and a
clique sends to a neighbour only once it has heard from all its other neighbours. So there are
two passes: **collect** (leaves towards the root) and **distribute** (root back to the leaves).
That makes 2(cliques − 1) messages, after which every clique holds the exact joint of its own
variables, so every marginal can be read from them. The price is the size of the largest clique
table, set by the model's **treewidth**: on a chain the cliques are pairs, on a grid they grow
with the grid's width.
"""
#: at most this many variables are checked against a fresh variable elimination each
CHECKED = 4
#: rows of a message table shown
MAX_ROWS = 64


def _default_model() -> str:
    names = sources.sample_names("model")
    return "asia" if "asia" in names else names[0]


view = View("ct", {"sample": _default_model(), "mode": "sum", "evidence": [], **player.DEFAULTS},
            choices={"sample": sources.sample_choice("model"), "mode": ["sum", "max"]})
controls = shell.frame(view, "Clique tree", INTRO, chart_first=True)
src = sources.pick(view, controls, kind="model", label="Model",
                   extensions="UAI (.uai), BIF (.bif), XMLBIF (.xmlbif, .xml)")
fg = src.obj
ekey = view.key("evidence")
options = clamp.evidence_options(fg, st.session_state[ekey])
if any(e not in options for e in st.session_state[ekey]):
    st.session_state[ekey] = [e for e in st.session_state[ekey] if e in options]


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.segmented_control("Calibration", ["sum", "max"], key=view.key("mode"), required=True,
                         format_func={"sum": "marginals (sum)", "max": "MAP (max)"}.get)
    st.multiselect("Evidence", options, key=ekey, placeholder="observe VAR=STATE …")



evidence = attempt("read the evidence", pgm.parse_evidence, fg, view["evidence"])
ev = tuple(sorted(evidence.items()))
mode = view["mode"]
run = attempt("build and calibrate the clique tree", cache.clique_tree_run, fg, src.key, ev, mode,
              stop=False)
if run is None:  # e.g. evidence of probability 0: the message is shown, the evidence kept
    clamp.stop_after_failed_run(view, fg, evidence,
                                "Change or clear an observation, and the tree is calibrated again:")
tree, trace = run["tree"], run["trace"]
res = trace.result



def _metrics() -> None:
    """The tree's figures above the chart (after it on the page's first run)."""
    c = st.columns(4)
    c[0].metric("Cliques", len(tree.cliques))
    c[1].metric("Treewidth", res["treewidth"], help="largest clique size minus one, for this "
                "elimination order (greedy min-fill)")
    c[2].metric("Messages for every marginal", res["n_messages"],
                help="one collect and one distribute pass: 2 × (cliques − 1)")
    if mode == "sum":
        c[3].metric("log Z", f"{round(res['log_z'], 4) + 0.0:.4f}",
                    help="log of the total mass consistent with the evidence (log P(evidence) "
                         "for a Bayesian network)")
    else:
        c[3].metric("log max", f"{round(res['log_max'], 4) + 0.0:.4f}",
                    help="log of the MAP assignment's unnormalised probability")


controls.later(_metrics, where=st.container())

if trace.steps:
    gkey = trace.graph.content_hash()
    pos = attempt("compute the layout", cache.layout, trace.graph, gkey, "auto", 0)

    def step_message(k: int, node: int) -> None:
        """The message of step ``k`` as a table (drawn in the player's panel, so it follows the
        step the chart shows)."""
        ex = trace.steps[k].extras
        table = np.asarray(ex["table"], dtype=float)
        sep = [fg.index(v) for v in ex["separator"]]
        what = ("message" if ex["pass"] == "collect" else
                "separator potential (the message times the one the other way)")
        st.markdown(f"**Step {k + 1}'s {what}** ({ex['pass']}): {ex['sender']} → "
                    f"{ex['receiver']}, a table over the separator "
                    f"{{{', '.join(ex['separator'])}}}, scaled to sum 1")
        st.dataframe([{**{fg.names[v]: fg.states[v][s] for v, s in zip(sep, idx)},
                       "potential": round(float(table[idx]), 6)}
                      for idx in itertools.islice(np.ndindex(table.shape), MAX_ROWS)],
                     hide_index=True, key="ct.message")
        if table.size > MAX_ROWS:
            st.caption(f"First {MAX_ROWS} of {table.size} entries.")
        # the clicked clique's variables, then the observed ones (gone from the cliques)
        clamp.observe(view, fg, [*tree.cliques[node], *sorted(evidence)] if node < len(tree.cliques)
                      else sorted(evidence),
                      heading=f"**Observe a variable of {trace.graph.display_labels[node]}** "
                              "(an observed variable leaves every clique; clear it here)")

    player.play(view, trace, cache.key(src.key, "ct", mode, ev), pos, gkey, controls,
                name=f"{src.name}-clique-tree", extra=step_message)
else:
    controls.flush()  # no chart to wait for
    st.info("Everything left to infer fits in one clique: no message is needed." if tree.cliques
            else "Every variable is observed: nothing is left to infer.")
    clamp.observe(view, fg, [*(v for c_ in tree.cliques for v in c_), *sorted(evidence)])

left, right = st.columns(2, gap="medium")
with left:
    st.markdown("**The cliques** (C order over the variables listed)")
    seps = {c_: tree.separators[k] for k, (c_, _) in enumerate(tree.edges)}
    st.dataframe([{"clique": i + 1, "variables": ", ".join(fg.names[v] for v in vs),
                   "table size": tree.sizes[i],
                   "separator to parent": ", ".join(fg.names[v] for v in seps.get(i, ()))
                   if i != tree.root else "(root)"}
                  for i, vs in enumerate(tree.cliques)], hide_index=True, key="ct.cliques")
    order = res["order"]
    st.caption(f"Elimination order: {', '.join(order[:24])}{' …' if len(order) > 24 else ''}. "
               "Largest clique table: "
               f"{res['max_clique_entries']:,} entries.")
free = list(res["marginals"])
picked = tuple(free[i] for i in sorted({round(j * (len(free) - 1) / max(CHECKED - 1, 1))
                                        for j in range(min(CHECKED, len(free)))})) if free else ()
check = attempt("cross-check with variable elimination", cache.ve_queries, fg, src.key, ev, mode,
                picked, stop=False) or {}
with right:
    what = "marginal" if mode == "sum" else "max-marginal (scaled to sum 1)"
    st.markdown(f"**Every {what} read from the calibrated cliques**, beside a fresh variable "
                f"elimination for {len(check)} of the variables")
    rows, worst = [], 0.0
    for name, dist in res["marginals"].items():
        ve = check.get(name)
        for j, (state, p) in enumerate(dist.items()):
            row = {"variable": name, "state": state, "clique tree": round(p, 6)}
            if ve is not None:
                row["variable elimination"] = round(ve[j], 6)
                worst = max(worst, abs(ve[j] - p))
            rows.append(row)
    st.dataframe(rows, hide_index=True, key="ct.marginals", height=320)
    if check:
        st.caption(f"Largest difference between the two engines on {', '.join(check)}: "
                   f"{worst:.1e} (each variable elimination starts from scratch: "
                   f"{len(check)} runs for {len(check)} variables, where the clique tree's "
                   f"{res['n_messages']} messages served all {len(free)}).")
shape = grid_view.grid_shape(fg)
if mode == "max" and res.get("map") is not None:
    if shape is None:
        st.markdown("**MAP assignment:** " + ", ".join(f"{k}={v}" for k, v in res["map"].items()))
    ties = {v: [s for s, p in res["marginals"][v].items()
                if p >= max(res["marginals"][v].values()) * (1 - TIE_TOL)] for v in res["map_ties"]}
    if ties:
        st.caption("Ties (several states reach the same max-marginal): " + "; ".join(
            f"{v} (states {', '.join(s)})" for v, s in ties.items()) + ". The traceback picked "
            "one consistent assignment among the maximisers.")
if shape is not None:
    panels = grid_view.result_panels(fg, res["marginals"], res["map"] if mode == "max" else None,
                                     what="max-marginal" if mode == "max" else "P")
    st.plotly_chart(grid_view.lattice_figure(shape, panels, height=380,
                                             title=f"The {shape[0]}×{shape[1]} lattice"),
                    key="ct.lattice")
view.sync()
