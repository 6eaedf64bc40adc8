"""Hand-made Traces for the view tests, computed here from first principles.

- ``bp_chain_trace``: sum-product BP on the factor graph A - f1 - B - f2 - C (binary variables,
  one unary factor on A), parallel schedule; beliefs are checked against brute-force marginals.
- ``gcn_trace``: a dense-matrix GCN (D^-1/2 (A+I) D^-1/2 X W) recorded per edge, any size.
- ``wl_trace``: 1-WL colour refinement on a small graph, colours in ``extras["colors"]``.

Corner cases covered: ragged BP messages (cardinalities 2 and 3), factor nodes, a directed graph,
1,000 nodes with more messages than the marker cap.
"""

from __future__ import annotations

import itertools

import numpy as np

from explorer.graph import Graph
from explorer.trace import Step, Trace, validate_trace

# --------------------------------------------------------------------------- BP on a chain
CARD = {"A": 2, "B": 3, "C": 2}
F_A = np.array([0.7, 0.3])
F_AB = np.array([[1.0, 2.0, 0.5], [0.5, 1.0, 3.0]])
F_BC = np.array([[2.0, 1.0], [1.0, 1.0], [0.2, 3.0]])


def bp_graph() -> Graph:
    """Nodes 0 A, 1 B, 2 C (variables), 3 fA, 4 fAB, 5 fBC (factors)."""
    edges = [(0, 3), (0, 4), (1, 4), (1, 5), (2, 5)]
    return Graph.from_edges(6, edges, labels=("A", "B", "C", "fA", "fAB", "fBC"),
                            roles=("variable",) * 3 + ("factor",) * 3, name="chain")


def _factor_msg(fac: int, to: int, m_in: dict) -> np.ndarray:
    if fac == 3:
        out = F_A.copy()
    elif fac == 4:
        out = F_AB @ m_in[(1, 4)] if to == 0 else F_AB.T @ m_in[(0, 4)]
    else:
        out = F_BC @ m_in[(2, 5)] if to == 1 else F_BC.T @ m_in[(1, 5)]
    return out / out.sum()


def bp_chain_trace(iters: int = 6) -> Trace:
    """Parallel sum-product; messages normalised; states = beliefs (variables), factor beliefs
    flattened for factors. Ragged throughout."""
    g = bp_graph()
    labels = g.display_labels
    card = {0: 2, 1: 3, 2: 2}
    var_of = lambda e: g.senders[e] if g.senders[e] < 3 else g.receivers[e]  # noqa: E731
    msgs = {(int(s), int(r)): np.ones(card[int(var_of(e))]) / card[int(var_of(e))]
            for e, (s, r) in enumerate(zip(g.senders, g.receivers))}
    steps = []
    for it in range(iters):
        new = {}
        for (s, r) in msgs:
            if s < 3:  # variable -> factor: product of the other factors' messages
                m = np.ones(card[s])
                for (a, b), v in msgs.items():
                    if b == s and a != r:
                        m = m * v
                new[(s, r)] = m / m.sum()
            else:
                new[(s, r)] = _factor_msg(s, r, msgs)
        msgs = new
        beliefs = []
        for i in range(6):
            if i < 3:
                b = np.ones(card[i])
                for (a, c), v in msgs.items():
                    if c == i:
                        b = b * v
                beliefs.append(b / b.sum())
            else:
                beliefs.append(np.array([1.0]))
        edge_list = np.arange(g.n_edges)
        vals = [msgs[(int(g.senders[e]), int(g.receivers[e]))] for e in edge_list]
        steps.append(Step(edges=edge_list, messages=vals, aggregates=None, states=beliefs,
                          extras={"residual": 10.0 ** (-it - 1), "bethe_log_z": 1.0 + 0.1 * it,
                                  "oscillating": []},
                          note=f"all {g.n_edges} messages updated in parallel", label=f"iteration {it + 1}"))
    return validate_trace(Trace("sum-product", g, {"seed": None, "updates": "parallel"}, steps,
                                result={"labels": labels}))


