"""Observe a variable from the graph: clamp it to a state from the player's panel.

The page's ``evidence`` setting (a list of ``"VAR=STATE"``, the same one the sidebar's
multiselect and an uploaded ``.evid`` file set) is the only record of what is observed, so the
URL carries a clamp like any other setting. :func:`observe` draws, for each variable it is
given, a row of buttons named by the variable's states and a *Clear* button; a press changes that
setting in the button's callback, and the panel's fragment rerun that follows reruns the whole
page (``st.rerun(scope="app")``), because the run, the graph and every number below it depend on
the evidence.

    evidence_options(fg, chosen)      the multiselect's options: every VAR=STATE (up to a cap),
                                      plus whatever is chosen now, so a clamp is never dropped
    observe(view, fg, variables)      the rows of buttons (call it inside the player's panel)
    variables_of(labels, fg)          the model's variables named by graph node labels
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import streamlit as st

from explorer.ui.state import View

__all__ = ["OPTIONS_CAP", "evidence_options", "observe", "variables_of"]

#: at most this many VAR=STATE items are listed in the evidence multiselect (plus the chosen ones)
OPTIONS_CAP = 400


def evidence_options(fg: Any, chosen: Iterable[str] = (), cap: int = OPTIONS_CAP) -> list[str]:
    """Every ``"VAR=STATE"`` of ``fg`` up to ``cap`` items, followed by the items of ``chosen``
    that name a variable and state of ``fg`` but fall past the cap (in a large model a variable
    clamped from the graph may be one the list does not reach)."""
    head: list[str] = []
    for i, name in enumerate(fg.names):
        for s in fg.states[i]:
            if len(head) >= cap:
                break
            head.append(f"{name}={s}")
    seen = set(head)
    for item in chosen:
        var, sep, state = str(item).partition("=")
        if sep and item not in seen and var in fg.names and state in fg.states[fg.index(var)]:
            head.append(item)
            seen.add(item)
    return head


def variables_of(labels: Iterable[str], fg: Any) -> list[int]:
    """The indices of ``fg``'s variables named in ``labels`` (factor and clique labels, which
    name no variable, are skipped)."""
    names = {n: i for i, n in enumerate(fg.names)}
    return [names[lab] for lab in labels if lab in names]


#: session flag set by a button's callback: the next run of :func:`observe` reruns the page
_RERUN = "_clamp_rerun"


def _in_fragment() -> bool:
    """True while only a fragment (the player's panel) is running, not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _observed(items: Iterable[str]) -> dict[str, str]:
    return dict(str(e).partition("=")[::2] for e in items if "=" in str(e))


def _clamp(view: View, setting: str, var: str, state: str | None) -> None:
    """Button callback: set (``state``) or clear (``None``) one observation in the page's
    evidence, keeping every other one."""
    items = [e for e in view[setting] if str(e).partition("=")[0] != var]
    if state is not None:
        items.append(f"{var}={state}")
    view.set(setting, items)
    # The press reruns only the panel's fragment; the page must run again. The button's own
    # return value cannot say so: Clear is drawn disabled in that rerun, and a disabled button
    # returns False.
    st.session_state[_RERUN] = True


def observe(view: View, fg: Any, variables: Sequence[int], *, setting: str = "evidence",
            heading: str | None = None) -> None:
    """For each variable in ``variables``: "Observe VAR =" with one button per state, and
    *Clear*. The observed state's button is highlighted; a press sets the page's evidence and
    reruns the whole page.

    Args:
        view: the page's View; ``setting`` is its evidence list (``["VAR=STATE", ...]``).
        fg: the model (``names``, ``states``).
        variables: variable indices to offer, in order; an empty list draws a hint.
        heading: a line above the rows (default: none).
    """
    if st.session_state.pop(_RERUN, False) and _in_fragment():  # a press changed the evidence
        st.rerun(scope="app")
    observed = _observed(view[setting])
    if not variables:
        st.caption("Click a variable (a circle) in the graph to observe it here.")
        return
    if heading:
        st.markdown(heading)
    for i in variables:
        var = fg.names[i]
        now = observed.get(var)
        st.markdown(f"**Observe {var}**" + (f" (observed: **{now}**)" if now is not None else ""))
        with st.container(horizontal=True, gap="small"):
            for j, state in enumerate(fg.states[i]):
                st.button(str(state), key=f"{view.page}.observe.{i}.{j}",
                          type="primary" if state == now else "secondary",
                          on_click=_clamp, args=(view, setting, var, state),
                          help=f"Observe {var} = {state}: run again with this evidence")
            st.button("Clear", key=f"{view.page}.observe.{i}.clear", disabled=now is None,
                      icon=":material/backspace:", on_click=_clamp, args=(view, setting, var, None),
                      help=f"Forget the observation of {var}")


def stop_after_failed_run(view: View, fg: Any, evidence: dict[int, int], heading: str) -> None:
    """End a page run whose engine refused the evidence (P(evidence) = 0, …): its message is
    already shown; offer the observed variables' buttons so the user can change or clear one,
    keep every setting in the link, and stop."""
    if evidence:
        observe(view, fg, sorted(evidence), heading=heading)
    view.sync()
    from explorer.ui.shell import flush_controls

    flush_controls()  # controls held back for the chart, which will not come (shell.Controls)
    st.stop()
