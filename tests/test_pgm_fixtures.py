"""Random and hand-made models shared by the VE and BP tests (seeded, small).

Corner cases covered: mixed cardinalities (2 and 3), unary, pairwise and triple factors, zero
table entries, isolated variables, trees, polytrees and loopy graphs.
"""

import numpy as np

from explorer.pgm import Factor, FactorGraph


def random_model(seed: int, n_vars: int = 6, n_factors: int = 7, zeros: bool = False,
                 max_arity: int = 3) -> FactorGraph:
    """Random structure and tables; every variable is in some factor."""
    rng = np.random.default_rng(seed)
    cards = tuple(int(c) for c in rng.integers(2, 4, n_vars))
    factors = []
    for i in range(n_vars):                    # a unary factor on each variable keeps all covered
        factors.append(Factor((i,), rng.uniform(0.2, 2.0, cards[i])))
    for _ in range(n_factors):
        a = int(rng.integers(2, max_arity + 1))
        scope = tuple(int(v) for v in rng.choice(n_vars, size=a, replace=False))
        t = rng.uniform(0.1, 3.0, [cards[v] for v in scope])
        if zeros:
            t[rng.random(t.shape) < 0.2] = 0.0
        factors.append(Factor(scope, t))
    return FactorGraph(names=tuple(f"V{i}" for i in range(n_vars)), cards=cards,
                       states=tuple(tuple(f"s{k}" for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"random{seed}")


def random_tree(seed: int, n_vars: int = 8) -> FactorGraph:
    """A random tree of pairwise factors plus unary factors (mixed cardinalities)."""
    rng = np.random.default_rng(seed)
    cards = tuple(int(c) for c in rng.integers(2, 4, n_vars))
    factors = [Factor((i,), rng.uniform(0.2, 2.0, cards[i])) for i in range(n_vars)]
    for i in range(1, n_vars):
        p = int(rng.integers(0, i))
        factors.append(Factor((p, i), rng.uniform(0.1, 3.0, (cards[p], cards[i]))))
    return FactorGraph(names=tuple(f"T{i}" for i in range(n_vars)), cards=cards,
                       states=tuple(tuple(str(k) for k in range(c)) for c in cards),
                       factors=tuple(factors), name=f"tree{seed}")


def test_fixtures_have_the_promised_shape():
    assert all(random_tree(s).is_forest() for s in range(5))
    fg = random_model(1, zeros=True)
    assert not fg.is_forest() and set(fg.cards) <= {2, 3}
    assert any((f.table == 0).any() for f in fg.factors)
