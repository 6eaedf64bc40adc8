"""Each layer against its dense-matrix formula (float64), recorded == unrecorded, recorded
messages aggregate to recorded aggregates, and (when installed) PyG's own layer to 1e-5."""

import copy

import numpy as np
import pytest
import torch

from explorer.errors import ModelError
from explorer.nn.layers import MLP, GATConv, GCNConv, GINConv, NNConv, SAGEConv, make_layer
from explorer.nn.ops import sample_incoming, scatter


def random_graph(seed, n=9, p=0.3, dup=False):
    """Directed random edges plus: loops on nodes 0 and 3 (node 3 twice when ``dup``), an
    isolated node n-1, a node (n-2) that only sends, and (``dup``) one repeated edge."""
    rng = np.random.default_rng(seed)
    a = rng.random((n, n)) < p
    np.fill_diagonal(a, False)
    a[n - 1, :] = a[:, n - 1] = False
    a[:, n - 2] = False
    a[n - 2, 0] = True
    s, r = np.nonzero(a)
    s, r = list(s), list(r)
    s += [0, 3]
    r += [0, 3]
    if dup:
        s += [3, s[0]]
        r += [3, r[0]]
    order = rng.permutation(len(s))
    ei = torch.tensor(np.array([s, r])[:, order], dtype=torch.long)
    return ei, n


def dense_adj(ei, n, w=None):
    """A[i, j] = total weight of edges j -> i."""
    A = torch.zeros(n, n, dtype=torch.float64)
    w = torch.ones(ei.shape[1], dtype=torch.float64) if w is None else w
    A.index_put_((ei[1], ei[0]), w, accumulate=True)
    return A


