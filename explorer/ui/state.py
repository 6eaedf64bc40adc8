"""View state: named settings kept by the session, shown by widgets, mirrored in the URL.

A page declares its settings once, with their defaults::

    view = View("bp", {"sample": "chain5", "mode": "sum", "damping": 0.0, "step": 0, "node": 0},
                choices={"mode": ["sum", "max"]})
    st.selectbox("Mode", ["sum", "max"], key=view.key("mode"))
    view.sync()                                                  # URL <- state

**The session's own state is authoritative.** The values live in a plain session entry
(``st.session_state["_views"][page][name]``), which Streamlit never deletes. Widgets only show
them: at the start of every run :class:`View` writes each value into its widget's key
(``"<page>.<name>"``), so every widget is sent with its value set explicitly. That matters:
a keyed widget sent *without* a value carries its own built-in default (``None`` for a
segmented control, the minimum of a number input, the first option of a select slider), and a
browser that re-creates the widget — after an interrupted run, which happens all the time when
many sessions share two cores — starts from that default and sends it back as if the user had
chosen it (issue 10.1: ``mode=None&tol=0.001&max_iter=1``). Streamlit also deletes the widget
keys of widgets not drawn in a run; the values here survive that.

A widget value (or a value written to a widget key by a callback such as the step buttons)
replaces the kept value only when it is a *valid* value of the setting (its type and its
``choices``); ``None`` and out-of-range values never do. The URL is read only when the session
enters a page (a shared link, or a switch of page), every value validated — an unknown key is
ignored, a value of the wrong type or out of range is replaced by the default and listed in
:attr:`View.rejected` (the page shows the note) — and it is written only from the kept state,
and only the settings that differ from their defaults, so a default link is the bare address.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import streamlit as st

__all__ = ["View", "GLOBALS", "COMMON_RULES", "lecture_mode", "sync_current", "parse_value",
           "format_value", "set_setting", "global_changed"]

#: settings shared by every page (widget key == URL name)
GLOBALS: dict[str, Any] = {"lecture": False}

#: values that stand for something held only in this session (an upload): never put in the URL
UNSHARED: frozenset[str] = frozenset({"upload"})
_SAVED = "_views"     # session_state: {page: {name: value}}, the authoritative values
_PAGE = "_view_page"  # session_state: the page drawn by the previous run

Choice = Sequence[Any] | Callable[[Any], bool]


def _speeds(v: Any) -> bool:
    from explorer.ui import player

    return v in getattr(player, "SPEEDS", ())


#: rules for settings that mean the same on every page (a page's own ``choices`` win)
COMMON_RULES: dict[str, Choice] = {
    "seed": lambda s: 0 <= s <= 10_000,
    "step": lambda s: 0 <= s <= 1_000_000,
    "node": lambda n: -1 <= n <= 10_000_000,
    "speed": _speeds,
}


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
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
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


def _typed(value: Any, default: Any) -> tuple[bool, Any]:
    """``(ok, value as the type of default)``: None and other types are not ok."""
    if value is None:
        return False, None
    if isinstance(default, (list, tuple)):
        return (True, list(value)) if isinstance(value, (list, tuple)) else (False, None)
    if isinstance(default, bool):
        return (True, value) if isinstance(value, bool) else (False, None)
    if isinstance(default, int):
        if isinstance(value, bool):
            return False, None
        try:
            import numbers

            if isinstance(value, numbers.Integral):
                return True, int(value)
        except TypeError:  # pragma: no cover
            pass
        return False, None
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                import numpy as np

                if isinstance(value, np.floating | np.integer):
                    value = float(value)
                else:
                    return False, None
            except ImportError:  # pragma: no cover
                return False, None
        value = float(value)
        return (math.isfinite(value), value)
    if isinstance(default, str):
        return (True, value) if isinstance(value, str) else (False, None)
    return True, value


def global_changed(name: str) -> None:
    """Widget callback of a global setting's widget: keep its new value for every page."""
    ok, value = _typed(st.session_state.get(name), GLOBALS[name])
    if ok:
        st.session_state.setdefault("_globals", dict(GLOBALS))[name] = value


