"""View state: named settings bound to widgets by key and mirrored in the URL query string.

A page declares its settings once, with their defaults::

    view = View("bp", {"sample": "chain5", "mode": "sum", "damping": 0.0, "step": 0, "node": 0},
                choices={"mode": ["sum", "max"]})
    st.selectbox("Mode", ["sum", "max"], key=view.key("mode"))   # bound by key, no value=
    view.sync()                                                  # URL <- state

The value of a setting comes, in this order, from the widget (once it exists), the URL (a
shared link), what the user had on this page earlier in the session, and the default. Only
settings that differ from their defaults are written to the URL, so a link stays short and a
default link is the bare page address. Widget keys are ``"<page>.<name>"`` so pages never share
widget state; URL parameters use the bare ``name``.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import streamlit as st

__all__ = ["View", "GLOBALS", "lecture_mode", "sync_current", "parse_value", "format_value"]

#: settings shared by every page (widget key == URL name)
GLOBALS: dict[str, Any] = {"lecture": False}

#: values that stand for something held only in this session (an upload): never put in the URL
UNSHARED: frozenset[str] = frozenset({"upload"})
_SAVED = "_views"  # session_state entry: {page: {name: value}} restored when a page is revisited

Choice = Sequence[Any] | Callable[[Any], bool]


def parse_value(text: str, default: Any) -> Any:
    """Read a URL string as the type of ``default``; raise ValueError when it does not parse.

    >>> parse_value("3", 0), parse_value("0.5", 0.0), parse_value("1", False), parse_value("x", "")
    (3, 0.5, True, 'x')
    """
    if isinstance(default, (list, tuple)):
        return [part for part in text.split(",") if part]
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(text)
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return str(text)


def format_value(value: Any) -> str:
    """The URL form of a setting (booleans as 1/0, floats without trailing noise)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def global_changed(name: str) -> None:
    """Widget callback of a global setting's widget: remember its new value for every page."""
    st.session_state["_globals"][name] = st.session_state[name]


def sync_current() -> None:
    """Sync the view of the page being drawn (used before a run stops on an error)."""
    view = st.session_state.get("_view")
    if isinstance(view, View):
        view.sync()


def lecture_mode() -> bool:
    """True when the lecture mode (large type, controls tucked away) is on."""
    return bool(st.session_state.get("lecture", False))


class View:
    """The settings of one page, kept in ``st.session_state`` and in the URL.

    Args:
        page: a short page id, used as the widget key prefix.
        defaults: setting name -> default value; the default's type is the setting's type.
        choices: optional setting name -> allowed values (or a predicate); a URL value outside
            them falls back to the default and is reported in :attr:`rejected`.
    """

    def __init__(self, page: str, defaults: Mapping[str, Any],
                 choices: Mapping[str, Choice] | None = None) -> None:
        self.page = page
        self.defaults = dict(defaults)
        self.choices = dict(choices or {})
        self.rejected: list[str] = []
        self._load()
        st.session_state["_view"] = self  # the page's view, synced by guard.attempt on errors

    # ------------------------------------------------------------------ access
    def key(self, name: str) -> str:
        """The widget key of setting ``name``."""
        if name in GLOBALS:
            return name
        if name not in self.defaults:
            raise KeyError(f"page {self.page!r} has no setting {name!r}")
        return f"{self.page}.{name}"

    def __getitem__(self, name: str) -> Any:
        return st.session_state[self.key(name)]

    def set(self, name: str, value: Any) -> None:
        """Set a setting; call only before its widget is drawn in this run, or in a callback."""
        st.session_state[self.key(name)] = value

    def values(self) -> dict[str, Any]:
        """Every setting of the page, by name."""
        return {name: self[name] for name in self.defaults}

    # ------------------------------------------------------------------ URL
    def _allowed(self, name: str, value: Any) -> bool:
        rule = self.choices.get(name)
        if rule is None:
            return True
        if isinstance(value, list):
            return all(self._allowed_one(rule, v) for v in value)
        return self._allowed_one(rule, value)

    @staticmethod
    def _allowed_one(rule: Choice, value: Any) -> bool:
        return bool(rule(value)) if callable(rule) else value in rule

    def _load(self) -> None:
        ss = st.session_state
        qp = st.query_params
        # Globals (lecture mode) live in a plain session entry: a widget with the same key on
        # another page is another widget to Streamlit and would start from its default.
        if "_globals" not in ss:
            ss["_globals"] = {name: self._from_url(name, default, qp)
                              for name, default in GLOBALS.items()}
        for name in GLOBALS:
            ss[name] = ss["_globals"][name]
        saved = ss.setdefault(_SAVED, {}).get(self.page, {})
        for name, default in self.defaults.items():
            key = self.key(name)
            if key in ss:
                continue
            if name in qp:
                value = self._from_url(name, default, qp)
            else:
                value = saved.get(name, list(default) if isinstance(default, list) else default)
            ss[key] = value

    def _from_url(self, name: str, default: Any, qp: Any) -> Any:
        if name not in qp:
            return default
        try:
            parsed = parse_value(qp[name], default)
        except ValueError:
            parsed = None
        if parsed is not None and self._allowed(name, parsed):
            return parsed
        self.rejected.append(f"{name}={qp[name]}")
        return default

    def url_params(self) -> dict[str, str]:
        """The query string this view should have: every setting that differs from its default."""
        out = {}
        for name, default in {**GLOBALS, **self.defaults}.items():
            value = st.session_state.get(self.key(name), default)
            if value != default and not (isinstance(value, str) and value in UNSHARED):
                out[name] = format_value(value)
        return out

    def sync(self) -> None:
        """Write the settings to the URL (only when they changed) and remember them for a revisit."""
        want = self.url_params()
        have = {k: st.query_params[k] for k in st.query_params}
        if have != want:
            st.query_params.from_dict(want)
        st.session_state[_SAVED][self.page] = self.values()

    def reset(self) -> None:
        """Every setting back to its default (a widget callback: runs before the next rerun)."""
        for name, default in self.defaults.items():
            st.session_state[self.key(name)] = list(default) if isinstance(default, list) else default
        st.session_state[_SAVED].pop(self.page, None)

    def share_link(self) -> str:
        """The relative link (``?a=1&b=2``) that reproduces this view on this page."""
        from urllib.parse import urlencode

        params = self.url_params()
        return "?" + urlencode(params) if params else ""
