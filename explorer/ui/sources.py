"""Where a page's graph or model comes from: a sample picker plus an upload.

Uploads are kept in the session under their kind (``"graph"``, ``"model"``, ``"weights"``), so
a file uploaded once — on a page or on "Your graph or model" — can be opened on every page that
takes that kind. The picker then lists it as :data:`UPLOAD` beside the samples. Uploads never go
into the URL: a shared link carries the sample name only. An upload stays for the session until
the user uploads another file of the same kind: a cleared or re-created uploader widget, a rerun
or a page switch never drops it, and the chosen source is kept by :class:`~explorer.ui.state.View`.

Every graph picker also offers :data:`GENERATE_SBM`, a stochastic block model drawn from block
sizes, p_in, p_out and a seed: :func:`pick` adds those settings (:data:`SBM_DEFAULTS`) to the
page's View, so they are kept and shared in links like the page's own. A sample's
index entry may suggest page settings (``"defaults"``); :func:`apply_sample_defaults` sets them
when that sample is picked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import streamlit as st

from explorer.io.limits import DEFAULT_LIMITS
from explorer.ui import cache
from explorer.ui.guard import attempt
from explorer.ui.state import View, set_setting

__all__ = ["Source", "UPLOAD", "GENERATE_SBM", "SBM_DEFAULTS", "SBM_CHOICES", "parse_sizes", "TAKERS",
           "open_upload_everywhere", "sample_names", "sample_choice", "sample_defaults",
           "apply_sample_defaults", "store_upload", "uploaded", "pick"]

#: the picker entry that stands for the user's uploaded file
UPLOAD = "upload"
#: the picker entry that generates a stochastic block model (every graph picker offers it)
GENERATE_SBM = "generate-sbm"
#: the most nodes (the reader limits) and blocks the generator is offered with; the generator
#: itself refuses more expected edges than the limits allow
SBM_MAX_NODES = DEFAULT_LIMITS.max_nodes
SBM_MAX_BLOCKS = 20


def parse_sizes(text: str) -> list[int]:
    """Block sizes written as whole numbers separated by commas (spaces allowed).

    >>> parse_sizes(" 20, 20,10 ")
    [20, 20, 10]

    Raises:
        ValueError: the message says what was expected, what was found and how to fix it.
    """
    parts = [p.strip() for p in str(text).split(",")]
    example = "for example 20, 20, 20 for three blocks of 20 nodes"
    if not any(parts):
        raise ValueError(f"expected block sizes, found nothing; {example}")
    bad = [p for p in parts if not p.isdigit() or int(p) < 1]
    if bad:
        raise ValueError(f"expected whole numbers of at least 1 separated by commas, found "
                         f"{', '.join(repr(b) for b in bad[:3])} in {str(text)[:40]!r}; {example}")
    sizes = [int(p) for p in parts]
    if len(sizes) > SBM_MAX_BLOCKS:
        raise ValueError(f"expected at most {SBM_MAX_BLOCKS} blocks, found {len(sizes)}; "
                         "merge some blocks")
    if not 2 <= sum(sizes) <= SBM_MAX_NODES:
        raise ValueError(f"expected 2 to {SBM_MAX_NODES:,} nodes in all, found {sum(sizes):,}; "
                         "change the block sizes")
    return sizes


def _sizes_ok(text: str) -> bool:
    try:
        parse_sizes(text)
    except ValueError:
        return False
    return True


#: the generator's settings, added by :func:`pick` to the View of every page with a graph picker
SBM_DEFAULTS: dict[str, Any] = {"sbm_sizes": "20,20,20", "sbm_p_in": 0.3, "sbm_p_out": 0.02,
                                "sbm_seed": 0}
SBM_CHOICES: dict[str, Callable[[Any], bool]] = {
    "sbm_sizes": _sizes_ok,
    "sbm_p_in": lambda p: 0.0 <= p <= 1.0,
    "sbm_p_out": lambda p: 0.0 <= p <= 1.0,
    "sbm_seed": lambda s: 0 <= s <= 10_000,
}
SBM_NOTE = ("A stochastic block model: the nodes are split into blocks of the given sizes "
            "and every pair is joined independently, with probability p_in inside a block and "
            "p_out between blocks. With p_in well above p_out the blocks are communities and "
            "each node's label y (its block) can be learned from its neighbours; as p_out "
            "approaches p_in the communities dissolve.")
_UPLOADS = "_uploads"  # session_state: kind -> (filename, bytes)


@dataclass(frozen=True)
class Source:
    """A loaded graph or model and what the page needs to cache and describe it.

    Attributes:
        obj: the :class:`~explorer.graph.Graph` (kind "graph") or the factor graph (kind "model").
        key: a short stable cache key (``"sample:karate"``, ``"upload:<sha1>"``).
        title: what to call it on the page.
        note: the sample's teaching note ("" for uploads).
        name: the sample name, or the uploaded file's name.
        is_upload: True for an uploaded file.
    """

    obj: Any
    key: str
    title: str
    note: str
    name: str
    is_upload: bool = False


#: a model to start from when the sample index holds none (a small loopy Ising grid)
BUILTIN_MODEL = SimpleNamespace(
    name="ising4", title="Ising grid 4×4 (built in)",
    note="Sixteen binary pixels on a grid, each preferring to agree with its neighbours and with "
         "a noisy observation of itself. The grid has many short cycles, so belief propagation "
         "only approximates the marginals here: compare its bars with the exact ones.")


def _infos(kind: str) -> dict[str, Any]:
    infos = {s.name: s for s in cache.samples(kind)}
    if kind == "model" and not infos:
        infos = {BUILTIN_MODEL.name: BUILTIN_MODEL}
    return infos


def sample_names(kind: str = "graph") -> list[str]:
    """Names of the samples of ``kind`` in index order (a built-in model when there are none)."""
    return list(_infos(kind))


def sample_defaults(kind: str, name: str) -> dict[str, Any]:
    """The page settings the sample ``name`` of ``kind`` suggests (its index entry's
    ``"defaults"``); ``{}`` for an upload or a sample without any."""
    info = _infos(kind).get(name)
    return dict(getattr(info, "defaults", ()) or ())


def apply_sample_defaults(view: View, kind: str, setting: str = "sample") -> None:
    """When the chosen sample changes, set the page settings its index entry suggests.

    Settings a previous sample suggested go back to the page's defaults. On a page opened
    from a link, a setting the link gives wins over the sample's suggestion. Call after
    :func:`pick` and before the widgets of those settings are drawn.
    """
    name = view[setting]
    mark = f"_{view.page}.sample_defaults"
    before = st.session_state.get(mark)
    if before is not None and before[0] == name:
        return
    wanted = {n: v for n, v in sample_defaults(kind, name).items() if n in view.defaults}
    restore = [n for n in (before[1] if before else ()) if n not in wanted]
    for n in restore:
        view.set(n, view._default(n))
    for n, v in wanted.items():
        ok, v = view.valid(n, v)
        if ok and not (before is None and n in st.query_params):
            view.set(n, v)
    st.session_state[mark] = (name, tuple(wanted))


def uploaded(kind: str) -> tuple[str, bytes] | None:
    """The ``(filename, data)`` of the session's upload of ``kind``, if any."""
    return st.session_state.get(_UPLOADS, {}).get(kind)