def set_setting(page: str, name: str, value: Any) -> None:
    """Set a page's setting from anywhere (a callback, another page): the kept value and its
    widget key. Call it before that widget is drawn in the run, or from a callback."""
    st.session_state.setdefault(_SAVED, {}).setdefault(page, {})[name] = value
    st.session_state[f"{page}.{name}"] = value


def sync_current() -> None:
    """Sync the view of the page being drawn (used before a run stops on an error)."""
    view = st.session_state.get("_view")
    if isinstance(view, View):
        view.sync()


def lecture_mode() -> bool:
    """True when the lecture mode (large type, controls tucked away) is on."""
    return bool(st.session_state.get("_globals", {}).get("lecture",
                                                         st.session_state.get("lecture", False)))


class View:
    """The settings of one page, kept in ``st.session_state`` and in the URL.

    Args:
        page: a short page id, used as the widget key prefix.
        defaults: setting name -> default value; the default's type is the setting's type.
        choices: optional setting name -> allowed values (or a predicate); :data:`COMMON_RULES`
            apply to settings the page gives no rule. A URL value outside them falls back to
            the default and is reported in :attr:`rejected`; a widget value outside them is
            ignored (the kept value stays).
    """

    def __init__(self, page: str, defaults: Mapping[str, Any],
                 choices: Mapping[str, Choice] | None = None) -> None:
        self.page = page
        self.defaults = dict(defaults)
        self.choices = {n: r for n, r in COMMON_RULES.items() if n in self.defaults}
        self.choices.update(choices or {})
        self.rejected: list[str] = []
        self._link: dict[str, tuple[Any, str]] = {}  # name -> (value, text) read from the URL
        self.notes: Any = None  # where shell.frame shows the notes (filled again by sync)
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

    @property
    def kept(self) -> dict[str, Any]:
        """The authoritative values of this page (a live dict in the session)."""
        return st.session_state.setdefault(_SAVED, {}).setdefault(self.page, {})

    def __getitem__(self, name: str) -> Any:
        if name in GLOBALS:
            return st.session_state.get("_globals", GLOBALS).get(name, GLOBALS[name])
        value = st.session_state.get(self.key(name))
        ok, value = self.valid(name, value)
        return value if ok else self.kept.get(name, self._default(name))

    def set(self, name: str, value: Any) -> None:
        """Set a setting; call only before its widget is drawn in this run, or in a callback."""
        if name in GLOBALS:
            st.session_state.setdefault("_globals", dict(GLOBALS))[name] = value
            st.session_state[name] = value
            return
        self.kept[name] = value
        st.session_state[self.key(name)] = value

    def values(self) -> dict[str, Any]:
        """Every setting of the page, by name."""
        return {name: self[name] for name in self.defaults}

    # ------------------------------------------------------------------ rules
    def _default(self, name: str) -> Any:
        default = self.defaults[name]
        return list(default) if isinstance(default, list) else default

    def valid(self, name: str, value: Any) -> tuple[bool, Any]:
        """``(ok, value)``: whether ``value`` is a legal value of setting ``name`` (its type and
        its rule), converted to the setting's type."""
        default = GLOBALS[name] if name in GLOBALS else self.defaults[name]
        ok, value = _typed(value, default)
        if not ok:
            return False, None
        try:
            return (self._allowed(name, value), value)
        except Exception:  # noqa: BLE001 - a rule that cannot judge a value refuses it
            return False, None

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

    # ------------------------------------------------------------------ load
    def _load(self) -> None:
        ss = st.session_state
        qp = st.query_params
        entering = ss.get(_PAGE) != self.page
        ss[_PAGE] = self.page
        glob = ss.setdefault("_globals", dict(GLOBALS))
        for name in GLOBALS:
            if entering and name in qp:
                glob[name] = self._from_url(name, glob.get(name, GLOBALS[name]), qp)
            elif not entering and name in ss:
                ok, value = _typed(ss[name], GLOBALS[name])
                if ok:
                    glob[name] = value
            ss[name] = glob.get(name, GLOBALS[name])
        self._entering = entering
        for name in self.defaults:
            self._load_setting(name, entering, qp)

    def _load_setting(self, name: str, entering: bool, qp: Any) -> None:
        ss, kept, key = st.session_state, self.kept, self.key(name)
        if name not in kept:
            kept[name] = self._default(name)
        elif not entering and key in ss:
            # a widget (the user) or a callback (the step buttons) changed it since the
            # last run: keep it only when it is a legal value
            ok, value = self.valid(name, ss[key])
            if ok:
                kept[name] = value
        if entering and name in qp:
            kept[name] = self._from_url(name, kept[name], qp)
            self._link[name] = (kept[name], qp[name])
        ss[key] = list(kept[name]) if isinstance(kept[name], list) else kept[name]

    def extend(self, defaults: Mapping[str, Any],
               choices: Mapping[str, Choice] | None = None) -> None:
        """Add settings after the View was made, loaded exactly like the page's own (kept
        value, widget, link): for a group of widgets a shared helper draws on many pages (the
        graph picker's generator). Settings the page already declares are left as they are; a
        link value of a new setting that is refused is reported with the page's other notes.
        """
        new = [n for n in defaults if n not in self.defaults and n not in GLOBALS]
        if not new:
            return
        before = len(self.rejected)
        for name in new:
            self.defaults[name] = defaults[name]
            rule = (choices or {}).get(name, COMMON_RULES.get(name))
            if rule is not None:
                self.choices[name] = rule
            self._load_setting(name, getattr(self, "_entering", False), st.query_params)
        if len(self.rejected) > before and self.notes is not None:
            from explorer.ui.shell import show_rejected

            show_rejected(self, self.notes)

    def _from_url(self, name: str, fallback: Any, qp: Any) -> Any:
        text = qp[name]
        default = GLOBALS[name] if name in GLOBALS else self.defaults[name]
        try:
            parsed = parse_value(text, default)
        except (ValueError, OverflowError):
            parsed = None
        ok, value = self.valid(name, parsed) if parsed is not None else (False, None)
        if ok:
            return value
        self.rejected.append(f"{name}={text[:40]}")
        return list(default) if isinstance(default, list) else default

    # ------------------------------------------------------------------ URL
    def url_params(self) -> dict[str, str]:
        """The query string this view should have: every setting that differs from its default."""
        out = {}
        glob = st.session_state.get("_globals", GLOBALS)
        values = {**{n: glob.get(n, d) for n, d in GLOBALS.items()}, **self.kept}
        for name, default in {**GLOBALS, **self.defaults}.items():
            value = values.get(name, default)
            if value != default and not (isinstance(value, str) and value in UNSHARED):
                out[name] = format_value(value)
        return out

    def sync(self) -> None:
        """Keep what the page set during this run, then write the URL from the kept state
        (only when it changed)."""
        ss = st.session_state
        kept = self.kept
        for name in self.defaults:
            ok, value = self.valid(name, ss.get(self.key(name)))
            if ok:
                kept[name] = value
        # a value from the link that the page had to change (a node or step the graph or run
        # does not have, a colour it cannot show) is reported like a rejected one
        changed = [f"{n}={text[:40]} (now {format_value(kept.get(n))})"
                   for n, (value, text) in self._link.items()
                   if kept.get(n) != value
                   and not any(r.startswith(f"{n}=") for r in self.rejected)]
        self._link = {}
        if changed:
            self.rejected.extend(changed)
            if self.notes is not None:
                from explorer.ui.shell import show_rejected

                show_rejected(self, self.notes)
        want = self.url_params()
        have = {k: st.query_params[k] for k in st.query_params}
        if have != want:
            st.query_params.from_dict(want)

    def reset(self) -> None:
        """Every setting back to its default (a widget callback: runs before the next rerun)."""
        for name in self.defaults:
            self.set(name, self._default(name))

    def share_link(self) -> str:
        """The relative link (``?a=1&b=2``) that reproduces this view on this page."""
        from urllib.parse import urlencode

        params = self.url_params()
        return "?" + urlencode(params) if params else ""