def brute_marginals() -> dict[str, np.ndarray]:
    """Exact marginals of the chain by enumeration."""
    p = np.zeros((2, 3, 2))
    for a, b, c in itertools.product(range(2), range(3), range(2)):
        p[a, b, c] = F_A[a] * F_AB[a, b] * F_BC[b, c]
    p /= p.sum()
    return {"A": p.sum((1, 2)), "B": p.sum((0, 2)), "C": p.sum((0, 1))}


# --------------------------------------------------------------------------- dense GCN
def random_graph(n: int, m: int, seed: int = 0, *, directed: bool = False, features: int = 4) -> Graph:
    rng = np.random.default_rng(seed)
    pairs = set()
    while len(pairs) < m:
        u, v = rng.integers(0, n, 2)
        if u != v:
            pairs.add((int(min(u, v)), int(max(u, v))) if not directed else (int(u), int(v)))
    return Graph.from_edges(n, sorted(pairs), directed=directed, x=rng.normal(size=(n, features)),
                            name=f"random-{n}")


def gcn_trace(graph: Graph, layers: int = 2, hidden: int = 3, seed: int = 0) -> Trace:
    """X' = Â X W per layer with Â = D^-1/2 (A+I) D^-1/2; the self-loop messages are not among the
    graph's edges, so the recorded messages are the neighbour terms and the aggregate their sum."""
    rng = np.random.default_rng(seed)
    n = graph.n_nodes
    a = np.zeros((n, n))
    a[graph.receivers, graph.senders] = 1.0
    a_hat = a + np.eye(n)
    d = a_hat.sum(1)
    norm = 1.0 / np.sqrt(d)
    x = graph.x
    steps = []
    for layer in range(layers):
        w = rng.normal(size=(x.shape[1], hidden)) / np.sqrt(x.shape[1])
        h = x @ w
        coef = norm[graph.senders] * norm[graph.receivers]
        msgs = coef[:, None] * h[graph.senders]
        agg = np.zeros((n, hidden))
        np.add.at(agg, graph.receivers, msgs)
        out = agg + (norm ** 2)[:, None] * h
        steps.append(Step(edges=np.arange(graph.n_edges), messages=msgs, aggregates=agg, states=out,
                          extras={"edge_norm": coef, "self_norm": norm ** 2},
                          note=f"layer {layer + 1}: GCN aggregation", label=f"layer {layer + 1}"))
        x = out
    return validate_trace(Trace("gcn", graph, {"seed": seed}, steps))


# --------------------------------------------------------------------------- WL
def wl_trace(graph: Graph, rounds: int = 3) -> Trace:
    colors = np.zeros(graph.n_nodes, dtype=np.int64)
    steps = []
    for r in range(rounds):
        sig = [(int(colors[i]), tuple(sorted(int(c) for c in colors[graph.senders[graph.receivers == i]])))
               for i in range(graph.n_nodes)]
        table = {s: k for k, s in enumerate(sorted(set(sig)))}
        colors = np.array([table[s] for s in sig])
        msgs = colors[graph.senders].astype(float)[:, None]
        steps.append(Step(edges=np.arange(graph.n_edges), messages=msgs, aggregates=None,
                          states=colors.astype(float)[:, None], extras={"colors": colors.tolist()},
                          note=f"round {r + 1}: {len(table)} colours", label=f"round {r + 1}"))
    return validate_trace(Trace("wl", graph, {"seed": None}, steps))


def test_bp_fixture_is_exact_on_the_chain():
    t = bp_chain_trace(iters=6)
    exact = brute_marginals()
    for i, name in enumerate("ABC"):
        np.testing.assert_allclose(t.steps[-1].states[i], exact[name], atol=1e-12)


def test_gcn_fixture_matches_dense_formula():
    g = random_graph(12, 20, seed=3)
    t = gcn_trace(g, layers=1, seed=1)
    n = g.n_nodes
    a = np.zeros((n, n))
    a[g.receivers, g.senders] = 1
    a += np.eye(n)
    dinv = np.diag(1 / np.sqrt(a.sum(1)))
    w = np.random.default_rng(1).normal(size=(4, 3)) / 2
    np.testing.assert_allclose(t.steps[0].states, dinv @ a @ dinv @ g.x @ w, atol=1e-12)
