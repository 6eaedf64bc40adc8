"""Neural message passing: GCN, GraphSAGE, GAT, GIN, MPNN and GN layers, one layer per step."""

import hashlib

import streamlit as st

from explorer import viz
from explorer.ui import cache, player, shell, smoothing_panel, sources
from explorer.ui.guard import attempt
from explorer.ui.receptive import is_open, receptive_panel
from explorer.ui.state import View
from explorer.viz import sample_view

INTRO = """
A graph neural network layer is one round of message passing with learned functions. Each edge
computes a **message** from the sender's feature vector (GCN scales it by the two degrees, GAT
weighs it by a learned attention score, an MPNN lets the edge's own features transform it); each
node **aggregates** what arrives — a sum, mean or max, which does not care about the order of
its neighbours — and **updates** its vector from that aggregate and its own. After L layers a
node has heard from everything L hops away: its *receptive field*. The numbers here are the
ones PyTorch Geometric computes with the same weights.
"""
LAYERS = {"gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT", "gin": "GIN",
          "mpnn": "MPNN (edge network)", "gn": "Graph network block"}
FEATURES = ["auto", "x", "constant", "degree", "identity", "random"]
#: what the panel beside the graph shows (kept in the View, so a shared link keeps it)
PANELS = {"messages": "Messages", "smoothing": "Over-smoothing"}

view = View("nn", {"sample": "karate", "layer": "gcn", "layers": 2, "hidden": 4, "heads": 2,
                   "seed": 0, "features": "auto", "weights": False, "panel": "messages",
                   **player.DEFAULTS},
            choices={"sample": sources.sample_choice("graph"), "layer": list(LAYERS),
                     "panel": list(PANELS),
                     "features": FEATURES, "layers": lambda n: 1 <= n <= 20,
                     "hidden": lambda n: 1 <= n <= 64, "heads": lambda n: 1 <= n <= 8})


def _head_counts(hidden: int) -> list[int]:
    """The head counts GAT accepts for this width (they must divide it)."""
    return [h for h in range(1, 9) if hidden % h == 0]


if view["layer"] == "gat" and int(view["heads"]) not in _head_counts(int(view["hidden"])):
    fit = max(h for h in _head_counts(int(view["hidden"])) if h <= int(view["heads"]))
    view.rejected.append(f"heads={view['heads']} with hidden={view['hidden']} (heads must "
                         f"divide the width; heads set to {fit})")
    view.set("heads", fit)
controls = shell.frame(view, "Neural message passing", INTRO, chart_first=True)
src = sources.pick(view, controls, kind="graph")
graph = src.obj
if view["layer"] == "gat":
    fits = _head_counts(int(view["hidden"]))  # only what the engine accepts is offered
    if int(view["heads"]) not in fits:
        view.set("heads", max(h for h in fits if h <= int(view["heads"])))


@controls.later  # on the page's first run in a session, after the chart (shell.Controls)
def _settings() -> None:
    st.selectbox("Layer", list(LAYERS), key=view.key("layer"), format_func=LAYERS.get)
    st.slider("Layers", 1, 20, key=view.key("layers"))
    st.slider("Hidden size", 1, 64, key=view.key("hidden"))
    if view["layer"] == "gat":
        st.select_slider("Attention heads", fits, key=view.key("heads"),
                         help="Only head counts that divide the hidden size are offered.")
    st.selectbox("Input features", FEATURES, key=view.key("features"),
                 help="auto: the graph's x when it has one, else one-hot degree.")
    st.number_input("Seed (weights)", 0, 10_000, key=view.key("seed"))
    up = st.file_uploader("PyG weights (.pt state dict)", key="nn.weights.file",
                          help="A state_dict of a PyG GCN/GraphSAGE/GAT/GIN model; its layer "
                               "type and sizes replace the settings above.")
    if up is not None:
        sources.store_upload("weights", up.name, up.getvalue())
    held = sources.uploaded("weights")
    if held:
        st.toggle(f"Use weights from {held[0]}", key=view.key("weights"))

spec, wkey = None, None
if view["weights"] and sources.uploaded("weights"):
    name, data = sources.uploaded("weights")
    spec = attempt(f"read the weights in {name}", cache.pyg_weights, data, name)
    gat_last = st.session_state.get("_gat_last") if spec.get("notes") else None  # upload page's choice
    if gat_last:
        from explorer import nn
        spec = attempt("read the GAT", nn.load_pyg_state_dict, spec["state_dict"], gat_last=gat_last)
    wkey = hashlib.sha1(data).hexdigest()[:16] + (f":{gat_last}" if gat_last else "")
    st.info(f"Running the trained {spec['kind'].upper()} from **{name}** "
            f"({spec['layers']} layers, hidden {spec['hidden']}).", icon=":material/model_training:")
heads = int(view["heads"]) if view["layer"] == "gat" else 1
args = (view["layer"], int(view["layers"]), int(view["hidden"]), heads, int(view["seed"]),
        view["features"], wkey)
