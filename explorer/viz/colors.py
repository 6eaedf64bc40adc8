"""What a node's colour means: the colour modes of a Trace and the numbers behind them.

A colour mode turns the recorded node states of one step into one number per node:

    BP ("sum-product", "max-product")   belief   b_i(x = state), read from the recorded belief
                                        entropy  H(b_i) = -sum_x b_i(x) ln b_i(x)   (nats)
                                        map      argmax_x b_i(x)
    neural (gcn, sage, gat, gin, ...)   feature  h_i[feature], the recorded value
                                        norm     ||h_i||_2
                                        pca      projection of h_i on the first principal axis
                                                 of that step's states (sign: largest loading > 0)
                                        class    argmax_k h_i[k]  (the predicted class)
    WL ("wl")                           color    the recorded colour class
    clique tree ("clique-tree")         status   0 waiting (has sent nothing yet), 1 has sent,
                                                 2 calibrated (has heard from every neighbour)
                                        received how many neighbours it has heard from so far

"feature", "belief" and "color" draw the recorded numbers unchanged; the others are derived from
them by the formula above. Factor nodes of a factor graph have no belief colour (``NaN``).
The range (``cmin``/``cmax``) is fixed over all steps so colours are comparable across frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.errors import TraceError
from explorer.viz._common import PALETTE, SCALE, as_matrix, as_rows

__all__ = ["family", "color_modes", "node_values", "CLIQUE_STATUS", "ColorSpec", "color_spec", "is_factor", "last_states",
           "state_names", "state_label", "evidence"]

BP_KINDS = frozenset({"sum-product", "max-product", "bp"})
WL_KINDS = frozenset({"wl", "1-wl"})
VE_KINDS = frozenset({"variable-elimination", "ve"})
CLIQUE_KINDS = frozenset({"clique-tree"})
#: names of the clique-tree "status" values 0, 1, 2
CLIQUE_STATUS = ("waiting", "has sent", "calibrated")


def family(trace: Any) -> str:
    """``"bp"``, ``"wl"``, ``"ve"``, ``"clique"`` or ``"neural"`` (any trace with fixed-width
    states)."""
    kind = str(trace.kind).lower()
    if kind in BP_KINDS:
        return "bp"
    if kind in WL_KINDS:
        return "wl"
    if kind in VE_KINDS:
        return "ve"
    if kind in CLIQUE_KINDS:
        return "clique"
    return "neural"


def is_factor(graph: Any) -> np.ndarray:
    """``[N]`` bool, True for nodes whose role is ``"factor"``."""
    if graph.roles is None:
        return np.zeros(graph.n_nodes, dtype=bool)
    return np.array([str(r).lower() == "factor" for r in graph.roles], dtype=bool)


def color_modes(trace: Any) -> list[str]:
    """The colour modes that apply to ``trace`` (first one is the default for ``"auto"``).

    Example:
        >>> color_modes(bp_trace)            # doctest: +SKIP
        ['belief', 'entropy', 'map']
    """
    fam = family(trace)
    if fam == "bp":
        return ["belief", "entropy", "map"]
    if fam == "wl":
        return ["color"]
    if fam == "ve":
        return ["eliminated"]
    if fam == "clique":
        return ["status", "received"]
    return ["norm", "feature", "pca", "class"]


def _wl_colors(trace: Any, k: int) -> np.ndarray:
    step = trace.steps[k]
    for key in ("colors", "colours", "color", "colour"):
        if key in step.extras:
            return np.asarray(step.extras[key], dtype=float).reshape(-1)
    if step.states is not None:
        m = as_matrix(step.states)
        if m is not None and m.shape[1] == 1:
            return m[:, 0].astype(float)
    raise TraceError(f"step {k} of the WL trace records no colours (expected extras['colors'] [N])")


def _ve_eliminated(trace: Any, k: int) -> np.ndarray:
    """1 for nodes eliminated at or before step k, else 0 (from extras 'eliminated'/'variable')."""
    g = trace.graph
    out = np.zeros(g.n_nodes)
    names = {str(lab): i for i, lab in enumerate(g.display_labels)}
    names.update({str(nid): i for i, nid in enumerate(g.ids)})
    for s in trace.steps[: k + 1]:
        v = s.extras.get("eliminated", s.extras.get("variable"))
        if v is None:
            continue
        for item in (v if isinstance(v, (list, tuple)) else [v]):
            i = names.get(str(item))
            if i is None and isinstance(item, (int, np.integer)) and 0 <= int(item) < g.n_nodes:
                i = int(item)
            if i is not None:
                out[i] = 1.0
    out[is_factor(g)] = np.nan
    return out


def _clique_progress(trace: Any, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sent, heard, degree)`` per clique after step ``k``: messages sent, distinct neighbours
    heard from, and neighbours in the tree (read from the edges the steps sent on)."""
    g = trace.graph
    sent, degree = np.zeros(g.n_nodes), np.bincount(g.receivers, minlength=g.n_nodes).astype(float)
    heard_from: set[tuple[int, int]] = set()
    for st in trace.steps[: k + 1]:
        for e in np.asarray(st.edges, dtype=np.int64).tolist():
            sent[g.senders[e]] += 1
            heard_from.add((int(g.receivers[e]), int(g.senders[e])))
    heard = np.bincount([r for r, _ in heard_from], minlength=g.n_nodes).astype(float)
    return sent, heard, degree


