"""Step notes on screen: the engines' plain-text pseudo-math (tau_X1(X2), P(X5|X4), {X1, X2},
[X4=1], X1, ->) is set as inline math by explorer.viz.notes.note_markdown.

Oracle: every note of the variable-elimination, belief-propagation (tree schedule) and clique-tree
traces of the shipped models, rendered, then read back by an independent reader of the LaTeX
(below) gives the engine's note again, and no pseudo-math is left outside the math.
"""

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

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


def _read_code_span(md: str) -> str:
    """CommonMark's rule for one inline code span that is the whole string (spec 6.1): an
    opening run of n backticks, the content up to the first run of exactly n backticks, line
    endings as spaces, and one space stripped from each end when both ends have one and the
    content is not all spaces."""
    n = len(md) - len(md.lstrip("`"))
    assert n > 0, md
    rest = md[n:]
    i = 0
    while True:
        j = rest.index("`", i)
        k = j
        while k < len(rest) and rest[k] == "`":
            k += 1
        if k - j == n:
            assert k == len(rest), f"the span closes early in {md!r}"
            body = rest[:j]
            break
        i = k
    if len(body) >= 2 and body[0] == body[-1] == " " and body.strip(" "):
        body = body[1:-1]
    return body


@pytest.mark.parametrize("text", ["x'_1 = 0.5·x_2", "x'_a`b = 1·x_a`b", "``", "`x", "x`", "a ``` b",
                                  " x' = 0 "])
def test_code_span_keeps_any_label_intact(text):
    from explorer.viz.notes import code_span

    assert _read_code_span(code_span(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab `_'·", min_size=1, max_size=30))
def test_code_span_keeps_random_text_intact(text):
    from explorer.viz.notes import code_span

    assume(text.strip(" "))  # an all-space span keeps its spaces; labels are never blank
    assert _read_code_span(code_span(text)) == text