def store_upload(kind: str, filename: str, data: bytes) -> None:
    """Keep an upload for this session (replacing an earlier one of the same kind)."""
    st.session_state.setdefault(_UPLOADS, {})[kind] = (filename, bytes(data))


#: the pages (View ids) whose picker takes each kind of upload
TAKERS: dict[str, tuple[str, ...]] = {"graph": ("graphs", "nn", "matrix", "smooth"),
                                      "model": ("bp",)}


def open_upload_everywhere(kind: str) -> None:
    """Make the session's upload of ``kind`` the chosen source on every page that takes it."""
    for page in TAKERS.get(kind, ()):
        set_setting(page, "sample", UPLOAD)


def sample_choice(kind: str = "graph") -> Callable[[str], bool]:
    """A validator for a URL ``sample=`` value: a sample of ``kind``, or an upload held now."""
    return lambda v: (v in sample_names(kind) or (v == UPLOAD and uploaded(kind) is not None)
                      or (kind == "graph" and v == GENERATE_SBM))


def _sizes_changed(page: str) -> None:
    """Block-size box callback: keep a valid entry (tidied), or say why a typed one is refused
    (the View then keeps the last valid sizes)."""
    key = f"{page}.sbm_sizes"
    try:
        sizes = parse_sizes(st.session_state.get(key, ""))
    except ValueError as e:
        st.session_state[f"_{page}.sbm_refused"] = (str(st.session_state.get(key, ""))[:40], str(e))
        return
    st.session_state.pop(f"_{page}.sbm_refused", None)
    set_setting(page, "sbm_sizes", ",".join(map(str, sizes)))


