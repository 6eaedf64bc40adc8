"""Read the numbers back out of a formula's LaTeX, for tests (independent of explorer.viz).

    vectors(tex)            every ``\\left[a,\\ b,\\ \\dots,\\ z\\right]`` as a list of strings
    shows(entries, values)  the entries are ``values`` rounded as printed (``\\dots`` skips)
"""

import math
import re

import numpy as np

_VEC = re.compile(r"\\left\[(.*?)\\right\]")


def vectors(tex: str) -> list[list[str]]:
    """The entries of every bracketed vector, in order of appearance."""
    return [v.split(r",\ ") for v in _VEC.findall(tex)]


def number(s: str) -> float:
    return float(s.replace(r"\mathrm{e}{-}", "e-").replace(r"\mathrm{e}{+}", "e+"))


def close(s: str, v: float) -> bool:
    """``s`` is ``v`` rounded to the digits ``s`` shows (at least two significant digits)."""
    x = number(s)
    if x == 0:
        return v == 0
    mant = s.split(r"\mathrm")[0].lstrip("-").replace(".", "").lstrip("0")
    digits = max(len(mant), 2)
    tol = 0.5 * 10 ** (math.floor(math.log10(abs(x))) - digits + 1)
    return abs(x - v) <= tol * (1 + 1e-9)


def shows(entries: list[str], values) -> bool:
    """Whether ``entries`` print ``values``: all of them, or the first few, ``\\dots``, the last."""
    a = np.asarray(values, dtype=float).reshape(-1)
    if r"\dots" in entries:
        h = entries.index(r"\dots")
        if entries[h + 1:] != entries[-1:] or h + 1 >= a.size:
            return False
        return all(close(s, v) for s, v in zip(entries[:h], a[:h])) and close(entries[-1], a[-1])
    return len(entries) == a.size and all(close(s, v) for s, v in zip(entries, a))
