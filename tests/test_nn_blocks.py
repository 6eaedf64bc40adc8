"""Graph-network block and MPNN against edge-by-edge reference loops (and PyG's NNConv)."""

import numpy as np
import pytest
import torch

from explorer.nn.blocks import MPNN, GNStack, GraphNetworkBlock


def graph(seed=0, n=7):
    rng = np.random.default_rng(seed)
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, n - 1, (12, 2))] + [(2, 2)]  # node n-1 isolated
    ei = torch.tensor(pairs, dtype=torch.long).T
    return ei, n


@pytest.mark.parametrize("aggr", ["sum", "mean", "max"])
def test_gn_block_against_a_loop(aggr):
    ei, n = graph()
    torch.manual_seed(0)
    blk = GraphNetworkBlock(3, 2, 4, 5, aggr=aggr).double()
    x = torch.randn(n, 3, dtype=torch.float64)
    ea = torch.randn(ei.shape[1], 2, dtype=torch.float64)
    u = torch.randn(1, 4, dtype=torch.float64)
    batch = torch.zeros(n, dtype=torch.long)
    rec = {}
    v_new, e_new, u_new = blk(x, ei, ea, u, batch, recorder=rec)
    red = {"sum": lambda t: t.sum(0), "mean": lambda t: t.mean(0), "max": lambda t: t.max(0).values}[aggr]
    e_ref = torch.stack([blk.phi_e(torch.cat([ea[k], x[ei[0, k]], x[ei[1, k]], u[0]])) for k in range(ei.shape[1])])
    torch.testing.assert_close(e_new, e_ref)
    v_ref = []
    for i in range(n):
        inc = e_ref[ei[1] == i]
        ebar = red(inc) if len(inc) else torch.zeros(5, dtype=torch.float64)
        v_ref.append(blk.phi_v(torch.cat([ebar, x[i], u[0]])))
    v_ref = torch.stack(v_ref)
    torch.testing.assert_close(v_new, v_ref)
    u_ref = blk.phi_u(torch.cat([red(e_ref), red(v_ref), u[0]]))
    torch.testing.assert_close(u_new[0], u_ref)
    assert torch.equal(rec["messages"], e_new) and torch.equal(rec["globals"], u_new)


def test_gn_stack_batches_graphs_independently():
    ei, n = graph(1)
    torch.manual_seed(0)
    net = GNStack(3, 1, 6, layers=2)
    x = torch.randn(n, 3)
    ea = torch.ones(ei.shape[1], 1)
    _, _, u_one, _ = net(x, ei, ea)
    both = torch.cat([ei, ei + n], dim=1)
    batch = torch.repeat_interleave(torch.arange(2), n)
    _, _, u_two, _ = net(torch.cat([x, x]), both, torch.cat([ea, ea]), batch=batch, n_graphs=2)
    torch.testing.assert_close(u_two, torch.cat([u_one, u_one]))


def test_mpnn_against_a_loop_with_gru_cell():
    ei, n = graph(2)
    torch.manual_seed(1)
    m = MPNN(3, 2, hidden=4, steps=3).double()
    x = torch.randn(n, 3, dtype=torch.float64)
    ea = torch.randn(ei.shape[1], 2, dtype=torch.float64)
    recs = [{} for _ in range(3)]
    out, states, _, _ = m(x, ei, ea, recorders=recs)
    cell = torch.nn.GRUCell(4, 4).double()
    cell.load_state_dict({k.replace("_l0", ""): v for k, v in m.gru.state_dict().items()})
    h = torch.relu(x @ m.lin0.weight.T + m.lin0.bias)
    for t in range(3):
        agg = torch.zeros(n, 4, dtype=torch.float64)
        for k in range(ei.shape[1]):
            W = m.conv.nn(ea[k]).view(4, 4)
            agg[ei[1, k]] += h[ei[0, k]] @ W
        msg = torch.relu(agg + h @ m.conv.lin.weight.T + m.conv.bias)
        h = cell(msg, h)
        torch.testing.assert_close(states[t], h)
        torch.testing.assert_close(recs[t]["aggregates"], agg)
    torch.testing.assert_close(out, h)
