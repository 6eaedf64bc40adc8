"""Over-smoothing: how node features collapse with depth, per architecture and remedy."""

import streamlit as st

from explorer.ui import cache, player, shell, smoothing_panel, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
Every layer mixes each node's vector with its neighbours'. Stack many layers and the mixing
wins: on a connected graph the vectors drift towards one another until nodes can no longer be
told apart — **over-smoothing**. The charts follow it layer by layer with standard measures:
the *Dirichlet energy* (how much neighbours still differ; Rusch et al. 2023), the *mean average
distance* MAD between node vectors and MADGap, far pairs' MAD minus near pairs' (Chen et al.
2020), the *effective* and *numerical* rank of the feature matrix, the mean cosine between node
vectors and, on a graph with classes, how well a linear probe still reads them. Remedies such as residual connections, PairNorm, GCNII's initial-residual and DropEdge
slow the collapse; compare them on the same graph and seed.
"""
ARCHS = ["gcn", "sage", "gat", "gin"]
REMEDIES = ["none", "residual", "pairnorm", "gcnii", "dropedge"]
MAX_LINES = 8  # runs compared on the charts (any chosen combination can still be animated)

def _combo_ok(name: str) -> bool:
    """A "show" value names one architecture + remedy pair ("gcn + pairnorm")."""
    parts = str(name).split(" + ")
    return len(parts) == 2 and parts[0] in ARCHS and parts[1] in REMEDIES


def _devices() -> list[str]:
    """The devices offered: cuda only when torch sees a GPU (the engine refuses it otherwise)."""
    import torch

    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])


DEVICES = _devices()
HIDDEN = [4, 8, 16, 32, 64, 128]
view = View("smooth", {"sample": "karate", "archs": ["gcn"], "remedies": ["none", "pairnorm"],
                       "depth": 32, "hidden": 16, "device": "auto", "seed": 0, "show": "gcn + none",
                       **player.DEFAULTS, "color": "pca"},
            choices={"sample": sources.sample_choice("graph"), "archs": ARCHS,
                     "remedies": REMEDIES, "device": DEVICES,
                     "depth": lambda d: 1 <= d <= 128, "hidden": HIDDEN,
                     "show": lambda s: _combo_ok(s)})
controls = shell.frame(view, "Over-smoothing", INTRO, chart_first=True)
src = sources.pick(view, controls, kind="graph")
graph = src.obj


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.multiselect("Architectures", ARCHS, key=view.key("archs"))
    st.multiselect("Remedies", REMEDIES, key=view.key("remedies"),
                   help="gcnii replaces the layer by GCNII's; the others wrap the chosen layer.")
    st.slider("Depth (layers)", 1, 128, key=view.key("depth"))
    st.select_slider("Hidden size", HIDDEN, key=view.key("hidden"))
    st.segmented_control("Device", DEVICES, key=view.key("device"),
                         required=True, help="auto: the GPU when torch sees one, else the CPU.")
    st.number_input("Seed", 0, 10_000, key=view.key("seed"))

chosen = [(a, r) for a in view["archs"] or ["gcn"] for r in view["remedies"] or ["none"]]
combos = [c for c in chosen if c[1] != "gcnii" or c[0] == "gcn"]  # gcnii is GCN's own layer
if not combos:
    combos = [("gcn", "gcnii")]
names = [f"{a} + {r}" for a, r in combos]
skey = view.key("show")
if st.session_state.get(skey) not in names:
    st.session_state[skey] = names[0]
controls.later(lambda: st.selectbox(
    "Animate", names, key=skey,
    help="Which architecture + remedy the graph, the PCA scatter and the cursor show."))
name = st.session_state[skey]
drawn = names[:MAX_LINES] + ([name] if name not in names[:MAX_LINES] else [])
settings = (int(view["depth"]), int(view["hidden"]), view["device"], int(view["seed"]))
top = st.container()  # the caption above the graph: after the chart on a first run
bar = st.empty()  # a progress bar only while a sweep runs (a cached one draws nothing)
sweeps = {}
for j, n in enumerate(drawn):
    arch, remedy = n.split(" + ")

    def progress(done, total, j=j, n=n):
        bar.progress(min((j + done / max(total, 1)) / len(drawn), 1.0),
                     text=f"{n}: layer {done} of {total}")

    sweeps[n] = attempt(f"sweep {arch} with {remedy}", cache.sweep, graph, src.key, arch,
                        *settings[:2], remedy, *settings[2:], _progress=progress)
bar.empty()
shown = sweeps[name]
notes = []
if len(combos) < len(chosen):
    notes.append("gcnii is GCN's own layer (GCN2Conv), so it is swept once, as gcn + gcnii")
if len(names) > MAX_LINES:
    notes.append(f"the charts compare the first {MAX_LINES} of the {len(names)} combinations and the "
                 "animated one (pick any in Animate)")
controls.later(lambda: st.caption(
    f"Ran on **{shown.device}**, animating **{name}**: step k is the output of layer k, "
    "layer 0 the input features. Nodes are coloured by the first principal component of the layer's "
    "features on **one colour scale for every layer**: as the layers smooth the features, the "
    "colours run together. Press Play, or click a layer on a chart beside the graph."
    + "".join(f" Note: {t}." for t in notes)), where=top)
keys = {n: cache.key(src.key, n, *settings) for n in sweeps}
tkey = keys[name]
trace = attempt("prepare the per-layer view", cache.sweep_trace, shown, tkey, graph)
gkey = graph.content_hash()
pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)
depth = attempt("project each layer and probe it", smoothing_panel.from_sweeps, sweeps, name, keys,
                graph, int(view["seed"]), "smooth")


def lead(step: int, node: int) -> bool:
    """The scatter and the charts first in the panel, beside the graph; the node's update below."""
    smoothing_panel.draw(view, depth, step)
    return True


player.play(view, trace, tkey, pos, gkey, controls, name=f"{src.name}-oversmoothing", lead=lead)
view.sync()
