"""The model samples that are generated rather than copied: how ``sample_graphs/models/`` was made.

``write_generated_models(folder)`` rewrites the generated files; the standard networks (asia,
cancer, earthquake, sachs, survey) are copied BIF files and are not touched. A test checks that
the committed files equal what these builders produce.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from explorer.pgm.builders import from_bayesian_network, ising_grid, pairwise_mrf
from explorer.pgm.chain import chain_model
from explorer.pgm.factor_graph import FactorGraph
from explorer.pgm.models import write_model

__all__ = ["student_network", "four_cycle", "tree_mrf", "generated_models", "write_generated_models"]


def student_network() -> FactorGraph:
    """A student-style network: Difficulty, Intelligence -> Grade -> Letter; Intelligence -> SAT.

    The numbers are this project's own (chosen to be easy to reason about), not a textbook's.
    """
    states = {"Difficulty": ["easy", "hard"], "Intelligence": ["average", "high"],
              "Grade": ["A", "B", "C"], "SAT": ["low", "high"], "Letter": ["weak", "strong"]}
    cpds = {
        "Difficulty": ([], [0.6, 0.4]),
        "Intelligence": ([], [0.7, 0.3]),
        "Grade": (["Difficulty", "Intelligence"], [[[0.3, 0.4, 0.3], [0.8, 0.15, 0.05]],
                                                   [[0.1, 0.3, 0.6], [0.5, 0.3, 0.2]]]),
        "SAT": (["Intelligence"], [[0.9, 0.1], [0.25, 0.75]]),
        "Letter": (["Grade"], [[0.1, 0.9], [0.4, 0.6], [0.95, 0.05]]),
    }
    return from_bayesian_network(states, cpds, name="student")


def four_cycle(coupling: float = 4.0) -> FactorGraph:
    """A frustrated 4-cycle A - B - C - D - A of binary variables.

    Couplings ``+J, +J, -J, +J`` (one anti-ferromagnetic edge, so no assignment satisfies every
    edge) and a field of 1 on A only: ``psi = exp(±J s_i s_j)``, ``phi_A = exp(s_A)``.
    With J = 4 undamped parallel BP keeps swinging (A's belief jumps between about 0.86 and
    0.14 every four iterations) while damping 0.5 settles in about 240 iterations.
    """
    same = np.array([[1.0, -1.0], [-1.0, 1.0]])
    signs = {("A", "B"): 1, ("B", "C"): 1, ("C", "D"): -1, ("D", "A"): 1}
    pairs = [(a, b, np.exp(s * coupling * same)) for (a, b), s in signs.items()]
    return pairwise_mrf({v: ["+", "-"] for v in "ABCD"}, {"A": np.exp([1.0, -1.0])}, pairs,
                        name="four-cycle")


def tree_mrf() -> FactorGraph:
    """A tree-shaped pairwise MRF: a 3-state root with two binary children, each with two
    binary children (7 variables, mixed cardinalities, soft agreement potentials)."""
    states = {"R": ["0", "1", "2"], "L": ["0", "1"], "M": ["0", "1"],
              "L1": ["0", "1"], "L2": ["0", "1"], "M1": ["0", "1"], "M2": ["0", "1"]}
    unary = {"R": [1.0, 2.0, 1.5], "L1": [2.0, 1.0], "M2": [1.0, 4.0]}
    agree = np.array([[3.0, 1.0], [1.0, 3.0]])
    root = np.array([[3.0, 1.0], [1.0, 3.0], [2.5, 1.5]])
    pairs = [("R", "L", root), ("R", "M", root), ("L", "L1", agree), ("L", "L2", agree),
             ("M", "M1", agree), ("M", "M2", agree)]
    return pairwise_mrf(states, unary, pairs, name="tree MRF")


def generated_models() -> dict[str, FactorGraph]:
    """``{file name: model}`` for every generated sample file."""
    ising, _ = ising_grid(10, 10, coupling=0.8, field=1.0, noise=0.15, seed=7)
    return {"chain_bn.bif": chain_model(5, 2), "student.xmlbif": student_network(),
            "ising10.uai": ising, "four_cycle.uai": four_cycle(), "tree_mrf.uai": tree_mrf()}


def write_generated_models(folder: str | Path) -> list[Path]:
    """Write every generated sample into ``folder``; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [write_model(fg, folder / name) for name, fg in generated_models().items()]
