"""Evidence: ``VAR=STATE`` strings, UAI ``.evid`` files, and clamping a model on them.

Evidence is a ``dict[int, int]`` mapping a variable index to a state index. Conditioning on it
multiplies every factor that contains an observed variable by the indicator of the observed
state (libDAI's "clamp"), so the factor graph keeps its shape and the Trace can still be drawn
on the same graph. Inference then returns ``p(x | evidence)`` and ``log Z`` becomes
``log sum_x prod_I f_I(x)`` over the assignments that agree with the evidence (for a Bayesian
network, the log probability of the evidence).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from explorer.errors import EvidenceError, InputFormatError
from explorer.io.limits import DEFAULT_LIMITS, Limits, check_size, shown
from explorer.io.text import decode_text
from explorer.pgm.factor_graph import Factor, FactorGraph

__all__ = ["parse_evidence", "read_evidence_file", "check_evidence", "clamp", "evidence_names"]


def parse_evidence(fg: FactorGraph, items: Iterable[str] | Mapping[str, str] | None) -> dict[int, int]:
    """Turn ``["VAR=STATE", ...]`` (or ``{VAR: STATE}``) into ``{var_index: state_index}``.

    Args:
        fg: the model the names refer to.
        items: strings ``"VAR=STATE"`` (repeats allowed when they agree) or a mapping.

    Returns:
        ``{variable index: state index}``.

    Raises:
        EvidenceError: a malformed item, an unknown variable or state (the message lists the
            valid ones), or one variable given two different states.
    """
    if items is None:
        return {}
    pairs = list(items.items()) if isinstance(items, Mapping) else []
    if not isinstance(items, Mapping):
        for item in items:
            if "=" not in str(item):
                raise EvidenceError(f"expected evidence as VAR=STATE, found {item!r}; "
                                    f"for example {fg.names[0]}={fg.states[0][0]}" if fg.n_vars else
                                    f"expected evidence as VAR=STATE, found {item!r}")
            var, _, state = str(item).partition("=")
            pairs.append((var.strip(), state.strip()))
    out: dict[int, int] = {}
    for var, state in pairs:
        if var not in fg.names:
            raise EvidenceError(f"evidence names unknown variable {var!r}; valid variables: "
                                f"{', '.join(fg.names)}")
        i = fg.names.index(var)
        if str(state) not in fg.states[i]:
            raise EvidenceError(f"variable {var!r} has no state {state!r}; valid states: "
                                f"{', '.join(fg.states[i])}")
        s = fg.states[i].index(str(state))
        if out.get(i, s) != s:
            raise EvidenceError(f"variable {var!r} is given two states ({fg.states[i][out[i]]!r} "
                                f"and {state!r}); give each variable once")
        out[i] = s
    return out


def check_evidence(fg: FactorGraph, evidence: Mapping[int, int] | None) -> dict[int, int]:
    """Validate index evidence against ``fg`` (variable and state ranges); return a plain dict.

    Raises:
        EvidenceError: an index is out of range (the message gives the valid range).
    """
    out: dict[int, int] = {}
    for i, s in dict(evidence or {}).items():
        i, s = int(i), int(s)
        if not 0 <= i < fg.n_vars:
            raise EvidenceError(f"evidence names variable {i}, outside [0, {fg.n_vars - 1}]")
        if not 0 <= s < fg.cards[i]:
            raise EvidenceError(f"evidence gives variable {fg.names[i]!r} state {s}, outside "
                                f"[0, {fg.cards[i] - 1}] (states {list(fg.states[i])})")
        out[i] = s
    return out


def read_evidence_file(path: str | Path, *, limits: Limits | None = None) -> dict[int, int]:
    """Read a UAI ``.evid`` file into ``{variable index: state index}``.

    Both layouts are accepted: the UAI 2008 one (``N v1 s1 ... vN sN``) and the UAI 2010+ one
    that starts with the number of evidence samples (``S`` then, per sample, ``N v1 s1 ...``);
    only the first sample is used. The counts must account for every number in the file
    exactly: a file whose count does not match its entries is refused, never read as less
    evidence. ``0`` (or ``1 0``) means no evidence; an empty file is refused.

    Raises:
        InputFormatError: non-integer tokens, a count that does not match the entries, a count
            over ``limits.max_variables``, one variable given two states, a file over
            ``limits.max_bytes`` (checked before reading), or text that is not UTF-8/16/32.

    Example (UAI 2008: two observations, variable 0 in state 1 and variable 3 in state 0)::

        2 0 1 3 0
    """
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    src = str(path)
    if not path.is_file():
        raise InputFormatError("expected a UAI .evid evidence file, found no such file; check "
                               "the path", path=src)
    check_size("max_bytes", path.stat().st_size, limits, src, reader="read_evidence_file")
    text = decode_text(path.read_bytes(), src)
    words = _words(text)

    first, first_line = next(words, (None, None))
    if first is None:
        raise InputFormatError("expected 'N var state ...' (UAI evidence), found an empty file; "
                               "write 0 for no evidence", path=src)
    rest = [(_int(tok, ln, src), ln) for tok, ln in _take(words, 2 * limits.max_variables + 2)]
    if next(words, None) is not None:
        raise InputFormatError(f"expected at most {limits.max_variables:,} observations "
                               f"(Limits.max_variables), found more numbers; use a smaller "
                               "evidence file", path=src)
    vals = [_int(first, first_line, src)] + [v for v, _ in rest]
    lines = [first_line] + [ln for _, ln in rest]
    body = None
    if vals[0] >= 0 and len(vals) == 1 + 2 * vals[0]:          # UAI 2008: N pairs
        body = vals[1:]
    elif vals[0] >= 1:                                            # UAI 2010+: S samples
        k, samples = 1, []
        for _ in range(vals[0]):
            if k >= len(vals) or vals[k] < 0 or k + 1 + 2 * vals[k] > len(vals):
                break
            samples.append(vals[k + 1:k + 1 + 2 * vals[k]])
            k += 1 + 2 * vals[k]
        if len(samples) == vals[0] and k == len(vals):
            body = samples[0]
    if body is None:
        raise InputFormatError(f"expected 'N var state ...' with 2N numbers after N (or a "
                               f"sample count S first, then S such groups), found "
                               f"{len(vals)} numbers starting with {vals[0]} that do not fit; "
                               "fix the counts", path=src, line=lines[-1])
    check_size("max_variables", len(body) // 2, limits, src, context="observed",
               reader="read_evidence_file")
    out: dict[int, int] = {}
    for k in range(0, len(body), 2):
        var, state = body[k], body[k + 1]
        if out.get(var, state) != state:
            raise InputFormatError(f"expected each variable once, found variable {var} with "
                                   f"states {out[var]} and {state}; keep one", path=src)
        out[var] = state
    return out


def _words(text: str):
    line, last = 1, 0
    for m in re.finditer(r"\S+", text):
        line += text.count("\n", last, m.start())
        last = m.start()
        yield m.group(), line


def _take(it, n: int):
    for _ in range(n):
        item = next(it, None)
        if item is None:
            return
        yield item


def _int(tok: str, line: int, src: str) -> int:
    body = tok[1:] if tok[:1] in "+-" else tok
    if not (body.isascii() and body.isdigit()) or len(body) > 18:
        raise InputFormatError(f"expected an integer, found {shown(tok)}; a .evid file holds "
                               "only numbers, 'N var state ...' (give names as --evidence "
                               "VAR=STATE instead)", path=src, line=line)
    return int(tok)


def clamp(fg: FactorGraph, evidence: Mapping[int, int]) -> FactorGraph:
    """The model multiplied by the indicator of each observed state.

    Every factor containing an observed variable is zeroed outside the observed state. An
    observed variable in no factor gets a new unary indicator factor (so log Z stays right).

    Shapes:
        each returned table has the shape of the original one.
    """
    evidence = check_evidence(fg, evidence)
    if not evidence:
        return fg
    factors = []
    seen: set[int] = set()
    for f in fg.factors:
        table = f.table
        for pos, var in enumerate(f.scope):
            if var in evidence:
                seen.add(var)
                mask = np.zeros(fg.cards[var])
                mask[evidence[var]] = 1.0
                shape = [1] * f.arity
                shape[pos] = fg.cards[var]
                table = table * mask.reshape(shape)
        factors.append(f if table is f.table else dataclasses.replace(f, table=table))
    for var, s in evidence.items():
        if var not in seen:
            t = np.zeros(fg.cards[var])
            t[s] = 1.0
            factors.append(Factor((var,), t, label=f"[{fg.names[var]}={fg.states[var][s]}]"))
    meta = {**fg.meta, "evidence": dict(evidence)}
    return dataclasses.replace(fg, factors=tuple(factors), meta=meta)


def evidence_names(fg: FactorGraph, evidence: Mapping[int, int]) -> dict[str, str]:
    """``{VAR: STATE}`` names for index evidence (for notes and JSON)."""
    return {fg.names[i]: fg.states[i][s] for i, s in evidence.items()}
