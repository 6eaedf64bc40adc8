"""Two general message-passing models: Battaglia's graph-network block and Gilmer's MPNN.

Graph-network block (Battaglia et al. 2018), one round::

    e'_k = phi_e(e_k, v_sk, v_rk, u)           edge update    (the "message")
    ebar_i = rho_ev({e'_k : r_k = i})            per node       (the "aggregate")
    v'_i = phi_v(ebar_i, v_i, u)                 node update
    u' = phi_u(rho_eu(E'), rho_vu(V'), u)        global update

Each phi is a two-layer :class:`~explorer.nn.layers.MLP`; each rho is sum, mean or max.

MPNN (Gilmer et al. 2017, as in PyG's ``examples/qm9_nn_conv.py``): ``h = relu(lin0(x))``, then
T times ``m = relu(NNConv(h, e))``, ``h = GRU(m, h)``; ``conv`` and ``gru`` are shared by all T
steps; an optional :class:`~explorer.nn.stack.Readout` pools the final states. Both models share :class:`~explorer.nn.stack.GNNStack`'s ``forward`` contract.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from explorer.nn.layers import MLP, NNConv
from explorer.nn.ops import Recorder, check_inputs, keep, scatter

__all__ = ["GraphNetworkBlock", "GNStack", "MPNN"]


class GraphNetworkBlock(nn.Module):
    """One full graph-network block (edge, node and global updates).

    Shapes:
        x ``[N, dv]``, edge_attr ``[E, de]``, u ``[B, du]``, batch ``[N]`` ->
        ``(x' [N, out], e' [E, out], u' [B, out])``.
    """

    def __init__(self, node_in: int, edge_in: int, global_in: int, out: int, hidden: int | None = None,
                 aggr: str = "sum"):
        super().__init__()
        hid = hidden or out
        self.aggr = aggr
        self.phi_e = MLP([edge_in + 2 * node_in + global_in, hid, out])
        self.phi_v = MLP([out + node_in + global_in, hid, out])
        self.phi_u = MLP([out + out + global_in, hid, out])

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, u: Tensor,
                batch: Tensor, *, recorder: Recorder | None = None) -> tuple[Tensor, Tensor, Tensor]:
        parts = self.substeps(x, edge_index, edge_attr, u, batch)
        keep(recorder, edge_index=edge_index, edge_ids=torch.arange(edge_index.shape[1], device=x.device),
             messages=parts["phi_e"], aggregates=parts["rho_ev"], states=parts["phi_v"],
             globals=parts["phi_u"])
        return parts["phi_v"], parts["phi_e"], parts["phi_u"]

    def substeps(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, u: Tensor,
                 batch: Tensor) -> dict[str, Tensor]:
        """The block's six sub-steps in order, each output under its name (``forward`` is this).

        Returns:
            ``{"phi_e": e' [E, out], "rho_ev": ebar' [N, out], "phi_v": v' [N, out],
            "rho_eu": ebar' (all edges) [B, out], "rho_vu": vbar' [B, out], "phi_u": u' [B, out]}``
            (see :func:`explorer.nn.gn_steps.gn_substeps` for the inputs of each).
        """
        check_inputs(x, edge_index, None, "GraphNetworkBlock")
        s, r = edge_index
        n, b = x.shape[0], u.shape[0]
        out: dict[str, Tensor] = {}
        out["phi_e"] = self.message(edge_attr, x[s], x[r], u[batch[s]])
        out["rho_ev"] = self.aggregate(out["phi_e"], r, n)
        out["phi_v"] = self.phi_v(torch.cat([out["rho_ev"], x, u[batch]], dim=1))
        out["rho_eu"] = scatter(out["phi_e"], batch[s], b, self.aggr)
        out["rho_vu"] = scatter(out["phi_v"], batch, b, self.aggr)
        out["phi_u"] = self.phi_u(torch.cat([out["rho_eu"], out["rho_vu"], u], dim=1))
        return out

    def message(self, e: Tensor, v_s: Tensor, v_r: Tensor, u_e: Tensor) -> Tensor:
        """The edge update ``phi_e(e, v_s, v_r, u)``."""
        return self.phi_e(torch.cat([e, v_s, v_r, u_e], dim=1))

    def aggregate(self, e_new: Tensor, index: Tensor, n: int) -> Tensor:
        """``rho_ev``: the updated edges arriving at each node."""
        return scatter(e_new, index, n, self.aggr)


class GNStack(nn.Module):
    """``layers`` graph-network blocks in sequence (no extra activation: each phi is an MLP).

    The first block reads the node features, the graph's edge features (or edge weights, or a
    constant 1 per edge) and a zero global vector of width 1; every block outputs ``hidden``.
    The graph-level output is the last global state ``u``.
    """

    def __init__(self, in_channels: int, edge_dim: int, hidden: int, layers: int, aggr: str = "sum"):
        super().__init__()
        dims = [(in_channels, edge_dim, 1)] + [(hidden, hidden, hidden)] * (layers - 1)
        self.blocks = nn.ModuleList(GraphNetworkBlock(v, e, g, hidden, aggr=aggr) for v, e, g in dims)
        self.out_dim = hidden

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, *,
                recorders: list[Recorder] | None = None, batch: Tensor | None = None,
                n_graphs: int | None = None) -> tuple[Tensor, list[Tensor], Tensor, None]:
        if batch is None:
            batch, n_graphs = torch.zeros(x.shape[0], dtype=torch.long, device=x.device), 1
        u = x.new_zeros((int(n_graphs), 1))
        states, e = [], edge_attr
        for k, block in enumerate(self.blocks):
            x, e, u = block(x, edge_index, e, u, batch, recorder=None if recorders is None else recorders[k])
            states.append(x)
        return x, states, u, None


class MPNN(nn.Module):
    """Gilmer's edge-network MPNN: ``lin0``, then T steps of shared ``NNConv`` + ``GRU``.

    ``conv.nn`` maps an edge's features to a ``[hidden, hidden]`` matrix through a hidden layer
    of width ``edge_hidden``. ``out_dim`` is ``hidden``.
    """

    def __init__(self, in_channels: int, edge_dim: int, hidden: int, steps: int, aggr: str = "add",
                 edge_hidden: int = 32, readout: str | None = None):
        super().__init__()
        from explorer.nn.stack import Readout

        self.steps, self.out_dim = steps, hidden
        self.readout = Readout(readout, hidden) if readout else None
        self.lin0 = nn.Linear(in_channels, hidden)
        net = nn.Sequential(nn.Linear(edge_dim, edge_hidden), nn.ReLU(), nn.Linear(edge_hidden, hidden * hidden))
        self.conv = NNConv(hidden, hidden, net, aggr=aggr)
        self.gru = nn.GRU(hidden, hidden)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, *,
                recorders: list[Recorder] | None = None, batch: Tensor | None = None,
                n_graphs: int | None = None) -> tuple[Tensor, list[Tensor], Tensor | None, Tensor | None]:
        out = self.lin0(x).relu()
        h = out.unsqueeze(0)
        states = []
        for t in range(self.steps):
            rec = None if recorders is None else recorders[t]
            m = self.conv(out, edge_index, edge_attr, recorder=rec).relu()
            out, h = self.gru(m.unsqueeze(0), h)
            out = out.squeeze(0)
            keep(rec, gru_input=m, states=out)
            states.append(out)
        if self.readout is None:
            return out, states, None, None
        return (out, states) + self.readout(out, batch, n_graphs)
