"""One node's update at one step, written as a LaTeX formula with the recorded numbers.

Every number printed is read from the Trace (messages, aggregates, states, coefficients and
attention stored by the engines); nothing is recomputed except the element-wise product of a
BP belief, shown before normalisation. The formula is wrapped to fit the player's narrow panel
(:mod:`explorer.viz.mathfit`): each statement is a list of chunks broken between terms, and a
vector keeps as many entries as fit on a line, ``[a, b, …, z]``; more than :data:`MAX_TERMS`
incoming messages are shortened with "+ … (k more)".

    BP variable  b_i(x) ∝ Π_f μ_{f→i}(x)          (latest message on each incoming edge)
    BP factor    μ_{f→i}(x_i) = Σ (or max) over the other variables of f(x) Π_{j≠i} μ_{j→f}(x_j),
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
from explorer.viz.mathfit import INDENT_EM, LECTURE, SIZE, WIDTH_EM, aligned, fit_vector, latex_vector, width_em
from explorer.viz.messages import incoming, latest_incoming

__all__ = ["node_update_latex", "latex_vector", "clique_message", "clique_back_message", "MAX_TERMS",
           "math_name"]

#: incoming messages written out one by one before "+ … (k more)"
MAX_TERMS = 5
_ESC = {"\\": r"\backslash ", "_": r"\_", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$",
        "%": r"\%", "&": r"\&", "~": r"\sim ", "^": r"\^{}"}


def _t(label: Any) -> str:
    """A label as LaTeX text (special characters escaped)."""
    return r"\text{" + "".join(_ESC.get(c, c) for c in str(label)) + "}"


_GREEK = {g: "\\" + g for g in ("tau", "mu", "phi", "psi", "alpha", "beta", "gamma", "delta", "lambda",
                                 "pi", "eta", "nu", "xi", "sigma", "theta", "omega")}
_VAR = re.compile(r"^([A-Za-z]+)(\d+)$")
_SUB = re.compile(r"^([A-Za-z]+)_([^()]+)(?:\((.*)\))?$")


def math_name(label: Any) -> str:
    r"""A name as math: ``X1`` -> ``X_{1}``, ``tau_X1(X2)`` -> ``\tau_{X_{1}}(X_{2})``, and a
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


class _Fit:
    """Chunks sized for one width budget (em): a vector is cut to what fits on a line of its own
    (after the indent of a continuation line) together with the text around it."""

    def __init__(self, width: float) -> None:
        self.width = width

    def vec(self, prefix: str, values: Any, suffix: str = "", *, reserve: str = "", max_len: int = 8) -> str:
        """``prefix [vector] suffix``; ``reserve``: text that will stand before it (an operator)."""
        room = self.width - INDENT_EM - width_em(prefix + reserve) - width_em(suffix)
        return prefix + fit_vector(values, room, max_len=max_len) + suffix

    @staticmethod
    def terms(parts: list[str], op: str = "+") -> list[str]:
        """``a``, ``+ b``, ``+ c``, …: at most :data:`MAX_TERMS` terms, then "… (k more)"."""
        if not parts:
            return ["0"]
        out = [parts[0]] + [f"{op} {p}" for p in parts[1:MAX_TERMS]]
        if len(parts) > MAX_TERMS:
            out.append(rf"{op} \dots\ (\text{{{len(parts) - MAX_TERMS} more}})")
        return out


def _words(text: str) -> list[str]:
    """A remark as one text chunk per word (so it can wrap), each with its space before it
    inside the text (math mode drops the spaces between chunks)."""
    return [_t(" " + w) for w in text.split()]


def _row(values: Any, i: int) -> np.ndarray | None:
    rows = as_rows(values)
    return rows[i] if rows else None


