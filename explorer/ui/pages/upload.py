"""Your graph or model: one place to upload a graph, a graphical model or trained PyG weights."""

import hashlib
from pathlib import Path

import streamlit as st

from explorer.ui import cache, graph_info, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View, set_setting

INTRO = """
Bring your own data. The explorer reads the file, tells you what it found (or, if it cannot,
what it expected and how to fix the file), and keeps it for this session: every page that can
use it then lists it as **Your upload** beside the samples. Files stay on the machine running
the app; they are never put in a shared link.
"""
GRAPHS = ".graphml .gml .json .edgelist .edges .txt .csv"
MODELS = ".uai .bif .xmlbif .xml"
PAGES = "explorer/ui/pages"


def _evidence_for(fg, model_data: bytes) -> None:
    """Offer a UAI ``.evid`` file for the uploaded model; set what it observes as the Belief
    propagation page's evidence (only when the model or the evidence file changes, so later
    edits on that page stay; a new model without a file clears the old evidence)."""
    from explorer.pgm.evidence import check_evidence, evidence_names

    evid = st.file_uploader("…and its evidence (UAI .evid, optional)", key="upload.evid",
                            help="'N var state ...': N observations by variable and state index "
                                 "(the UAI competition format).")
    found: dict[int, int] | None = {}
    evid_data = None
    if evid is not None:
        evid_data = evid.getvalue()
        found = attempt(f"read the evidence {evid.name}", cache.upload_evidence, evid_data,
                        evid.name, stop=False)
        if found is not None:
            found = attempt(f"use the evidence {evid.name} with this model", check_evidence, fg,
                            found, stop=False)
        if found is None:
            return  # the message is shown; the evidence set earlier stays
    names = [f"{v}={s}" for v, s in evidence_names(fg, found).items()]
    if names:
        st.success(f"**{evid.name}** observes {', '.join(names)}; Belief propagation opens "
                   "with this evidence.", icon=":material/check_circle:")
    mark = tuple(hashlib.sha1(d).hexdigest() if d is not None else None
                 for d in (model_data, evid_data))
    if st.session_state.get("_upload.evidence_for") != mark:
        st.session_state["_upload.evidence_for"] = mark
        set_setting("bp", "evidence", names)


view = View("upload", {})
shell.frame(view, "Your graph or model", INTRO)
view.sync()
st.markdown(f"""
| you have | extensions | opens in |
|---|---|---|
| a graph | `{GRAPHS}` | Graphs, Neural message passing, Matrix view, Over-smoothing |
| a graphical model | `{MODELS}` (a `.uai` may bring its `.evid` evidence) | Belief propagation |
| trained PyG weights | `.pt` (a `state_dict` of GCN, GraphSAGE, GAT or GIN) | Neural message passing |

Node attributes `x` (a list of numbers), `y` (a class) and `pos` become features, labels and
positions; an edge attribute `edge_attr` becomes edge features. Size limits: 50,000 nodes,
500,000 edges, 20 MB.
""")
up = st.file_uploader("Upload a file", key="upload.file")
if up is None:
    st.stop()

name, data = up.name, up.getvalue()
ext = Path(name).suffix.lower()
if ext == ".pt":
    spec = attempt(f"read the weights in {name}", cache.pyg_weights, data, name)
    sources.store_upload("weights", name, data)
    st.session_state.setdefault("_views", {}).setdefault("nn", {})["weights"] = True
    st.session_state["nn.weights"] = True
    st.success(f"**{name}**: a {spec['kind'].upper()} with {spec['layers']} layers, "
               f"{spec['in_channels']} input features, hidden {spec['hidden']}.",
               icon=":material/check_circle:")
    if spec.get("notes"):  # a GAT whose last layer has no bias to tell mean from concat
        from explorer import nn
        st.session_state["_gat_last"] = st.radio(
            "Last GAT layer: combine its heads by", ["mean", "concat"], horizontal=True,
            index=["mean", "concat"].index(st.session_state.get("_gat_last", "mean")),
            key="upload.gat_last", help="mean: PyG's GAT built with out_channels (the default); "
                                        "concat: built without out_channels.")
        st.caption(attempt("read the GAT", nn.load_pyg_state_dict, spec["state_dict"],
                           gat_last=st.session_state["_gat_last"])["notes"][0])
    st.page_link(f"{PAGES}/neural.py", label="Run it in Neural message passing",
                 icon=":material/arrow_forward:")
elif ext in MODELS.split():
    fg = attempt(f"read the model {name}", cache.upload_model, data, name)
    sources.store_upload("model", name, data)
    sources.open_upload_everywhere("model")
    s = fg.summary()
    st.success(f"**{name}**: {s['variables']} variables, {s['factors']} factors"
               f"{', a tree' if s['tree'] else ', with cycles'}.", icon=":material/check_circle:")
    if ext == ".uai":
        _evidence_for(fg, data)
    st.page_link(f"{PAGES}/belief_propagation.py", label="Open it in Belief propagation",
                 icon=":material/arrow_forward:")
elif ext not in GRAPHS.split():
    st.error(f"**Could not read {name}:** expected a graph ({GRAPHS}), a graphical model "
             f"({MODELS}) or PyG weights (.pt), found {ext or 'no extension'!r}; rename the file "
             "if its content is one of these, or convert it.", icon=":material/error:")
else:
    graph = attempt(f"read the graph {name}", cache.upload_graph, data, name)
    sources.store_upload("graph", name, data)
    sources.open_upload_everywhere("graph")
    st.success(f"**{name}** read as a graph.", icon=":material/check_circle:")
    graph_info.summary_panel(graph)
    for page, label in (("graphs", "Graphs"), ("neural", "Neural message passing"),
                        ("matrix", "Matrix view"), ("oversmoothing", "Over-smoothing")):
        st.page_link(f"{PAGES}/{page}.py", label=f"Open it in {label}",
                     icon=":material/arrow_forward:")
