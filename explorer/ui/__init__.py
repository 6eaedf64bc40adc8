"""The Streamlit app: the ONLY package of the explorer that imports streamlit.

    pages/      one file per topic, all the same shape: a View of named settings, controls,
                cached engine calls, then the shared views below
    state.py    View: widget state in ``st.session_state`` mirrored in the URL query string
    shell.py    the frame every page shares: title, lecture mode, reset, where controls go
    guard.py    engine calls that show errors as messages, never tracebacks
    sources.py  the sample picker plus upload, and uploads kept for the session
    cache.py    every ``st.cache_data`` / ``st.cache_resource`` wrapper, in one place
    player.py   step controls, the animated chart, the detail panel and the exports

Everything worth testing below the pages is plain Python over :mod:`explorer.viz` figures and
engine Traces; the pages only arrange it.
"""
