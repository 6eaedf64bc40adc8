"""Trace: JSON round trip (arrays, ragged values, non-finite floats) and the validator."""

import json

import numpy as np
import pytest

from explorer.errors import TraceError
from explorer.graph import Graph
from explorer.trace import Step, Trace, validate_trace


def _trace(**step_overrides):
    g = Graph.from_edges(3, [(0, 1), (1, 2)], x=np.eye(3), node_ids=("a", "b", "c"))
    step = dict(edges=[0, 2], messages=np.array([[1.0, 2.0], [3.0, 4.0]]),
                aggregates=np.zeros((3, 2)), states=np.ones((3, 2)),
                extras={"residual": 0.5, "ragged": [np.array([1.0]), np.array([1.0, 2.0])]},
                note="two messages", label="round 1")
    step.update(step_overrides)
    return Trace("gcn", g, {"seed": 0, "hidden": 2}, [Step(**step)], {"energy": float("inf")})


def test_json_round_trip_is_exact():
    t = _trace(messages=[np.array([0.25, 0.75]), np.array([0.1, 0.2, 0.7])])
    text = t.to_json()
    json.loads(text)  # strict JSON: no bare NaN/Infinity
    u = Trace.from_json(text)
    assert u.kind == "gcn" and u.params == {"seed": 0, "hidden": 2}
    assert u.graph.ids == ("a", "b", "c")
    assert np.array_equal(u.graph.senders, t.graph.senders)
    assert u.steps[0].edges.tolist() == [0, 2]
    assert [m.tolist() for m in u.steps[0].messages] == [[0.25, 0.75], [0.1, 0.2, 0.7]]
    assert np.array_equal(u.steps[0].states, np.ones((3, 2)))
    assert u.steps[0].extras["ragged"][1].tolist() == [1.0, 2.0]
    assert u.result["energy"] == float("inf")
    assert u.steps[0].note == "two messages" and u.steps[0].label == "round 1"
    validate_trace(u)


def test_file_round_trip(tmp_path):
    t = _trace()
    t.to_json(tmp_path / "t.json")
    assert Trace.from_json(tmp_path / "t.json").steps[0].messages.shape == (2, 2)


def test_schema_version_checked():
    d = json.loads(_trace().to_json())
    d["schema_version"] = 99
    with pytest.raises(TraceError, match="schema_version 1, found 99"):
        Trace.from_dict(d)


@pytest.mark.parametrize("override,match", [
    (dict(edges=[0, 9]), r"edge id 9 is outside the valid range \[0, 3\]"),
    (dict(messages=np.ones((3, 2))), r"one message row per sent edge \(2\), found 3"),
    (dict(states=np.ones((2, 2))), r"states to have one row per node \(3\), found 2"),
    (dict(aggregates=[np.ones(1)]), r"aggregates to have one row per node \(3\), found 1"),
    (dict(states=np.full((3, 1), np.nan)), "states contains NaN"),
])
def test_validator_rejects_wrong_shapes(override, match):
    with pytest.raises(TraceError, match=match):
        validate_trace(_trace(**override))


def test_validator_requires_seed():
    t = _trace()
    bad = Trace(t.kind, t.graph, {"hidden": 2}, t.steps)
    with pytest.raises(TraceError, match="'seed'"):
        validate_trace(bad)


def test_ragged_rows_views_and_json_round_trip():
    from explorer.trace import Ragged

    r = Ragged.concat([np.array([[0.5, 0.5], [0.2, 0.8]]), np.array([[0.1, 0.2, 0.3, 0.4]])])
    assert len(r) == 3 and r.lengths.tolist() == [2, 2, 4]
    assert r[1].tolist() == [0.2, 0.8] and r[-1].tolist() == [0.1, 0.2, 0.3, 0.4]
    assert [x.tolist() for x in r[0:2]] == [[0.5, 0.5], [0.2, 0.8]]
    with pytest.raises(IndexError):
        r[3]
    t = _trace(states=r[0:2] + [np.array([1.0])])  # a plain list still works
    validate_trace(t)
    t = _trace(states=Ragged.from_rows([np.ones(1), np.ones(2), np.ones(3)]))
    u = Trace.from_json(t.to_json())
    assert isinstance(u.steps[0].states, Ragged)
    assert [x.tolist() for x in u.steps[0].states] == [[1.0], [1.0, 1.0], [1.0, 1.0, 1.0]]
    with pytest.raises(TraceError, match="states to have one row per node"):
        validate_trace(_trace(states=Ragged.from_rows([np.ones(1)])))
    with pytest.raises(TraceError, match="offsets must rise"):
        Ragged(np.ones(3), np.array([0, 2]))


def test_trusted_ragged_holds_the_same_rows_read_only():
    from explorer.trace import Ragged
    values, offsets = np.arange(6.0), np.array([0, 2, 2, 6])
    a, b = Ragged(values.copy(), offsets.copy()), Ragged.trusted(values, offsets)
    assert len(a) == len(b) == 3
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert b[1].size == 0 and b[2].tolist() == [2.0, 3.0, 4.0, 5.0]
    assert not b.values.flags.writeable and not b.offsets.flags.writeable
