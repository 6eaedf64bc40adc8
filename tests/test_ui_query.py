"""Every query parameter of every page is validated (issue 10.4).

A shared link may carry anything. For each page, one link mixes valid settings, values of the
wrong type, values out of range and an unknown key. Oracles: the ranges the controls state
(and the engines' own limits: k^n for the chain demo, heads dividing the width for GAT), written
here by hand. Valid settings must survive into the page's URL; every invalid one must be named
in the visible note and fall back; unknown keys are ignored silently; never an error box.
"""

import re

import pytest

pytest.importorskip("streamlit")

from explorer.ui.testing import app_test  # noqa: E402

CASES = [  # page, query, valid settings kept as given, invalid names (must be in the note)
    ("home", {"lecture": "maybe", "bogus": "1"}, {}, ["lecture"]),
    ("graphs", {"sample": "star", "layout": "xyz", "seed": "-5", "node": "999", "bogus": "x"},
     {"sample": "star"}, ["layout", "seed", "node"]),
    ("graphs", {"sample": "nope", "seed": "3", "node": "2"}, {"seed": "3", "node": "2"},
     ["sample"]),
    ("variable_elimination", {"n": "1", "k": "two", "speed": "warp"}, {}, ["n", "k", "speed"]),
    ("variable_elimination", {"n": "6", "k": "3", "step": "2"},
     {"n": "6", "k": "3", "step": "2"}, []),
    ("belief_propagation", {"sample": "chain_bn", "mode": "None", "tol": "0.5",
                            "max_iter": "0", "damping": "1.5", "seed": "-5", "updates": "xyz",
                            "speed": "warp", "color": "zzz", "lecture": "2"},
     {"sample": "chain_bn"}, ["mode", "tol", "max_iter", "damping", "seed", "updates", "speed",
                              "color", "lecture"]),
    ("belief_propagation", {"sample": "sachs", "mode": "max", "tol": "1e-06", "max_iter": "50",
                            "damping": "0.2", "seed": "9", "speed": "fast"},
     {"sample": "sachs", "mode": "max", "tol": "1e-06", "max_iter": "50", "damping": "0.2",
      "seed": "9", "speed": "fast"}, []),
    ("neural", {"sample": "star", "layer": "xyz", "layers": "0", "hidden": "999",
                "features": "nope", "seed": "1e3", "weights": "maybe"},
     {"sample": "star"}, ["layer", "layers", "hidden", "features", "seed", "weights"]),
    ("neural", {"sample": "star", "layer": "gat", "hidden": "6", "heads": "4"},
     {"layer": "gat", "hidden": "6"}, ["heads"]),
    ("matrix", {"hidden": "9", "seed": "x", "sample": "tree"}, {"sample": "tree"},
     ["hidden", "seed"]),
    ("expressiveness", {"a": "nope", "b": "decalin", "step": "-1"}, {"b": "decalin"},
     ["a", "step"]),
    ("oversmoothing", {"sample": "star", "depth": "0", "hidden": "3", "archs": "gcn,xyz",
                       "remedies": "none", "device": "tpu"},
     {"sample": "star", "remedies": "none"}, ["depth", "hidden", "archs", "device"]),
    ("upload", {"bogus": "1", "sample": "karate"}, {}, []),
]


def _note(at):
    notes = [w.value for w in at.warning if "Some settings in the link" in w.value]
    assert len(notes) <= 1
    return notes[0] if notes else ""


@pytest.mark.parametrize("page, query, kept, rejected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_every_parameter_is_validated(page, query, kept, rejected):
    at = app_test(None if page == "home" else page, query=query)  # home: the first run
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    note = _note(at)
    named = set(re.findall(r"(?:^|: |, )([a-z_]+)=", note))
    assert named == set(rejected), note
    url = dict(at.query_params)
    for name, value in kept.items():
        assert url.get(name) == value, (name, url)
    for name in rejected:
        assert url.get(name) != query[name], (name, url)
    assert "bogus" not in url and "bogus" not in note


def test_a_chain_the_engine_refuses_is_never_offered():
    """The sliders stop where the engine does; their largest setting runs and counts k^n exactly."""
    at = app_test("variable_elimination", query={"n": "99", "k": "4"})
    assert not at.exception and not at.error
    assert "n=99" in _note(at)
    n_max, k_max = int(at.slider(key="ve.n").max), int(at.slider(key="ve.k").max)
    assert at.slider(key="ve.n").value == 5  # the default, not the refused value
    at.slider(key="ve.n").set_value(n_max).run()
    at.slider(key="ve.k").set_value(k_max).run()
    assert not at.exception and not at.error
    naive = next(m.value for m in at.metric if m.label == "Naive terms kⁿ")
    assert naive == f"{k_max ** n_max:,}"  # counted by formula, never enumerated


def test_gat_heads_offered_are_the_divisors_of_the_width():
    at = app_test("neural", query={"sample": "star", "layer": "gat", "hidden": "12"})
    assert not at.exception and not at.error
    assert at.select_slider(key="nn.heads").options == ["1", "2", "3", "4", "6"]
