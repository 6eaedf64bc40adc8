"""Neural message passing (GCN, GraphSAGE, GAT, GIN, NNConv/MPNN, graph-network blocks) that
records every message, aggregate and update, with PyTorch Geometric 2.8's numbers."""

from explorer.nn.analysis import permutation_check, permute_graph
from explorer.nn.blocks import MPNN, GNStack, GraphNetworkBlock
from explorer.nn.features import default_features
from explorer.nn.operators import operator_formula, operator_terms, reference_operator
from explorer.nn.layers import MLP, GATConv, GCNConv, GINConv, NNConv, SAGEConv, make_layer
from explorer.nn.pyg_import import load_pyg_state_dict
from explorer.nn.recording import (estimate_trace_bytes, field_members, field_sizes, neighbourhood_sample,
                                   receptive_field, receptive_fields)
from explorer.nn.run import build_model, run_stack
from explorer.nn.stack import GNNStack, Readout, conv_specs
from explorer.nn.train import TrainResult, cycles_vs_paths, train_graph_classifier, train_node_classifier
from explorer.nn.wl import multiset_demo, wl_equivalent, wl_refine

__all__ = ["GCNConv", "SAGEConv", "GATConv", "GINConv", "NNConv", "MLP", "make_layer",
           "GNNStack", "Readout", "conv_specs", "GraphNetworkBlock", "GNStack", "MPNN",
           "default_features", "load_pyg_state_dict", "run_stack", "build_model", "receptive_fields",
           "reference_operator", "operator_terms", "operator_formula", "wl_refine", "wl_equivalent",
           "multiset_demo", "permutation_check", "permute_graph", "train_node_classifier",
           "receptive_field", "field_sizes", "field_members", "estimate_trace_bytes", "neighbourhood_sample",
           "train_graph_classifier", "cycles_vs_paths", "TrainResult"]
