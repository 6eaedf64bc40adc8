"""Messages drawn so a class can read them: arrows, numbers with state names, evidence.

For one step of a Trace these functions return what to draw; :mod:`explorer.viz.trace_view`
puts them in frames.

    state_names(trace)          per node, the names of its states (BP/VE: from the result and the
                                evidence; ``None`` for neural traces)
    evidence(trace)             ``{node: observed state name}``
    message_arrows(...)         per message a position ``MESSAGE_AT`` along its edge and the angle
                                (Plotly's ``marker.angle``: degrees clockwise from up) that points
                                the arrowhead from sender to receiver
    message_text(...)           the vector as short text: ``"yes .72<br>no .28"`` (BP),
                                ``"[0.5, 0.5]"`` (VE), ``"[.12, -1.3]"`` (neural); ``None`` when
                                longer than :data:`SMALL` entries
    message_labels(...)         ``(x, y, text)`` of the step's message texts, placed beside their
                                arrows without covering nodes, node labels or each other (dropped
                                when there is no room: the arrow keeps the vector on hover)
    earlier_messages(...)       edges whose latest message was sent before this step (drawn faded,
                                their numbers too while there is room)
    step_overlay(...)           all of it for one frame: the texts and the faded earlier arrows
    edge_weights, weight_polygons   GCN's c_ji / GAT's attention as the width of the receiver's
                                half of each edge (one filled-polygon trace, per-edge widths)

Numbers are the recorded ones, rounded for the eye (:func:`short`), never recomputed.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from explorer.viz._common import as_rows, check_step, fmt_vec
from explorer.viz.colors import evidence, family, is_factor, state_names
from explorer.viz.labels import Frame, place, text_size
from explorer.viz.messages import MESSAGE_AT, message_positions

__all__ = ["SMALL", "MESSAGE_FONT", "short", "numbers_text", "state_names", "evidence", "message_arrows",
           "message_text", "vector_text", "row_text", "message_labels", "place_message_texts", "earlier_messages",
           "step_overlay", "edge_weights", "weight_polygons", "WEIGHT_PX"]

#: vectors up to this many entries are written on the graph
SMALL = 4
#: steps sending more messages than this get no text (a crowd of numbers is not readable)
MAX_TEXTS_SENT = 160
#: a step sending more messages than this is a crowd: only messages into the selected node get
#: text; earlier (faded) messages get text while fewer than CROWD_TEXTS are written
CROWD, CROWD_TEXTS = 60, 24
#: text colours of the messages sent in this step and of earlier ones (faded)
TEXT_NOW, TEXT_EARLIER = "#3d0a00", "#b09a94"
#: font size (px) of message text on the graph
MESSAGE_FONT = 12


def short(v: float) -> str:
    """A number in a few characters: ``.72``, ``-.3``, ``1``, ``12.5``, ``250``, ``1.2e3``, ``4e-5``
    (2 decimals below 1, 3 significant digits up to 1000, then 2; tiny values to 1 digit)."""
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    a = abs(v)
    if 0.005 <= a < 1:
        t = f"{a:.2f}".lstrip("0").rstrip("0").rstrip(".")
        return ("-" if v < 0 else "") + (t or "0")
    if 1 <= a < 100:
        t = f"{a:.2f}"[:4].rstrip("0").rstrip(".")
        return ("-" if v < 0 else "") + t
    t = f"{v:.3g}" if 100 <= a < 1000 else f"{v:.2g}" if a >= 1000 else f"{v:.1g}"
    t = t.replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    return t.replace("0.", ".", 1) if t.lstrip("-").startswith("0.") else t


def message_arrows(graph: Any, pos: np.ndarray, edges: np.ndarray, at: float = MESSAGE_AT) -> tuple[np.ndarray, np.ndarray]:
    """``([n, 2] positions, [n] angles)``: where each message's arrowhead sits and its
    ``marker.angle`` (degrees clockwise from up, so ``triangle-up`` points at the receiver)."""
    edges = np.asarray(edges, dtype=np.int64)
    d = pos[graph.receivers[edges]] - pos[graph.senders[edges]]
    angle = np.degrees(np.arctan2(d[:, 0], d[:, 1]))
    return message_positions(graph, pos, edges, at), np.round(angle, 1)


def _variable_of(graph: Any, e: int) -> int:
    """The variable end of a factor-graph edge (the receiver when both are variables)."""
    fac = graph.roles is not None and str(graph.roles[graph.receivers[e]]).lower() == "factor"
    return int(graph.senders[e] if fac else graph.receivers[e])


def message_text(trace: Any, step: int, j: int, names: Sequence[list[str] | None] | None = None,
                 *, sep: str = "<br>") -> str | None:
    """The ``j``-th message of ``step`` as short text, or ``None`` above :data:`SMALL` entries.

    BP: one ``state value`` per line (state names from :func:`state_names`). VE: the vector
    ``[0.5, 0.5]`` (2 significant digits). Neural: ``[.12, -1.3]``.
    """
    st = trace.steps[step]
    return vector_text(trace, int(st.edges[j]), as_rows(st.messages)[j], names, sep=sep)


def vector_text(trace: Any, edge: int, m: np.ndarray, names: Sequence[list[str] | None] | None = None,
                *, sep: str = "<br>") -> str | None:
    """:func:`message_text` of a message ``m`` sent along ``edge`` (rows already in hand)."""
    if m.size == 0 or m.size > SMALL:
        return None
    fam = family(trace)
    if fam == "bp":
        if trace.params.get("logdomain"):
            m = np.exp(m)
        nm = (names or state_names(trace))[_variable_of(trace.graph, edge)]
        nm = nm if nm is not None and len(nm) == m.size else [str(s) for s in range(m.size)]
        return sep.join(f"{a} {short(v)}" for a, v in zip(nm, m))
    if fam == "ve":
        return "[" + ", ".join(f"{v:.2g}" for v in m) + "]"
    return "[" + ", ".join(short(v) for v in m) + "]"


def row_text(trace: Any, edge: int, m: np.ndarray, names: Sequence[list[str] | None] | None = None,
             *, max_len: int = 8) -> tuple[list[str] | None, str]:
    """``(state names or None, short text)`` of a message of any length, for tables: BP/VE with
    one name per entry ``"yes .72, no .28"``, else ``"[.12, -1.3, …, 4]"`` (at most ``max_len``)."""
    fam = family(trace)
    m = np.exp(m) if fam == "bp" and trace.params.get("logdomain") else np.asarray(m, float)
    nm = None
    if fam in ("bp", "ve"):
        nm = (names if names is not None else state_names(trace))[_variable_of(trace.graph, edge)]
        nm = nm if nm is not None and len(nm) == m.size else None
    if nm is not None:
        return list(nm), ", ".join(f"{a} {short(v)}" for a, v in zip(nm, m))
    items = [short(v) for v in m]
    if len(items) > max_len:
        items = items[: max_len - 2] + ["…"] + items[-1:]
    return None, "[" + ", ".join(items) + "]"


def earlier_messages(trace: Any, step: int) -> tuple[np.ndarray, np.ndarray]:
    """``(edges, steps)``: every edge that sent before ``step`` and not in it, with the step of
    its latest message (sequential schedules and VE; empty when every step sends every edge)."""
    k = check_step(trace, step)
    last: dict[int, int] = {}
    for s in range(k):
        for e in trace.steps[s].edges.tolist():
            last[e] = s
    for e in trace.steps[k].edges.tolist():
        last.pop(e, None)
    edges = np.array(sorted(last), dtype=np.int64)
    return edges, np.array([last[e] for e in edges.tolist()], dtype=np.int64)


def labelled_step(trace: Any, step: int) -> bool:
    """Whether :func:`message_labels` writes the messages of ``step`` as texts on the graph (small
    vectors, a step that is not a crowd of more than :data:`MAX_TEXTS_SENT`, at most 120 nodes):
    the messages into the selected node then get their labels first, with state names, and no
    second, shorter number at their arrowheads."""
    st = trace.steps[check_step(trace, step)]
    if st.messages is None or not st.n_sent or st.n_sent > MAX_TEXTS_SENT or trace.graph.n_nodes > 120:
        return False
    return max((r.size for r in as_rows(st.messages)), default=0) <= SMALL


def message_labels(trace: Any, graph: Any, pos: np.ndarray, step: int, *, frame: Frame | None = None,
                   obstacles: np.ndarray | None = None, first: Sequence[int] = (), limit: int | None = None,
                   names: Sequence[list[str] | None] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, y, text)`` of the message texts of ``step``, each beside its arrow on the receiver's
    half of the edge, never over a node, a node label or another text.

    Args:
        frame: the plot's :class:`~explorer.viz.labels.Frame` (default: the positions' bounding
            box in a 1280 x 720 figure).
        obstacles: ``[m, 4]`` px boxes to keep clear of (nodes, node labels).
        first: receivers whose incoming messages are placed first (the selected node).
        limit: at most this many texts besides those into ``first`` (the rest keep their vector
            on hover); default 80, or none when the step sends more than :data:`CROWD` messages.

    Returns:
        Data coordinates and texts of the messages that fit, in placement order (messages into
        ``first``, then factor -> variable, then the rest; largest entry first within each).
    """
    k = check_step(trace, step)
    st = trace.steps[k]
    if st.messages is None or not st.n_sent or st.n_sent > MAX_TEXTS_SENT or graph.n_nodes > 120:
        return np.zeros(0), np.zeros(0), []
    if frame is None:
        lo, hi = pos.min(0), pos.max(0)
        frame = Frame((lo[0], hi[0]), (lo[1], hi[1]), 1260.0, 560.0)
    names = names if names is not None else state_names(trace)
    fac = is_factor(graph)
    rec = graph.receivers[st.edges]
    want = set(int(f) for f in first)
    crowd = st.n_sent > CROWD and limit is None
    rows = as_rows(st.messages)
    texts = [None if crowd and rec[j] not in want else vector_text(trace, int(st.edges[j]), rows[j], names)
             for j in range(st.n_sent)]
    cand = [j for j, t in enumerate(texts) if t is not None]
    if not cand:
        return np.zeros(0), np.zeros(0), []
    pri = {j: (0 if rec[j] in want else 1 if fac[graph.senders[st.edges[j]]] else 2,
               -float(np.abs(rows[j]).max()), j) for j in cand}
    cand.sort(key=pri.get)
    if limit is None:  # a crowd of numbers reads as noise: then only the selected node's
        limit = 80 if st.n_sent <= CROWD else 0
    cand = [j for j in cand if pri[j][0] == 0] + [j for j in cand if pri[j][0] > 0][:2 * limit]
    n_first = sum(1 for j in cand if pri[j][0] == 0)
    x, y, kept = place_message_texts(graph, pos, st.edges[cand], [texts[j] for j in cand], frame=frame,
                                     obstacles=obstacles)
    keep = [i for i in kept if i < n_first] + [i for i in kept if i >= n_first][:max(limit - n_first, 0)]
    at = {i: n for n, i in enumerate(kept)}
    pick = [at[i] for i in keep]
    x, y, out = x[pick], y[pick], [texts[cand[i]] for i in keep]
    lost = [i for i in range(n_first) if i not in at]
    shorter = {i: numbers_text(trace, int(st.edges[cand[i]]), rows[cand[i]]) for i in lost}
    lost = [i for i in lost if shorter[i] is not None and shorter[i] != texts[cand[i]]]
    if lost:  # the selected node's messages that did not fit with their state names: numbers only
        boxes = [np.asarray(obstacles, float).reshape(-1, 4)] if obstacles is not None else []
        for c, t in zip(frame.to_px(np.c_[x, y]) if len(x) else [], out):
            half = np.array(text_size(t, MESSAGE_FONT)) / 2
            boxes.append(np.r_[c - half, c + half][None])
        sx, sy, skept = place_message_texts(graph, pos, st.edges[[cand[i] for i in lost]],
                                            [shorter[i] for i in lost], frame=frame,
                                            obstacles=np.vstack(boxes) if boxes else None, far=True)
        nf = sum(1 for i in keep if i < n_first)
        x, y = np.r_[x[:nf], sx, x[nf:]], np.r_[y[:nf], sy, y[nf:]]
        out = out[:nf] + [shorter[lost[i]] for i in skept] + out[nf:]
    return x, y, out


