"""A step's note, written by the engines in plain text, as Markdown with its math set as math.

The engines' notes are plain ASCII so they read well in the CLI and the trace JSON
("Eliminate X1: ... sum out X1 -> tau_X1(X2)", "X5 -> P(X5|X4)", "{X1,X3}", "[X4=1]"). On screen
each piece of pseudo-math becomes inline LaTeX (``$...$``, which ``st.caption`` and
``st.markdown`` render) through the same :func:`~explorer.viz.formulas.math_name` the formulas
use, so a note and the formula beside it name things alike:

================================  =========================================
``tau_X1(X2)``, ``beta_X5(X4)``   ``$\\tau_{X_{1}}(X_{2})$``, ``$\\beta_{X_{5}}(X_{4})$``
``P(X5|X4)``                      ``$P(X_{5} \\mid X_{4})$``
``{X1, X2}``                      ``$\\{X_{1}, X_{2}\\}$``
``[X4=1]`` (an observed state)    ``$[X_{4} = 1]$``
``f(6)`` (a factor's name)        ``$f(6)$``
a variable such as ``X1``         ``$X_{1}$``
``->``                            ``→``
================================  =========================================

Nothing here imports streamlit.
"""

from __future__ import annotations

import re

from explorer.viz.formulas import _GREEK, _cpd, math_name

__all__ = ["note_markdown", "code_span"]

_TOKEN = re.compile(
    r"(?P<greek>\b(?:" + "|".join(sorted(_GREEK, key=len, reverse=True)) + r")_[A-Za-z0-9]+\([^()]*\))"
    r"|(?P<cpd>\bP\([^()|]+(?:\|[^()]*)?\))"
    r"|(?P<fn>\bf\([^()|]*\))"
    r"|(?P<obs>\[[A-Za-z][\w.]*=[^\]\s]+\])"
    r"|(?P<set>\{[^{}$]*\})"
    r"|(?P<var>(?<![\w$\\])[A-Z][a-z]?\d+(?![\w(]))"
    r"|(?P<arrow>\s->\s)")


def _obs(token: str) -> str:
    name, state = token[1:-1].split("=", 1)
    return f"[{math_name(name)} = {math_name(state)}]"


def _set(token: str) -> str:
    items = [p.strip() for p in token[1:-1].split(",") if p.strip()]
    return r"\{" + ", ".join(math_name(p) for p in items) + r"\}"


def note_markdown(note: str) -> str:
    r"""``note`` as Markdown with its pseudo-math as inline LaTeX (see the module's table).

    Example:
        >>> note_markdown("sum out X1 -> tau_X1(X2)")
        'sum out $X_{1}$ → $\\tau_{X_{1}}(X_{2})$'
        >>> note_markdown("X5 -> P(X5|X4)")
        '$X_{5}$ → $P(X_{5} \\mid X_{4})$'
    """
    def sub(m: re.Match) -> str:
        kind, token = m.lastgroup, m.group(0)
        if kind == "arrow":
            return " → "
        if kind == "greek":
            return f"${math_name(token)}$"
        if kind == "cpd":
            return f"${_cpd(token)}$"
        if kind == "fn":
            return "$f(" + ", ".join(math_name(a.strip()) for a in token[2:-1].split(",") if a.strip()) + ")$"
        if kind == "obs":
            return f"${_obs(token)}$"
        if kind == "set":
            return f"${_set(token)}$"
        return f"${math_name(token)}$"

    return _TOKEN.sub(sub, str(note))


def code_span(text: str) -> str:
    """``text`` as one Markdown inline code span, whatever backticks it holds (a node label from
    an uploaded file may have some): the fence is one backtick longer than the longest run
    inside, with a space on each side when the text holds a backtick or starts and ends with a
    space (CommonMark strips one space from each end).

    Example:
        >>> code_span("x'_1 = 0.5·x_2")
        "`x'_1 = 0.5·x_2`"
        >>> code_span("x'_a`b = x_``c")
        "``` x'_a`b = x_``c ```"
    """
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or (text[:1] == " " and text[-1:] == " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
