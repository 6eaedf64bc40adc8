"""MAP done right: max-product BP against the *exact* MAP, variable by variable.

In max mode BP's beliefs are max-marginals, so the only fair reference is the exact
max-marginal (a max-product calibration of the clique tree, ``exact_inference``'s
``max_marginals``), never the sum marginals. Both sides are scaled to sum 1. A variable whose
exact max-marginal has several maximisers is a *tie*: several MAP assignments exist, the exact
traceback picked one, and BP picking another maximiser is reported as a tie, not an error.

    compare_map(bp, exact, fg)        plain rows and counts (no streamlit; tested)
    map_comparison(trace, exact, fg)  the panel: counts, the table, and a lattice image on grids
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import streamlit as st

from explorer.ui import components, tables
from explorer.viz import grid_view

__all__ = ["compare_map", "map_comparison", "TIE_TOL"]

#: relative tolerance under which two max-marginal entries count as tied
TIE_TOL = 1e-9


def _maximisers(dist: Mapping[str, float]) -> list[str]:
    values = np.array(list(dist.values()), dtype=float)
    top = values.max()
    return [s for s, v in dist.items() if v >= top * (1 - TIE_TOL)]


def compare_map(bp: Mapping[str, Any], exact: Mapping[str, Any], fg: Any) -> dict:
    """BP's MAP and max-marginals against the exact ones, per variable.

    Args:
        bp: a max-product BP result (``map``, ``marginals`` = BP's max-marginals).
        exact: :func:`explorer.pgm.exact_inference`'s dict (``map``, ``max_marginals``,
            ``map_ties``).
        fg: the model (state names, variable order).

    Returns:
        ``{"rows": [...], "match": int, "tie": int, "mismatch": int, "max_diff": float,
        "ties": {VAR: [every maximising state]}}`` (variables whose exact max-marginal ties); a row
        has ``variable``, ``BP MAP``, ``BP max-marginal`` (of BP's state), ``exact MAP``,
        ``exact max-marginal`` (of the exact state), ``largest |Δ|`` (over all states of the
        two max-marginal vectors), ``exact maximisers`` (every state reaching the exact
        maximum) and ``agree`` (``"match"``, ``"tie"``: a different state that is also an exact
        maximiser, or ``"mismatch"``).
    """
    rows, counts, worst, ties = [], {"match": 0, "tie": 0, "mismatch": 0}, 0.0, {}
    for name, s_ex in exact["map"].items():
        mm_ex, mm_bp = exact["max_marginals"][name], bp["marginals"][name]
        s_bp = bp["map"][name]
        maxers = _maximisers(mm_ex)
        diff = max(abs(mm_ex[s] - mm_bp[s]) for s in mm_ex)
        worst = max(worst, diff)
        if len(maxers) > 1:
            ties[name] = maxers
        agree = "match" if s_bp == s_ex else ("tie" if s_bp in maxers else "mismatch")
        counts[agree] += 1
        rows.append({"variable": name, "BP MAP": s_bp, "BP max-marginal": round(mm_bp[s_bp], 6),
                     "exact MAP": s_ex, "exact max-marginal": round(mm_ex[s_ex], 6),
                     "largest |Δ|": f"{diff:.1e}",
                     "exact maximisers": ", ".join(maxers) + (" (tie)" if len(maxers) > 1 else ""),
                     "agree": agree})
    return {"rows": rows, **counts, "max_diff": worst, "ties": ties}


def _grid_panels(fg: Any, bp: Mapping, exact: Mapping, shape: tuple[int, int]) -> list:
    binary = all(c == 2 for c in fg.cards)

    def state_image(mapping: Mapping[str, str]) -> list[float]:
        return [float(fg.states[i].index(mapping[n])) if n in mapping else np.nan
                for i, n in enumerate(fg.names)]

    def belief(dists: Mapping, mapping: Mapping[str, str]) -> list[float]:
        if binary:   # the max-marginal of state index 1 (the "on" pixel)
            return [float(list(dists[n].values())[1]) if n in dists else np.nan for n in fg.names]
        return [float(dists[n][mapping[n]]) if n in dists else np.nan for n in fg.names]

    top = max(fg.cards) - 1
    ex_img, bp_img = state_image(exact["map"]), state_image(bp["map"])
    what = f"[{fg.states[0][1]}]" if binary else "[MAP]"
    return [("exact MAP", ex_img, 0, top, "Greys", None),
            ("BP MAP", bp_img, 0, top, "Greys", None),
            (f"BP max-marg.{what}", belief(bp["marginals"], bp["map"]), 0, 1, "Viridis", None),
            (f"exact max-marg.{what}", belief(exact["max_marginals"], exact["map"]), 0, 1,
             "Viridis", None),
            ("BP ≠ exact MAP", [float(a != b) if not np.isnan(a) else np.nan
                                  for a, b in zip(ex_img, bp_img)], 0, 1, "Reds", None)]


def map_comparison(trace: Any, exact: Mapping[str, Any], fg: Any) -> dict:
    """Draw the MAP panel for a max-product BP ``trace``; return :func:`compare_map`'s dict."""
    cmp = compare_map(trace.result, exact, fg)
    st.subheader("MAP: max-product BP against the exact MAP")
    st.caption("Exact = a max-product calibration of the clique tree: the true MAP assignment "
               "and the exact max-marginals (the largest probability of any full assignment "
               "with that state), both scaled to sum 1 like BP's. Sum marginals are a different "
               "question and are not compared here.")
    c = st.columns(4)
    c[0].metric("Same state as the exact MAP", cmp["match"])
    c[1].metric("Another exact maximiser (tie)", cmp["tie"])
    c[2].metric("Different state", cmp["mismatch"])
    c[3].metric("Largest max-marginal error", f"{cmp['max_diff']:.2g}")
    if cmp["ties"]:
        st.caption(f"Ties in the exact max-marginals ({len(cmp['ties'])}): "
                   + "; ".join(f"{v} (states {', '.join(s)})" for v, s in cmp["ties"].items())
                   + ". Several MAP assignments reach the maximum; the exact traceback chose one "
                     "consistent assignment, the one shown.")
    shape = grid_view.grid_shape(fg)
    if shape is not None:
        fig = grid_view.lattice_figure(shape, _grid_panels(fg, trace.result, exact, shape),
                                       title=f"The {shape[0]}×{shape[1]} lattice as an image")
        components.figure(fig, key="map.lattice", config={"displaylogo": False})
        st.caption("Pixel (r, c) is variable r·cols + c. Black = the highest state (grey lines "
                   "separate pixels); the "
                   "max-marginal panels run from 0 (dark) to 1 (yellow); red marks a pixel whose "
                   "BP state differs from the exact MAP. Hover a pixel for its numbers.")
    tables.table(cmp["rows"], noun="variables", height=360)
    return cmp
