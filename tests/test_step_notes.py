"""Step notes on screen: the engines' plain-text pseudo-math (tau_X1(X2), P(X5|X4), {X1, X2},
[X4=1], X1, ->) is set as inline math by explorer.viz.notes.note_markdown.

Oracle: every note of the variable-elimination, belief-propagation (tree schedule) and clique-tree
traces of the shipped models, rendered, then read back by an independent reader of the LaTeX
(below) gives the engine's note again, and no pseudo-math is left outside the math.
"""

import re

import pytest

from explorer import pgm
from explorer.pgm import load_model
from explorer.viz.notes import note_markdown


def _notes():
    out = []
    for n, k, obs in ((5, 2, None), (4, 3, 1)):
        out += [s.note for s in pgm.chain_demo(n, k, observe=obs)["trace"].steps]
    for name in ("asia", "four_cycle", "student"):
        fg = load_model(name)
        for mode in ("sum", "max"):
            out += [s.note for s in pgm.variable_elimination(fg, mode=mode).steps]
        out += [s.note for s in pgm.calibrate(fg, record=True).steps]
    for name in ("chain_bn", "tree_mrf"):
        out += [s.note for s in pgm.run_bp(load_model(name), updates="tree").steps]
    return [n for n in dict.fromkeys(out) if n]


def _unlatex(tex: str) -> str:
    """Read inline LaTeX back as the engines write it (an independent reader)."""
    s = re.sub(r"\\text\{([^{}]*)\}", r"\1", tex)
    s = re.sub(r"\\(tau|beta|alpha|mu)_\{((?:[^{}]|\{[^{}]*\})*)\}", r"\1_\2", s)  # \tau_{..} -> tau_..
    s = re.sub(r"([A-Za-z]+)_\{(\d+)\}", r"\1\2", s)                 # X_{1} -> X1
    return s.replace(r"\{", "{").replace(r"\}", "}").replace(r" \mid ", "|").replace(" = ", "=")


def _plain(text: str) -> str:
    return re.sub(r",\s*", ",", text.replace("->", "→"))


NOTES = _notes()


def test_there_are_notes_of_every_kind():
    text = " ".join(NOTES)
    for piece in ("tau_X1(X2)", "beta_X5(X4)", "P(X5|X4)", "[X4=1]", "clique {", "tau_either()", "f(6)",
                  "Collect:", "Message 1 of"):
        assert piece in text, piece


@pytest.mark.parametrize("note", NOTES)
def test_a_note_reads_back_and_keeps_no_ascii_math(note):
    md = note_markdown(note)
    spans = re.findall(r"\$([^$]+)\$", md)
    outside = re.sub(r"\$[^$]+\$", " ", md)
    for bad in ("tau_", "beta_", "->", "P(", "|", "{", "[X", "_"):
        assert bad not in outside, (bad, md)
    assert not re.search(r"\b[A-Z]\d+\b", outside), md          # every X1 is math
    for sp in spans:                                             # balanced, non-empty math
        assert sp.strip() and sp.count("{") == sp.count("}") and not sp.startswith(" ")
    assert _plain(_unlatex(md.replace("$", ""))) == _plain(note)


def test_the_variable_elimination_panel_shows_the_note_as_math():
    from explorer.ui.testing import app_test

    at = app_test("variable_elimination")
    assert not at.exception
    assert any(r"$\tau_{X_{1}}(X_{2})$" in c.value and "tau_X1" not in c.value for c in at.caption)
