"""`Trace`: the record of one run of a message-passing algorithm, and the only thing views draw.

A run is a sequence of *steps*. A step is one round (a parallel BP iteration, one neural layer,
one WL refinement) or one message (sequential BP schedules, one variable elimination). Each step
records the three moves of message passing on the graph ``trace.graph`` (``senders[e] ->
receivers[e]``, see :mod:`explorer.graph`):

    message    values sent along the edges listed in ``edges``
    aggregate  what each receiving node combined them into
    update     every node's state after the step

Ragged values. BP messages have one entry per state of the variable they concern, and variables
may differ in cardinality. Such fields are stored **ragged** instead of padded (no mask to carry
around): either a Python list of 1-D arrays, one per row, or a :class:`Ragged` — one flat buffer
plus row offsets, which is what engines that record many rows per step use (one array per step
instead of one per row). Fixed-width values are numpy arrays. :func:`rows` counts the rows of
any form.

A Trace is plain data (numpy arrays, lists, dicts) and round-trips through JSON
(:meth:`Trace.to_json` / :meth:`Trace.from_json`) with :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from explorer.errors import TraceError
from explorer.graph import Graph

__all__ = ["Step", "Trace", "Ragged", "validate_trace", "rows", "SCHEMA_VERSION", "Values",
           "RAGGED_TYPES"]

SCHEMA_VERSION = 1

#: bytes a recorded Trace may keep; engines estimate their Trace *before* recording and refuse
#: above it (see :func:`explorer.nn.recording.estimate_trace_bytes`); measured by :func:`trace_nbytes`
TRACE_BUDGET = 1 << 30
__all__ += ["TRACE_BUDGET", "trace_nbytes"]


class Ragged(Sequence):
    """Rows of different lengths in one flat buffer: row ``i`` is ``values[offsets[i]:offsets[i+1]]``.

    A read-only sequence of 1-D numpy views, so code written for a list of arrays works on it
    (``len``, indexing, iteration). Building one costs two arrays, not one object per row.

    Shapes:
        values ``[offsets[-1]]``, offsets ``[n + 1]`` (non-decreasing, ``offsets[0] == 0``).

    Example:
        >>> r = Ragged.from_rows([np.array([0.5, 0.5]), np.array([0.1, 0.2, 0.7])])
        >>> len(r), r[1].tolist(), r.lengths.tolist()
        (2, [0.1, 0.2, 0.7], [2, 3])
    """

    __slots__ = ("values", "offsets")

    def __init__(self, values: np.ndarray, offsets: np.ndarray):
        values = np.asarray(values).reshape(-1)
        offsets = np.asarray(offsets, dtype=np.int64).reshape(-1)
        if offsets.size == 0 or offsets[0] != 0 or offsets[-1] != values.size or np.any(np.diff(offsets) < 0):
            raise TraceError(f"Ragged offsets must rise from 0 to len(values)={values.size}; "
                             f"found {offsets[:3].tolist()}...{offsets[-2:].tolist()}")
        values.setflags(write=False)
        offsets.setflags(write=False)
        self.values, self.offsets = values, offsets

    @classmethod
    def trusted(cls, values: np.ndarray, offsets: np.ndarray) -> "Ragged":
        """The same without the checks, for an engine whose ``offsets`` are built once per
        model and checked there (a 1-D ``values`` of ``offsets[-1]`` entries; both are made
        read-only)."""
        self = object.__new__(cls)
        values.setflags(write=False)
        offsets.setflags(write=False)
        self.values, self.offsets = values, offsets
        return self

    @classmethod
    def from_rows(cls, rows: Sequence[np.ndarray]) -> "Ragged":
        lengths = [np.size(r) for r in rows]
        values = np.concatenate([np.asarray(r).reshape(-1) for r in rows]) if rows else np.zeros(0)
        return cls(values, np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]))

    @classmethod
    def concat(cls, blocks: Sequence[np.ndarray]) -> "Ragged":
        """Rows from 2-D blocks ``[n_b, w_b]`` taken in order (each block's rows share a width)."""
        blocks = [np.asarray(b).reshape(np.shape(b)[0], -1) for b in blocks]
        values = np.concatenate([b.reshape(-1) for b in blocks]) if blocks else np.zeros(0)
        lengths = np.concatenate([np.full(b.shape[0], b.shape[1], dtype=np.int64) for b in blocks]) \
            if blocks else np.zeros(0, dtype=np.int64)
        return cls(values, np.concatenate([[0], np.cumsum(lengths)]))

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"row {i} out of range for {n} rows")
        i %= n
        return self.values[self.offsets[i]:self.offsets[i + 1]]

    def __repr__(self) -> str:
        return f"Ragged({len(self)} rows, {self.values.size} values)"


