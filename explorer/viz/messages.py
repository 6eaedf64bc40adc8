"""Messages as data for views: where a marker sits, what number it shows, and tables/CSV.

A message sent along edge ``e`` is drawn at ``MESSAGE_AT`` of the way from ``senders[e]`` to
``receivers[e]``, so the two directions of an undirected edge sit on either side of its middle.
Its number is the value of the chosen state for BP messages, the colour for WL messages (the
sender's colour) and the L2 norm otherwise.

A clique-tree message is a table over the separator of two cliques (recorded flattened, in C
order over the separator's variables); its rows name each entry by the separator's assignment
(``"lung=yes, either=no"``), and the rows into a clique are every separator table it has
received so far, each with the step that sent it (one message per step, so "in this step"
would leave all but one clique empty).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np

from explorer.viz._common import as_rows, check_node, check_step
from explorer.viz.colors import family, state_names

__all__ = ["MESSAGE_AT", "message_positions", "message_values", "message_rows", "messages_csv",
           "incoming", "latest_incoming", "separator_states"]

#: where along an edge (0 = sender, 1 = receiver) a message marker sits
MESSAGE_AT = 0.6


def message_positions(graph: Any, pos: np.ndarray, edges: np.ndarray, at: float = MESSAGE_AT) -> np.ndarray:
    """``[n, 2]`` marker positions, ``at`` of the way from sender to receiver of each edge.

    A self-loop's marker sits just above its node.
    """
    edges = np.asarray(edges, dtype=np.int64)
    s, r = graph.senders[edges], graph.receivers[edges]
    p = pos[s] + at * (pos[r] - pos[s])
    loop = s == r
    if loop.any():
        span = float(np.ptp(pos[:, 1])) if len(pos) > 1 else 1.0
        p[loop, 1] += 0.04 * (span or 1.0)
    return p


def message_values(trace: Any, step: int, *, state: int = 0) -> np.ndarray:
    """``[n_sent]`` one number per message of ``step``: BP -> value at ``state``; else L2 norm.

    Shapes:
        returns ``[len(trace.steps[step].edges)]`` float64; NaN where ``state`` is out of range.
    """
    st = trace.steps[step]
    rows = as_rows(st.messages)
    if not rows:
        return np.zeros(0)
    fam = family(trace)
    if fam == "bp":  # log-domain runs record log-messages: draw the message itself
        conv = np.exp if trace.params.get("logdomain") else (lambda a: a)
        return np.array([conv(m[state]) if state < m.size else np.nan for m in rows])
    if fam == "wl" and all(m.size == 1 for m in rows):  # a WL message is the sender's colour
        return np.array([m[0] for m in rows])
    return np.array([float(np.linalg.norm(m)) for m in rows])


def incoming(trace: Any, step: int, node: int) -> np.ndarray:
    """Positions ``k`` (into ``steps[step].edges``) of the messages of ``step`` arriving at ``node``."""
    st = trace.steps[step]
    return np.flatnonzero(trace.graph.receivers[st.edges] == node)


def latest_incoming(trace: Any, step: int, node: int) -> dict[int, tuple[int, np.ndarray]]:
    """For each edge into ``node``: ``(step sent, message)`` of the last message sent on it at or
    before ``step``. Sequential schedules send a few messages per step; a belief uses the latest.
    """
    out: dict[int, tuple[int, np.ndarray]] = {}
    for k in range(step + 1):
        st = trace.steps[k]
        rows = as_rows(st.messages)
        for j in incoming(trace, k, node):
            out[int(st.edges[j])] = (k, rows[j])
    return out


def separator_states(trace: Any, step: int) -> list[str]:
    """A clique-tree step's message entries by name: ``"lung=yes, either=no"`` for each cell of
    the separator table, in the order the message is recorded (C order over ``extras
    ["separator"]``); states the result does not name are called by their index."""
    ex = trace.steps[step].extras
    table = np.asarray(ex["table"])
    marg = trace.result.get("marginals") or {}
    names = [list(marg.get(v, {})) for v in ex["separator"]]
    out = []
    for idx in np.ndindex(table.shape):
        out.append(", ".join(f"{v}={names[a][s] if s < len(names[a]) else s}"
                             for a, (v, s) in enumerate(zip(ex["separator"], idx))))
    return out


def message_rows(trace: Any, step: int, node: int | None = None) -> list[dict[str, Any]]:
    """The messages of one step as table rows (all, or those arriving at ``node``; for a clique
    tree, every message ``node`` has received up to ``step``).

    Returns:
        ``[{"step", "edge", "sender", "receiver", "values", "norm", "states", "text"}]``:
        ``sender``/``receiver`` are display labels, ``values`` the exact recorded vector as a list
        of floats (flattened), ``norm`` its L2 norm, ``states`` the names of the entries (BP/VE:
        the states of the edge's variable; else ``None``) and ``text`` the vector written short
        for a table (``"yes .72, no .28"``, or ``"[.12, -1.3, …]"``).

    Raises:
        TraceError: when ``step`` or ``node`` is out of range.
    """
    k = check_step(trace, step)
    g = trace.graph
    st = trace.steps[k]
    rows = as_rows(st.messages)
    keep = range(len(rows)) if node is None else incoming(trace, k, check_node(g, node))
    labels = g.display_labels
    from explorer.viz.glyphs import row_text  # glyphs builds on this module

    if family(trace) == "clique":
        return _clique_rows(trace, k, None if node is None else check_node(g, node))
    names = state_names(trace)
    out = []
    for j in keep:
        e = int(st.edges[j])
        states, text = row_text(trace, e, rows[j], names)
        out.append({"step": k, "edge": e, "sender": labels[g.senders[e]], "receiver": labels[g.receivers[e]],
                    "values": [float(v) for v in rows[j]], "norm": float(np.linalg.norm(rows[j])),
                    "states": states, "text": text})
    return out


def _clique_rows(trace: Any, k: int, node: int | None) -> list[dict[str, Any]]:
    g = trace.graph
    labels = g.display_labels
    sent = ([(k, j) for j in range(len(as_rows(trace.steps[k].messages)))] if node is None else
            [(s, j) for s in range(k + 1) for j in incoming(trace, s, node)])
    out = []
    for s, j in sent:
        st = trace.steps[s]
        e, m = int(st.edges[j]), as_rows(st.messages)[j]
        states = separator_states(trace, s)
        states = states if len(states) == m.size else None
        text = (", ".join(f"{a}: {v:.3g}" for a, v in zip(states, m)) if states
                else "[" + ", ".join(f"{v:.3g}" for v in m) + "]")
        out.append({"step": s, "edge": e, "sender": labels[g.senders[e]], "receiver": labels[g.receivers[e]],
                    "values": [float(v) for v in m], "norm": float(np.linalg.norm(m)),
                    "states": states, "text": text})
    return out


def messages_csv(trace: Any) -> str:
    """Every message of every step as CSV text.

    Columns: ``step, step_label, edge, sender, receiver, v0, v1, ...`` (as many value columns as
    the widest message; shorter messages leave the rest empty). Floats are written with ``repr``
    so the file parses back to the exact recorded numbers.
    """
    width = max((r.size for s in trace.steps for r in as_rows(s.messages)), default=0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["step", "step_label", "edge", "sender", "receiver"] + [f"v{i}" for i in range(width)])
    for k, s in enumerate(trace.steps):
        for row in message_rows(trace, k):
            vals = [repr(v) for v in row["values"]]
            w.writerow([k, s.label, row["edge"], row["sender"], row["receiver"]] + vals +
                       [""] * (width - len(vals)))
    return buf.getvalue()
