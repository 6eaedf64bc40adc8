"""The graph-network block's and the MPNN's formulas as LaTeX, filled in with the real numbers.

:func:`substep_latex` writes one GN sub-step the way Battaglia et al. name it (phi for the
updates, rho for the aggregations) and then its inputs and output for the selected node or
edge; :func:`mpnn_latex` writes Gilmer's edge network ``A(e_ij)`` and the GRU gates. Every
string is one short line (a long one is broken in two with ``aligned``), so a page that shows
each with ``st.latex`` never runs off its frame. Pure strings: no streamlit, no Plotly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.errors import TraceError
from explorer.viz._common import fmt

__all__ = ["substep_latex", "mpnn_latex", "vec_tex", "mat_tex", "substep_of", "gn_step_latex"]


def _tex_text(s: str) -> str:
    out = str(s)
    for a, b in (("\\", r"\backslash "), ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("#", r"\#"),
                 ("$", r"\$"), ("%", r"\%"), ("&", r"\&"), ("^", r"\^{}"), ("~", r"\sim ")):
        out = out.replace(a, b)
    return r"\text{" + out + "}"


def vec_tex(v: Any, max_len: int = 5, digits: int = 3, compact: bool = False) -> str:
    """A vector as LaTeX ``(a,\\ b,\\ \\dots)`` with at most ``max_len`` entries shown;
    ``compact``: the entries in a ``smallmatrix`` row (smaller type, tight spacing) for a
    narrow panel."""
    a = np.asarray(v, float).reshape(-1)
    items = [fmt(x, digits) for x in a[:max_len]] + ([r"\dots"] if a.size > max_len else [])
    if compact:
        return r"\left(\begin{smallmatrix}" + " & ".join(items) + r"\end{smallmatrix}\right)"
    return r"\left(" + r",\ ".join(items) + r"\right)"


def mat_tex(m: Any, max_len: int = 5, digits: int = 2) -> str:
    """A matrix as a LaTeX ``pmatrix`` (at most ``max_len`` rows and columns shown)."""
    a = np.asarray(m, float)
    rows = []
    for row in a[:max_len]:
        items = [fmt(x, digits) for x in row[:max_len]] + ([r"\cdots"] if a.shape[1] > max_len else [])
        rows.append(" & ".join(items))
    if a.shape[0] > max_len:
        rows.append(r"\vdots")
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


def _two(lhs: str, formula: str, value: str) -> str:
    """``lhs = formula`` on one line and ``= value`` under it (short lines never leave the frame)."""
    return r"\begin{aligned}" + lhs + " &= " + formula + r" \\ &= " + value + r"\end{aligned}"


def substep_latex(substep: dict[str, Any], graph: Any, *, node: int, edge: int | None,
                  max_terms: int = 6, compact: bool = False) -> list[str]:
    """The sub-step's formula as the essay writes it, then its inputs and output as numbers.

    Args:
        substep: one dict of :func:`explorer.nn.gn_steps.gn_substeps`.
        graph: the graph (for labels and who sends to whom).
        node, edge: the selected node and directed edge (``edge`` may be ``None``).
        compact: vectors in small type (:func:`vec_tex`), for the player's narrow panel.

    Returns:
        Short LaTeX lines, the first the general formula.
    """
    vt = lambda v: vec_tex(v, compact=compact)  # noqa: E731
    key, ins, out, agg = substep["key"], substep["inputs"], np.asarray(substep["output"]), substep["aggr"]
    lab = list(graph.display_labels)
    i, L = node, lambda n: _tex_text(lab[n])  # noqa: E731
    lines = [substep["formula"]]
    bold = lambda s: r"\mathbf{" + s + "}"  # noqa: E731
    if key == "phi_e":
        if edge is None:
            return lines + [r"\text{(this graph has no edges to update)}"]
        s, r = int(graph.senders[edge]), int(graph.receivers[edge])
        k = L(s) + r"\to " + L(r)
        lines += [bold("e") + "_{" + k + "} = " + vt(ins["e"][edge]),
                  bold("v") + "_{s_k} = " + bold("v") + "_{" + L(s) + "} = " + vt(ins["v_s"][edge]),
                  bold("v") + "_{r_k} = " + bold("v") + "_{" + L(r) + "} = " + vt(ins["v_r"][edge]),
                  bold("u") + " = " + vt(ins["u"][edge]),
                  _two(bold("e") + "'_{" + k + "}", r"\mathrm{MLP}\big(" + bold("e") + r"_k \,\|\, " + bold("v")
                       + r"_{s_k} \,\|\, " + bold("v") + r"_{r_k} \,\|\, " + bold("u") + r"\big)", vt(out[edge]))]
    elif key == "rho_ev":
        inc = np.flatnonzero(graph.receivers == i)
        for k in inc[:max_terms]:
            lines.append(bold("e") + "'_{" + L(int(graph.senders[k])) + r"\to " + L(i) + "} = "
                         + vt(ins["e'"][k]))
        if len(inc) > max_terms:
            lines.append(r"\dots\ \text{and " + str(len(inc) - max_terms) + " more edges}")
        if not len(inc):
            lines.append(r"\text{no edge arrives at this node: the aggregate is } \mathbf{0}")
        lines.append(_two(r"\bar{" + bold("e") + "}'_{" + L(i) + "}", r"\mathrm{" + agg + r"}\ \text{of these "
                          + str(len(inc)) + "}", vt(out[i])))
    elif key == "phi_v":
        lines += [r"\bar{" + bold("e") + "}'_{" + L(i) + "} = " + vt(ins["ebar'"][i]),
                  bold("v") + "_{" + L(i) + "} = " + vt(ins["v"][i]),
                  bold("u") + " = " + vt(ins["u"][i]),
                  _two(bold("v") + "'_{" + L(i) + "}", r"\mathrm{MLP}\big(\bar{" + bold("e") + r"}'_i \,\|\, "
                       + bold("v") + r"_i \,\|\, " + bold("u") + r"\big)", vt(out[i]))]
    elif key == "rho_eu":
        lines += [_two(r"\bar{" + bold("e") + "}'", r"\mathrm{" + agg + r"}\ \text{of all " + str(graph.n_edges)
                       + " updated edges}", vt(out[0]))]
    elif key == "rho_vu":
        lines += [_two(r"\bar{" + bold("v") + "}'", r"\mathrm{" + agg + r"}\ \text{of all " + str(graph.n_nodes)
                       + " updated nodes}", vt(out[0]))]
    else:
        lines += [r"\bar{" + bold("e") + "}' = " + vt(ins["ebar'"][0]),
                  r"\bar{" + bold("v") + "}' = " + vt(ins["vbar'"][0]),
                  bold("u") + " = " + vt(ins["u"][0]),
                  _two(bold("u") + "'", r"\mathrm{MLP}\big(\bar{" + bold("e") + r"}' \,\|\, \bar{" + bold("v")
                       + r"}' \,\|\, " + bold("u") + r"\big)", vt(out[0]))]
    return lines


def substep_of(trace: Any, step: int) -> dict[str, Any]:
    """Step ``step`` of a ``"gn-block"`` Trace (:mod:`explorer.nn.gn_trace`) as the sub-step dict
    :func:`substep_latex` reads, its inputs taken from the recorded steps (nothing recomputed).

    Raises:
        TraceError: the step records no GN sub-step (``extras["gn"]``).
    """
    from explorer.nn.gn_steps import SUBSTEPS

    st = trace.steps[step]
    key = st.extras.get("gn")
    meta = {k: rest for k, *rest in SUBSTEPS}
    if key not in meta:
        raise TraceError(f"step {step} of the {trace.kind!r} trace records no graph-network sub-step "
                         f"(expected extras['gn'] in {sorted(meta)}, found {key!r})")
    name, symbol, acts_on, formula = meta[key]
    g, ex = trace.graph, st.extras
    u = np.asarray(ex["u"], float)
    first = step - list(meta).index(key)         # this block's phi_e step
    v_in = np.asarray(trace.steps[first].states, float)
    e_new = np.asarray(trace.steps[first].messages, float)
    if key == "phi_e":
        ins = {"e": ex["edge_in"], "v_s": v_in[g.senders], "v_r": v_in[g.receivers],
               "u": np.repeat(u, g.n_edges, axis=0)}
        out = st.messages
    elif key == "rho_ev":
        ins, out = {"e'": e_new}, st.aggregates
    elif key == "phi_v":
        ins, out = {"ebar'": st.aggregates, "v": v_in, "u": np.repeat(u, g.n_nodes, axis=0)}, st.states
    elif key == "rho_eu":
        ins, out = {"e'": e_new}, ex["ebar_u"]
    elif key == "rho_vu":
        ins, out = {"v'": st.states}, ex["vbar_u"]
    else:
        ins, out = {"ebar'": ex["ebar_u"], "vbar'": ex["vbar_u"], "u": u}, ex["u_new"]
    return {"key": key, "name": name, "symbol": symbol, "acts_on": acts_on, "formula": formula,
            "aggr": ex["aggr"], "inputs": ins, "output": np.asarray(out, float)}


def gn_step_latex(trace: Any, step: int, node: int) -> str:
    """The GN sub-step at ``step`` for ``node`` as one LaTeX block (for the player's panel).

    The sub-step is named as the essay names it (φ for the updates, ρ for the aggregations), then
    filled in with the recorded numbers: for φᵉ the first edge into ``node`` (every edge's e′ is
    in the messages table), for ρᵉ→ᵛ and φᵛ the node itself, for the global sub-steps the graph.
    """
    sub = substep_of(trace, step)
    into = np.flatnonzero(trace.graph.receivers == node)
    edge = int(into[0]) if into.size else None
    block = trace.steps[step].extras.get("block", 1)
    head = r"\text{block " + str(block) + r":\ " + sub["name"].replace("→", r"$\to$") + r"}\ \ " + sub["symbol"]
    lines = [head] + substep_latex(sub, trace.graph, node=node, edge=edge, compact=True)
    return r"\small " + r" \\ ".join(lines).replace(r" \,\|\, ", r"\|")  # narrow: no spaces round ‖


def mpnn_latex(detail: dict[str, Any], graph: Any, edge_pos: int = 0) -> list[str]:
    """The MPNN step at one node with numbers: ``A(e_ij)`` of one incoming edge, the message,
    the sum, ``m_i`` and the GRU gates (see :func:`explorer.nn.gn_steps.mpnn_node_detail`).

    Args:
        detail: the dict of ``mpnn_node_detail``; edge_pos: which incoming edge to open up.
    """
    lab = list(graph.display_labels)
    i = _tex_text(lab[detail["node"]])
    lines = [r"\mathbf{m}_i = \mathrm{ReLU}\Big(\textstyle\sum_{j\in N(i)} A(\mathbf{e}_{ij})\,\mathbf{h}_j"
             r" + \Theta\,\mathbf{h}_i + \mathbf{b}\Big)",
             r"\mathbf{h}'_i = \mathrm{GRU}(\mathbf{h}_i,\ \mathbf{m}_i)"]
    if detail["incoming"]:
        e = detail["incoming"][min(edge_pos, len(detail["incoming"]) - 1)]
        j = _tex_text(lab[e["sender"]])
        lines += [r"\mathbf{e}_{" + i + "," + j + "} = " + vec_tex(e["edge_attr"]),
                  r"A(\mathbf{e}_{" + i + "," + j + "}) = " + mat_tex(e["A"]),
                  r"\mathbf{h}_{" + j + "} = " + vec_tex(e["h_j"]),
                  _two(r"\text{message}", r"A(\mathbf{e}_{" + i + "," + j + r"})\,\mathbf{h}_{" + j + "}",
                       vec_tex(e["message"]))]
    lines += [_two(r"\text{sum of " + str(len(detail["incoming"])) + " messages}",
                   r"\textstyle\sum_j A(\mathbf{e}_{" + i + r",j})\,\mathbf{h}_j", vec_tex(detail["sum"])),
              r"\Theta\,\mathbf{h}_{" + i + r"} + \mathbf{b} = " + vec_tex(detail["root"]),
              r"\mathbf{m}_{" + i + "} = " + vec_tex(detail["m"]),
              r"\mathbf{h}_{" + i + "} = " + vec_tex(detail["h"]),
              _two(r"\mathbf{r}", r"\sigma(W_{ir}\mathbf{m} + W_{hr}\mathbf{h} + \mathbf{b}_r)", vec_tex(detail["r"])),
              _two(r"\mathbf{z}", r"\sigma(W_{iz}\mathbf{m} + W_{hz}\mathbf{h} + \mathbf{b}_z)", vec_tex(detail["z"])),
              _two(r"\mathbf{n}", r"\tanh\big(W_{in}\mathbf{m} + \mathbf{b}_{in}"
                   r" + \mathbf{r}\odot(W_{hn}\mathbf{h} + \mathbf{b}_{hn})\big)", vec_tex(detail["n"])),
              _two(r"\mathbf{h}'_{" + i + "}", r"(1-\mathbf{z})\odot\mathbf{n} + \mathbf{z}\odot\mathbf{h}",
                   vec_tex(detail["h_new_module"]))]
    return lines