def _sbm_controls(view: View) -> None:
    st.text_input("Block sizes", key=view.key("sbm_sizes"), on_change=_sizes_changed,
                  args=(view.page,), help="Nodes per block, separated by commas: "
                                          "20, 20, 20 is three blocks of 20 nodes.")
    refused = st.session_state.pop(f"_{view.page}.sbm_refused", None)
    if refused:
        st.warning(f"Block sizes {refused[0]!r} not used: {refused[1]}. Still using "
                   f"{view['sbm_sizes']}.", icon=":material/edit_off:")
    st.number_input("p_in (edge probability inside a block)", 0.0, 1.0, step=0.01,
                    key=view.key("sbm_p_in"), format="%.3f")
    st.number_input("p_out (edge probability between blocks)", 0.0, 1.0, step=0.01,
                    key=view.key("sbm_p_out"), format="%.3f")
    st.number_input("Generator seed", 0, 10_000, key=view.key("sbm_seed"), step=1)
    sizes = parse_sizes(view["sbm_sizes"])
    p_in, p_out = float(view["sbm_p_in"]), float(view["sbm_p_out"])
    from explorer.io.generators import expected_edges

    st.caption(f"{sum(sizes):,} nodes in {len(sizes)} block{'s' * (len(sizes) > 1)}; about "
               f"{expected_edges(sizes, p_in, p_out):,.0f} edges expected."
               + (" p_out is above p_in: nodes link more across blocks than inside them "
                  "(a disassortative graph)." if p_out > p_in else ""))


def _on_upload(kind: str, uploader_key: str, page: str, setting: str) -> None:
    # Only a new file replaces the upload: a cleared or re-created uploader (None) keeps it.
    f = st.session_state.get(uploader_key)
    if f is None:
        return
    store_upload(kind, f.name, f.getvalue())
    set_setting(page, setting, UPLOAD)


def pick(view: View, container: Any, *, kind: str = "graph", setting: str = "sample",
         label: str = "Sample", allow: Callable[[Any], bool] | None = None,
         extensions: str = "") -> Source:
    """Draw the picker and uploader in ``container``; load and return the chosen source.

    Args:
        view: the page settings; ``setting`` holds the chosen name (or :data:`UPLOAD`).
        container: where the widgets go (the sidebar or the lecture-mode expander).
        kind: "graph" or "model".
        allow: an optional filter on :class:`~explorer.io.SampleInfo` for the listed samples.
        extensions: a hint listing the accepted file types, shown under the uploader.

    Returns:
        The loaded :class:`Source`. A file that cannot be read shows its message and ends the
        run of the page (the upload and every setting are kept).
    """
    infos = {n: s for n, s in _infos(kind).items() if allow is None or allow(s)}
    up = uploaded(kind)
    gen = kind == "graph"
    if gen:
        view.extend(SBM_DEFAULTS, SBM_CHOICES)
    options = list(infos) + ([GENERATE_SBM] if gen else []) + ([UPLOAD] if up else [])
    key = view.key(setting)
    if view[setting] not in options:
        view.set(setting, view.defaults[setting] if view.defaults[setting] in options
                 else options[0])

    def title(name: str) -> str:
        if name == GENERATE_SBM:
            return "Generate: stochastic block model"
        return f"Your upload: {up[0]}" if name == UPLOAD and up else infos[name].title

    def draw() -> None:
        st.selectbox(label, options, key=key, format_func=title)
        if gen and view[setting] == GENERATE_SBM:
            _sbm_controls(view)
        ukey = f"{view.page}.{setting}.file"
        st.file_uploader(f"…or upload a {kind} file", key=ukey, on_change=_on_upload,
                         args=(kind, ukey, view.page, setting), help=extensions or None)

    from explorer.ui.shell import draw_in

    draw_in(container, draw)  # maybe after the page's chart
    name = view[setting]
    if name == GENERATE_SBM:
        sizes = tuple(parse_sizes(view["sbm_sizes"]))
        p_in, p_out, seed = float(view["sbm_p_in"]), float(view["sbm_p_out"]), int(view["sbm_seed"])
        obj = attempt("generate the stochastic block model", cache.sbm_graph, sizes, p_in,
                      p_out, seed)
        return Source(obj, cache.key("sbm", sizes, p_in, p_out, seed), obj.name, SBM_NOTE, "sbm")
    if name == UPLOAD and up:
        filename, data = up
        loader = cache.upload_graph if kind == "graph" else cache.upload_model
        obj = attempt(f"read the uploaded file {filename}", loader, data, filename)
        digest = hashlib.sha1(data).hexdigest()[:16]
        return Source(obj, f"upload:{digest}", filename, "", filename, is_upload=True)
    loader = cache.sample_graph if kind == "graph" else cache.sample_model
    if name == BUILTIN_MODEL.name:
        loader = cache.builtin_model
    obj = attempt(f"load the sample {name}", loader, name)
    info = infos[name]
    return Source(obj, f"sample:{name}", info.title, info.note, name)