def x_for(n, f, seed):
    return torch.randn(n, f, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def check_record(layer, x, ei, *args, reduce="sum", loops=None):
    rec = {}
    out = layer(x, ei, *args)
    out_r = layer(x, ei, *args, recorder=rec)
    assert torch.equal(out, out_r)
    assert torch.equal(rec["states"], out)
    again = scatter(rec["messages"], rec["edge_index"][1], x.shape[0], reduce)
    torch.testing.assert_close(again, rec["aggregates"], rtol=0, atol=1e-12)
    ids = rec["edge_ids"]
    kept = ids >= 0
    assert torch.equal(rec["edge_index"][:, kept], ei[:, ids[kept]])
    if loops is not None:
        assert int((~kept).sum()) == loops
    return rec


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("weighted,improved", [(False, False), (True, False), (True, True), (False, True)])
def test_gcn_dense(seed, weighted, improved):
    ei, n = random_graph(seed, dup=True)
    torch.manual_seed(seed)
    conv = GCNConv(4, 3, improved=improved).double()
    torch.nn.init.normal_(conv.bias)
    x = x_for(n, 4, seed)
    w = torch.rand(ei.shape[1], dtype=torch.float64) + 0.5 if weighted else None
    loop = ei[0] == ei[1]
    A = dense_adj(ei[:, ~loop], n, None if w is None else w[~loop])
    diag = torch.full((n,), 2.0 if (improved and weighted) else 1.0, dtype=torch.float64)
    if weighted:  # an existing loop keeps its weight; the last listed wins
        for e in torch.nonzero(loop).view(-1).tolist():
            diag[ei[0, e]] = w[e]
    A_hat = A + torch.diag(diag)
    dis = A_hat.sum(1).pow(-0.5)
    expect = dis[:, None] * A_hat * dis[None, :] @ x @ conv.lin.weight.T + conv.bias
    out = conv(x, ei, w)
    torch.testing.assert_close(out, expect, rtol=0, atol=1e-10)
    check_record(conv, x, ei, w, loops=n)


def test_gcn_without_normalisation_is_a_weighted_sum():
    ei, n = random_graph(3)
    conv = GCNConv(4, 2, normalize=False).double()
    x = x_for(n, 4, 3)
    torch.testing.assert_close(conv(x, ei), dense_adj(ei, n) @ x @ conv.lin.weight.T + conv.bias)
    with pytest.raises(ModelError, match="add_self_loops=True requires normalize=True"):
        GCNConv(2, 2, add_self_loops=True, normalize=False)


@pytest.mark.parametrize("aggr", ["mean", "max", "sum"])
@pytest.mark.parametrize("normalize", [False, True])
def test_sage_dense(aggr, normalize):
    ei, n = random_graph(5, dup=True)
    torch.manual_seed(0)
    conv = SAGEConv(4, 3, aggr=aggr, normalize=normalize).double()
    x = x_for(n, 4, 5)
    A = dense_adj(ei, n)
    if aggr == "mean":
        agg = A @ x / A.sum(1, keepdim=True).clamp(min=1)
    elif aggr == "sum":
        agg = A @ x
    else:
        agg = torch.stack([x[A[i] > 0].max(0).values if (A[i] > 0).any() else torch.zeros(4, dtype=torch.float64)
                           for i in range(n)])
    expect = agg @ conv.lin_l.weight.T + conv.lin_l.bias + x @ conv.lin_r.weight.T
    if normalize:
        expect = expect / expect.norm(dim=1, keepdim=True).clamp(min=1e-12)
    torch.testing.assert_close(conv(x, ei), expect, rtol=0, atol=1e-10)
    check_record(conv, x, ei, reduce=aggr, loops=0)


def test_sage_sampling_is_seeded_and_bounded():
    ei, n = random_graph(2, n=30, p=0.5)
    kept = sample_incoming(ei, n, 3, seed=7)
    assert torch.equal(kept, sample_incoming(ei, n, 3, seed=7))
    assert not torch.equal(kept, sample_incoming(ei, n, 3, seed=8))
    indeg = torch.bincount(ei[1], minlength=n)
    got = torch.bincount(ei[1, kept], minlength=n)
    assert torch.equal(got, indeg.clamp(max=3))
    conv = SAGEConv(2, 2, fanout=3, sample_seed=7).double()
    rec = check_record(conv, x_for(n, 2, 0), ei, reduce="mean")
    assert torch.equal(rec["edge_ids"], kept)


@pytest.mark.parametrize("heads,concat", [(1, True), (3, True), (2, False)])
def test_gat_dense(heads, concat):
    ei, n = random_graph(7)
    torch.manual_seed(1)
    conv = GATConv(4, 3, heads=heads, concat=concat).double()
    torch.nn.init.normal_(conv.bias)
    x = x_for(n, 4, 7)
    h = (x @ conv.lin.weight.T).view(n, heads, 3)
    mask = (dense_adj(ei, n) > 0) | torch.eye(n, dtype=torch.bool)
    outs, att = [], []
    for k in range(heads):
        s = (h[:, k] * conv.att_src[0, k]).sum(-1)
        d = (h[:, k] * conv.att_dst[0, k]).sum(-1)
        logits = torch.nn.functional.leaky_relu(d[:, None] + s[None, :], 0.2)
        alpha = torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=1)
        att.append(alpha)
        outs.append(alpha @ h[:, k])
    expect = torch.cat(outs, 1) if concat else torch.stack(outs).mean(0)
    expect = expect + conv.bias
    torch.testing.assert_close(conv(x, ei), expect, rtol=0, atol=1e-10)
    rec = check_record(conv, x, ei, loops=n)
    used = rec["edge_index"]
    for k in range(heads):
        torch.testing.assert_close(rec["attention"][:, k], att[k][used[1], used[0]], rtol=0, atol=1e-12)


def test_gat_dropout_only_in_training():
    ei, n = random_graph(1)
    conv = GATConv(4, 2, dropout=0.5).double().eval()
    x = x_for(n, 4, 1)
    assert torch.equal(conv(x, ei), conv(x, ei))


@pytest.mark.parametrize("eps,train_eps", [(0.0, False), (0.3, True)])
def test_gin_dense(eps, train_eps):
    ei, n = random_graph(4, dup=True)
    torch.manual_seed(2)
    conv = make_layer("gin", 4, 5, eps=eps, train_eps=train_eps).double()
    x = x_for(n, 4, 4)
    z = (1 + conv.eps.item()) * x + dense_adj(ei, n) @ x  # eps as stored (float32 -> 64)
    assert conv.eps.item() == pytest.approx(eps)
    l0, l1 = conv.nn.lins
    expect = torch.relu(z @ l0.weight.T + l0.bias) @ l1.weight.T + l1.bias
    torch.testing.assert_close(conv(x, ei), expect, rtol=0, atol=1e-10)
    assert isinstance(conv.eps, torch.nn.Parameter) == train_eps
    check_record(conv, x, ei, loops=0)


def test_nnconv_dense():
    ei, n = random_graph(6, dup=True)
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4 * 3))
    conv = NNConv(4, 3, net).double()
    torch.nn.init.normal_(conv.bias)
    x = x_for(n, 4, 6)
    ea = x_for(ei.shape[1], 2, 9)
    W = conv.nn(ea).view(-1, 4, 3)
    Wd = torch.zeros(n, n, 4, 3, dtype=torch.float64)
    Wd.index_put_((ei[1], ei[0]), W, accumulate=True)
    expect = torch.einsum("ijab,ja->ib", Wd, x) + x @ conv.lin.weight.T + conv.bias
    torch.testing.assert_close(conv(x, ei, ea), expect, rtol=0, atol=1e-10)
    check_record(conv, x, ei, ea, loops=0)


