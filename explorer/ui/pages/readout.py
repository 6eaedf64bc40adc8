"""Graph readout: node states pooled into one vector, the relabelling test, and a small graph
classifier (molecules or cycles vs paths) trained with a live loss curve."""

import numpy as np
import streamlit as st

from explorer import viz
from explorer.nn.readout import DATASETS, bond_types
from explorer.nn.stack import READOUTS
from explorer.nn.train import train_graph_classifier
from explorer.ui import cache, components, shell
from explorer.ui.guard import attempt
from explorer.ui.player import fmt_vec
from explorer.ui.state import View
from explorer.viz.readout_view import molecule_figure, pooling_figure

INTRO = """
Some questions are about a whole graph — does this molecule have an aromatic ring? — so after
the message-passing layers the node states are **pooled into one vector** (the *readout*) and a
classifier reads that. A graph has no first or last node, so the pooling must not care about
the order the nodes are listed in: a sum, a mean, an element-wise max or an attention-weighted
sum all treat the nodes as a set. Relabel the nodes below and watch the readout stay put, while
laying the states end to end (concatenation) gives a different vector for every labelling.
In the molecules, atoms are nodes and bonds are edges; the drawing shows each bond's type.
"""
TITLES = {"molecules": "40 small molecules (aromatic ring or not)",
          "cycles_vs_paths": "cycles vs paths (40 graphs)"}
LAYERS = ("gin", "gcn", "sage", "gat")

#: opens on aspirin: benzene (the first molecule) is so symmetric that every atom gets the same
#: state, so relabelling could not change even the concatenation there
FIRST = next((i for i, g in enumerate(cache.graph_dataset("molecules", 0)[0]) if g.name == "aspirin"), 0)
view = View("readout", {"data": "molecules", "graph": FIRST, "readout": "sum", "layer": "gin",
                        "layers": 2, "hidden": 8, "seed": 0, "relabel": 0, "epochs": 60},
            choices={"data": DATASETS, "readout": READOUTS, "layer": LAYERS,
                     "layers": lambda k: 1 <= k <= 4, "hidden": lambda h: 2 <= h <= 32,
                     "epochs": lambda e: 10 <= e <= 300, "relabel": lambda r: r >= 0})
controls = shell.frame(view, "Graph readout", INTRO, chart_first=True)
controls.later(lambda: st.selectbox("Data set", DATASETS, key=view.key("data"),
                                    format_func=TITLES.get))  # after the chart on a first run
graphs, labels = attempt("load the data set", cache.graph_dataset, view["data"], 0)
features = "x" if view["data"] == "molecules" else "constant"
view.set("graph", min(max(int(view["graph"]), 0), len(graphs) - 1))


@controls.later
def _settings() -> None:
    st.selectbox("Graph", range(len(graphs)), key=view.key("graph"),
                 format_func=lambda i: f"{graphs[i].name} (label {labels[i]})")
    st.selectbox("Readout", READOUTS, key=view.key("readout"))
    st.selectbox("Layer", LAYERS, key=view.key("layer"), format_func=str.upper)
    st.slider("Layers", 1, 4, key=view.key("layers"))
    st.slider("Hidden width", 2, 32, key=view.key("hidden"))
    st.number_input("Seed (weights)", 0, 10_000, key=view.key("seed"))


view.sync()

idx, mode, layer = int(view["graph"]), view["readout"], view["layer"]
nl, hidden, seed = int(view["layers"]), int(view["hidden"]), int(view["seed"])
graph = graphs[idx]
gkey = f"{view['data']}:{idx}"
trace = attempt("run the GNN and its readout", cache.gnn_trace, graph, gkey, layer, nl, hidden, 1,
                seed, features, None, None, mode)
states, pooled = trace.result["output"], trace.result["readout"]
weights = trace.steps[-1].extras.get("weights")
left, right = st.columns([5, 6])
pos = attempt("lay out the graph", cache.layout, graph, gkey, "kamada_kawai", 0)
with left:  # Plotly from the component (painted as a preview first), not st.plotly_chart
    components.figure(molecule_figure(graph, pos, bond_types(graph),
                                      title=f"{graph.name}: label {labels[idx]}"),
                      key="readout.molecule", preview=True)
