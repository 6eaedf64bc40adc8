"""``python -m explorer bench exact``: all marginals by our clique tree against pgmpy and aGrUM.

For each network, in one process (figures, never pass/fail):

- **ours**: :func:`~explorer.pgm.junction.clique_tree` plus one sum calibration (every marginal
  and log Z); **+MAP**: the whole ``exact_inference`` (sum and max calibrations);
- **pgmpy**: ``VariableElimination`` asked for every variable's marginal, one query each (the
  way a user gets all marginals from it); past a time cap the remaining queries are
  extrapolated from the mean of those run, and the figure is marked ``~`` (skipped with
  ``--quick``: importing pgmpy alone takes seconds);
- **aGrUM**: ``LazyPropagation.makeInference()`` plus every ``posterior`` (Bayesian networks)
  or ``ShaferShenoyMRFInference`` (Markov random fields);
- **old**: the previous per-variable path (one variable elimination per marginal, plus a max
  VE), on models of at most 40 variables;
- ``max|dp|``: the largest difference between our marginals and the other libraries' (theirs
  scaled to sum 1). pgmpy rescales CPD rows that miss 1 by up to 1e-7 (as in sachs), so it
  differs there by about 1e-8; aGrUM keeps the tables as written.

Networks: the models the project ships (``sample_graphs/models``), generated Bayesian networks
of growing treewidth (each variable takes 3 parents from the previous ``w``; one with 300
variables), and without ``--quick``, the standard networks bundled with pgmpy when it is
installed (read with our BIF reader). pgmpy and pyAgrum are imported lazily; when one is
missing its columns say so.
"""

from __future__ import annotations

import gzip
import importlib.util
import time
from pathlib import Path

import numpy as np

from explorer.pgm.elimination import exact_inference as old_exact
from explorer.pgm.factor_graph import Factor, FactorGraph
from explorer.pgm.junction import calibrate, clique_tree, exact_inference
from explorer.pgm.models import load_model, read_model_bytes

SHIPPED = ("asia", "cancer", "earthquake", "sachs", "survey", "chain_bn", "student", "ising10")
PGMPY_NETWORKS = ("alarm", "hailfinder", "win95pts", "andes", "pigs")


def generated_bn(n: int, window: int, seed: int = 0) -> FactorGraph:
    """A random Bayesian network: variable i takes up to 3 parents among the ``window`` before
    it (treewidth grows with the window), 2 or 3 states, CPD rows drawn from Dirichlet(1)."""
    rng = np.random.default_rng(seed)
    cards = [int(c) for c in rng.integers(2, 4, n)]
    parents, factors = [], []
    for i in range(n):
        lo = max(0, i - window)
        ps = sorted(int(p) for p in rng.choice(np.arange(lo, i), size=min(3, i - lo), replace=False)) \
            if i else []
        rows = rng.dirichlet(np.ones(cards[i]), size=int(np.prod([cards[p] for p in ps])))
        parents.append(tuple(ps))
        factors.append(Factor(tuple(ps) + (i,), rows.reshape([cards[p] for p in ps] + [cards[i]])))
    return FactorGraph(names=tuple(f"X{i}" for i in range(n)), cards=tuple(cards),
                       states=tuple(tuple(f"s{k}" for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"gen-n{n}-w{window}", kind="bayes",
                       parents=tuple(parents))


def _networks(quick: bool) -> list[tuple[str, FactorGraph]]:
    nets = [(name, load_model(name)) for name in SHIPPED]
    gens = [(60, 2), (300, 4)] if quick else [(100, 2), (100, 4), (100, 6), (100, 8), (100, 12), (300, 6)]
    nets += [(f"gen n={n} w={w}", generated_bn(n, w)) for n, w in gens]
    spec = importlib.util.find_spec("pgmpy")
    if not quick and spec is not None and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0]) / "utils" / "example_models"
        for name in PGMPY_NETWORKS:
            path = root / f"{name}.bif.gz"
            if path.exists():
                nets.append((f"{name} (pgmpy's)", read_model_bytes(gzip.open(path).read(), f"{name}.bif")))
    return nets


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _ours(fg: FactorGraph) -> dict:
    return calibrate(fg, tree=clique_tree(fg)).result["marginals"]


# ---------------------------------------------------------------------- pgmpy
def _pgmpy_model(fg: FactorGraph):
    if fg.kind == "bayes":
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork
        net = DiscreteBayesianNetwork()
        net.add_nodes_from(fg.names)
        net.add_edges_from([(fg.names[p], fg.names[c]) for c in range(fg.n_vars) for p in fg.parents[c]])
        for f in fg.factors:
            child, ps = f.scope[-1], f.scope[:-1]
            net.add_cpds(TabularCPD(fg.names[child], fg.cards[child], f.table.reshape(-1, fg.cards[child]).T,
                                    evidence=[fg.names[p] for p in ps] or None,
                                    evidence_card=[fg.cards[p] for p in ps] or None))
        return net
    from pgmpy.factors.discrete import DiscreteFactor
    from pgmpy.models import DiscreteMarkovNetwork
    net = DiscreteMarkovNetwork()
    net.add_nodes_from(fg.names)
    net.add_edges_from({(fg.names[a], fg.names[b]) for f in fg.factors for a in f.scope for b in f.scope if a < b})
    net.add_factors(*[DiscreteFactor([fg.names[i] for i in f.scope], [fg.cards[i] for i in f.scope], f.table)
                      for f in fg.factors])
    return net