def test_bad_inputs_are_explained():
    conv = GCNConv(4, 2)
    with pytest.raises(ModelError, match="expected 4 input features per node, found 3"):
        conv(torch.randn(5, 3), torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ModelError, match=r"node 7, outside the valid range \[0, 4\]"):
        conv(torch.randn(5, 4), torch.tensor([[0], [7]]))
    with pytest.raises(ModelError, match=r"shape \[2, E\]"):
        conv(torch.randn(5, 4), torch.zeros(3, 1, dtype=torch.long))
    with pytest.raises(ModelError, match="expected a layer kind"):
        make_layer("cheb", 2, 2)


def test_empty_graph_gives_bias_only_paths():
    x = torch.randn(3, 2, dtype=torch.float64)
    ei = torch.zeros(2, 0, dtype=torch.long)
    conv = GCNConv(2, 2).double()
    torch.testing.assert_close(conv(x, ei), x @ conv.lin.weight.T + conv.bias)


# ---------------------------------------------------------------- PyG oracle
pyg = pytest.importorskip("torch_geometric")


def _pyg_pairs():
    from torch_geometric import nn as gnn
    from torch_geometric.nn.models import MLP as PygMLP

    torch.manual_seed(0)
    yield "gcn", gnn.GCNConv(4, 3), lambda: GCNConv(4, 3)
    yield "gcn-improved", gnn.GCNConv(4, 3, improved=True), lambda: GCNConv(4, 3, improved=True)
    for aggr in ("mean", "max", "sum"):
        yield f"sage-{aggr}", gnn.SAGEConv(4, 3, aggr=aggr), lambda aggr=aggr: SAGEConv(4, 3, aggr=aggr)
    yield "sage-norm", gnn.SAGEConv(4, 3, normalize=True), lambda: SAGEConv(4, 3, normalize=True)
    yield "gat", gnn.GATConv(4, 3, heads=2), lambda: GATConv(4, 3, heads=2)
    yield "gat-mean", gnn.GATConv(4, 3, heads=3, concat=False), lambda: GATConv(4, 3, heads=3, concat=False)
    m = PygMLP([4, 5, 5], norm=None)
    yield "gin", gnn.GINConv(m, eps=0.2), lambda: GINConv(MLP([4, 5, 5]), eps=0.0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.ReLU(), torch.nn.Linear(6, 12))
    yield "nnconv", gnn.NNConv(4, 3, net, aggr="add"), lambda: NNConv(4, 3, copy.deepcopy(net))


@pytest.mark.parametrize("seed", [0, 1])
def test_layers_match_pyg(seed):
    ei, n = random_graph(seed, dup=True)
    x = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))
    ea = torch.randn(ei.shape[1], 2, generator=torch.Generator().manual_seed(seed + 1))
    w = torch.rand(ei.shape[1], generator=torch.Generator().manual_seed(seed + 2)) + 0.5
    for name, theirs, ours_fn in _pyg_pairs():
        theirs.eval()
        for p in theirs.parameters():  # make biases non-zero so they are checked
            torch.nn.init.normal_(p) if p.dim() == 1 else None
        ours = ours_fn().eval()
        ours.load_state_dict(theirs.state_dict())
        if name == "nnconv":
            got, want = ours(x, ei, ea), theirs(x, ei, ea)
        elif name.startswith("gcn"):
            got, want = ours(x, ei, w), theirs(x, ei, w)
            torch.testing.assert_close(ours(x, ei), theirs(x, ei), rtol=0, atol=1e-5)
        else:
            got, want = ours(x, ei), theirs(x, ei)
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5, msg=name)


def test_gat_attention_matches_pyg():
    from torch_geometric import nn as gnn

    ei, n = random_graph(2)
    x = torch.randn(n, 4)
    theirs = gnn.GATConv(4, 3, heads=2).eval()
    ours = GATConv(4, 3, heads=2).eval()
    ours.load_state_dict(theirs.state_dict())
    _, (ei_t, att_t) = theirs(x, ei, return_attention_weights=True)
    rec = {}
    ours(x, ei, recorder=rec)
    assert torch.equal(rec["edge_index"], ei_t)
    torch.testing.assert_close(rec["attention"], att_t, rtol=0, atol=1e-6)