def _bp(trace: Any, k: int, i: int, fit: _Fit) -> list[list[str]]:
    g = trace.graph
    lab = g.display_labels
    roles = g.roles or ("variable",) * g.n_nodes
    latest = latest_incoming(trace, k, i)
    if str(roles[i]).lower() == "factor":  # the factor is called f: its full name once, on top
        op = r"\max" if trace.kind == "max-product" else r"\sum"
        st = trace.steps[k]
        sent = np.flatnonzero(g.senders[st.edges] == i)
        out = [[rf"f = {_cpd(lab[i])}"],
               [rf"\mu_{{f\to v}}(x_v) \propto {op}_{{x \setminus x_v}} f(x)",
                r"\prod_{u \ne v} \mu_{u \to f}(x_u)"]]
        for e, (_, m) in latest.items():
            out.append([fit.vec(rf"\mu_{{{_cpd(lab[g.senders[e]])}\to f}} = ", m)])
        rows = as_rows(st.messages)
        for j in sent[:MAX_TERMS]:
            e = int(st.edges[j])
            out.append([fit.vec(rf"\mu_{{f\to {_cpd(lab[g.receivers[e]])}}} = ", rows[j])])
        if not sent.size:
            out.append([_t("(no message from"), _cpd(lab[i]), *_words("in this step)")])
        return out
    belief = _row(last_states(trace, k), i)
    names = [rf"\mu_{{{_cpd(lab[g.senders[e]])}\to {_cpd(lab[i])}}}" for e in latest]
    msgs = [m for _, m in latest.values()]
    head = rf"b_{{{_cpd(lab[i])}}}(x) \propto"
    out = [[head, *fit.terms(names, r"\odot")] if names else [head + " 1"]]
    if msgs:
        prod = np.prod(np.stack(msgs), axis=0)
        vecs = fit.terms([fit.vec("", m, reserve=r"\odot ") for m in msgs], r"\odot")
        out.append(["= " + vecs[0], *vecs[1:], fit.vec("= ", prod)])
    if belief is not None:
        out.append([fit.vec(r"\propto ", belief), *_words("(normalised, recorded)")])
    return out


def _neural(trace: Any, k: int, i: int, fit: _Fit) -> list[list[str]]:
    g = trace.graph
    st = trace.steps[k]
    lab = g.display_labels
    kind = str(trace.kind).lower()
    xi = rf"x_{{{_cpd(lab[i])}}}"
    if st.messages is None and st.states is None:
        ro = st.extras.get("readout")
        head = rf"\text{{{st.label or 'readout'}}}:\ h_G = \text{{{st.extras.get('mode', 'readout')}}}_i\, x_i"
        return [[head] + ([fit.vec("= ", ro)] if ro is not None else [])]
    inc = incoming(trace, k, i)
    msgs = as_rows(st.messages)
    send = [g.senders[st.edges[j]] for j in inc]
    agg, new = _row(st.aggregates, i), _row(st.states, i)
    loop = st.extras.get("self_loop_messages")
    out: list[list[str]] = []
    if kind == "gcn":
        coef = np.asarray(st.extras.get("coefficients", []), dtype=float).reshape(-1)
        selfw = st.extras.get("self_loop_weight")
        sym = [rf"{fmt(np.asarray(selfw).reshape(-1)[i], 3)}\,\Theta {xi}"] if selfw is not None else []
        sym += [rf"{fmt(coef[j], 3) if coef.size else 'c'}\,\Theta x_{{{_cpd(lab[s])}}}" for j, s in zip(inc, send)]
        terms = fit.terms(sym)
        out.append([rf"{xi}' = \sum_{{j \in N(i) \cup \{{i\}}}} c_{{ji}}\,\Theta x_j", "+ b",
                    "= " + terms[0], *terms[1:], "+ b"])
    elif kind == "sage":
        aggr = (trace.params.get("layer_opts") or {}).get("aggr", "mean")
        out.append([rf"{xi}' = W_l\,\mathrm{{{aggr}}}_{{j \in N(i)}} x_j", rf"+ W_r\,{xi}", "+ b"])
    elif kind == "gat":
        att = np.asarray(st.extras.get("attention", np.zeros((0, 1))), dtype=float)
        att = att.reshape(att.shape[0], -1) if att.size else att
        selfa = st.extras.get("self_loop_attention")
        out.append([rf"{xi}' = \Big\Vert_h \sum_{{j \in N(i) \cup \{{i\}}}} \alpha^h_{{ji}}\, W^h x_j", "+ b"])
        sym = [fit.vec("", np.asarray(selfa)[i], rf"\, W {xi}", reserve="+ ", max_len=4)] if selfa is not None else []
        for j, s in zip(inc, send):
            w = rf"\, W x_{{{_cpd(lab[s])}}}"
            sym.append(fit.vec("", att[j], w, reserve="+ ", max_len=4) if att.size else r"\alpha" + w)
        out.append([r"\alpha^{h=1..H}:", *fit.terms(sym)])
    elif kind == "gin":
        eps = (trace.params.get("layer_opts") or {}).get("eps", 0.0)
        out.append([rf"{xi}' = \mathrm{{MLP}}\big((1 + {fmt(eps)})\,{xi}", r"+ \sum_{j \in N(i)} x_j\big)"])
    else:
        out.append([rf"{xi}' = \gamma\big({xi},", r"\sum_{j \in N(i)} m_{ji}\big)"])
    terms = [fit.vec("", np.asarray(loop)[i], r"_{\text{self}}", reserve="+ ")] if loop is not None else []
    terms += [fit.vec("", msgs[j], reserve="+ ") for j in inc]
    if terms:
        out.append([r"\text{messages:}", *fit.terms(terms)])
    if agg is not None:
        out.append([fit.vec(rf"a_{{{_cpd(lab[i])}}} = ", agg)])
    if new is not None:
        out.append([fit.vec(rf"{xi}' = ", new)])
    return out


