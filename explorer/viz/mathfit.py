"""Fit a formula into a narrow panel: estimate how wide KaTeX draws it, break it at terms.

The player's detail panel beside the graph is about 240 px wide at 1280 x 720 (28 % of the main
column), so a formula must wrap, and it cannot measure itself: the server writes the LaTeX, the
browser draws it. We estimate the drawn width of a piece of LaTeX in *em* (KaTeX's font size),
from the widths of KaTeX's glyphs — digits 0.5 em, a binary operator with its spaces 1.22 em,
sub- and superscripts at 70 %, limits under a display-style sum — and pack a statement's terms
greedily into lines no wider than a budget. A browser test (tests/test_formula_fit.py) checks the
estimate where it matters: no rendered line is wider than the panel.

    width_em(tex)                 the estimated rendered width of ``tex`` in em
    fit_vector(values, room)      ``[a, b, …, z]`` with as many entries as fit in ``room`` em
    aligned(statements, width)    statements of unbreakable chunks as one ``aligned`` block

Output is ``\\footnotesize\\begin{aligned}&…\\\\&\\quad …\\end{aligned}\\kern0.2em``: ``\\\\`` inside an
environment (a bare one in display mode makes KaTeX warn "newLineInDisplayMode"), every line
left-aligned at the same column, continuation lines indented by a quad.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from explorer.viz._common import fmt

__all__ = ["width_em", "fit_vector", "aligned", "lines_of", "latex_vector", "WIDTH_EM", "SIZE", "SIZE_SCALE",
           "LECTURE",
           "INDENT"]

#: the size command the formulas are drawn at, and its scale against KaTeX's normal size
SIZE, SIZE_SCALE = r"\footnotesize", 0.8
#: the default width budget (em of the formula's own size): the panel is ~240 px at 1280 x 720,
#: KaTeX's display font there 19.4 px x 0.8 = 15.5 px, so 15.5 em; a little is kept back for
#: the estimate's error
WIDTH_EM = 14.5
#: lecture mode (sidebar folded, type enlarged): the panel is ~324 px at 1280 x 720 and KaTeX's
#: font 19.2 px; at ``\small`` (17.3 px) that is 18.7 em. ``(width, size)`` for :func:`aligned`
LECTURE = (17.5, r"\small")
#: after the block: KaTeX ends each column with a 2 px spacer (``.vlist-s``) that pokes out of
#: the formula's box, so the panel would scroll by 2 px; a small kern takes it inside
_PAD = r"\kern0.2em"
#: what a continuation line starts with, and its width
INDENT, INDENT_EM = r"\quad ", 1.0

# ---------------------------------------------------------------------- glyph widths (em)
_BIN = 0.778 + 2 * 0.222          # + − ⊙ ∪ ∖ · with the medium spaces around them
_REL = 0.778 + 2 * 0.278          # = ∝ ∈ with the thick spaces around them
_CMD = {  # commands drawn as one glyph (widths from KaTeX's font metrics, rounded)
    "alpha": 0.64, "beta": 0.57, "gamma": 0.52, "tau": 0.52, "mu": 0.6, "phi": 0.65, "psi": 0.65,
    "epsilon": 0.47, "varepsilon": 0.47, "sigma": 0.57, "Theta": 0.78, "Phi": 0.72, "Psi": 0.78,
    "odot": _BIN, "cup": _BIN, "setminus": _BIN, "cdot": _BIN, "times": _BIN, "oplus": _BIN,
    "propto": _REL, "in": 0.67 + 2 * 0.278, "to": 1.0 + 2 * 0.278, "ne": _REL, "le": _REL,
    "ge": _REL, "mid": 0.28 + 2 * 0.278, "approx": _REL, "leftarrow": 1.0 + 2 * 0.278,
    "dots": 1.17, "ldots": 1.17, "cdots": 1.17, "varnothing": 0.5, "emptyset": 0.5,
    "{": 0.5, "}": 0.5, "|": 0.28, "Vert": 0.5, "infty": 1.0, "partial": 0.57, "nabla": 0.83,
    ",": 0.167, ":": 0.222, ";": 0.278, " ": 0.333, "!": -0.167, "quad": 1.0, "qquad": 2.0,
    "backslash": 0.5, "#": 0.83, "$": 0.5, "%": 0.83, "&": 0.78, "_": 0.5, "sim": _REL,
}
#: operators with limits under them in display style (their subscript does not add width)
_LIMITS = {"sum": 1.44, "prod": 1.28, "max": 1.75, "min": 1.5, "bigcup": 1.1, "coprod": 1.28}
#: commands that draw their group as upright text
_TEXT = {"text", "mathrm", "operatorname", "textrm", "textbf", "mathbf", "mathit", "mathsf"}
#: commands that only size or pair a following delimiter: width 0
_ZERO = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
         "displaystyle", "textstyle", "footnotesize", "small", "normalsize", "limits", "nolimits"}


#: math italic capitals, with the italic correction where a bracket follows them
_CAPS = {"X": 0.88, "P": 0.78, "N": 0.88, "C": 0.78, "S": 0.68, "W": 1.05, "H": 0.9, "G": 0.8,
         "F": 0.76, "K": 0.9, "M": 1.0, "R": 0.76, "T": 0.72, "V": 0.78, "Y": 0.78, "Z": 0.72}


def _char(c: str, text: bool) -> float:
    if c.isdigit():
        return 0.5
    if c.isalpha():
        if c == "f" and not text:  # the italic f leans out of its box
            return 0.6
        if c in "ijlft" or (text and c in "r"):
            return 0.35 if not text else 0.3
        if c in "mwMW":
            return 0.85 if not (text or c.islower()) else 1.05 if c == "W" else 0.85
        if c.isupper():  # math italic capitals are wide (X 0.85, N 0.8, P 0.64 + its slant)
            return 0.72 if text else _CAPS.get(c, 0.8)
        return 0.52
    if c in "+":
        return _BIN
    if c in "-":
        return 0.5 if text else 0.78
    if c in "=<>":
        return _REL
    if c in ".,;":
        return 0.28 + (0.167 if c == "," and not text else 0.0)
    if c in "()[]":
        return 0.39
    if c == "'":
        return 0.3
    if c == ":":
        return 0.28 + (0.5 if not text else 0.0)
    if c == " ":
        return 0.333 if text else 0.0
    if c == "/":
        return 0.5
    if c == "|":
        return 0.28
    return 0.6


def _group(tex: str, i: int) -> tuple[str, int]:
    """The argument starting at ``tex[i]`` (a ``{…}`` group, a command or one character) and
    the index after it."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] == "{":
        depth, j = 0, i
        while j < len(tex):
            if tex[j] == "\\":
                j += 2
                continue
            depth += tex[j] == "{"
            depth -= tex[j] == "}"
            if depth == 0:
                return tex[i + 1:j], j + 1
            j += 1
        return tex[i + 1:], len(tex)
    if tex[i] == "\\":
        j = i + 1
        if j < len(tex) and tex[j].isalpha():
            while j < len(tex) and tex[j].isalpha():
                j += 1
        else:
            j += 1
        return tex[i:j], j
    return tex[i], i + 1


def _text_width(s: str) -> float:
    out, i = 0.0, 0
    while i < len(s):
        if s[i] == "\\":
            g, i = _group(s, i)
            out += _CMD.get(g[1:], 0.5)
            continue
        if s[i] in "{}":
            i += 1
            continue
        out += _char(s[i], True)
        i += 1
    return out


def width_em(tex: str) -> float:
    r"""The estimated width of ``tex`` as KaTeX draws it in display style, in em.

    Sub- and superscripts count 70 % (the wider of the two when both are on one base); the
    subscript of ``\sum``, ``\prod``, ``\max`` sits under the operator and counts only where it
    is wider than it. Alignment marks (``&``) and line breaks count nothing: call it per line.

    Example:
        >>> round(width_em(r"x_{1} + 0.5"), 2)
        3.37
    """
    out, i, last_script = 0.0, 0, None  # last_script: (kind, width) of the base's last script
    while i < len(tex):
        c = tex[i]
        if c in "_^":
            g, i = _group(tex, i + 1)
            w = 0.7 * width_em(g)
            if last_script is not None and last_script[0] != c:  # x^a_b: both on one base
                out += max(0.0, w - last_script[1])
                last_script = None
            else:
                out += w
                last_script = (c, w)
            continue
        last_script = None
        if c == "\\":
            g, i = _group(tex, i)
            name = g[1:]
            if name in _TEXT:
                arg, i = _group(tex, i)
                out += _text_width(arg) * (1.15 if name in ("mathbf", "textbf") else 1.0)
            elif name in _LIMITS:
                w = _LIMITS[name]
                while i < len(tex) and tex[i] in "_^ ":
                    if tex[i] == " ":
                        i += 1
                        continue
                    sub, i = _group(tex, i + 1)
                    w = max(w, 0.7 * width_em(sub))
                out += w + 0.167
            elif name in ("begin", "end"):
                _, i = _group(tex, i)
            elif name == "\\":
                pass
            elif name not in _ZERO:
                out += _CMD.get(name, 0.6)
            continue
        if c in "{}&":
            i += 1
            continue
        out += _char(c, False)
        i += 1
    return out


def latex_vector(values: Any, *, max_len: int = 5, digits: int = 3) -> str:
    """``[a, b, c]`` in LaTeX; longer than ``max_len`` it keeps the ends with "…"; a long
    vector with at most two non-zeros says where they are (``0_34 except [7]=1``)."""
    a = np.asarray(values).reshape(-1)
    nz = np.flatnonzero(a)
    if a.size > max_len and nz.size <= 2:  # e.g. one-hot features: say where the non-zeros are
        parts = [rf"[{j}]{{=}}{fmt(a[j], digits)}" for j in nz]
        return rf"\mathbf{{0}}_{{{a.size}}}" + (r"\text{ except }" + r",\ ".join(parts) if parts else "")
    items = [fmt(v, digits) for v in a]
    if len(items) > max_len:
        items = items[: max(max_len - 2, 1)] + [r"\dots"] + items[-1:]
    items = [i.replace("e-", r"\mathrm{e}{-}").replace("e+", r"\mathrm{e}{+}") for i in items]
    return r"\left[" + r",\ ".join(items) + r"\right]"


def fit_vector(values: Any, room: float, *, digits: int = 3, max_len: int = 8) -> str:
    """:func:`latex_vector` in at most ``room`` em: every entry (up to ``max_len``) at ``digits``
    significant digits if they fit, else at two, else fewer entries (``[a, b, …, z]``); at least
    ``[a, …, z]``, even when that does not fit."""
    a = np.asarray(values).reshape(-1)
    for n in range(min(max_len, a.size), min(3, a.size) - 1, -1):
        for d in dict.fromkeys((digits, min(digits, 2))):
            tex = latex_vector(a, max_len=n, digits=d)
            if width_em(tex) <= room:
                return tex
    return latex_vector(a, max_len=min(3, max(a.size, 1)), digits=min(digits, 2))


def _lines(chunks: Sequence[str], width: float) -> list[str]:
    """Greedy packing: each chunk goes on the current line while the line stays within
    ``width`` em, else it starts a new, indented line; a chunk wider than a line by itself
    (``= [a, b, c]`` with long numbers) is first broken before its vector."""
    lines: list[str] = []
    cur, cur_w = "", 0.0
    split: list[str] = []
    for c in chunks:  # a chunk too wide even for a line of its own breaks before its vector
        at = c.find(r"\left[")
        split += [c[:at], c[at:]] if at > 0 and width_em(c) > width - INDENT_EM else [c]
    for c in split:
        w = width_em(c)
        if cur and cur_w + w > width:
            lines.append(cur)
            cur, cur_w = INDENT + c, INDENT_EM + w
        else:
            cur, cur_w = cur + (" " if cur else "") + c, cur_w + w
    if cur:
        lines.append(cur)
    return lines


def aligned(statements: Sequence[Sequence[str]], width: float = WIDTH_EM, size: str = SIZE) -> str:
    r"""Statements (each a list of unbreakable chunks, a chunk starting with its operator:
    ``"= [..]"``, ``"+ 0.1\,x_2"``) as one left-aligned ``aligned`` block at ``size``,
    every line within ``width`` em where a chunk allows it.

    Example:
        >>> print(aligned([["a = 1", "+ 2"], ["b = 3"]], width=20))
        \footnotesize\begin{aligned}&a = 1 + 2 \\ &b = 3\end{aligned}\kern0.2em
    """
    rows = [line for s in statements for line in _lines([c for c in s if c], width)]
    return size + r"\begin{aligned}&" + r" \\ &".join(rows) + r"\end{aligned}" + _PAD


def lines_of(tex: str) -> list[str]:
    """The lines of a block made by :func:`aligned` (the inverse of its joining)."""
    body = tex.split(r"\begin{aligned}&", 1)[-1].removesuffix(_PAD).removesuffix(r"\end{aligned}")
    return body.split(r" \\ &")


#: width (em) of the full-width formula above the Variable elimination page's chain: the main
#: column is about 900 px at 1280x720 with the sidebar open, ~19 px per em at display size
PAGE_WIDTH_EM = 40.0


def chain_sum_latex(n: int, width: float = PAGE_WIDTH_EM) -> str:
    r"""The naive marginal of a chain, ``P(X_n) = \sum_{X_{n-1}} … \sum_{X_1} P(X_1)
    P(X_2 | X_1) …``, wrapped between sums and factors so a chain of any length stays within
    ``width`` em (the page's column), at display size.

    >>> chain_sum_latex(2)
    '\\begin{aligned}&P(X_{2}) = \\sum_{X_{1}} P(X_1) \\,P(X_{2}\\mid X_{1})\\end{aligned}\\kern0.2em'
    """
    if n < 2:
        raise ValueError(f"a chain has at least 2 variables, got n={n}")
    chunks = [rf"P(X_{{{n}}}) ="] + [rf"\sum_{{X_{{{t}}}}}" for t in range(n - 1, 0, -1)]
    chunks += [r"P(X_1)"] + [rf"\,P(X_{{{t + 1}}}\mid X_{{{t}}})" for t in range(1, n)]
    return aligned([chunks], width=width, size="")
