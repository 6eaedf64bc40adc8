"""The smallest Streamlit pages, served by ``bench ui`` as the floor of its first-chart figures.

``?show=text``: one line of Markdown; ``?show=chart``: one ``st.plotly_chart`` of three points.
What a browser needs to show them — Streamlit's own JavaScript, a websocket, one script run,
one element (and, for the chart, Streamlit's Plotly chunk) — is what every page of the app
needs before any of its own work, on the same machine, server settings and browser. A page's
first picture minus this floor is the part its own script and elements cost.
"""

import plotly.graph_objects as go
import streamlit as st

if st.query_params.get("show") == "chart":
    st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3], y=[1, 3, 2])))
else:
    st.markdown("A page with one line of text.")
