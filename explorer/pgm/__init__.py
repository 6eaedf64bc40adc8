"""Discrete graphical models: factor graphs, model files, exact inference and belief propagation.

    FactorGraph, Factor                 the model (tables in C order over each factor's scope)
    from_bayesian_network, pairwise_mrf, ising_grid        builders
    read_model, read_model_bytes, load_model, write_model, MODEL_EXTENSIONS   .uai/.bif/.xmlbif
    parse_evidence, read_evidence_file, clamp               evidence
    exact_inference -> dict             every marginal, log Z and the MAP from a clique tree
    calibrate -> Trace, clique_tree     the clique-tree calibration, recorded message by message
    variable_elimination -> Trace, brute_force -> dict      one query; the test oracle
    chain_demo                          the essay's chain X1 -> ... -> X5, costs counted
    run_bp -> Trace                     sum-/max-product BP with libDAI's options and schedules

Names are imported lazily (PEP 562), so ``import explorer.pgm`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Factor": "factor_graph", "FactorGraph": "factor_graph",
    "from_bayesian_network": "builders", "pairwise_mrf": "builders", "ising_grid": "builders",
    "CPD_TOL": "builders",
    "read_model": "models", "read_model_bytes": "models", "load_model": "models",
    "write_model": "models", "MODEL_EXTENSIONS": "models", "model_samples": "models",
    "parse_evidence": "evidence", "read_evidence_file": "evidence", "clamp": "evidence",
    "check_evidence": "evidence",
    "brute_force": "exact", "BRUTE_FORCE_MAX_VARS": "exact",
    "variable_elimination": "elimination", "min_fill_order": "elimination",
    "MAX_TABLE_ENTRIES": "elimination",
    "exact_inference": "junction", "calibrate": "junction", "clique_tree": "cliques",
    "CliqueTree": "cliques", "MAX_CLIQUE_ENTRIES": "cliques",
    "chain_demo": "chain", "chain_model": "chain",
    "run_bp": "bp", "UPDATES": "bp",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer.pgm' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"explorer.pgm.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