def _pgmpy(fg: FactorGraph, cap: float):
    """(seconds for all marginals, extrapolated?, {VAR: probabilities in our state order})."""
    from pgmpy.inference import VariableElimination
    t0 = time.perf_counter()
    ve = VariableElimination(_pgmpy_model(fg))
    out, done = {}, 0
    for i, v in enumerate(fg.names):
        q = ve.query([v], show_progress=False)
        out[v] = np.asarray(q.values, dtype=float)
        done += 1
        if time.perf_counter() - t0 > cap and done < fg.n_vars:
            break
    t = time.perf_counter() - t0
    return t * fg.n_vars / done, done < fg.n_vars, out


# ---------------------------------------------------------------------- aGrUM
def _agrum(fg: FactorGraph):
    import pyagrum as gum
    if fg.kind == "bayes":
        model = gum.BayesNet()
    else:
        model = gum.MarkovRandomField()
    for n, st in zip(fg.names, fg.states):
        model.add(gum.LabelizedVariable(n, n, list(st)))
    if fg.kind == "bayes":
        for c in range(fg.n_vars):
            for p in fg.parents[c]:
                model.addArc(fg.names[p], fg.names[c])
        for f in fg.factors:
            _fill(model.cpt(fg.names[f.scope[-1]]), fg, f)
        engine = gum.LazyPropagation
    else:
        for f in fg.factors:
            _fill(model.addFactor([fg.names[i] for i in f.scope]), fg, f)
        engine = gum.ShaferShenoyMRFInference

    def infer() -> dict:
        ie = engine(model)
        ie.makeInference()
        return {v: np.asarray(ie.posterior(v).toarray(), dtype=float) for v in fg.names}

    return _timed(infer, 3)


def _fill(pot, fg: FactorGraph, f: Factor) -> None:
    """aGrUM's ``toarray`` axes are its variable names reversed; fill in that C order."""
    names = list(reversed(pot.names))
    axes = [f.scope.index(fg.index(n)) for n in names]
    pot.fillWith(np.transpose(f.table, axes).reshape(-1).tolist())


# ---------------------------------------------------------------------- report
def _diff(ours: dict, theirs: dict | None) -> float | None:
    if not theirs:
        return None
    return max(float(np.max(np.abs(np.array(list(ours[v].values())) - theirs[v] / theirs[v].sum())))
               for v in ours)


def run(quick: bool = False) -> int:
    have_pgmpy = importlib.util.find_spec("pgmpy") is not None and not quick
    have_agrum = importlib.util.find_spec("pyagrum") is not None
    cap = 2.0
    if quick:
        print("--quick: pgmpy is skipped (importing it alone takes seconds)")
    elif not have_pgmpy:
        print("pgmpy is not installed: its column is skipped (pip install pgmpy)")
    if not have_agrum:
        print("pyAgrum is not installed: its column is skipped (pip install pyagrum)")
    if have_pgmpy:
        t0 = time.perf_counter()
        import pgmpy.inference  # noqa: F401  (import once, outside the timings)
        print(f"(pgmpy imported in {time.perf_counter() - t0:.1f} s, not counted)")
    print("all marginals, times in ms (best of 3, pgmpy once); ratio = theirs / ours (> 1: we are faster);"
          f" pgmpy past {cap:g} s is extrapolated (~)")
    head = (f"{'network':22} {'vars':>5} {'tw':>3} {'ours':>9} {'+MAP':>9} {'pgmpy VE':>10} {'ratio':>8}"
            f" {'aGrUM':>9} {'ratio':>7} {'old VE':>9} {'max|dp|':>8}")
    print(head)
    for name, fg in _networks(quick):
        t_ours, marg = _timed(lambda: _ours(fg), 3)
        t_map, _ = _timed(lambda: exact_inference(fg))
        tw = clique_tree(fg).treewidth
        cells = [f"{name:22} {fg.n_vars:5d} {tw:3d} {1e3 * t_ours:9.2f} {1e3 * t_map:9.2f}"]
        diffs = []
        if have_pgmpy:
            t_p, est, theirs = _pgmpy(fg, cap)
            cells.append(f"{'~' if est else ' '}{1e3 * t_p:9.1f} {t_p / t_ours:7.1f}x")
            diffs.append(_diff({v: marg[v] for v in theirs}, theirs))
        else:
            cells.append(f"{'-':>10} {'-':>8}")
        if have_agrum:
            t_a, theirs = _agrum(fg)
            cells.append(f"{1e3 * t_a:9.2f} {t_a / t_ours:6.2f}x")
            diffs.append(_diff(marg, theirs))
        else:
            cells.append(f"{'-':>9} {'-':>7}")
        if fg.n_vars <= 40:
            t_old, _ = _timed(lambda: old_exact(fg))
            cells.append(f"{1e3 * t_old:9.2f}")
        else:
            cells.append(f"{'-':>9}")
        d = [x for x in diffs if x is not None]
        cells.append(f"{max(d):8.1e}" if d else f"{'-':>8}")
        print(" ".join(cells), flush=True)
    return 0