def numbers_text(trace: Any, edge: int, m: np.ndarray) -> str | None:
    """A BP message's numbers without its state names, on one line (``".72/.28"``, in the
    order of the states): the shorter form
    :func:`message_labels` writes when the named one does not fit; None for other runs (their
    texts are numbers already) and above :data:`SMALL` entries."""
    m = np.asarray(m, float).reshape(-1)
    if family(trace) != "bp" or m.size == 0 or m.size > SMALL:
        return None
    if trace.params.get("logdomain"):
        m = np.exp(m)
    return "/".join(short(v) for v in m)


def place_message_texts(graph: Any, pos: np.ndarray, edges: np.ndarray, texts: Sequence[str], *,
                        frame: Frame, obstacles: np.ndarray | None = None,
                        far: bool = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Place one text per edge beside its arrow (to the right of the direction of travel, else
    to the left), in the given order; ``(x, y, kept)`` with ``kept`` the indices that fit.
    ``far``: also try twice as far from the arrow and further back along the edge (up to 0.6 of
    it), for a text that must be written somewhere near its arrow."""
    if not len(edges):
        return np.zeros(0), np.zeros(0), []
    edges = np.asarray(edges)
    xy, ang = message_arrows(graph, pos, edges)
    px = frame.to_px(xy)
    span = np.linalg.norm(frame.to_px(pos[graph.receivers[edges]]) - frame.to_px(pos[graph.senders[edges]]), axis=1)
    sizes, offsets = [], []
    for text, a, length in zip(texts, np.radians(ang), span):
        w, h = text_size(text, MESSAGE_FONT)
        along = np.array([np.sin(a), np.cos(a)])          # unit vector sender -> receiver (px, y up)
        normal = np.array([along[1], -along[0]])           # to the right of the direction of travel
        reach = np.abs(normal[0]) * w / 2 + np.abs(normal[1]) * h / 2 + 10  # clear of its arrow
        # beside the arrow first; then further back along its own edge (never past the middle)
        offs = [normal * reach, normal * reach + along * 10, normal * reach - along * 10,
                -normal * reach, -normal * reach + along * 10]
        for back in (0.15, 0.3):
            offs += [normal * reach - along * back * length, -normal * reach - along * back * length]
        if far:
            for side in (normal, -normal):
                for back in (0.0, 0.15, 0.3, 0.45, 0.6):
                    offs += [side * reach * 2 - along * back * length]
            offs += [-along * back * length for back in (0.45, 0.6)]  # on the edge, back from the arrow
        sizes.append((w, h))
        offsets.append(np.array(offs))
    res = place(px, sizes, offsets, area=(frame.width, frame.height), obstacles=obstacles)
    kept = [i for i, c in enumerate(res.centres) if c is not None]
    if not kept:
        return np.zeros(0), np.zeros(0), []
    data = frame.to_data(np.array([res.centres[i] for i in kept]))
    return data[:, 0], data[:, 1], kept


def step_overlay(trace: Any, pos: np.ndarray, step: int, *, plan: Any, size: float,
                 selected: int | None = None, values: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Frame data for one step: ``(message texts, earlier messages)`` as Plotly trace updates.

    Args:
        plan: the node labels' :class:`~explorer.viz.labels.LabelPlan` (its frame and boxes are
            what the texts keep clear of).
        size: node marker diameter (px).
        values: ``values(k)`` -> ``[n_sent]`` colour of each message of step ``k`` (the same
            numbers the current markers use), for the faded earlier ones.
    """
    g = trace.graph
    frame = plan.frame
    px = frame.to_px(pos)
    r = np.where(is_factor(g), 0.375 * size, 0.5 * size)[:, None] + 1
    boxes = [np.hstack([px - r, px + r]), plan.boxes[~np.isnan(plan.boxes[:, 0])]]
    st = trace.steps[step]
    if 0 < st.n_sent <= CROWD:  # in a crowd only the selected node's messages are written: over arrows
        apx = frame.to_px(message_arrows(g, pos, st.edges)[0])
        boxes.append(np.hstack([apx - 6, apx + 6]))
    names = state_names(trace)
    x, y, text = message_labels(trace, g, pos, step, frame=frame, obstacles=np.vstack(boxes),
                                first=() if selected is None else (selected,), names=names)
    colour = [TEXT_NOW] * len(text)
    edges, sent = earlier_messages(trace, step)
    early: dict[str, Any] = dict(x=[], y=[], marker=dict(color=[], angle=[]))
    if edges.size and values is not None:
        xy, ang = message_arrows(g, pos, edges)
        col, hover, etext = [], [], []
        lab = g.display_labels
        for e, s in zip(edges.tolist(), sent.tolist()):
            j = int(np.flatnonzero(trace.steps[s].edges == e)[-1])
            col.append(float(values(s)[j]))
            m = as_rows(trace.steps[s].messages)[j]
            hover.append(f"{lab[g.senders[e]]} → {lab[g.receivers[e]]}, sent in step {s + 1}<br>"
                         f"m = {fmt_vec(m, max_len=8)}")
            etext.append(vector_text(trace, e, m, names))
        early = dict(x=np.round(xy[:, 0], 5), y=np.round(xy[:, 1], 5), hovertext=hover,
                     marker=dict(color=col, angle=ang))
        if len(text) < CROWD_TEXTS:  # room left: the earlier messages' numbers too, faded
            for c, t in zip(frame.to_px(np.c_[x, y]) if len(x) else [], text):
                half = np.array(text_size(t, MESSAGE_FONT)) / 2
                boxes.append(np.r_[c - half, c + half][None])
            boxes.append(np.hstack([frame.to_px(xy) - 6, frame.to_px(xy) + 6]))
            order = [i for i in np.argsort(-sent, kind="stable") if etext[i] is not None][:CROWD_TEXTS - len(text)]
            ex, ey, kept = place_message_texts(g, pos, edges[order], [etext[i] for i in order], frame=frame,
                                               obstacles=np.vstack(boxes))
            x, y = np.r_[x, ex], np.r_[y, ey]
            text = list(text) + [etext[order[i]] for i in kept]
            colour += [TEXT_EARLIER] * len(kept)
    font: dict[str, Any] = dict(size=MESSAGE_FONT, color=colour)
    if text:  # texts only on SVG graphs (<= 120 nodes): a white halo lifts them off edges and arrows
        font["shadow"] = "0px 0px 3px #fff, 0px 0px 3px #fff"
    texts = dict(x=np.round(x, 5), y=np.round(y, 5), text=text, textfont=font)
    return texts, early


#: widths (px) of a weighted edge: the smallest weight of the run, and the largest
WEIGHT_PX = (1.0, 9.0)


def edge_weights(trace: Any, step: int) -> tuple[np.ndarray, str] | None:
    """``([n_sent] weight of each message of step, name)`` when the trace records the weight that
    decides how much a receiver takes from each sender: GCN's ``c_ji`` (extras
    ``"coefficients"``), GAT's attention ``α_ji`` (extras ``"attention"``, mean over heads).
    ``None`` for other traces and steps without them."""
    ex = trace.steps[step].extras
    n = trace.steps[step].n_sent
    if "coefficients" in ex:
        w, name = np.asarray(ex["coefficients"], dtype=float).reshape(-1), "c_ji"
    elif "attention" in ex:
        a = np.asarray(ex["attention"], dtype=float)
        w, name = (a.reshape(a.shape[0], -1).mean(1) if a.size else a.reshape(-1)), "attention α_ji (mean over heads)"
    else:
        return None
    return (w, name) if w.size == n and n else None


def weight_polygons(trace: Any, pos: np.ndarray, step: int, *, frame: Frame, size: float,
                    wmax: float) -> dict[str, Any]:
    """One filled polygon per message on the receiver's half of its edge, as wide as its weight
    (``WEIGHT_PX``, scaled by ``wmax``, the run's largest weight), ending at the receiver's marker.

    Returns:
        ``{"x", "y"}`` for one ``fill="toself"`` scatter trace (polygons separated by ``None``);
        empty when the trace has no weights at ``step``.
    """
    got = edge_weights(trace, step)
    g = trace.graph
    if got is None or wmax <= 0:
        return dict(x=[], y=[])
    w, _ = got
    e = trace.steps[step].edges
    s, r = g.senders[e], g.receivers[e]
    keep = s != r
    a, b, w = pos[s[keep]], pos[r[keep]], w[keep]
    d = b - a
    length = np.maximum(np.linalg.norm(d, axis=1), 1e-12)
    u = d / length[:, None]
    nrm = np.stack([-u[:, 1], u[:, 0]], 1)
    unit = 1.0 / frame.scale                                  # data units per pixel
    half = (WEIGHT_PX[0] + (WEIGHT_PX[1] - WEIGHT_PX[0]) * np.clip(w / wmax, 0, 1)) / 2 * unit
    start = a + d * 0.5
    stop = b - u * np.minimum((size / 2 + 1) * unit, length[:, None].reshape(-1) * 0.5)[:, None]
    quad = np.stack([start + nrm * half[:, None], stop + nrm * half[:, None], stop - nrm * half[:, None],
                     start - nrm * half[:, None], start + nrm * half[:, None]], 1)      # [m, 5, 2]
    xs = np.full((len(quad), 6), np.nan)
    ys = np.full((len(quad), 6), np.nan)
    xs[:, :5], ys[:, :5] = quad[..., 0], quad[..., 1]
    conv = lambda v: [None if np.isnan(t) else round(float(t), 5) for t in v.reshape(-1)]  # noqa: E731
    return dict(x=conv(xs), y=conv(ys))
