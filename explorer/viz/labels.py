"""Text that fits: label boxes estimated in pixels, placed without collisions, kept in the frame.

Plotly draws text at a fixed size in pixels while the graph lives in data units, so whether two
labels collide depends on the figure's size. Everything here works for a given plot area
(``W x H`` pixels inside the margins) and equal-aspect axes, the way
:func:`~explorer.viz.graph_view.frame_layout` draws a graph: one data unit is
``s = min(W / x_span, H / y_span)`` pixels and the drawing is centred. A drawing made for a plot
area keeps its promises in any larger one (text shrinks in data units as the area grows).

    text_size(text, font)          estimated box ``(w, h)`` in px: ``CHAR_W * font`` per character
                                   (the widest line), ``LINE_H * font`` per line
    Frame                          ranges + plot area -> pixels per unit, data <-> pixels
    place(...)                     greedy collision-free placement over candidate offsets
    plan_node_labels(...)          node labels beside (or inside) their markers, abbreviated or
                                   dropped when crowded, and axis ranges padded to hold them all

Example:
    >>> text_size("abc", 10)
    (17.4, 12.5)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["CHAR_W", "LINE_H", "text_size", "Frame", "Placed", "place", "plan_node_labels",
           "boxes_overlap", "LabelPlan", "abbreviate"]

#: average glyph width as a fraction of the font size (Open Sans / Arial, mixed case and digits)
CHAR_W = 0.58
#: line height as a fraction of the font size
LINE_H = 1.25
#: pixels kept free between two boxes and between a box and the plot's edge
GAP = 2.0


def text_size(text: str, font: float) -> tuple[float, float]:
    """Estimated ``(width, height)`` in px of ``text`` (lines split on ``<br>``) at ``font`` px."""
    lines = str(text).split("<br>")
    return (round(CHAR_W * font * max(len(_plain(t)) for t in lines), 3), round(LINE_H * font * len(lines), 3))


def _plain(t: str) -> str:
    for tag in ("<b>", "</b>", "<i>", "</i>"):
        t = t.replace(tag, "")
    return t


def abbreviate(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters with "…" (``P(dysp|bronc,either)`` -> ``P(dysp|…``)."""
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


@dataclass(frozen=True)
class Frame:
    """Equal-aspect mapping between data units and pixels of a plot area.

    Attributes:
        xrange, yrange: the axis ranges asked for; Plotly widens one of them to keep the aspect.
        width, height: the plot area in pixels (inside the margins and colour bars).
    """

    xrange: tuple[float, float]
    yrange: tuple[float, float]
    width: float
    height: float

    @property
    def scale(self) -> float:
        """Pixels per data unit."""
        return min(self.width / max(self.xrange[1] - self.xrange[0], 1e-12),
                   self.height / max(self.yrange[1] - self.yrange[0], 1e-12))

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        """``[n, 2]`` data -> px from the plot's bottom-left corner (y up)."""
        s = self.scale
        c = np.array([sum(self.xrange) / 2, sum(self.yrange) / 2])
        return (np.asarray(xy, dtype=float) - c) * s + np.array([self.width, self.height]) / 2

    def to_data(self, px: np.ndarray) -> np.ndarray:
        s = self.scale
        c = np.array([sum(self.xrange) / 2, sum(self.yrange) / 2])
        return (np.asarray(px, dtype=float) - np.array([self.width, self.height]) / 2) / s + c


def boxes_overlap(a: np.ndarray, b: np.ndarray, gap: float = 0.0) -> np.ndarray:
    """Pairwise overlap of boxes ``[n, 4]`` and ``[m, 4]`` (x0, y0, x1, y1) -> ``[n, m]`` bool."""
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    return ((a[:, None, 0] < b[None, :, 2] + gap) & (b[None, :, 0] < a[:, None, 2] + gap)
            & (a[:, None, 1] < b[None, :, 3] + gap) & (b[None, :, 1] < a[:, None, 3] + gap))


def _segments_hit(box: np.ndarray, seg: np.ndarray) -> int:
    """How many segments ``[m, 4]`` (px) pass through ``box`` (sampled at 9 points each)."""
    if not len(seg):
        return 0
    t = np.linspace(0.1, 0.9, 9)[None, :]
    x = seg[:, :1] + t * (seg[:, 2:3] - seg[:, :1])
    y = seg[:, 1:2] + t * (seg[:, 3:4] - seg[:, 1:2])
    inside = (x > box[0]) & (x < box[2]) & (y > box[1]) & (y < box[3])
    return int(inside.any(1).sum())


@dataclass
class Placed:
    """Result of :func:`place`: for each request the chosen centre (px) and box, or ``None``."""

    centres: list[np.ndarray | None]
    boxes: list[np.ndarray | None]