controls.chart_out()  # the page's controls, when they waited for the chart
with right:
    components.figure(pooling_figure(states, pooled, mode=mode, labels=list(graph.display_labels),
                                     weights=weights), key="readout.pooling")
st.markdown(f"**{mode} readout** of {graph.n_nodes} node states: `{fmt_vec(pooled)}`")

st.subheader("Relabel the nodes")
st.button("Relabel nodes", key="readout.relabel_btn", icon=":material/shuffle:",
          on_click=lambda: view.set("relabel", int(view["relabel"]) + 1),
          help="Renumber the nodes with a new random permutation and run the same model again.")
r = int(view["relabel"])
perm = np.random.default_rng(r).permutation(graph.n_nodes) if r else np.arange(graph.n_nodes)
demo = attempt("run the relabelled graph", cache.relabel_demo, graph, gkey, tuple(int(p) for p in perm),
               mode, layer, nl, hidden, seed, features)
st.caption("New node k is old node perm[k]; perm = " + fmt_vec(perm, max_len=16) +
           ("  (the identity: press the button)" if not r else ""))
st.dataframe([{"pooling": f"{mode} readout", "largest change": f"{demo['readout_error']:.1e}",
               "before": fmt_vec(demo["readout"], max_len=5),
               "after relabelling": fmt_vec(demo["readout_permuted"], max_len=5)},
              {"pooling": "concatenation (node order)", "largest change": f"{demo['concat_error']:.3g}",
               "before": fmt_vec(demo["concat"], max_len=5),
               "after relabelling": fmt_vec(demo["concat_permuted"], max_len=5)}],
             hide_index=True, key="readout.relabel_table")
if r and demo["concat_error"] < 1e-6:
    st.info("Every node of this graph has the same state, so even concatenation cannot see the "
            "order here; pick a path or a molecule.", icon=":material/info:")

st.subheader("Train a graph classifier")
controls.later(lambda: st.slider("Epochs", 10, 300, step=10, key=view.key("epochs")))
epochs = int(view["epochs"])
tkey = cache.key(view["data"], mode, layer, nl, hidden, seed, epochs)
runs = st.session_state.setdefault("readout.runs", {})
st.caption(f"{len(graphs)} graphs, 70% used for training (stratified by label); a {layer.upper()} "
           f"stack, the {mode} readout and a linear layer; Adam, learning rate 0.01, seed {seed}.")
clicked = st.button("Train", key="readout.train", icon=":material/play_arrow:", type="primary")
chart = st.empty()
if clicked:
    history: dict = {"loss": [], "train_acc": []}

    def progress(epoch: int, total: int, loss: float, acc: float) -> None:
        history["loss"].append(loss)
        history["train_acc"].append(acc)
        if epoch % 10 == 0 or epoch == total:
            with chart.container():
                components.figure(viz.loss_figure(history), key=f"readout.live{epoch}")

    res = attempt("train the classifier", train_graph_classifier, graphs, labels, layer=layer,
                  hidden=hidden, layers=nl, epochs=epochs, seed=seed, readout=mode,
                  features=features, progress=progress)
    while len(runs) >= 8:  # keep the last few runs of this session
        runs.pop(next(iter(runs)))
    runs[tkey] = {"loss": res.losses, "train_acc": res.train_accuracy, "test_acc": res.test_accuracy,
                  "pred": res.predictions.tolist(), "mask": res.train_mask.tolist()}
run = runs.get(tkey)
if run is None:
    st.caption("Press **Train** to fit the classifier and watch the loss fall.")
else:
    with chart.container():
        components.figure(viz.loss_figure({k: run[k] for k in ("loss", "train_acc", "test_acc")}),
                          key="readout.loss")
    a, b, c = st.columns(3)
    a.metric("Final loss", f"{run['loss'][-1]:.4f}")
    b.metric("Train accuracy", f"{run['train_acc'][-1]:.0%}")
    c.metric("Test accuracy", f"{run['test_acc'][-1]:.0%}")
    st.dataframe([{"graph": g.name, "label": int(y), "predicted": p, "used for": "train" if m else "test"}
                  for g, y, p, m in zip(graphs, labels, run["pred"], run["mask"])],
                 hide_index=True, key="readout.predictions")
