"""Reading and writing model files, and resolving sample names.

    read_model(path)                  by extension (MODEL_EXTENSIONS)
    read_model_bytes(data, filename)  an upload held in memory
    load_model(name_or_path)          a sample name (``"asia"``) or a path
    write_model(fg, path)             .uai, .bif or .xmlbif by extension
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from explorer.errors import InputFormatError, ModelError
from explorer.io.limits import Limits, check_size
from explorer.io.text import decode_text
from explorer.pgm.bif import format_bif, parse_bif
from explorer.pgm.factor_graph import FactorGraph
from explorer.pgm.uai import format_uai, parse_uai
from explorer.pgm.xmlbif import format_xmlbif, parse_xmlbif

__all__ = ["MODEL_EXTENSIONS", "MAX_MODEL_BYTES", "read_model", "read_model_bytes", "load_model",
           "write_model", "model_samples"]

#: extension -> format name
MODEL_EXTENSIONS: dict[str, str] = {".uai": "uai", ".bif": "bif", ".xmlbif": "xmlbif", ".xml": "xmlbif"}
#: the largest model file accepted, in bytes
MAX_MODEL_BYTES = 20_000_000

_SAMPLES_DIR = Path(__file__).resolve().parents[2] / "sample_graphs"


def _ext(filename: str) -> str:
    low = filename.lower()
    for ext in sorted(MODEL_EXTENSIONS, key=len, reverse=True):
        if low.endswith(ext):
            return ext
    raise InputFormatError(f"expected a model file ending in {', '.join(MODEL_EXTENSIONS)}; "
                           f"found {Path(filename).name!r}; rename it or convert it", path=filename)


def read_model_bytes(data: bytes, filename: str, *, limits: Limits | None = None) -> FactorGraph:
    """Parse a model held in memory; the format comes from ``filename``'s extension.

    Args:
        limits: size limits (default ``Limits()``, see :mod:`explorer.io.limits`).

    Raises:
        InputFormatError: unknown extension, too large, not UTF-8/16/32 text, any size over
            ``limits``, or any content error (with the line number).
    """
    fmt = MODEL_EXTENSIONS[_ext(filename)]
    limits = limits or Limits(max_bytes=MAX_MODEL_BYTES)
    check_size("max_bytes", len(data), limits, filename, reader="read_model")
    if fmt == "xmlbif":
        fg = parse_xmlbif(data, filename, limits=limits)
    else:
        text = decode_text(data, filename)
        fg = (parse_uai(text, filename, limits=limits) if fmt == "uai"
              else parse_bif(text, filename, limits=limits))
    stem = Path(filename).name
    stem = stem[: len(stem) - len(_ext(filename))]
    return fg if fg.name else dataclasses.replace(fg, name=stem)


def read_model(path: str | Path, *, limits: Limits | None = None) -> FactorGraph:
    """Read a ``.uai``, ``.bif`` or ``.xmlbif`` file (see :func:`read_model_bytes`)."""
    path = Path(path)
    _ext(str(path))
    limits = limits or Limits(max_bytes=MAX_MODEL_BYTES)
    check_size("max_bytes", path.stat().st_size, limits, str(path), reader="read_model")
    return read_model_bytes(path.read_bytes(), str(path), limits=limits)


def model_samples() -> dict[str, Path]:
    """``{sample name: path}`` for the samples of kind ``"model"``."""
    try:
        from explorer.io.samples import list_samples, SAMPLES_DIR
        return {s.name: SAMPLES_DIR / s.file for s in list_samples("model")}
    except ImportError:  # pragma: no cover - the io package is absent in a partial build
        index = _SAMPLES_DIR / "index.json"
        if not index.exists():
            return {}
        data = json.loads(index.read_text(encoding="utf-8"))
        return {d["name"]: _SAMPLES_DIR / d["file"] for d in data.get("samples", [])
                if d.get("kind") == "model"}


def load_model(name_or_path: str | Path) -> FactorGraph:
    """A model sample by name (``"asia"``, ``"chain"``) or a model file by path.

    Returns:
        The model; a sample's ``name`` is its sample name and ``meta["sample"]`` holds it.

    Raises:
        ModelError: neither an existing file nor a model sample (lists the sample names).
        InputFormatError: the file cannot be read.
    """
    p = Path(str(name_or_path))
    if p.exists():
        return read_model(p)
    samples = model_samples()
    key = str(name_or_path)
    if key in samples:
        fg = read_model(samples[key])
        return dataclasses.replace(fg, name=key, meta={**fg.meta, "sample": key})
    raise ModelError(f"{key!r} is neither a model file nor a model sample; samples: "
                     f"{', '.join(sorted(samples)) or '(none)'}; files end in "
                     f"{', '.join(MODEL_EXTENSIONS)}")


def write_model(fg: FactorGraph, path: str | Path) -> Path:
    """Write ``fg`` as UAI, BIF or XMLBIF, chosen by the extension of ``path``."""
    path = Path(path)
    fmt = MODEL_EXTENSIONS[_ext(str(path))]
    text = {"uai": format_uai, "bif": format_bif, "xmlbif": format_xmlbif}[fmt](fg)
    path.write_text(text, encoding="utf-8")
    return path
