"""Over-smoothing diagnostics: metrics of node features per layer, deep sweeps and remedies.

Definitions follow REFERENCE.md section 1 (Rusch et al. 2023 Dirichlet energy, Cai & Wang 2020
normalised energy, Chen et al. 2020 MAD/MADGap, Roy & Vetterli effective rank); see
:mod:`explorer.diagnostics.metrics` for which number is which. Everything runs in torch on the
CPU or a CUDA GPU (:func:`resolve_device`); nothing here imports streamlit.

    metrics.py    the metrics and all_metrics (one layer)      pairs.py  MAD, MADGap, cosine
    context.py    cleaned edges + exact/sampled pair plan       hops.py   bounded BFS hop table
    remedies.py   PairNorm, GCN2Conv (GCNII), DropEdge           stack.py  the deep stack
    sweep.py      depth_sweep -> SweepResult                    trace.py  sweep_to_trace
    probe.py      accuracy_vs_depth (linear probe on the CSBM)
    synthetic.py  contextual SBM and G(n, m) graphs             device.py resolve_device
    commands.py   the ``oversmooth`` CLI command
"""

from explorer.diagnostics.context import MetricContext
from explorer.diagnostics.device import resolve_device
from explorer.diagnostics.hops import HopTable, hop_table
from explorer.diagnostics.metrics import (METRIC_KEYS, all_metrics, dirichlet_energy,
                                          dirichlet_energy_normalized, effective_rank, feature_norm,
                                          mad, mad_gap, mean_cosine_similarity, numerical_rank,
                                          survey_measure)
from explorer.diagnostics.synthetic import csbm, random_graph

__all__ = ["csbm", "random_graph", "resolve_device", "HopTable", "hop_table", "METRIC_KEYS",
           "all_metrics", "dirichlet_energy", "dirichlet_energy_normalized", "effective_rank",
           "feature_norm", "mad", "mad_gap", "mean_cosine_similarity", "numerical_rank",
           "survey_measure", "MetricContext", "depth_sweep", "SweepResult", "sweep_to_trace",
           "MAX_DEPTH", "accuracy_vs_depth", "DeepStack"]


def __getattr__(name: str):
    # The sweep pulls in explorer.nn; import it lazily so the metrics stay light.
    if name in ("depth_sweep", "SweepResult", "MAX_DEPTH"):
        from explorer.diagnostics import sweep
        return getattr(sweep, name)
    if name == "sweep_to_trace":
        from explorer.diagnostics.trace import sweep_to_trace
        return sweep_to_trace
    if name == "accuracy_vs_depth":
        from explorer.diagnostics.probe import accuracy_vs_depth
        return accuracy_vs_depth
    if name == "DeepStack":
        from explorer.diagnostics.stack import DeepStack
        return DeepStack
    raise AttributeError(f"module 'explorer.diagnostics' has no attribute {name!r}")