#: the ragged forms a Values field may take
RAGGED_TYPES = (list, tuple, Ragged)

#: per-row values: an array ``[n, ...]``, a ragged list of ``n`` 1-D arrays, or a :class:`Ragged`
Values = Union[np.ndarray, list, Ragged]


def _edge_ids(edges: Any) -> np.ndarray:
    """``edges`` as a 1-D int64 array: the same object when it already is one, so steps that
    share their edge ids share one array (and a pickle writes it once)."""
    a = np.asarray(edges, dtype=np.int64)
    return a if a.ndim == 1 else a.reshape(-1)


@dataclass(frozen=True, eq=False)
class Step:
    """One step of a run (n_sent = ``len(edges)``, N = number of graph nodes).

    Attributes:
        edges: ``[n_sent]`` int, ids into the graph's edges of the messages sent in this step.
        messages: ``[n_sent, ...]`` array or ragged list of ``n_sent`` arrays; row k is the value
            sent along ``edges[k]``. ``None`` when the step sends nothing (e.g. a readout).
        aggregates: ``[N, ...]`` (array or ragged) what each node combined its incoming messages
            into, or ``None`` when the algorithm has no separate aggregate.
        states: ``[N, ...]`` (array or ragged) every node's state after the update.
        extras: algorithm-specific plain data, e.g. ``{"attention": [n_sent, heads]}``,
            ``{"residual": 0.01, "bethe_log_z": -2.3}``, ``{"colors": [N]}``.
        note: one human sentence saying what happened.
        label: a short name for the step slider (``"layer 2"``, ``"iteration 3"``, ``"B -> f1"``).
    """

    edges: np.ndarray
    messages: Values | None
    aggregates: Values | None
    states: Values | None
    extras: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", _edge_ids(self.edges))

    @property
    def n_sent(self) -> int:
        return int(self.edges.size)


