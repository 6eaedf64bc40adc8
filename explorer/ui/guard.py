"""Engine calls that turn every failure into a message in the page, never a traceback.

:class:`~explorer.errors.ExplorerError` messages already say what was expected, what was found
and what to do; they are shown as they are. Anything else is a bug or a resource problem: the
page says so in plain words, names the exception type, and keeps the user's settings (they live
in the widgets and the URL, which an error never touches).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

import streamlit as st

from explorer.errors import ExplorerError
from explorer.ui import turns

__all__ = ["attempt", "explain", "missing_engine"]

T = TypeVar("T")
log = logging.getLogger("explorer.ui")


def explain(action: str, error: BaseException) -> str:
    """The message shown for ``error`` raised while trying to ``action`` (markdown)."""
    if isinstance(error, ExplorerError):
        return f"**Could not {action}.** {error}"
    if isinstance(error, MemoryError):
        return (f"**Could not {action}:** the computation needs more memory than this machine "
                "has. Try a smaller graph, fewer layers or a smaller hidden size.")
    return (f"**Could not {action}** because of an unexpected problem "
            f"({type(error).__name__}: {error}). Your settings are kept; try other settings or "
            "another graph, and please report this with the share link of this view.")


def attempt(action: str, fn: Callable[..., T], *args: Any, stop: bool = True,
            **kwargs: Any) -> T | None:
    """Call ``fn(*args, **kwargs)``; on failure show :func:`explain` as ``st.error``.

    Args:
        action: what the call does, as a verb phrase ("read the upload", "run belief propagation").
        fn: the (usually cached) function to call.
        stop: end this run of the page after showing the error (the default), so nothing below
            draws from a missing result; with ``stop=False`` return ``None`` instead.

    Returns:
        ``fn``'s result, or ``None`` when it failed and ``stop`` is False.
    """
    turns.give_way()  # a page run lets the steps executing now go first
    try:
        return fn(*args, **kwargs)
    except ExplorerError as e:
        st.error(explain(action, e), icon=":material/error:")
    except ImportError as e:
        missing_engine(action, e)
    except Exception as e:  # noqa: BLE001 - the page must never show a traceback
        log.exception("unexpected error while trying to %s", action)
        st.error(explain(action, e), icon=":material/bug_report:")
    if stop:
        from explorer.ui.state import sync_current

        sync_current()  # the settings that led here stay in the URL
        from explorer.ui.shell import flush_controls

        flush_controls()  # controls held back for a chart that will not come (shell.Controls)
        st.stop()
    return None


def missing_engine(action: str, error: ImportError | None = None) -> None:
    """Say that a part of the explorer this page needs is not in this build."""
    name = getattr(error, "name", None) or "an engine module"
    st.info(f"This part needs `{name}`, which is not available in this build, so the explorer "
            f"cannot {action} yet. The other pages work.", icon=":material/construction:")
