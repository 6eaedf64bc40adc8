"""The sample registry: ``sample_graphs/index.json`` read into :class:`SampleInfo` records.

Each entry of the index names one file under ``sample_graphs/`` and says, for a teacher, what
the sample shows. A sample name is accepted anywhere a file path is (``load_graph("karate")``,
``python -m explorer show karate``). Samples of kind ``"model"`` are graphical models; they are
loaded by :func:`explorer.pgm.load_model`, not here.

Example:
    >>> [s.name for s in list_samples("graph")][:3]
    ['chain5', 'karate', 'caffeine']
    >>> load_graph("karate").n_nodes
    34
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from explorer.errors import InputFormatError, ModelError
from explorer.graph import Graph

__all__ = ["SampleInfo", "SAMPLES_DIR", "list_samples", "get_sample", "sample_path", "is_sample",
           "load_graph"]

#: The folder holding the sample files and ``index.json``.
SAMPLES_DIR: Path = Path(__file__).resolve().parents[2] / "sample_graphs"
_KINDS = ("graph", "model")


@dataclass(frozen=True)
class SampleInfo:
    """One entry of the sample index.

    Attributes:
        name: the short name used on the command line and in the app (``"karate"``).
        title: a human title.
        kind: ``"graph"`` (read by :mod:`explorer.io`) or ``"model"`` (a graphical model).
        file: the file's path relative to ``sample_graphs/``.
        note: a teaching paragraph: what the sample is and what to show with it.
        demonstrates: short phrases naming the ideas it illustrates.
        layout: the suggested layout name (see :data:`explorer.viz.layout.LAYOUTS`) or ``None``.
        defaults: page settings that suit this sample, as ``(name, value)`` pairs from the
            entry's optional ``"defaults"`` object (e.g. ``{"max_iter": 400}`` for a model BP
            needs many iterations on); a page applies the ones it has when the sample is picked.
    """

    name: str
    title: str
    kind: str
    file: str
    note: str
    demonstrates: tuple[str, ...]
    layout: str | None
    defaults: tuple[tuple[str, object], ...] = ()

    def as_dict(self) -> dict:
        """Plain data (for ``samples --json``)."""
        return {"name": self.name, "title": self.title, "kind": self.kind, "file": self.file,
                "note": self.note, "demonstrates": list(self.demonstrates), "layout": self.layout, "defaults": dict(self.defaults)}


@lru_cache(maxsize=4)
def _index(path: Path, mtime_ns: int) -> tuple[SampleInfo, ...]:
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputFormatError(f"the sample index is not valid JSON ({e.msg}); fix the file",
                               path=where, line=e.lineno) from e
    entries = data.get("samples") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise InputFormatError('expected an object {"samples": [...]}; fix the sample index',
                               path=where)
    out: list[SampleInfo] = []
    for i, d in enumerate(entries):
        missing = [k for k in ("name", "title", "kind", "file") if not d.get(k)]
        if missing or d["kind"] not in _KINDS:
            raise InputFormatError(
                f"sample entry {i} ({d.get('name', '?')!r}) needs name, title, file and kind in "
                f"{_KINDS}; found missing={missing}, kind={d.get('kind')!r}", path=where)
        defaults = d.get("defaults", {})
        if not isinstance(defaults, dict) or not all(
                isinstance(v, (int, float, str, bool)) for v in defaults.values()):
            raise InputFormatError(
                f"sample entry {i} ({d['name']!r}): expected \"defaults\" to be an object of "
                f"setting names to numbers, strings or booleans, found {defaults!r:.80}; fix the "
                "sample index", path=where)
        out.append(SampleInfo(name=d["name"], title=d["title"], kind=d["kind"], file=d["file"],
                              note=d.get("note", ""), demonstrates=tuple(d.get("demonstrates", ())),
                              layout=d.get("layout"), defaults=tuple(sorted(defaults.items()))))
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputFormatError(f"sample names must be unique; found duplicates {dup}", path=where)
    return tuple(out)


def _samples() -> tuple[SampleInfo, ...]:
    path = SAMPLES_DIR / "index.json"
    return _index(path, path.stat().st_mtime_ns)  # re-read when the index is edited


def list_samples(kind: str | None = None) -> list[SampleInfo]:
    """The samples in index order, optionally only those of one ``kind`` ("graph" or "model").

    Raises:
        ModelError: ``kind`` is neither None, "graph" nor "model".
    """
    if kind is not None and kind not in _KINDS:
        raise ModelError(f"kind must be one of {_KINDS} or None (got {kind!r})")
    return [s for s in _samples() if kind is None or s.kind == kind]


def is_sample(name: object) -> bool:
    """True when ``name`` is the name of a sample (not a path)."""
    return isinstance(name, str) and any(s.name == name for s in _samples())


def get_sample(name: str) -> SampleInfo:
    """The index entry for ``name``.

    Raises:
        ModelError: no sample has that name (the message lists the valid names).
    """
    for s in _samples():
        if s.name == name:
            return s
    valid = ", ".join(s.name for s in _samples())
    raise ModelError(f"unknown sample {name!r}; expected one of: {valid} "
                     "(run `python -m explorer samples` to see them)")


def sample_path(name: str) -> Path:
    """The absolute path of a sample's file (raises :class:`ModelError` for unknown names)."""
    return SAMPLES_DIR / get_sample(name).file


def load_graph(name_or_path: str | Path, *, limits=None) -> Graph:
    """A sample graph by name, or a graph file by path (see :func:`explorer.io.read_graph`).

    Args:
        name_or_path: a sample name such as ``"karate"`` or a path to a graph file.
        limits: optional :class:`explorer.io.Limits` for files (samples are always small).

    Returns:
        The :class:`~explorer.graph.Graph`; a sample's ``name`` is its sample name and
        ``meta["sample"]`` holds the sample name.

    Raises:
        ModelError: the name is a sample of kind "model" (use ``explorer.pgm.load_model``).
        InputFormatError: the file cannot be read (unknown extension, bad content, too large...).
    """
    from explorer.io.readers import read_graph  # late: readers import networkx

    if is_sample(str(name_or_path)) and not Path(str(name_or_path)).exists():
        info = get_sample(str(name_or_path))
        if info.kind != "graph":
            raise ModelError(f"{info.name!r} is a graphical model, not a graph; load it with "
                             "explorer.pgm.load_model (or the `exact`/`bp` commands)")
        g = read_graph(SAMPLES_DIR / info.file, limits=limits)
        return dataclasses.replace(g, name=info.name, meta={**g.meta, "sample": info.name})
    return read_graph(name_or_path, limits=limits)