@dataclass(frozen=True, eq=False)
class Trace:
    """A recorded run.

    Attributes:
        kind: the algorithm, e.g. ``"sum-product"``, ``"max-product"``,
            ``"variable-elimination"``, ``"gcn"``, ``"sage"``, ``"gat"``, ``"gin"``, ``"mpnn"``,
            ``"gn"``, ``"gn-block"`` (one step per graph-network sub-step, see
            :mod:`explorer.nn.gn_trace`), ``"wl"``.
        graph: the graph the messages flow on (for BP, the factor graph drawn as a bipartite
            ``Graph`` whose ``roles`` say ``"variable"`` or ``"factor"``).
        params: everything needed to reproduce the run, including ``"seed"`` (may be ``None``
            for deterministic algorithms).
        steps: the ordered steps.
        result: final beliefs / MAP / outputs / metrics, plain data.
    """

    kind: str
    graph: Graph
    params: dict[str, Any]
    steps: tuple[Step, ...]
    result: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))

    def __len__(self) -> int:
        return len(self.steps)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (arrays tagged with dtype and shape)."""
        g = self.graph
        graph = {
            "n_nodes": g.n_nodes, "senders": g.senders, "receivers": g.receivers,
            "directed": g.directed, "node_ids": list(g.node_ids) if g.node_ids is not None else None,
            "labels": g.labels, "x": g.x, "edge_attr": g.edge_attr, "edge_weight": g.edge_weight,
            "y": g.y, "roles": g.roles, "pos": g.pos, "name": g.name, "meta": g.meta,
        }
        steps = [{"edges": s.edges, "messages": s.messages, "aggregates": s.aggregates,
                  "states": s.states, "extras": s.extras, "note": s.note, "label": s.label}
                 for s in self.steps]
        return _encode({"schema_version": SCHEMA_VERSION, "kind": self.kind, "graph": graph,
                        "params": self.params, "steps": steps, "result": self.result})

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise; also write to ``path`` when given. Non-finite floats are written as
        the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` so the file is strict JSON."""
        text = json.dumps(self.to_dict(), allow_nan=False, separators=(",", ":"))
        if path is not None:
            Path(path).write_text(text)
        return text

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Trace":
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise TraceError(f"expected a Trace with schema_version {SCHEMA_VERSION}, found {version!r}; "
                             "re-record it with this version of the explorer")
        d = _decode(d)
        gd = dict(d["graph"])
        for k in ("node_ids", "labels", "roles"):
            if gd.get(k) is not None:
                gd[k] = tuple(gd[k])
        steps = tuple(Step(**s) for s in d["steps"])
        return cls(kind=d["kind"], graph=Graph(**gd), params=d["params"], steps=steps,
                   result=d["result"])

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "Trace":
        """Load from JSON text or a file path."""
        p = Path(text_or_path) if not str(text_or_path).lstrip().startswith("{") else None
        text = p.read_text() if p is not None else str(text_or_path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise TraceError(f"expected Trace JSON, found invalid JSON ({e.msg} at line {e.lineno})") from e
        return cls.from_dict(data)


# ---------------------------------------------------------------------- helpers
def rows(values: Values | None) -> int | None:
    """Number of rows in an array or ragged list (``None`` for ``None``)."""
    if values is None:
        return None
    if isinstance(values, RAGGED_TYPES):
        return len(values)
    shape = np.shape(values)
    return int(shape[0]) if shape else None


def validate_trace(trace: Trace) -> Trace:
    """Check the contract; return the trace unchanged or raise :class:`TraceError`.

    Checks: a non-empty ``kind``; ``params`` is a dict with a ``"seed"`` key; every step's edge
    ids lie in ``[0, E)``; ``messages`` has one row per sent edge; ``aggregates`` and ``states``
    have one row per node; values are finite or NaN-free where numeric; ``note`` is a string.
    """
    if not isinstance(trace.kind, str) or not trace.kind:
        raise TraceError(f"expected a non-empty string kind, found {trace.kind!r}")
    if not isinstance(trace.params, dict) or "seed" not in trace.params:
        raise TraceError("expected params to be a dict with a 'seed' entry (None when not random); "
                         f"found {type(trace.params).__name__} with keys {sorted(trace.params) if isinstance(trace.params, dict) else []}")
    n, e = trace.graph.n_nodes, trace.graph.n_edges
    for k, step in enumerate(trace.steps):
        where = f"step {k}"
        if step.edges.size and (step.edges.min() < 0 or step.edges.max() >= e):
            bad = int(step.edges[(step.edges < 0) | (step.edges >= e)][0])
            raise TraceError(f"{where}: edge id {bad} is outside the valid range [0, {e - 1}]")
        if step.messages is not None and rows(step.messages) != step.n_sent:
            raise TraceError(f"{where}: expected one message row per sent edge ({step.n_sent}), "
                             f"found {rows(step.messages)}")
        for name in ("aggregates", "states"):
            v = getattr(step, name)
            if v is not None and rows(v) != n:
                raise TraceError(f"{where}: expected {name} to have one row per node ({n}), found {rows(v)}")
        for name in ("messages", "aggregates", "states"):
            v = getattr(step, name)
            if v is None:
                continue
            parts: Sequence = [v.values] if isinstance(v, Ragged) else v if isinstance(v, (list, tuple)) else [v]
            for p in parts:
                a = np.asarray(p)
                if a.dtype.kind == "f" and np.isnan(a).any():
                    raise TraceError(f"{where}: {name} contains NaN")
        if not isinstance(step.note, str):
            raise TraceError(f"{where}: expected note to be a string, found {type(step.note).__name__}")
    return trace


_NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _float(v: float) -> Any:
    if np.isfinite(v):
        return float(v)
    return "NaN" if np.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def _encode(obj: Any) -> Any:
    if isinstance(obj, Ragged):
        return {"__ragged__": _encode(obj.values), "offsets": _encode(obj.offsets)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            data = obj.astype(np.float64)
            flat = [_float(v) for v in data.reshape(-1)] if not np.isfinite(data).all() else None
            if flat is not None:
                return {"__ndarray__": flat, "dtype": str(obj.dtype), "shape": list(obj.shape)}
        elif obj.dtype.kind not in "biu":
            return {"__ndarray__": obj.reshape(-1).tolist(), "dtype": "object", "shape": list(obj.shape)}
        return {"__ndarray__": obj.reshape(-1).tolist(), "dtype": str(obj.dtype), "shape": list(obj.shape)}
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_encode(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return _float(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__ragged__" in obj:
            return Ragged(_decode(obj["__ragged__"]), _decode(obj["offsets"]))
        if "__ndarray__" in obj:
            flat = [(_NONFINITE[v] if isinstance(v, str) and v in _NONFINITE else v) for v in obj["__ndarray__"]]
            dtype = None if obj["dtype"] == "object" else obj["dtype"]
            return np.array(flat, dtype=dtype).reshape(obj["shape"])
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    return obj


def trace_nbytes(trace: Trace) -> int:
    """Bytes held by the numpy arrays of a Trace's steps (messages, aggregates, states, extras,
    ragged buffers and lists of arrays); views count their own size, the graph is not counted."""
    def size(v: Any) -> int:
        if isinstance(v, np.ndarray):
            return v.nbytes
        if isinstance(v, Ragged):
            return v.values.nbytes + v.offsets.nbytes
        if isinstance(v, (list, tuple)):
            return sum(size(a) for a in v)
        if isinstance(v, dict):
            return sum(size(a) for a in v.values())
        return 0

    return sum(size([st.edges, st.messages, st.aggregates, st.states, st.extras]) for st in trace.steps)
