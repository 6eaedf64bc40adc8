"""Over-smoothing: how node features collapse with depth, per architecture and remedy."""

import streamlit as st

from explorer.diagnostics.pca import layer_pca
from explorer.diagnostics.probe import layer_accuracies
from explorer.viz.charts import CURSOR_METRICS, depth_cursor_figure
from explorer.viz.pca_view import pca_scatter

from explorer import viz
from explorer.ui import cache, player, shell, sources
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

def _combo_ok(name: str) -> bool:
    """A "show" value names one architecture + remedy pair ("gcn + pairnorm")."""
    parts = str(name).split(" + ")
    return len(parts) == 2 and parts[0] in ARCHS and parts[1] in REMEDIES


def _memo(sweep, name: str, fn):
    """``fn()`` computed once per cached sweep: kept on the sweep (small: [N, 2] per layer, or
    one accuracy per layer), so a rerun neither redoes the PCA nor the probes."""
    memo = sweep.__dict__.setdefault("_mpe_memo", {})
    if name not in memo:
        memo[name] = fn()
    return memo[name]


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
names = list(sweeps)
skey = view.key("show")
if st.session_state.get(skey) not in names:
    st.session_state[skey] = names[0]
with controls:
    st.selectbox("Animate", names, key=skey,
                 help="Which architecture + remedy the graph, the PCA scatter and the cursor show.")
name = st.session_state[skey]
shown = sweeps[name]
st.caption(f"Ran on **{shown.device}**. Metrics of layer 0 describe the input features.")
st.subheader("The graph, coloured by the features at each depth")
st.markdown(f"Animating **{name}**; step k is the output of layer k. Nodes are coloured by the first "
            "principal component of that layer's features, on **one colour scale for every layer**: "
            "as the layers smooth the features the colours run together. Press Play.")
tkey = cache.key(src.key, name, *settings)
trace = attempt("prepare the per-layer view", cache.sweep_trace, sweeps[name], tkey, graph)
gkey = graph.content_hash()
pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)
pca = attempt("project each layer on its principal axes", _memo, shown, "pca",
              lambda: layer_pca(shown.features))
metrics = list(CURSOR_METRICS[:1]) + ["feature_norm"] + list(CURSOR_METRICS[1:])
runs = {n: [dict(d) for d in sw.layers] for n, sw in sweeps.items()}
if graph.y is not None:
    metrics.append("accuracy")
    for n, sw in sweeps.items():
        seed = int(view["seed"])
        acc = attempt(f"probe the layers of {n}", _memo, sw, f"probe{seed}",
                      lambda sw=sw, seed=seed: layer_accuracies(sw.features, graph.y, seed))
        for d, a in zip(runs[n], acc):
            d["accuracy"] = a
hops = shown.params.get("mad_gap_hops") or {}
notes = {"mad_gap": f"no node pairs {hops.get('far', '?')}+ hops apart here: no MADGap"}


def beside(step: int, node: int) -> None:
    """The PCA scatter and the metric charts at the graph's layer (rerun on every step)."""
    st.plotly_chart(pca_scatter(pca, step, labels=graph.display_labels, classes=graph.y),
                    key="smooth.pca")
    st.caption("Each layer on its own top-2 principal axes; the axes are the same at every layer "
               "(the widest spread of any layer), so smoothing shows as the points falling together. "
               "The feature-norm panel below says how much of that is the vectors shrinking.")
    st.markdown(f"**The collapse by depth** · cursor at layer {step}")
    st.plotly_chart(depth_cursor_figure(runs, step, metrics, cols=1, notes=notes), key="smooth.metrics")
    if graph.y is not None:
        st.caption("Accuracy: a ridge linear probe on the layer's features (seeded half of the nodes "
                   "to train, the rest scored) — how much class information is left, not a trained GNN.")


player.play(view, trace, tkey, pos, gkey, controls, name=f"{src.name}-oversmoothing", extra=beside)
view.sync()
