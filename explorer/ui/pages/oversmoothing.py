"""Over-smoothing: how node features collapse with depth, per architecture and remedy."""

import streamlit as st

from explorer import viz
from explorer.ui import cache, player, shell, sources
from explorer.ui.guard import attempt
from explorer.ui.state import View

INTRO = """
Every layer mixes each node's vector with its neighbours'. Stack many layers and the mixing
wins: on a connected graph the vectors drift towards one another until nodes can no longer be
told apart — **over-smoothing**. The charts follow it layer by layer with standard measures:
the *Dirichlet energy* (how much neighbours still differ; Rusch et al. 2023), the *mean average
distance* MAD between node vectors (Chen et al. 2020) and the *effective rank* of the feature
matrix. Remedies such as residual connections, PairNorm, GCNII's initial-residual and DropEdge
slow the collapse; compare them on the same graph and seed.
"""
ARCHS = ["gcn", "sage", "gat", "gin"]
REMEDIES = ["none", "residual", "pairnorm", "gcnii", "dropedge"]

def _devices() -> list[str]:
    """The devices offered: cuda only when torch sees a GPU (the engine refuses it otherwise)."""
    import torch

    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])


DEVICES = _devices()
HIDDEN = [4, 8, 16, 32, 64, 128]
view = View("smooth", {"sample": "karate", "archs": ["gcn"], "remedies": ["none", "pairnorm"],
                       "depth": 32, "hidden": 16, "device": "auto", "seed": 0, **player.DEFAULTS},
            choices={"sample": sources.sample_choice("graph"), "archs": ARCHS,
                     "remedies": REMEDIES, "device": DEVICES,
                     "depth": lambda d: 1 <= d <= 128, "hidden": HIDDEN})
controls = shell.frame(view, "Over-smoothing", INTRO)
src = sources.pick(view, controls, kind="graph")
graph = src.obj
with controls:
    st.multiselect("Architectures", ARCHS, key=view.key("archs"))
    st.multiselect("Remedies", REMEDIES, key=view.key("remedies"),
                   help="gcnii replaces the layer by GCNII's; the others wrap the chosen layer.")
    st.slider("Depth (layers)", 1, 128, key=view.key("depth"))
    st.select_slider("Hidden size", HIDDEN, key=view.key("hidden"))
    st.segmented_control("Device", DEVICES, key=view.key("device"),
                         required=True, help="auto: the GPU when torch sees one, else the CPU.")
    st.number_input("Seed", 0, 10_000, key=view.key("seed"))

combos = [(a, r) for a in view["archs"] or ["gcn"] for r in view["remedies"] or ["none"]][:8]
settings = (int(view["depth"]), int(view["hidden"]), view["device"], int(view["seed"]))
bar = st.progress(0.0, text="sweeping…")
sweeps = {}
for j, (arch, remedy) in enumerate(combos):
    def progress(done, total, j=j):
        bar.progress(min((j + done / max(total, 1)) / len(combos), 1.0),
                     text=f"{arch} + {remedy}: layer {done} of {total}")

    sweeps[f"{arch} + {remedy}"] = attempt(f"sweep {arch} with {remedy}", cache.sweep, graph,
                                           src.key, arch, *settings[:2], remedy, *settings[2:],
                                           _progress=progress)
bar.empty()
first = next(iter(sweeps.values()))
st.caption(f"Ran on **{first.device}**. Metrics of layer 0 describe the input features.")
st.subheader("The graph, coloured by the features at each depth")
name = next(iter(sweeps))
st.markdown(f"Showing **{name}**; step k is the output of layer k (the first principal "
            "component when the features are wide). Press Play and watch the colours even out.")
tkey = cache.key(src.key, name, *settings)
trace = attempt("prepare the per-layer view", cache.sweep_trace, sweeps[name], tkey, graph)
gkey = graph.content_hash()
pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)
player.play(view, trace, tkey, pos, gkey, controls,
            name=f"{src.name}-oversmoothing")
st.subheader("The collapse, measured layer by layer")
st.plotly_chart(viz.metrics_figure(sweeps), key="smooth.metrics")
view.sync()