trace = attempt(f"run the {LAYERS[view['layer']]} stack", cache.gnn_trace, graph, src.key, *args,
                _weights=spec)
if trace.result.get("features_notice"):
    st.caption(trace.result["features_notice"])

gkey = graph.content_hash()
big = sample_view.over_budget(graph, sample_view.DRAW_NODES, sample_view.DRAW_EDGES)
if not big:
    pos = attempt("compute the layout", cache.layout, graph, gkey, "auto", 0)


def receptive_field(step: int, node: int) -> None:
    """How far the selected node has heard after this layer (drawn in the player's panel):
    its field is computed on demand from the graph, once per node (the Trace keeps none)."""
    layers = int(trace.params["layers"])
    if step < layers:
        sizes = attempt("compute the receptive field", cache.field_sizes, graph, gkey, int(node), layers)
        st.caption(f"Receptive field after this layer: {graph.display_labels[node]} has heard "
                   f"from {sizes[step]} of {graph.n_nodes} nodes (itself included).")


def _take_panel() -> None:
    """The panel choice changed (inside the panel's fragment): keep it, so the URL has it."""
    value = st.session_state.get(view.key("panel"))
    if value in PANELS:
        view.set("panel", value)


def lead(step: int, node: int) -> bool:
    """The panel's choice, Messages | Over-smoothing; with Over-smoothing the scatter and the
    charts of this run come first, beside the graph (the node's update folds below them)."""
    st.segmented_control("Beside the graph", list(PANELS), key=view.key("panel"),
                         format_func=PANELS.get, required=True, label_visibility="collapsed",
                         on_change=_take_panel)
    if view["panel"] != "smoothing":
        return False
    depth = attempt("measure over-smoothing layer by layer", smoothing_panel.from_trace, trace,
                    cache.key(src.key, *args), LAYERS[view["layer"]], int(view["seed"]), "nn",
                    stop=False)   # measured once per run, the first time the panel is opened
    if depth is None:
        return False
    smoothing_panel.draw(view, depth, step, heading="Over-smoothing by layer")
    return True


if big:  # the stack ran on the whole graph; draw a labelled sample of it, without the player
    controls.later(lambda: st.number_input("Centre on node (index, -1: the busiest)", -1,
                                           graph.n_nodes - 1, key=view.key("node")))
    centre = int(view["node"]) if 0 <= int(view["node"]) < graph.n_nodes else None
    drawn = attempt("pick what to draw", sample_view.draw_sample, graph, centre,
                    max_nodes=sample_view.DRAW_NODES, max_edges=sample_view.DRAW_EDGES)
    st.info(f"{drawn.note} The {LAYERS[view['layer']]} stack ran on the whole graph; the "
            "layer-by-layer animation and the receptive-field panel are drawn only within the "
            "budget.", icon=":material/filter_center_focus:")
    dkey = cache.key(src.key, "sample", centre)
    spos = attempt("compute the layout", cache.layout, drawn.graph, dkey, "auto", 0)
    st.plotly_chart(attempt("draw the graph", cache.graph_figure, drawn.graph, dkey, spos, "auto/0",
                            drawn.local(centre)), key="nn.drawn", config={"displaylogo": False})
else:
    player.play(view, trace, cache.key(src.key, *args), pos, gkey, controls,
                name=f"{src.name}-{view['layer']}", extra=receptive_field, lead=lead,
                node_in_page=is_open(view))  # the receptive-field panel below follows the node
    receptive_panel(view, graph, int(view["node"]), int(view["layers"]))

if graph.y is not None:
    st.subheader("Train it")
    st.markdown("Fit the same architecture to the labels `y` (half of each class for training, "
                "Adam, 100 epochs) and watch the loss fall.")
    if st.button("Train a node classifier", key="nn.train", icon=":material/play_arrow:"):
        bar = st.progress(0.0, text="training…")

        def progress(epoch, epochs, loss, acc):
            bar.progress(epoch / epochs, text=f"epoch {epoch}/{epochs}: loss {loss:.3f}, "
                                              f"train accuracy {acc:.0%}")

        result = attempt("train the classifier", cache.train, graph, src.key, view["layer"],
                         int(view["layers"]), max(int(view["hidden"]), 2), 100, 0.01,
                         int(view["seed"]), _progress=progress)
        bar.empty()
        st.session_state["nn.trained"] = (cache.key(src.key, *args), result)
    held = st.session_state.get("nn.trained")
    if held and held[0] == cache.key(src.key, *args):
        r = held[1]
        st.plotly_chart(viz.loss_figure({"loss": r.losses, "train_acc": r.train_accuracy,
                                         "test_acc": r.test_accuracy}), key="nn.loss")
        st.caption(f"Test accuracy after training: {r.test_accuracy[-1]:.0%}.")
view.sync()