def place(anchors: np.ndarray, sizes: Sequence[tuple[float, float]], candidates: Sequence[np.ndarray],
          *, area: tuple[float, float], obstacles: np.ndarray | None = None,
          segments: np.ndarray | None = None) -> Placed:
    """Greedy placement: each request in turn takes its first candidate offset whose box stays in
    the area and overlaps no obstacle and no box placed before it (fewest edge crossings first).

    Args:
        anchors: ``[n, 2]`` px points the labels belong to, in priority order.
        sizes: ``n`` boxes ``(w, h)`` px.
        candidates: ``n`` arrays ``[c, 2]`` of offsets (px) from the anchor to the box centre.
        area: ``(W, H)`` the plot area; boxes keep :data:`GAP` px from its edges.
        obstacles: ``[m, 4]`` boxes nothing may overlap (node markers).
        segments: ``[k, 4]`` px edges; a crossing is allowed but costs.

    Complexity: O(n * c * (n + m + k)).
    """
    placed: list[np.ndarray] = []
    obs = np.zeros((0, 4)) if obstacles is None else np.asarray(obstacles, float).reshape(-1, 4)
    seg = np.zeros((0, 4)) if segments is None else np.asarray(segments, float).reshape(-1, 4)
    W, H = area
    out = Placed([], [])
    for a, (w, h), cand in zip(np.asarray(anchors, float), sizes, candidates):
        best, best_cost = None, None
        for off in np.asarray(cand, float).reshape(-1, 2):
            c = a + off
            box = np.array([c[0] - w / 2, c[1] - h / 2, c[0] + w / 2, c[1] + h / 2])
            if box[0] < GAP or box[1] < GAP or box[2] > W - GAP or box[3] > H - GAP:
                continue
            if (len(obs) and boxes_overlap(box, obs, GAP).any()) or \
                    (placed and boxes_overlap(box, np.array(placed), GAP).any()):
                continue
            cost = _segments_hit(box, seg)
            if best_cost is None or cost < best_cost:
                best, best_cost = (c, box), cost
                if cost == 0:
                    break
        if best is None:
            out.centres.append(None)
            out.boxes.append(None)
        else:
            placed.append(best[1])
            out.centres.append(best[0])
            out.boxes.append(best[1])
    return out


def around(r: float, w: float, h: float, *, inside: bool) -> np.ndarray:
    """Candidate offsets for a label of ``w x h`` px beside a marker of radius ``r`` px:
    inside (when it fits), right, left, above, below, then the four diagonals."""
    d = 0.72 * r
    c = [(r + 3 + w / 2, 0), (-(r + 3 + w / 2), 0), (0, r + 2 + h / 2), (0, -(r + 2 + h / 2)),
         (d + w / 2, d + h / 2), (-(d + w / 2), d + h / 2), (d + w / 2, -(d + h / 2)), (-(d + w / 2), -(d + h / 2))]
    return np.array(([(0.0, 0.0)] if inside else []) + c, dtype=float)


@dataclass
class LabelPlan:
    """Where each node's label goes in data units, and the axis ranges that hold them all.

    Attributes:
        x, y: ``[n]`` label centres (NaN: dropped, full text on hover only).
        text: ``n`` strings drawn (abbreviated with "…" when the full text did not fit).
        inside: ``[n]`` True where the label sits inside its marker (drawn in white).
        xrange, yrange: axis ranges (data) with room for every drawn label.
        frame: the :class:`Frame` the plan was made for.
        boxes: ``[n, 4]`` px boxes in that frame (NaN rows for dropped labels).
    """

    x: np.ndarray
    y: np.ndarray
    text: list[str]
    inside: np.ndarray
    xrange: tuple[float, float]
    yrange: tuple[float, float]
    frame: Frame
    boxes: np.ndarray