def node_values(trace: Any, step: int, mode: str, *, feature: int = 0, state: int = 0) -> np.ndarray:
    """One number per node for ``mode`` at ``step`` (``NaN`` where it does not apply).

    Args:
        trace: a recorded run.
        step: index into ``trace.steps``.
        mode: one of :func:`color_modes`.
        feature: the feature index for ``"feature"``.
        state: the variable state for ``"belief"``.

    Returns:
        ``[N]`` float64.

    Raises:
        TraceError: when the mode does not apply or the step records no states.
    """
    g = trace.graph
    if mode not in color_modes(trace):
        raise TraceError(f"colour mode {mode!r} does not apply to a {trace.kind!r} trace; "
                         f"choose one of {color_modes(trace)}")
    if mode == "color":
        return _wl_colors(trace, step)
    if mode == "eliminated":
        return _ve_eliminated(trace, step)
    if mode in ("status", "received"):
        sent, heard, degree = _clique_progress(trace, step)
        if mode == "received":
            return heard
        return np.where(heard >= degree, 2.0, np.where(sent > 0, 1.0, 0.0))
    st = last_states(trace, step)
    out = np.full(g.n_nodes, np.nan)
    if st is None:
        return out
    if mode in ("belief", "entropy", "map"):
        fac = is_factor(g)
        for i, b in enumerate(as_rows(st)):
            if fac[i] or b.size == 0:
                continue
            if mode == "belief":
                out[i] = b[state] if state < b.size else np.nan
            elif mode == "entropy":
                p = b[b > 0]
                out[i] = float(-(p * np.log(p)).sum()) + 0.0
            else:
                out[i] = float(np.argmax(b))
        return out
    x = as_matrix(st)
    if x is None:
        raise TraceError(f"step {step} has ragged states; mode {mode!r} needs one vector width")
    if mode == "feature":
        return x[:, feature].copy() if feature < x.shape[1] else out
    if mode == "norm":
        return np.linalg.norm(x, axis=1)
    if mode == "class":
        return np.argmax(x, axis=1).astype(float)
    # pca: first principal component of this step's states
    xc = x - x.mean(axis=0, keepdims=True)
    if x.shape[0] < 2 or not np.any(xc):
        return np.zeros(x.shape[0])
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    v = vt[0]
    if v[np.argmax(np.abs(v))] < 0:
        v = -v
    return xc @ v