def _wl(trace: Any, k: int, i: int, fit: _Fit) -> list[list[str]]:
    from explorer.viz.colors import node_values

    g = trace.graph
    ci = _cpd(g.display_labels[i])
    new = node_values(trace, k, "color")
    old = node_values(trace, k - 1, "color") if k > 0 else np.zeros(g.n_nodes)
    nb = sorted(int(old[s]) for s in g.neighbors(i))
    room = fit.width - INDENT_EM - 2.0
    shown = len(nb)  # as many neighbour colours as fit on a line, then "…"
    while shown > 1 and width_em(", ".join(map(str, nb[:shown])) + r", \dots") > room:
        shown -= 1
    multiset = (r"\{\!\{" + ", ".join(str(c) for c in nb[:shown])
                + (r", \dots" if shown < len(nb) else "") + r"\}\!\}")
    return [[rf"c'_{{{ci}}} = \mathrm{{HASH}}\big(c_{{{ci}}},", r"\{\!\{c_j : j \in N(i)\}\!\}\big)",
             rf"= \mathrm{{HASH}}\big({int(old[i])},", multiset + r"\big)", rf"= {int(new[i])}"]]


def _cpd(label: Any) -> str:
    r"""``P(X2|X1)`` -> ``P(X_{2} \mid X_{1})``; other factor labels via :func:`math_name`."""
    m = re.match(r"^P\(([^|()]+)(?:\|([^()]*))?\)$", str(label))
    if not m:
        return math_name(label)
    given = r" \mid " + ", ".join(math_name(p) for p in m.group(2).split(",")) if m.group(2) else ""
    return f"P({math_name(m.group(1))}{given})"


def _ve(trace: Any, k: int, i: int, fit: _Fit) -> list[list[str]]:
    st = trace.steps[k]
    ex = st.extras
    nf = ex.get("new_factor") or {}
    x = ex.get("variable", "?")
    parts = [_cpd(f) for f in ex.get("factors_combined", [])] or ["1"]
    op = r"\max" if trace.params.get("mode") == "max" else r"\sum"
    table = nf.get("table")
    out = [[math_name(nf.get("label", "tau")), rf"= {op}_{{{math_name(x)}}} {parts[0]}",
            *(r"\," + p for p in parts[1:])]
           + ([fit.vec("= ", np.asarray(table))] if table is not None else [])]
    if nf.get("scope"):
        out.append([r"\text{scope: }\{" + ", ".join(math_name(s) for s in nf["scope"]) + r"\}"])
    ops = ex.get("ops") or {}
    if ops:
        out.append([rf"\text{{{k_}}} = {v}" + (r"," if j < len(ops) - 1 else "")
                     for j, (k_, v) in enumerate(ops.items())])
    return out


def _clique_vars(label: Any) -> list[str]:
    """``"{lung,bronc}"`` -> ``["lung", "bronc"]`` (a clique's label lists its variables)."""
    return [v for v in str(label).strip("{}").split(",") if v]


def _set(names: Any) -> str:
    return r"\{" + r",\ ".join(math_name(v) for v in names) + r"\}"


