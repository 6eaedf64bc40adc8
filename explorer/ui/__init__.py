"""The Streamlit app: the ONLY package of the explorer that imports streamlit.

    pages/      one file per topic, all the same shape: a View of named settings, controls,
                cached engine calls, then the shared views below
    state.py    View: widget state in ``st.session_state`` mirrored in the URL query string
    shell.py    the frame every page shares: title, lecture mode, reset, where controls go
    guard.py    engine calls that show errors as messages, never tracebacks
    sources.py  the sample picker plus upload, and uploads kept for the session
    cache.py    every cache of the app (bounded stores, never ``st.cache_*``), in one place
    turns.py    whole page runs take turns (app.py); a step's fragment rerun never waits, and
                page runs give way to the steps executing
    collector.py  full garbage collections between runs, not in the middle of a step (app.py)
    player.py   ``play(view, trace, ..., extra=fn)``: the animated chart (a custom component in
                components/ that owns the step), the detail panel beside it and the exports;
                whatever depends on the step goes in ``extra``, ``fn(step, node)`` drawing inside
                the panel's fragment so it follows the step the chart shows (docs/player.md)
    aggregators.py, receptive.py, ve_panels.py, map_panel.py, ...  sections shared by pages
    thumbnails.py  the Home page's card pictures (``python -m explorer.ui.thumbnails``)

Everything worth testing below the pages is plain Python over :mod:`explorer.viz` figures and
engine Traces; the pages only arrange it.
"""
