"""The stochastic block model against its definition: exact graphs at p in {0, 1}, edge
densities inside and between blocks against p_in / p_out (a 5-sigma binomial bound, fixed seeds),
and the shipped SBM sample against its generator.

Oracles: complete graphs and complete multipartite graphs from networkx; the binomial mean and
standard deviation of each block pair's edge count.
"""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError, TooLargeError
from explorer.io import load_graph
from explorer.io.generators import expected_edges, stochastic_block_model


def _nx(g):
    return nx.Graph([tuple(p) for p in g.undirected_pairs()])


def test_extreme_probabilities_give_known_graphs():
    g = stochastic_block_model([4, 3, 5], 1.0, 0.0, seed=1)
    cliques = nx.disjoint_union_all([nx.complete_graph(k) for k in (4, 3, 5)])
    assert nx.is_isomorphic(_nx(g), cliques)
    h = stochastic_block_model([4, 3, 5], 0.0, 1.0, seed=1)
    assert nx.is_isomorphic(_nx(h), nx.complete_multipartite_graph(4, 3, 5))
    assert g.y.tolist() == [0] * 4 + [1] * 3 + [2] * 5 and not g.directed


@pytest.mark.parametrize("seed", [0, 1])
def test_densities_match_p_in_and_p_out(seed):
    sizes, p_in, p_out = [60, 50, 40], 0.3, 0.05
    g = stochastic_block_model(sizes, p_in, p_out, seed=seed)
    pairs = g.undirected_pairs()
    assert (pairs[:, 0] < pairs[:, 1]).all()  # no loops, no duplicates (unique pairs)
    y = g.y
    for a in range(3):
        for b in range(a, 3):
            n_pairs = sizes[a] * (sizes[a] - 1) // 2 if a == b else sizes[a] * sizes[b]
            p = p_in if a == b else p_out
            # pairs are u < v and blocks are contiguous, so block(u) <= block(v)
            count = int(np.sum((y[pairs[:, 0]] == a) & (y[pairs[:, 1]] == b)))
            mean, sd = n_pairs * p, np.sqrt(n_pairs * p * (1 - p))
            assert abs(count - mean) < 5 * sd, (a, b, count, mean)
    assert abs(len(pairs) - expected_edges(sizes, p_in, p_out)) < 5 * np.sqrt(expected_edges(sizes, p_in, p_out))


def test_same_seed_same_graph_and_errors():
    a, b = (stochastic_block_model([10, 10], 0.4, 0.1, seed=7) for _ in range(2))
    assert np.array_equal(a.senders, b.senders) and np.array_equal(a.receivers, b.receivers)
    with pytest.raises(ModelError, match=r"expected p_in in \[0, 1\], found 1.5"):
        stochastic_block_model([3], 1.5, 0.0)
    with pytest.raises(ModelError, match="expected one or more block sizes >= 1"):
        stochastic_block_model([3, 0], 0.5, 0.1)
    with pytest.raises(TooLargeError, match="passes the limit"):
        stochastic_block_model([40_000, 40_000], 0.5, 0.1)
    with pytest.raises(TooLargeError, match="expecting .* edges passes the limit"):
        stochastic_block_model([5_000, 5_000], 0.5, 0.1)


def test_shipped_sample_is_the_generators_graph():
    s = load_graph("sbm3")
    g = stochastic_block_model([12, 12, 12], 0.5, 0.04, seed=0)
    assert s.n_nodes == 36 and s.y.tolist() == g.y.tolist()
    assert {tuple(p) for p in s.undirected_pairs().tolist()} == {tuple(p) for p in g.undirected_pairs().tolist()}
