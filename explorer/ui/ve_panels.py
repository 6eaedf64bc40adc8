"""The Variable elimination page's complete lesson: cost over n, both passes, and a tree.

    complete(n, k, demo)     every section below, in page order
    cost_section(n, k, demo) k^n against n·k² over n (log scale), counted analytically
    two_pass_section(n, k)   every message of the forward and backward passes, with state names
    tree_section()           the same two passes on a small tree-shaped Bayesian network
    message_rows(trace, fg)  / clique_rows(trace, fg): the tables, as plain rows (tested)

Self-contained: the page calls :func:`complete` once; nothing here touches the player.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from explorer.ui import cache, components, tables
from explorer.ui.guard import attempt

__all__ = ["complete", "cost_section", "two_pass_section", "tree_section", "message_rows",
           "clique_rows", "CHART_N", "TREE_EVIDENCE"]

#: the cost chart runs to this chain length (the page's slider maximum)
CHART_N = 12
#: what the tree section lets the reader observe (a leaf, or nothing)
TREE_EVIDENCE = {"nothing": (), "X5=1": ((4, 1),), "X4=0": ((3, 0),), "X3=1": ((2, 1),)}


def message_rows(trace: Any, fg: Any) -> list[dict]:
    """One row per message of a chain two-pass trace: step, pass, sender → receiver, the
    message's name, one column per state (``"= s"``) and the receiver's marginal afterwards
    when the step completes one."""
    g = trace.graph
    rows = []
    for k, s in enumerate(trace.steps):
        ex = s.extras
        e = int(s.edges[0])
        dst = g.labels[int(g.receivers[e])]
        states = fg.states[fg.index(dst)]
        row = {"step": k + 1, "pass": ex.get("pass", "forward"),
               "message": ex["new_factor"]["label"],
               "from → to": f"{g.labels[int(g.senders[e])]} → {dst}"}
        row.update({f"= {st_}": round(float(v), 4) for st_, v in zip(states, s.messages[0])})
        m = ex.get("marginal")
        row["marginal completed"] = f"P({dst}) = " + ", ".join(f"{v:.4f}" for v in m.values()) \
            if m else ""
        rows.append(row)
    return rows


def clique_rows(trace: Any, fg: Any) -> list[dict]:
    """One row per clique-tree message: pass, sender → receiver, separator, and the separator
    table (scaled to sum 1) with each entry named by its states (``"X2=0"``)."""
    rows = []
    for k, s in enumerate(trace.steps):
        ex = s.extras
        sep = [fg.index(v) for v in ex["separator"]]
        table = np.asarray(ex["table"], dtype=float)
        entries = ", ".join(
            f"{','.join(f'{fg.names[v]}={fg.states[v][i]}' for v, i in zip(sep, idx))}: "
            f"{table[idx]:.4f}" for idx in np.ndindex(table.shape))
        rows.append({"step": k + 1, "pass": ex["pass"], "from → to": f"{ex['sender']} → "
                     f"{ex['receiver']}", "separator": ", ".join(ex["separator"]) or "(none)",
                     "message": entries})
    return rows


def cost_section(n: int, k: int, demo: dict) -> None:
    """k^n against n·k² for every chain length up to :data:`CHART_N`, log scale."""
    series = attempt("count the costs", cache.chain_costs, k, max(CHART_N, n))
    fig = attempt("draw the costs", cache.chain_cost_figure, series, k, max(CHART_N, n), n)
    components.figure(fig, key="ve.cost_series")
    naive = demo["naive"]
    checked = ("an enumeration of every assignment counted the same numbers"
               if demo.get("naive_checked") else
               "too many to enumerate here, so the enumeration check is skipped at this size")
    st.caption(f"Counted, not estimated: the naive sum has kⁿ = {naive['terms']:,} terms of "
               f"n − 1 multiplications each, added into k sums ({checked}). Elimination needs "
               f"(n − 1)(2k² − k) operations. Each step of n multiplies the naive cost by k, "
               "and adds a constant to elimination's.")


def two_pass_section(n: int, k: int) -> None:
    """Every message of both passes, with state names, for an optional observation of Xn."""
    options = [None, *range(k)]
    observe = st.selectbox(f"Observe X{n} (the backward pass carries it)", options,
                           format_func=lambda s: "nothing" if s is None else f"X{n} = {s}",
                           key="ve.observe")
    d = attempt("run both passes", cache.chain_two_pass, n, k, observe)
    fg, trace = d["model"], d["trace"]
    tables.table(message_rows(trace, fg), noun="messages")
    msgs = len(trace.steps)
    st.caption(f"{msgs // 2} forward messages τ (the eliminations above) and {msgs // 2} backward "
               f"messages β: {msgs} in all. P(Xt) ∝ τ into Xt × β into Xt, so every marginal comes "
               "from two stored messages, never a new elimination. "
               + ("Without an observation every β is all ones (each P(Xt+1 | Xt) row sums to 1): "
                  "observe the last variable to see the backward pass carry news."
                  if observe is None else
                  f"With X{n} = {observe} observed, β into Xt is P(X{n} = {observe} | Xt)."))


def tree_section() -> None:
    """The same two passes on a tree-shaped Bayesian network, through its clique tree."""
    choice = st.selectbox("Observe", list(TREE_EVIDENCE), index=1, key="ve.tree_evidence")
    ev = TREE_EVIDENCE[choice]
    d = attempt("calibrate the tree", cache.tree_two_pass, ev)
    fg, trace = d["model"], d["trace"]
    tables.table(clique_rows(trace, fg), noun="messages")
    res = trace.result
    given = f" | {choice}" if ev else ""
    tables.table([{"variable": v, **{f"P(= {s}{given})": round(p, 4) for s, p in m.items()}}
                  for v, m in res["marginals"].items()], noun="variables")
    st.caption(f"X1 → X2, X1 → X3, X2 → X4, X2 → X5, with the chain's tables: one clique per "
               "edge (an observed variable is sliced out of its tables first, so its edge joins a "
               f"neighbour's clique). Collect, then distribute: {res['n_messages']} messages = "
               "2 × (cliques − 1), and every marginal above is read from the calibrated cliques.")
    st.page_link("explorer/ui/pages/clique_tree.py", label="The same lesson on any model: the "
                 "Clique tree page", icon=":material/account_tree:")


def complete(n: int, k: int, demo: dict) -> None:
    """Every section, in page order (the page's one call)."""
    st.subheader("kⁿ against n·k², for every chain length")
    cost_section(n, k, demo)
    st.subheader("Both passes, message by message")
    two_pass_section(n, k)
    st.subheader("The same two passes on a tree")
    tree_section()
