"""Variable elimination: the chain X1 -> ... -> Xn, P(Xn), each elimination seen as a message."""

import streamlit as st

from explorer import viz
from explorer.pgm.chain import MAX_K, MAX_N
from explorer.ui import cache, components, player, shell, tables, ve_panels
from explorer.ui.guard import attempt
from explorer.ui.state import View
from explorer.viz.mathfit import chain_sum_latex

INTRO = """
A chain of random variables X1 → X2 → … → Xn, each depending only on the one before it. To get
P(Xn) you could add up the joint probability over every combination of the other variables:
kⁿ terms for k states each. **Variable elimination** pushes each sum inward instead: summing out
X1 from P(X1)·P(X2|X1) leaves a small table over X2 alone, then X2 is summed out, and so on.
Each of those small tables is a **message** from one variable to the next, and the whole job
costs about n·k² operations. Keep the messages, send a second wave backwards, and every
marginal comes out of the same 2(n−1) messages.
"""

#: the sliders' ranges: every setting offered is one the engine accepts (the naive sum is counted
#: by formula, so even the largest chain shows k^n against n·k² without enumerating it)
N_MAX, K_MAX = min(20, MAX_N), min(6, MAX_K)
view = View("ve", {"n": 5, "k": 2, **player.DEFAULTS, "node": 1},
            choices={"n": lambda n: 2 <= n <= N_MAX, "k": lambda k: 2 <= k <= K_MAX})
controls = shell.frame(view, "Variable elimination", INTRO, chart_first=True)


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.slider("Chain length n", 2, N_MAX, key=view.key("n"))
    st.slider("States per variable k", 2, K_MAX, key=view.key("k"))
n, k = int(view["n"]), int(view["k"])
demo = attempt("run the chain demo", cache.chain_demo, n, k)


def _lead() -> None:
    """The sum and P(Xn) above the chain; on the page's first run drawn after the chart, as the
    controls are (st.latex is a chunk of its own that a first visit would load and lay out
    before the chart mounts)."""
    st.latex(chain_sum_latex(n))
    st.markdown(f"**P(X{n})** = " + ", ".join(f"P(X{n}={s}) = {p:.4f}" for s, p in demo["p_last"].items())
                + (f" — the naive sum over all {demo['naive']['terms']:,} assignments gives the same "
                   "numbers." if demo["naive_checked"] else f" — the naive sum would add "
                   f"{demo['naive']['terms']:,} terms (counted, too many to enumerate here)."))


controls.later(_lead, where=st.container())

trace = demo["trace"]
gkey = trace.graph.content_hash()
pos = attempt("compute the layout", cache.layout, trace.graph, gkey, "auto", 0)
player.play(view, trace, cache.key("chain", n, k), pos, gkey, controls, name=f"chain{n}-ve")

naive, elim, reuse = demo["naive"], demo["elimination"], demo["reuse"]
c = st.columns(4)
c[0].metric("Naive terms kⁿ", f"{naive['terms']:,}")
c[1].metric("Naive operations", f"{naive['multiplications'] + naive['additions']:,}")
c[2].metric("Elimination operations", f"{elim['multiplications'] + elim['additions']:,}",
            help=f"the essay's estimate n·k² = {elim['n_k2']}")
c[3].metric("Messages for all marginals", reuse["forward_backward_messages"],
            delta=f"{reuse['forward_backward_messages'] - reuse['per_query_messages']} vs one run "
                  "per query", delta_color="inverse")

left, right = st.columns(2)
with left:
    costs = {"naive sum": naive["multiplications"] + naive["additions"],
             "elimination": elim["multiplications"] + elim["additions"]}
    components.figure(viz.elimination_cost_figure(costs), key="ve.cost")
with right:
    st.markdown("**Reuse: every marginal from one forward and one backward pass**")
    tables.table([{"variable": var, **{f"P={s}": round(p, 4) for s, p in m.items()}}
                  for var, m in reuse["marginals"].items()], noun="variables")
    st.caption(f"{reuse['forward_backward_messages']} messages in all, against "
               f"{reuse['per_query_messages']} when each marginal is computed from scratch; "
               f"largest difference between the two ways: {reuse['max_difference']:.1e}.")
ve_panels.complete(n, k, demo)
view.sync()
