"""One node's update at one step, written as a LaTeX formula with the recorded numbers.

Every number printed is read from the Trace (messages, aggregates, states, coefficients and
attention stored by the engines); nothing is recomputed except the element-wise product of a
BP belief, shown before normalisation. Short vectors are printed in full, long ones as
``[a, b, c, …, z]``; more than :data:`MAX_TERMS` incoming messages are shortened with "+ … (k more)".

    BP variable  b_i(x) ∝ Π_f μ_{f→i}(x)          (latest message on each incoming edge)
    BP factor    μ_{f→i}(x_i) = Σ (or max) over the other variables of f(x) Π μ_{j→f}(x_j),
                 the factor's name written once (f = P(B | A)) so lines stay short
    GCN          x'_i = Σ_{j ∈ N(i) ∪ {i}} c_ji Θx_j + b      (c_ji from extras "coefficients")
    SAGE         x'_i = W_l · agg_j x_j + W_r x_i (+ b)
    GAT          x'_i = ‖_h Σ_j α^h_ji W^h x_j + b            (α from extras "attention")
    GIN          x'_i = MLP((1 + ε) x_i + Σ_j x_j)
    WL           c'_i = HASH(c_i, {{c_j : j ∈ N(i)}})
    VE           τ(scope) = Σ_X Π factors that mention X
    clique tree  collect: μ_{i→j}(S) ∝ Σ_{C_i ∖ S} ψ_i Π_{k ∈ N(i) ∖ j} μ_{k→i} = extras "table"
                 (the μ_{k→i} are the recorded collect messages); distribute (Hugin): the
                 recorded table is the new separator potential φ*_S ∝ Σ_{C_i ∖ S} β_i, and the
                 message is φ*_S / μ_{j→i} (the collect message the other way), rescaled
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from explorer.errors import TraceError
from explorer.viz._common import as_rows, check_node, check_step, fmt
from explorer.viz.colors import family, last_states
from explorer.viz.messages import incoming, latest_incoming

__all__ = ["node_update_latex", "latex_vector", "clique_message", "clique_back_message", "MAX_TERMS"]

#: incoming messages written out one by one before "+ … (k more)"
MAX_TERMS = 5
#: terms per line of a long sum or product (vectors of up to 5 numbers each)
TERMS_PER_LINE = 2
_ESC = {"\\": r"\backslash ", "_": r"\_", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
        "%": r"\%", "&": r"\&", "~": r"\sim ", "^": r"\^{}"}


def _t(label: Any) -> str:
    """A label as LaTeX text (special characters escaped)."""
    return r"\text{" + "".join(_ESC.get(c, c) for c in str(label)) + "}"


_GREEK = {"tau": r"\tau", "mu": r"\mu", "phi": r"\phi", "psi": r"\psi", "alpha": r"\alpha"}
_VAR = re.compile(r"^([A-Za-z]+)(\d+)$")
_SUB = re.compile(r"^([A-Za-z]+)_([^()]+)(?:\((.*)\))?$")


def math_name(label: Any) -> str:
    """A name as math: ``X1`` -> ``X_{1}``, ``tau_X1(X2)`` -> ``\tau_{X_{1}}(X_{2})``, and a
    word -> ``\text{word}``.

    Example:
        >>> math_name("tau_X1(X2,X3)")
        '\\tau_{X_{1}}(X_{2}, X_{3})'
    """
    t = str(label)
    m = _SUB.match(t)
    if m and m.group(1) in _GREEK:
        args = "" if m.group(3) is None else "(" + ", ".join(math_name(a) for a in m.group(3).split(",") if a) + ")"
        return _GREEK[m.group(1)] + "_{" + math_name(m.group(2)) + "}" + args
    v = _VAR.match(t)
    if v and len(v.group(1)) <= 2:
        return f"{v.group(1)}_{{{v.group(2)}}}"
    if (len(t) == 1 and t.isalpha()) or t.isdigit():
        return t
    return _t(t)


def latex_vector(values: Any, *, max_len: int = 5, digits: int = 3) -> str:
    """``[a, b, c]`` in LaTeX; longer than ``max_len`` it keeps the ends with "…"."""
    a = np.asarray(values).reshape(-1)
    nz = np.flatnonzero(a)
    if a.size > max_len and nz.size <= 2:  # e.g. one-hot features: say where the non-zeros are
        parts = [rf"[{j}]{{=}}{fmt(a[j], digits)}" for j in nz]
        return rf"\mathbf{{0}}_{{{a.size}}}" + (r"\text{ except }" + r",\ ".join(parts) if parts else "")
    items = [fmt(v, digits) for v in a]
    if len(items) > max_len:
        items = items[: max_len - 2] + [r"\dots"] + items[-1:]
    items = [i.replace("e-", r"\mathrm{e}{-}").replace("e+", r"\mathrm{e}{+}") for i in items]
    return r"\left[" + r",\ ".join(items) + r"\right]"


def _terms(parts: list[str], op: str = " + ") -> str:
    """Terms joined by ``op``, a new line every :data:`TERMS_PER_LINE` (so no line runs off a
    1280 px page), at most :data:`MAX_TERMS` of them."""
    if len(parts) > MAX_TERMS:
        parts = parts[:MAX_TERMS] + [rf"\dots\ (\text{{{len(parts) - MAX_TERMS} more}})"]
    if not parts:
        return "0"
    chunks = [op.join(parts[i:i + TERMS_PER_LINE]) for i in range(0, len(parts), TERMS_PER_LINE)]
    return (r" \\ \quad " + op.strip() + " ").join(chunks)


def _row(values: Any, i: int) -> np.ndarray | None:
    rows = as_rows(values)
    return rows[i] if rows else None


def _bp(trace: Any, k: int, i: int) -> str:
    g = trace.graph
    lab = g.display_labels
    roles = g.roles or ("variable",) * g.n_nodes
    latest = latest_incoming(trace, k, i)
    if str(roles[i]).lower() == "factor":  # the factor is called f: its full name once, on top
        op = r"\max" if trace.kind == "max-product" else r"\sum"
        st = trace.steps[k]
        sent = np.flatnonzero(g.senders[st.edges] == i)
        lines = [rf"f = {_cpd(lab[i])}",
                 rf"\mu_{{f\to v}}(x_v) \propto {op}_{{x \setminus x_v}} f(x)"
                 rf"\prod_{{u \in N(f) \setminus v}} \mu_{{u \to f}}(x_u)"]
        for e, (_, m) in latest.items():
            lines.append(rf"\mu_{{{_cpd(lab[g.senders[e]])}\to f}} = {latex_vector(m)}")
        rows = as_rows(st.messages)
        for j in sent[:MAX_TERMS]:
            e = int(st.edges[j])
            lines.append(rf"\mu_{{f\to {_cpd(lab[g.receivers[e]])}}} = {latex_vector(rows[j])}")
        if not sent.size:
            lines.append(rf"\text{{(no message from {lab[i]} in this step)}}")
        return r" \\ ".join(lines)
    belief = _row(last_states(trace, k), i)
    names = [rf"\mu_{{{_cpd(lab[g.senders[e]])}\to {_cpd(lab[i])}}}" for e in latest]
    vecs = [latex_vector(m) for _, m in latest.values()]
    prod = np.prod(np.stack([m for _, m in latest.values()]), axis=0) if latest else None
    head = rf"b_{{{_cpd(lab[i])}}}(x) \propto " + (_terms(names, r" \odot ") if names else "1")
    body = [head]
    if vecs:
        body.append(r"= " + _terms(vecs, r" \odot ") + " = " + latex_vector(prod))
    if belief is not None:
        body.append(r"\propto " + latex_vector(belief) + r"\quad\text{(normalised, recorded)}")
    return r" \\ ".join(body)


def _neural(trace: Any, k: int, i: int) -> str:
    g = trace.graph
    st = trace.steps[k]
    lab = g.display_labels
    kind = str(trace.kind).lower()
    xi = rf"x_{{{_cpd(lab[i])}}}"
    if st.messages is None and st.states is None:
        ro = st.extras.get("readout")
        return (rf"\text{{{st.label or 'readout'}}}:\ h_G = \text{{{st.extras.get('mode', 'readout')}}}_i\, x_i"
                + (f" = {latex_vector(ro)}" if ro is not None else ""))
    inc = incoming(trace, k, i)
    msgs = as_rows(st.messages)
    send = [g.senders[st.edges[j]] for j in inc]
    agg, new = _row(st.aggregates, i), _row(st.states, i)
    loop = st.extras.get("self_loop_messages")
    lines: list[str] = []
    if kind == "gcn":
        coef = np.asarray(st.extras.get("coefficients", []), dtype=float).reshape(-1)
        selfw = st.extras.get("self_loop_weight")
        sym = [rf"{fmt(np.asarray(selfw).reshape(-1)[i], 3)}\,\Theta {xi}"] if selfw is not None else []
        sym += [rf"{fmt(coef[j], 3) if coef.size else 'c'}\,\Theta x_{{{_cpd(lab[s])}}}" for j, s in zip(inc, send)]
        lines.append(rf"{xi}' = \sum_{{j \in N(i) \cup \{{i\}}}} c_{{ji}}\,\Theta x_j + b = " + _terms(sym) + " + b")
    elif kind == "sage":
        aggr = (trace.params.get("layer_opts") or {}).get("aggr", "mean")
        lines.append(rf"{xi}' = W_l\,\mathrm{{{aggr}}}_{{j \in N(i)}} x_j + W_r\,{xi} + b")
    elif kind == "gat":
        att = np.asarray(st.extras.get("attention", np.zeros((0, 1))), dtype=float)
        att = att.reshape(att.shape[0], -1) if att.size else att
        selfa = st.extras.get("self_loop_attention")
        lines.append(rf"{xi}' = \Big\Vert_h \sum_{{j \in N(i) \cup \{{i\}}}} \alpha^h_{{ji}}\, W^h x_j + b")
        sym = [rf"{latex_vector(np.asarray(selfa)[i])}\, W {xi}"] if selfa is not None else []
        for j, s in zip(inc, send):
            a = latex_vector(att[j]) if att.size else r"\alpha"
            sym.append(rf"{a}\, W x_{{{_cpd(lab[s])}}}")
        lines.append(r"\alpha^{h=1..H}:\ " + _terms(sym))
    elif kind == "gin":
        eps = (trace.params.get("layer_opts") or {}).get("eps", 0.0)
        lines.append(rf"{xi}' = \mathrm{{MLP}}\big((1 + {fmt(eps)})\,{xi} + \sum_{{j \in N(i)}} x_j\big)")
    else:
        lines.append(rf"{xi}' = \gamma\big({xi},\ \sum_{{j \in N(i)}} m_{{ji}}\big)")
    terms = [latex_vector(np.asarray(loop)[i]) + r"_{\text{self}}"] if loop is not None else []
    terms += [latex_vector(msgs[j]) for j in inc]
    if terms:
        lines.append(r"\text{messages: } " + _terms(terms))
    if agg is not None:
        lines.append(rf"a_{{{_cpd(lab[i])}}} = {latex_vector(agg)}")
    if new is not None:
        lines.append(rf"{xi}' = {latex_vector(new)}")
    return r" \\ ".join(lines)


def _wl(trace: Any, k: int, i: int) -> str:
    from explorer.viz.colors import node_values

    g = trace.graph
    lab = g.display_labels
    new = node_values(trace, k, "color")
    old = node_values(trace, k - 1, "color") if k > 0 else np.zeros(g.n_nodes)
    nb = sorted(int(old[s]) for s in g.neighbors(i))
    multiset = r"\{\!\{" + ", ".join(str(c) for c in nb[:12]) + (r", \dots" if len(nb) > 12 else "") + r"\}\!\}"
    return (rf"c'_{{{_cpd(lab[i])}}} = \mathrm{{HASH}}\big(c_{{{_cpd(lab[i])}}},\ \{{\!\{{c_j : j \in N(i)\}}\!\}}\big)"
            rf" = \mathrm{{HASH}}\big({int(old[i])},\ {multiset}\big) = {int(new[i])}")


def _cpd(label: Any) -> str:
    r"""``P(X2|X1)`` -> ``P(X_{2} \mid X_{1})``; other factor labels via :func:`math_name`."""
    m = re.match(r"^P\(([^|()]+)(?:\|([^()]*))?\)$", str(label))
    if not m:
        return math_name(label)
    given = r" \mid " + ", ".join(math_name(p) for p in m.group(2).split(",")) if m.group(2) else ""
    return f"P({math_name(m.group(1))}{given})"


def _ve(trace: Any, k: int, i: int) -> str:
    st = trace.steps[k]
    ex = st.extras
    nf = ex.get("new_factor") or {}
    x = ex.get("variable", "?")
    parts = r"\,".join(_cpd(f) for f in ex.get("factors_combined", []))
    scope = ", ".join(math_name(s) for s in nf.get("scope", []))
    op = r"\max" if trace.params.get("mode") == "max" else r"\sum"
    table = nf.get("table")
    line = rf"{math_name(nf.get('label', 'tau'))} = {op}_{{{math_name(x)}}} {parts}"
    if table is not None:
        line += " = " + latex_vector(np.asarray(table), max_len=8)
    ops = ex.get("ops") or {}
    extra = r",\ ".join(rf"\text{{{k_}}} = {v}" for k_, v in ops.items())
    return line + (rf" \\ \text{{scope: }}\{{{scope}\}}" if scope else "") + (rf" \\ {extra}" if extra else "")


def _clique_vars(label: Any) -> list[str]:
    """``"{lung,bronc}"`` -> ``["lung", "bronc"]`` (a clique's label lists its variables)."""
    return [v for v in str(label).strip("{}").split(",") if v]


def _set(names: Any) -> str:
    return r"\{" + r",\ ".join(math_name(v) for v in names) + r"\}"


def clique_back_message(trace: Any, step: int) -> np.ndarray:
    """The recorded message that went the other way over the separator of a distribute step
    (the collect message from the receiver to the sender), flattened."""
    g = trace.graph
    e = int(trace.steps[step].edges[0])
    back = [k for k in range(step) for j in range(len(trace.steps[k].edges))
            if g.senders[trace.steps[k].edges[j]] == g.receivers[e] and g.receivers[trace.steps[k].edges[j]] == g.senders[e]]
    if not back:
        raise TraceError(f"step {step} of the clique tree has no earlier message the other way; "
                         "expected a collect message on the same separator")
    return as_rows(trace.steps[back[-1]].messages)[0]


def clique_message(trace: Any, step: int) -> np.ndarray:
    """The message of a clique-tree step as a Shafer–Shenoy message, scaled to sum 1: the recorded
    table itself in the collect pass; in the distribute pass the recorded separator potential
    divided by the collect message the other way (Hugin's update, ``0 / 0 = 0``)."""
    st = trace.steps[step]
    table = np.asarray(st.extras["table"], dtype=float).reshape(-1)
    if st.extras["pass"] == "collect":
        return table
    back = clique_back_message(trace, step)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(back > 0, table / np.where(back > 0, back, 1.0), 0.0)
    return r / r.sum() if r.sum() > 0 else r


def _clique(trace: Any, k: int, i: int) -> str:
    g = trace.graph
    st = trace.steps[k]
    ex = st.extras
    lab = g.display_labels
    e = int(st.edges[0])
    snd, rcv = int(g.senders[e]), int(g.receivers[e])
    sep = list(ex["separator"])
    summed = [v for v in _clique_vars(lab[snd]) if v not in sep]
    op = r"\max" if trace.params.get("mode") == "max" else r"\sum"
    a, b = snd + 1, rcv + 1  # the cliques as the page numbers them
    over = _set(summed) if summed else r"\varnothing"
    table = np.asarray(ex["table"], dtype=float).reshape(-1)
    w = 6  # numbers per vector: the panel beside the chart is narrow
    lines = [rf"C_{{{a}}} = {_set(_clique_vars(lab[snd]))}",
             rf"\to C_{{{b}}} = {_set(_clique_vars(lab[rcv]))}",
             rf"S = {_set(sep)}\ \text{{({ex['pass']})}}"]
    if ex["pass"] == "collect":  # the sender has heard only from its children: a plain message
        lines.append(rf"\mu_{{{a}\to {b}}}(S) \propto {op}_{{{over}}}\ "
                     rf"\psi_{{{a}}} \prod_{{k \in N({a}) \setminus {b}}} \mu_{{k\to {a}}}")
        inputs = {int(g.senders[e_]): m for e_, (_, m) in latest_incoming(trace, k, snd).items()
                  if int(g.senders[e_]) != rcv}
        for s_, m in sorted(inputs.items()):
            lines.append(rf"\mu_{{{s_ + 1}\to {a}}} = {latex_vector(m, max_len=w)}")
        if not inputs:
            lines.append(rf"\text{{(C{a} has heard from no other neighbour)}}")
        lines += [rf"\mu_{{{a}\to {b}}} = {latex_vector(table, max_len=w)}",
                  r"\quad\text{(recorded, scaled to sum 1)}"]
    else:  # Hugin: the new separator potential, divided by the one the collect pass left there
        back = clique_back_message(trace, k)
        ratio = clique_message(trace, k)
        lines += [rf"\phi^{{*}}_{{S}} \propto {op}_{{{over}}}\ \beta_{{{a}}}\quad\text{{(recorded)}}",
                  rf"\quad = {latex_vector(table, max_len=w)}",
                  rf"\phi_{{S}} = \mu_{{{b}\to {a}}}\quad\text{{(the collect message)}}",
                  rf"\quad = {latex_vector(back, max_len=w)}",
                  rf"\mu_{{{a}\to {b}}} = \phi^{{*}}_{{S}} / \phi_{{S}}\quad\text{{(0/0 = 0)}}",
                  rf"\quad \propto {op}_{{{over}}}\ "
                  rf"\psi_{{{a}}} \prod_{{k \in N({a}) \setminus {b}}} \mu_{{k\to {a}}}",
                  rf"\quad = {latex_vector(ratio, max_len=w)}"]
    if i not in (snd, rcv):
        lines.append(rf"\text{{(C{i + 1}: not in this step)}}")
    return r" \\ ".join(lines)


def node_update_latex(trace: Any, step: int, node: int) -> str:
    """The update of ``node`` at ``step`` as LaTeX (for ``st.latex``), with the recorded numbers.

    Args:
        trace: a recorded run.
        step: index into ``trace.steps`` (negative counts from the end).
        node: the node (for VE, any node: the step's elimination is shown).

    Returns:
        LaTeX source; lines are separated by ``\\\\``.

    Raises:
        TraceError: when ``step`` or ``node`` is out of range.
    """
    k = check_step(trace, step)
    i = check_node(trace.graph, node)
    if str(trace.kind) == "gn-block":  # Battaglia's sub-steps: phi and rho with their numbers
        from explorer.viz.gn_formulas import gn_step_latex; return gn_step_latex(trace, k, i)  # noqa: E702
    fam = family(trace)
    if fam == "bp":
        return _bp(trace, k, i)
    if fam == "wl":
        return _wl(trace, k, i)
    if fam == "ve":
        return _ve(trace, k, i)
    if fam == "clique":
        return _clique(trace, k, i)
    return _neural(trace, k, i)
