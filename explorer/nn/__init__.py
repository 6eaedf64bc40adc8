"""Neural message passing (GCN, GraphSAGE, GAT, GIN, NNConv/MPNN, graph-network blocks) that
records every message, aggregate and update, with PyTorch Geometric 2.8's numbers."""

from explorer.nn.blocks import MPNN, GNStack, GraphNetworkBlock
from explorer.nn.features import default_features
from explorer.nn.layers import MLP, GATConv, GCNConv, GINConv, NNConv, SAGEConv, make_layer
from explorer.nn.pyg_import import load_pyg_state_dict
from explorer.nn.run import build_model, receptive_fields, run_stack
from explorer.nn.stack import GNNStack, Readout, conv_specs

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GINConv", "NNConv", "MLP", "make_layer",
           "GNNStack", "Readout", "conv_specs", "GraphNetworkBlock", "GNStack", "MPNN",
           "default_features", "load_pyg_state_dict", "run_stack", "build_model", "receptive_fields"]
