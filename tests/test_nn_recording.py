"""Recording that scales: receptive fields against a BFS oracle (networkx), recorded runs equal to
unrecorded ones, and the Trace budget checked before anything runs."""

import networkx as nx
import numpy as np
import pytest

from explorer.errors import ModelError, TooLargeError
from explorer.graph import Graph
from explorer.nn import (estimate_trace_bytes, field_members, field_sizes, neighbourhood_sample,
                         receptive_field, receptive_fields, run_stack)
from explorer.nn import recording
from explorer.nn.stack import GNNStack, conv_specs
from explorer.trace import trace_nbytes, validate_trace

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def random_graph(n: int, e: int, seed: int, *, hub: bool = False) -> Graph:
    """Directed random edges with self-loops and duplicates allowed (and isolated nodes, as
    they fall); ``hub`` adds 40 edges into node 0 (a long run of edges into one receiver)."""
    rng = np.random.default_rng(seed)
    s, r = rng.integers(0, n, e), rng.integers(0, n, e)
    if hub:
        s, r = np.r_[s, rng.integers(0, n, 40)], np.r_[r, np.zeros(40, int)]
    return Graph(n, s, r, directed=True, x=rng.standard_normal((n, 3)))


def oracle(g: Graph, node: int, k: int) -> list[int]:
    """Nodes with a path of at most k edges to ``node`` (BFS on the reversed graph)."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_edges_from(zip(g.receivers.tolist(), g.senders.tolist()))
    return sorted(nx.single_source_shortest_path_length(G, node, cutoff=k))


# sizes across the 64-bit word boundaries; sparse to dense; with a hub
CASES = [(1, 0, 0, False), (5, 8, 1, False), (63, 120, 2, False), (64, 64, 3, True),
         (65, 300, 4, False), (130, 200, 5, True), (150, 1500, 6, False)]


@pytest.mark.parametrize("n,e,seed,hub", CASES)
def test_receptive_fields_equal_bfs_oracle(n, e, seed, hub):
    g = random_graph(n, e, seed, hub=hub)
    depth = 4
    bits = receptive_fields(g, depth)
    assert len(bits) == depth and bits[0].shape == (n, (n + 63) // 64)
    rng = np.random.default_rng(seed)
    nodes = range(n) if n <= 65 else rng.choice(n, 25, replace=False)
    for i in nodes:
        one = receptive_field(g, int(i), depth)
        for k in range(depth):
            want = oracle(g, int(i), k + 1)
            assert field_members(bits[k], int(i)).tolist() == want
            assert one[k].tolist() == want
            assert field_sizes(bits[k])[i] == len(want)


def test_fields_gathered_in_small_chunks_equal_bfs_oracle(monkeypatch):
    # a round gathers its edges in chunks of at most _CHUNK words; tiny chunks (a hub's run of
    # edges then spans several) must give the same fields as one gather
    monkeypatch.setattr(recording, "_CHUNK", 5)
    for n, e, seed, hub in [(130, 200, 5, True), (70, 40, 8, False)]:   # the second: sparse
        g = random_graph(n, e, seed, hub=hub)
        bits = receptive_fields(g, 4)
        ex = recording.field_extras(g, 4, set_limit=0)
        for k in range(4):
            want = [len(oracle(g, i, k + 1)) for i in range(n)]
            assert field_sizes(bits[k]).tolist() == want
            assert ex[k]["receptive_field"].tolist() == want


def test_fields_from_threads_sharing_the_gather_buffer_equal_bfs_oracle(monkeypatch):
    # rounds gather into one shared buffer when no other thread holds it, else into their own:
    # threads computing fields at once (the app's sessions) must each get their graph's fields
    import threading
    monkeypatch.setattr(recording, "_CHUNK", 64)        # several gathers per round
    graphs = [random_graph(n, e, seed, hub=hub) for n, e, seed, hub in
              [(130, 200, 5, True), (70, 300, 8, False), (65, 300, 4, False), (150, 900, 6, False)]]
    want = [[[len(oracle(g, i, k + 1)) for i in range(g.n_nodes)] for k in range(3)] for g in graphs]
    got: dict = {}
    errors: list = []

    def work(j: int) -> None:
        try:
            for _ in range(5):
                got.setdefault(j, []).append([field_sizes(b).tolist() for b in receptive_fields(graphs[j], 3)])
        except Exception as e:          # a thread's exception would not fail the test by itself
            errors.append(e)

    threads = [threading.Thread(target=work, args=(j,)) for j in range(len(graphs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for j in range(len(graphs)):
        assert len(got[j]) == 5 and all(sizes == want[j] for sizes in got[j])


def test_fields_in_the_trace_and_refused_work(monkeypatch):
    g = random_graph(40, 90, 7)
    t = run_stack(g, layer="gcn", layers=3, hidden=4, record_fields=True)
    for k in range(3):
        sizes = [len(oracle(g, i, k + 1)) for i in range(40)]
        assert t.steps[k].extras["receptive_field"].tolist() == sizes
        assert [a.tolist() for a in t.steps[k].extras["receptive_field_sets"]] == \
            [oracle(g, i, k + 1) for i in range(40)]
    assert t.result["receptive_fields_notice"] is None
    import pickle
    from explorer.trace import Trace
    for back in (Trace.from_json(t.to_json()), pickle.loads(pickle.dumps(t))):  # the sets travel
        for k in range(3):
            assert [a.tolist() for a in back.steps[k].extras["receptive_field_sets"]] == \
                [oracle(g, i, k + 1) for i in range(40)]
    assert receptive_fields(g, 3, work_limit=recording.rf_work(g, 3) - 1) is None
    assert receptive_fields(g, 3, work_limit=recording.rf_work(g, 3)) is not None
    monkeypatch.setattr(recording, "RF_WORK_LIMIT", 0)
    t = run_stack(g, layer="gcn", layers=3, hidden=4, record_fields=True)
    assert "receptive_field" not in t.steps[0].extras
    assert "receptive_field(graph, node, depth)" in t.result["receptive_fields_notice"]
    # beyond the floor, fields may take RF_SHARE of the recorded words
    monkeypatch.setattr(recording, "RF_WORK_LIMIT", 10**9)
    monkeypatch.setattr(recording, "RF_FLOOR", 0)
    est = estimate_trace_bytes(g, "gcn", conv_specs("gcn", 3, 4, 3), layers=3, hidden=4, fields=True)
    work = recording.rf_work(g, 3)
    for share, computed in ((work * 4 / est * 1.01, True), (work * 4 / est * 0.99, False)):
        monkeypatch.setattr(recording, "RF_SHARE", share)
        t = run_stack(g, layer="gcn", layers=3, hidden=4, record_fields=True)
        assert ("receptive_field" in t.steps[0].extras) is computed


def test_fields_are_cached_per_graph_and_stay_right():
    recording.clear_field_cache()
    g = random_graph(70, 200, 11)
    other = random_graph(70, 200, 12)                   # same sizes, other edges
    calls = []
    real = recording._or_rounds                         # the bitset rounds behind every field

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    recording._or_rounds = counting
    try:
        a = run_stack(g, layer="gcn", layers=3, hidden=4, record_fields=True)
        b = run_stack(g, layer="sage", layers=2, hidden=5, seed=3, record_fields=True)      # fewer rounds: cached
        c = run_stack(other, layer="gcn", layers=3, hidden=4, record_fields=True)
    finally:
        recording._or_rounds = real
    assert len(calls) == 2                              # once per graph
    for t, graph, depth in ((a, g, 3), (b, g, 2), (c, other, 3)):
        for k in range(depth):
            ex = t.steps[k].extras
            assert ex["receptive_field"].tolist() == [len(oracle(graph, i, k + 1)) for i in range(70)]
            assert [x.tolist() for x in ex["receptive_field_sets"]] == \
                [oracle(graph, i, k + 1) for i in range(70)]
            assert not ex["receptive_field"].flags.writeable     # shared: nobody may change it
    assert a.steps[0].extras["receptive_field_sets"] is not b.steps[0].extras["receptive_field_sets"]


@pytest.mark.parametrize("layer,opts", [("gcn", {}), ("sage", {"fanout": 3}), ("sage", {}),
                                        ("gat", {"heads": 2}), ("gin", {}), ("mpnn", {}), ("gn", {})])
def test_recorded_equals_unrecorded_and_estimate_matches(layer, opts):
    g = random_graph(400, 2500, 11)   # over 300 nodes: no field sets (their bound is not exact)
    kw = dict(layer=layer, layers=2, hidden=6, seed=1, features="x", **opts)
    rec, plain = run_stack(g, **kw), run_stack(g, record=False, **kw)
    validate_trace(rec)
    assert np.array_equal(rec.result["output"], plain.result["output"])
    for a, b in zip(rec.result["layers"], plain.result["layers"]):
        assert np.array_equal(a, b)
    # messages add up to the aggregates (sum kinds), so the sliced views hold the right rows
    if layer in ("gcn", "gat", "gin"):
        step = rec.steps[1]
        agg = np.zeros(step.aggregates.shape)
        np.add.at(agg, g.receivers[step.edges], step.messages)
        agg += step.extras.get("self_loop_messages", 0)
        np.testing.assert_allclose(agg, step.aggregates, atol=1e-5)
    specs = conv_specs(layer, 3, 6, 2, None, opts.get("heads", 1)) if layer not in ("mpnn", "gn") else None
    est = estimate_trace_bytes(g, layer, specs, layers=2, hidden=6, fanout=opts.get("fanout"))
    held = trace_nbytes(rec)
    assert abs(est - held) <= 0.05 * held, (est, held)


def test_budget_refused_before_running(monkeypatch):
    g = random_graph(500, 5000, 3)
    kw = dict(layer="gcn", layers=3, hidden=8, seed=0, features="x")
    held = trace_nbytes(run_stack(g, **kw))
    est = estimate_trace_bytes(g, "gcn", conv_specs("gcn", 3, 8, 3), layers=3, hidden=8)
    run_stack(g, record_budget=est, **kw)                      # exactly at the budget: runs

    def forbidden(*a, **k):
        raise AssertionError("the model ran although the budget was passed")

    monkeypatch.setattr(GNNStack, "forward", forbidden)
    budget = est * 2 // 3                                        # two of three layers fit
    with pytest.raises(TooLargeError, match=r"record at most 2 layers.*record=False.*"
                                            r"neighbourhood_sample\(graph, \d+\)") as err:
        run_stack(g, record_budget=budget, **kw)
    assert err.value.size == est and err.value.limit == budget
    assert f"{est / 2**20:,.1f} MiB" in str(err.value) and abs(est - held) <= 0.05 * held
    monkeypatch.undo()
    assert run_stack(g, record=False, record_budget=1, **kw).result["output"].shape == (500, 8)


def test_neighbourhood_sample_keeps_induced_edges_and_fields():
    g = random_graph(200, 600, 9)
    g = Graph(g.n_nodes, g.senders, g.receivers, directed=True, x=g.x, node_ids=[f"n{i}" for i in range(200)],
              edge_weight=np.arange(g.n_edges, dtype=float))
    sub = neighbourhood_sample(g, 50, seed=2)
    assert sub.n_nodes == 50
    kept = [int(i[1:]) for i in sub.ids]
    assert kept == sorted(kept)
    pos = {v: k for k, v in enumerate(kept)}
    want = sorted((pos[s], pos[r], w) for s, r, w in zip(g.senders, g.receivers, g.edge_weight)
                  if s in pos and r in pos)
    assert sorted(zip(sub.senders.tolist(), sub.receivers.tolist(), sub.edge_weight.tolist())) == want
    np.testing.assert_array_equal(sub.x, g.x[kept])
    assert neighbourhood_sample(g, 500) is g
    with pytest.raises(ModelError, match="max_nodes >= 1"):
        neighbourhood_sample(g, 0)