def _name_map(trace: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in ("marginals",):
        for var, d in (trace.result.get(key) or {}).items():
            if isinstance(d, dict):
                out[str(var)] = [str(s) for s in d]
    return out


def state_names(trace: Any) -> list[list[str] | None]:
    """Per node, the names of its states: read from the result's marginals (``{var: {state: p}}``)
    and, for an observed variable, its observed state in the place of its one-hot belief; states
    whose name the trace does not record are called by their index. ``None`` per node for neural
    and WL traces, and for factors."""
    g = trace.graph
    if family(trace) not in ("bp", "ve"):
        return [None] * g.n_nodes
    names = _name_map(trace)
    ev = {str(k): str(v) for k, v in (trace.params.get("evidence") or {}).items()}
    fac = is_factor(g)
    rows = as_rows(trace.steps[-1].states) if trace.steps and trace.steps[-1].states is not None else []
    out: list[list[str] | None] = []
    for i, lab in enumerate(g.display_labels):
        if fac[i]:
            out.append(None)
        elif lab in names:
            out.append(names[lab])
        elif lab in ev and i < len(rows) and rows[i].size:
            k = int(np.argmax(rows[i]))
            shared = {tuple(v) for v in names.values()}
            # every other variable has the same states, and the observed one is among them there
            same = next(iter(shared)) if len(shared) == 1 else ()
            if len(same) == rows[i].size and same[k] == ev[lab]:
                out.append(list(same))
            else:
                out.append([ev[lab] if j == k else str(j) for j in range(rows[i].size)])
        else:
            out.append(None)
    return out


def evidence(trace: Any) -> dict[int, str]:
    """``{node: observed state name}`` for the variables a BP or VE run observed."""
    ev = {str(k): str(v) for k, v in (trace.params.get("evidence") or {}).items()}
    return {i: ev[lab] for i, lab in enumerate(trace.graph.display_labels) if lab in ev}


def state_label(trace: Any, state: int) -> str:
    """The name of state ``state`` when every named variable of ``trace`` calls it the same
    (``"yes"``), else the index as text."""
    names = {tuple(v) for v in _name_map(trace).values()}
    if len(names) == 1:
        only = next(iter(names))
        if 0 <= state < len(only):
            return only[state]
    return str(state)


def last_states(trace: Any, step: int) -> Any:
    """The node states shown at ``step``: its own, or (for steps that record none, such as a
    readout) the latest earlier step's; ``None`` when no step up to ``step`` has states."""
    for k in range(step, -1, -1):
        if trace.steps[k].states is not None:
            return trace.steps[k].states
    return None


@dataclass
class ColorSpec:
    """Node colours of every step plus how to draw them.

    Attributes:
        mode: the colour mode.
        values: one ``[N]`` array per step (the numbers drawn).
        title: what the colour means, for the colour bar.
        cmin, cmax: the range, fixed across steps.
        colorscale: a Plotly colour scale.
        tickvals, ticktext: colour-bar ticks for discrete modes (``None`` when continuous).
    """

    mode: str
    values: list[np.ndarray]
    title: str
    cmin: float
    cmax: float
    colorscale: Any = SCALE
    tickvals: list[float] | None = None
    ticktext: list[str] | None = field(default=None)


def _stepped(k: int) -> list[list]:
    """A colour scale with ``k`` flat bands (for integer values 0..k-1 with cmin=-.5, cmax=k-.5)."""
    k = max(k, 1)
    scale: list[list] = []
    for i in range(k):
        c = PALETTE[i % len(PALETTE)]
        scale += [[i / k, c], [(i + 1) / k, c]]
    return scale


def color_spec(trace: Any, mode: str = "auto", *, feature: int = 0, state: int = 0) -> ColorSpec:
    """Colours for every step of ``trace`` under ``mode`` with one range over all steps.

    Raises:
        TraceError: for a mode that does not apply (the message lists the ones that do).
    """
    if mode == "auto":
        mode = color_modes(trace)[0]
    vals = [node_values(trace, k, mode, feature=feature, state=state) for k in range(len(trace.steps))]
    if mode == "color" and vals:  # arbitrary (e.g. hashed) colour ids -> ranks, same map everywhere
        ids = np.unique(np.concatenate(vals))
        if ids.size and (ids.min() < 0 or ids.max() >= max(2 * ids.size, 20)):
            vals = [np.searchsorted(ids, v).astype(float) for v in vals]
    allv = np.concatenate(vals) if vals else np.zeros(0)
    finite = allv[np.isfinite(allv)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    titles = {"belief": f"belief b(x = {state_label(trace, state)})", "entropy": "belief entropy (nats)",
              "map": "MAP state (argmax belief)", "feature": f"feature {feature}",
              "norm": "L2 norm of state", "pca": "1st principal component",
              "class": "predicted class (argmax)", "color": "WL colour class",
              "eliminated": "eliminated (1) or not (0)", "status": "clique",
              "received": "neighbours heard from"}
    title = titles[mode]
    if mode in ("map", "class", "color", "eliminated", "status", "received"):
        lo, hi = (min(lo, 0.0), hi) if mode != "color" else (lo, hi)
        if mode == "status":  # every status in the legend, whether or not a step shows it
            lo, hi = 0.0, float(len(CLIQUE_STATUS) - 1)
        k = int(round(hi - lo)) + 1
        ticks = [float(v) for v in np.arange(lo, hi + 1)] if k <= 20 else None
        text = [state_label(trace, int(t)) if mode == "map" else CLIQUE_STATUS[int(t)] if mode == "status"
                else str(int(t)) for t in ticks] if ticks else None
        return ColorSpec(mode, vals, title, lo - 0.5, hi + 0.5, _stepped(k), ticks, text)
    if mode == "belief":
        lo, hi = 0.0, 1.0
    elif mode in ("entropy", "norm"):
        lo = 0.0
    if hi <= lo:
        hi = lo + 1.0
    return ColorSpec(mode, vals, title, lo, hi, SCALE)
