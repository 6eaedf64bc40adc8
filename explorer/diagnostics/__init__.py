"""Over-smoothing diagnostics: metrics of node features per layer, deep sweeps and remedies.

Definitions follow REFERENCE.md section 1 (Rusch et al. 2023 Dirichlet energy, Cai & Wang 2020
normalised energy, Chen et al. 2020 MAD/MADGap, Roy & Vetterli effective rank). Everything runs
in torch on the CPU or a CUDA GPU (see :mod:`explorer.diagnostics.device`).
"""

from explorer.diagnostics.synthetic import csbm, random_graph

__all__ = ["csbm", "random_graph"]
