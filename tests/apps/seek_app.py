"""A one-page app for the tests of ``player.seek`` (AppTest and the browser): the variable
elimination chain's player, with buttons in the detail panel that move the chart from the
server — one through a callback (the recommended use), one in the panel's body."""

import streamlit as st

from explorer.ui import cache, player
from explorer.ui.state import View

st.set_page_config(page_title="seek test", layout="wide")
view = View("seek", dict(player.DEFAULTS))
controls = st.container()
demo = cache.chain_demo(5, 2)
trace = demo["trace"]
gkey = trace.graph.content_hash()
pos = cache.layout(trace.graph, gkey, "auto", 0)


def beside(step: int, node: int) -> None:
    n = len(trace.steps)
    st.button("Seek to the last step", key="seek.cb",
              on_click=lambda: player.seek(view, n - 1))
    if st.button("Seek to step 2 (in the body)", key="seek.body"):
        player.seek(view, 1)


player.play(view, trace, cache.key("seektest", 5, 2), pos, gkey, controls, extra=beside)
view.sync()
