"""Belief propagation: sum- or max-product on a factor graph, step by step, against the exact answer."""

import streamlit as st

from explorer import pgm, viz
from explorer.ui import cache, clamp, components, map_panel, player, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
**Belief propagation** runs message passing on a *factor graph*: circles are random variables,
grey squares are the factors (tables) that tie them together. A variable tells each factor what
the rest of the graph believes about it; a factor sums (or, for MAP, maximises) its table against
those messages and tells each variable what it implies. A variable's **belief** is the product
of everything it hears. On a tree this is exact after one sweep each way; on a graph with cycles
it is an approximation that may converge, oscillate, or need **damping**.
"""
TOLS = [1e-3, 1e-6, 1e-9, 1e-12]


def _default_model() -> str:
    names = sources.sample_names("model")
    return "asia" if "asia" in names else names[0]


view = View("bp", {"sample": _default_model(), "mode": "sum",
                   "updates": "parallel", "damping": 0.0, "tol": 1e-9, "max_iter": 100,
                   "seed": 0, "evidence": [], "logdomain": False, **player.DEFAULTS},
            choices={"sample": sources.sample_choice("model"), "mode": ["sum", "max"],
                     "updates": list(pgm.UPDATES), "tol": TOLS,
                     "damping": lambda d: 0.0 <= d < 1.0, "max_iter": lambda n: 1 <= n <= 1000})
controls = shell.frame(view, "Belief propagation", INTRO, chart_first=True)
src = sources.pick(view, controls, kind="model", label="Model",
                   extensions="UAI (.uai), BIF (.bif), XMLBIF (.xmlbif, .xml)")
sources.apply_sample_defaults(view, "model")  # e.g. four_cycle needs ~240 damped iterations
fg = src.obj
ekey = view.key("evidence")
options = clamp.evidence_options(fg, st.session_state[ekey])
dropped = [e for e in st.session_state[ekey] if e not in options]
if dropped:
    st.session_state[ekey] = [e for e in st.session_state[ekey] if e in options]
    st.warning(f"Evidence {', '.join(dropped)} does not name a variable and state of this model "
               "and was dropped.", icon=":material/link_off:")


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.segmented_control("Inference", ["sum", "max"], key=view.key("mode"),
                         format_func={"sum": "marginals (sum)", "max": "MAP (max)"}.get,
                         required=True)
    st.selectbox("Schedule", list(pgm.UPDATES), key=view.key("updates"),
                 help="parallel: every message at once per iteration; seqfix/seqrnd: one message "
                      "at a time in a fixed/random order; residual: the message that would change "
                      "most goes first; tree: one sweep in and out (trees only).")
    st.slider("Damping", 0.0, 0.95, step=0.05, key=view.key("damping"),
              help="New message = old^λ · new^(1-λ) (libDAI); 0 means none.")
    st.select_slider("Tolerance", TOLS, key=view.key("tol"), format_func=lambda t: f"{t:g}")
    st.number_input("Max iterations", 1, 1000, key=view.key("max_iter"))
    st.number_input("Seed (seqrnd order)", 0, 10_000, key=view.key("seed"))
    st.checkbox("Log domain", key=view.key("logdomain"),
                help="Keep the messages as logarithms (libDAI's logdomain): the same beliefs, "
                     "computed without underflow on long chains of small numbers.")
    st.multiselect("Evidence", options, key=ekey, placeholder="observe VAR=STATE …")

evidence = attempt("read the evidence", pgm.parse_evidence, fg, view["evidence"])
ev = tuple(sorted(evidence.items()))
args = (view["mode"], view["updates"], float(view["damping"]), float(view["tol"]),
        int(view["max_iter"]), int(view["seed"]), ev, bool(view["logdomain"]))
trace = attempt("run belief propagation", cache.bp_trace, fg, src.key, *args, stop=False)
if trace is None:  # e.g. evidence of probability 0: the message is shown, the evidence kept
    clamp.stop_after_failed_run(view, fg, evidence,
                                "Change or clear an observation, and BP runs again:")
exact, skipped = attempt("compute the exact marginals", cache.exact_within_budget, fg, src.key,
                         ev, stop=False) or (None, None)
if skipped:
    st.info(skipped, icon=":material/timer_off:")
marginals = (exact or {}).get("max_marginals" if view["mode"] == "max" else "marginals")

graph = trace.graph
gkey = graph.content_hash()
pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)
tkey = cache.key(src.key, "bp", *args)


def observe_clicked(k: int, node: int) -> None:
    """Observe the clicked variable from the panel (a factor offers nothing)."""
    factor = str((graph.roles or ("",) * graph.n_nodes)[node]).lower() == "factor"
    clamp.observe(view, fg, [] if factor else clamp.variables_of([graph.display_labels[node]], fg))


player.play(view, trace, tkey, pos, gkey, controls, exact=marginals,
            name=f"{src.name}-bp", extra=observe_clicked)
# the run's summary under the graph, so the graph is what a projected page opens on
res = trace.result
cols = st.columns(4)
cols[0].metric("Iterations", res.get("iterations"))
cols[1].metric("Converged", "yes" if res.get("converged") else "no")
cols[2].metric("Largest last change", f"{res.get('residual', float('nan')):.2g}")
if res.get("log_z") is not None:
    cols[3].metric("Bethe log Z", f"{round(res['log_z'], 4) + 0.0:.4f}",
                   help="BP's estimate of log Z (minus the Bethe free energy)"
                        + (f"; exact {exact['log_z']:.4f}" if exact and exact.get("log_z") is not None else ""))
if res.get("oscillating") and not res.get("converged"):
    st.warning("The messages are **oscillating** instead of settling: typical of undamped "
               "parallel BP on a graph with cycles. Raise the damping or try a sequential "
               "schedule.", icon=":material/waves:")
elif not res.get("converged"):
    st.warning(f"BP stopped after {res.get('iterations')} iterations without meeting the "
               "tolerance; raise the iteration limit or add damping.", icon=":material/timer:")
if res.get("converged") and view["updates"] != "tree":
    st.caption(f"BP met the tolerance {float(view['tol']):g} after {res.get('iterations')} of "
               f"at most {int(view['max_iter'])} iterations.")
if res.get("map"):
    st.markdown("**MAP assignment:** " + ", ".join(f"{k}={v}" for k, v in res["map"].items()))

components.figure(cache.convergence_figure(trace, tkey, marginals, marginals is not None),
                  key="bp.convergence")
if view["mode"] == "max" and exact:
    map_panel.map_comparison(trace, exact, fg)
view.sync()