def _set_chunks(prefix: str, names: Any) -> list[str]:
    """``prefix {a, b, c}`` as one chunk per member, so a long set can wrap."""
    items = [math_name(v) for v in names] or [""]
    out = [f"{m}," for m in items[:-1]] + [items[-1] + r"\}"]
    out[0] = prefix + r"\{" + out[0]
    return out


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


def _clique(trace: Any, k: int, i: int, fit: _Fit) -> list[list[str]]:
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
    rule = [rf"\propto {op}_{{{over}}}\ \psi_{{{a}}}", rf"\prod_{{k \in N({a}) \setminus {b}}} \mu_{{k\to {a}}}"]
    out = [[*_set_chunks(rf"C_{{{a}}} = ", _clique_vars(lab[snd])),
            *_set_chunks(rf"\to C_{{{b}}} = ", _clique_vars(lab[rcv]))],
           [*_set_chunks("S = ", sep), *_words(f"({ex['pass']})")]]
    if ex["pass"] == "collect":  # the sender has heard only from its children: a plain message
        out.append([rf"\mu_{{{a}\to {b}}}(S)", *rule])
        inputs = {int(g.senders[e_]): m for e_, (_, m) in latest_incoming(trace, k, snd).items()
                  if int(g.senders[e_]) != rcv}
        for s_, m in sorted(inputs.items()):
            out.append([fit.vec(rf"\mu_{{{s_ + 1}\to {a}}} = ", m)])
        if not inputs:
            out.append(_words(f"(C{a} has heard from no other neighbour)"))
        out.append([fit.vec(rf"\mu_{{{a}\to {b}}} = ", table), *_words("(recorded, scaled to sum 1)")])
    else:  # Hugin: the new separator potential, divided by the one the collect pass left there
        out += [[rf"\phi^{{*}}_{{S}} \propto {op}_{{{over}}}\ \beta_{{{a}}}", *_words("(recorded)"),
                 fit.vec("= ", table)],
                [rf"\phi_{{S}} = \mu_{{{b}\to {a}}}", *_words("(the collect message)"),
                 fit.vec("= ", clique_back_message(trace, k))],
                [rf"\mu_{{{a}\to {b}}} = \phi^{{*}}_{{S}} / \phi_{{S}}", *_words("(0/0 = 0)"), *rule,
                 fit.vec("= ", clique_message(trace, k))]]
    if i not in (snd, rcv):
        out.append([_t(f"(C{i + 1}: not in this step)")])
    return out


_FAMILIES = {"bp": _bp, "wl": _wl, "ve": _ve, "clique": _clique}


def node_update_latex(trace: Any, step: int, node: int, *, width: float | None = None,
                      lecture: bool = False) -> str:
    r"""The update of ``node`` at ``step`` as LaTeX (for ``st.latex``), with the recorded numbers,
    wrapped to fit the player's panel (see :mod:`explorer.viz.mathfit`).

    Args:
        trace: a recorded run.
        step: index into ``trace.steps`` (negative counts from the end).
        node: the node (for VE, any node: the step's elimination is shown).
        width: the width budget in em of the formula's size (default: the panel at 1280 x 720,
            :data:`~explorer.viz.mathfit.WIDTH_EM`); vectors are shortened to ``[a, b, …, z]``
            to fit it.
        lecture: drawn in lecture mode (a wider panel, larger type: ``\small``, 17.5 em).

    Returns:
        ``ootnotesizeegin{aligned}&…\&…\end{aligned}\kern0.2em``: one left-aligned block,
        lines broken between terms (:func:`explorer.viz.mathfit.lines_of` splits it).

    Raises:
        TraceError: when ``step`` or ``node`` is out of range.
    """
    k = check_step(trace, step)
    i = check_node(trace.graph, node)
    if str(trace.kind) == "gn-block":  # Battaglia's sub-steps: phi and rho with their numbers
        from explorer.viz.gn_formulas import gn_step_latex; return gn_step_latex(trace, k, i)  # noqa: E702
    w, size = LECTURE if lecture else (WIDTH_EM, SIZE)
    w = w if width is None else width
    build = _FAMILIES.get(family(trace), _neural)
    return aligned(build(trace, k, i, _Fit(w)), w, size)
