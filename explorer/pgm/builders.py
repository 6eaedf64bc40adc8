"""Builders: Bayesian networks, pairwise Markov random fields and Ising/Potts grids.

Example:
    >>> fg = from_bayesian_network({"A": ["y", "n"], "B": ["y", "n"]},
    ...                            {"A": ([], [0.6, 0.4]), "B": (["A"], [[0.7, 0.3], [0.2, 0.8]])})
    >>> [f.label for f in fg.factors]
    ['P(A)', 'P(B|A)']
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from explorer.errors import ModelError
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["from_bayesian_network", "pairwise_mrf", "ising_grid", "find_cycle", "CPD_TOL"]

#: how far a CPD row may be from summing to 1 (absolute), in builders and readers
CPD_TOL = 1e-3


def find_cycle(parents: Sequence[Sequence[int]]) -> list[int] | None:
    """A directed cycle ``[v0, v1, ..., v0]`` in the parent lists (edges parent -> child), or None."""
    n = len(parents)
    children: list[list[int]] = [[] for _ in range(n)]
    for c, ps in enumerate(parents):
        for p in ps:
            children[p].append(c)
    color = [0] * n  # 0 new, 1 on stack, 2 done
    for start in range(n):
        if color[start]:
            continue
        stack = [(start, iter(children[start]))]
        path = [start]
        color[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                path.pop()
            elif color[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif color[nxt] == 0:
                color[nxt] = 1
                stack.append((nxt, iter(children[nxt])))
                path.append(nxt)
    return None


def from_bayesian_network(states: Mapping[str, Sequence[str]],
                          cpds: Mapping[str, tuple[Sequence[str], object]], *, name: str = "",
                          tol: float = CPD_TOL, meta: dict | None = None) -> FactorGraph:
    """A Bayesian network as a factor graph with one factor ``P(child | parents)`` per variable.

    Args:
        states: ``{variable: [state names]}``; its order is the variable (and factor) order.
        cpds: ``{child: (parents, table)}`` with ``table`` shaped ``[*parent_cards, child_card]``
            (C order over ``parents + [child]``, the child fastest), each row summing to 1.
        name: the model name.
        tol: absolute tolerance on row sums.

    Returns:
        A ``FactorGraph`` of kind ``"bayes"`` whose factor ``k`` is the CPD of variable ``k``,
        with scope ``parents + (child,)``.

    Raises:
        ModelError: a missing or unknown variable, a wrong table shape, negative entries, rows
            not summing to 1 within ``tol``, or a directed cycle (the message shows it).
    """
    names = list(states)
    index = {n: i for i, n in enumerate(names)}
    cards = [len(states[n]) for n in names]
    for child in cpds:
        if child not in index:
            raise ModelError(f"a CPD is given for unknown variable {child!r}; variables: {names}")
    parents: list[tuple[int, ...]] = []
    factors = []
    for child in names:
        if child not in cpds:
            raise ModelError(f"variable {child!r} has no CPD; give P({child} | parents)")
        pnames, table = cpds[child]
        for p in pnames:
            if p not in index:
                raise ModelError(f"P({child} | ...) names unknown parent {p!r}; variables: {names}")
        ps = tuple(index[p] for p in pnames)
        t = np.asarray(table, dtype=np.float64)
        want = tuple(cards[p] for p in ps) + (cards[index[child]],)
        if t.size == int(np.prod(want)) and t.shape != want:
            t = t.reshape(want)
        if t.shape != want:
            raise ModelError(f"P({child} | {', '.join(pnames)}) has shape {t.shape}; expected "
                             f"{want} (parents first, child last)")
        if (t < 0).any() or not np.isfinite(t).all():
            raise ModelError(f"P({child} | {', '.join(pnames)}) has negative or non-finite entries")
        sums = t.sum(-1)
        if np.abs(sums - 1).max(initial=0) > tol:
            bad = np.unravel_index(np.argmax(np.abs(sums - 1)), sums.shape)
            raise ModelError(f"P({child} | {', '.join(pnames)}) row {tuple(int(b) for b in bad)} "
                             f"sums to {sums[bad]:.6g}; each row must sum to 1 within {tol:g}")
        parents.append(ps)
        factors.append(Factor(ps + (index[child],), t))
    cycle = find_cycle(parents)
    if cycle:
        raise ModelError("a Bayesian network must be acyclic; found the cycle "
                         + " -> ".join(names[i] for i in cycle))
    return FactorGraph(names=tuple(names), cards=tuple(cards),
                       states=tuple(tuple(states[n]) for n in names), factors=tuple(factors),
                       name=name, kind="bayes", parents=tuple(parents), meta=dict(meta or {}))


def pairwise_mrf(states: Mapping[str, Sequence[str]],
                 unary: Mapping[str, object] | None = None,
                 pairwise: Sequence[tuple[str, str, object]] = (), *, name: str = "",
                 meta: dict | None = None) -> FactorGraph:
    """A pairwise Markov random field: ``p(x) ∝ prod_i phi_i(x_i) prod_(i,j) psi_ij(x_i, x_j)``.

    Args:
        states: ``{variable: [state names]}`` (the variable order).
        unary: ``{variable: [card]}`` non-negative potentials (variables left out get none).
        pairwise: ``(a, b, [card_a, card_b])`` potentials, one factor each, in the given order.

    Returns:
        A ``FactorGraph`` of kind ``"markov"``: the unary factors (in variable order) first,
        then the pairwise ones.

    Raises:
        ModelError: unknown variables, wrong shapes, negative entries, ``a == b``.
    """
    names = list(states)
    index = {n: i for i, n in enumerate(names)}
    cards = [len(states[n]) for n in names]
    factors = []
    unary = dict(unary or {})
    for n in unary:
        if n not in index:
            raise ModelError(f"a unary potential is given for unknown variable {n!r}; variables: {names}")
    for n in names:
        if n in unary:
            factors.append(Factor((index[n],), np.asarray(unary[n], dtype=np.float64)))
    for a, b, t in pairwise:
        for v in (a, b):
            if v not in index:
                raise ModelError(f"pairwise potential ({a}, {b}) names unknown variable {v!r}; "
                                 f"variables: {names}")
        if a == b:
            raise ModelError(f"pairwise potential ({a}, {b}) joins a variable to itself")
        factors.append(Factor((index[a], index[b]), np.asarray(t, dtype=np.float64)))
    return FactorGraph(names=tuple(names), cards=tuple(cards),
                       states=tuple(tuple(states[n]) for n in names), factors=tuple(factors),
                       name=name, kind="markov", meta=dict(meta or {}))


def _picture(rows: int, cols: int, q: int) -> np.ndarray:
    """A clean test image: a filled disc on a background (bands of levels for q > 2)."""
    r, c = np.mgrid[0:rows, 0:cols]
    d = np.hypot((r - (rows - 1) / 2) / max(rows, 1), (c - (cols - 1) / 2) / max(cols, 1))
    if q == 2:
        return (d < 0.3).astype(np.int64)
    return np.minimum((d / 0.71 * q).astype(np.int64), q - 1)


def ising_grid(rows: int = 10, cols: int = 10, *, coupling: float = 1.0, field: float = 1.0,
               noise: float = 0.1, seed: int = 0, n_states: int = 2,
               image: np.ndarray | None = None) -> tuple[FactorGraph, np.ndarray]:
    """An Ising (``n_states=2``) or Potts grid for image denoising.

    A clean image (a disc, or ``image``) is corrupted by replacing each pixel with a uniformly
    drawn *other* level with probability ``noise``. The model prefers agreeing neighbours and
    agreement with the noisy pixel ``y_i``:

        phi_i(x_i)       = exp( field    * s(x_i, y_i))
        psi_ij(x_i, x_j) = exp( coupling * s(x_i, x_j)),   s(a, b) = +1 if a == b else -1

    (for two states this is the Ising model ``exp(J s_i s_j + h y_i s_i)`` with spins ±1).

    Args:
        rows, cols: the grid size; variable ``r * cols + c`` is pixel ``(r, c)``, named ``"r{r}c{c}"``.
        coupling: J (> 0 smooths; < 0 is anti-ferromagnetic).
        field: h, the trust in the noisy pixel.
        noise: the probability that a pixel is corrupted, in [0, 1].
        seed: the seed of the noise.
        n_states: 2 for Ising, more for Potts.
        image: ``[rows, cols]`` clean levels in ``[0, n_states)``; default a disc.

    Returns:
        ``(fg, truth)``: the model (unary factors first, then horizontal and vertical pairs;
        ``meta`` holds ``"grid"``, ``"noisy"`` and ``"truth"``) and the clean ``[rows, cols]`` image.

    Raises:
        ModelError: non-positive size, ``noise`` outside [0, 1], ``n_states < 2`` or a bad image.
    """
    if rows < 1 or cols < 1 or n_states < 2 or not 0 <= noise <= 1:
        raise ModelError(f"expected rows, cols >= 1, n_states >= 2 and 0 <= noise <= 1; found "
                         f"rows={rows}, cols={cols}, n_states={n_states}, noise={noise}")
    truth = _picture(rows, cols, n_states) if image is None else np.asarray(image, dtype=np.int64)
    if truth.shape != (rows, cols) or truth.min() < 0 or truth.max() >= n_states:
        raise ModelError(f"image must be [{rows}, {cols}] with levels in [0, {n_states - 1}]")
    rng = np.random.default_rng(seed)
    flip = rng.random((rows, cols)) < noise
    shift = rng.integers(1, n_states, size=(rows, cols))
    noisy = np.where(flip, (truth + shift) % n_states, truth)
    q = n_states
    same = np.where(np.eye(q, dtype=bool), 1.0, -1.0)
    psi = np.exp(coupling * same)
    unaries = np.exp(field * same[noisy.reshape(-1)])  # [V, q]
    v = rows * cols
    names = tuple(f"r{r}c{c}" for r in range(rows) for c in range(cols))
    unaries.setflags(write=False)
    psi.setflags(write=False)
    factors = [Factor((i,), unaries[i], f"f({names[i]})") for i in range(v)]
    for a, b in [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)] + \
            [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]:
        factors.append(Factor((a, b), psi, f"f({names[a]},{names[b]})"))
    fg = FactorGraph(names=names, cards=(q,) * v, states=(tuple(str(s) for s in range(q)),) * v,
                     factors=tuple(factors), name=f"ising {rows}x{cols}", kind="markov",
                     meta={"grid": (rows, cols), "noisy": noisy, "truth": truth,
                           "params": {"coupling": coupling, "field": field, "noise": noise,
                                      "seed": seed, "n_states": q}})
    return fg, truth
