"""Neural message passing (GCN, GraphSAGE, GAT, GIN, NNConv/MPNN, graph-network blocks) that
records every message, aggregate and update, with PyTorch Geometric 2.8's numbers."""

from explorer.nn.layers import GATConv, GCNConv, GINConv, MLP, NNConv, SAGEConv, make_layer

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GINConv", "NNConv", "MLP", "make_layer"]