def plan_node_labels(pos: np.ndarray, texts: Sequence[str], *, marker_px: Sequence[float] | float,
                     area: tuple[float, float], font: float = 13.0, order: Sequence[int] | None = None,
                     edges: np.ndarray | None = None, min_chars: int = 4, rounds: int = 4,
                     avoid: np.ndarray | None = None, avoid_px: float = 6.0, inside: bool = True) -> LabelPlan:
    """Place one label per node, beside or inside its marker, never overlapping and in the frame.

    The axis ranges start as the nodes' bounding box plus room for the markers, and grow until
    every label that was placed fits (a few rounds; labels are re-placed each round because the
    scale changes). A label that finds no free spot is retried abbreviated to ``min_chars``
    characters, then dropped (its text stays in the node's hover).

    Args:
        pos: ``[n, 2]`` node positions (data).
        texts: ``n`` labels ("" for none).
        marker_px: marker diameter in px, one for all or one per node.
        area: ``(W, H)`` plot area in px.
        font: font size in px.
        order: priority (first placed first); default: node order.
        edges: ``[m, 2]`` node pairs, used to avoid putting labels over edges.
        avoid: ``[k, 2]`` points (data) no label may cover, each a square of ``2 * avoid_px`` px
            (the message arrows of a trace view).
        inside: allow a short label inside its marker (not over WebGL markers, which cover SVG text).
    """
    pos = np.asarray(pos, float).reshape(-1, 2)
    n = len(pos)
    diam = np.broadcast_to(np.asarray(marker_px, float), (n,)).copy()
    order = list(range(n)) if order is None else list(order)
    lo, hi = (pos.min(0), pos.max(0)) if n else (np.zeros(2), np.ones(2))
    span = np.maximum(hi - lo, 1e-9)
    xr, yr = (lo[0] - 0.02 * span[0], hi[0] + 0.02 * span[0]), (lo[1] - 0.02 * span[1], hi[1] + 0.02 * span[1])
    W, H = area
    for _ in range(rounds):  # place freely, then widen the ranges to hold what was placed
        frame = Frame(xr, yr, W, H)
        plan = _place_round(pos, texts, diam, frame, font, order, edges, min_chars, avoid, avoid_px, inside, bounded=False)
        px = frame.to_px(pos)
        r = diam[:, None] / 2 + GAP
        keep = ~np.isnan(plan.boxes[:, 0])
        need = np.vstack([np.hstack([px - r, px + r]), plan.boxes[keep]])
        lo_d = frame.to_data(need[:, :2].min(0) - 2 * GAP)
        hi_d = frame.to_data(need[:, 2:].max(0) + 2 * GAP)
        new_x = (min(xr[0], lo_d[0]), max(xr[1], hi_d[0]))
        new_y = (min(yr[0], lo_d[1]), max(yr[1], hi_d[1]))
        if np.allclose(new_x, xr) and np.allclose(new_y, yr):
            break
        xr, yr = new_x, new_y
    return _place_round(pos, texts, diam, Frame(xr, yr, W, H), font, order, edges, min_chars, avoid, avoid_px,
                        inside, bounded=True)


def _place_round(pos: np.ndarray, texts: Sequence[str], diam: np.ndarray, frame: Frame, font: float,
                 order: list[int], edges: np.ndarray | None, min_chars: int, avoid: np.ndarray | None,
                 avoid_px: float, allow_inside: bool, *, bounded: bool) -> LabelPlan:
    n = len(pos)
    px = frame.to_px(pos)
    r = diam / 2
    markers = np.hstack([px - r[:, None], px + r[:, None]])
    fixed = np.zeros((0, 4))
    if avoid is not None and len(avoid):
        apx = frame.to_px(np.asarray(avoid, float).reshape(-1, 2))
        fixed = np.hstack([apx - avoid_px, apx + avoid_px])
    seg, e = np.zeros((0, 4)), np.zeros((0, 2), dtype=int)
    if edges is not None and len(edges):
        e = np.asarray(edges, int).reshape(-1, 2)
        seg = np.hstack([px[e[:, 0]], px[e[:, 1]]])
    big = 1e9
    area = (frame.width, frame.height) if bounded else (big, big)
    shift = np.zeros(2) if bounded else np.full(2, big / 2)
    text = [str(t) for t in texts]
    out_text = list(text)
    boxes = np.full((n, 4), np.nan)
    centres = np.full((n, 2), np.nan)
    placed: list[np.ndarray] = []
    for i in order:
        if not text[i]:
            continue
        for attempt in (text[i], abbreviate(text[i], min_chars)):
            w, h = text_size(attempt, font)
            inside = allow_inside and w <= 0.92 * diam[i] and h <= 1.05 * diam[i]
            others = np.delete(markers, i, axis=0)  # the candidates already keep off it
            obs = np.vstack([others, fixed] + placed) + np.tile(shift, 2)
            res = place(px[i:i + 1] + shift, [(w, h)], [around(r[i], w, h, inside=inside)], area=area,
                        obstacles=obs, segments=seg[(e[:, 0] != i) & (e[:, 1] != i)] + np.tile(shift, 2))
            if res.boxes[0] is not None:
                boxes[i] = res.boxes[0] - np.tile(shift, 2)
                centres[i] = res.centres[0] - shift
                placed.append(boxes[i][None])
                out_text[i] = attempt
                break
            if attempt == abbreviate(text[i], min_chars):
                break
    xy = frame.to_data(np.nan_to_num(centres))
    drop = np.isnan(centres[:, 0])
    xy[drop] = np.nan
    w_in = np.array([not np.isnan(boxes[i, 0]) and np.allclose(centres[i], px[i]) for i in range(n)], dtype=bool)
    return LabelPlan(xy[:, 0], xy[:, 1], [t if not drop[i] else "" for i, t in enumerate(out_text)], w_in,
                     frame.xrange, frame.yrange, frame, boxes)
