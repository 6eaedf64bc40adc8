"""``python -m explorer bench serve``: a classroom on one server (issue 10.6).

Starts the app (``streamlit run``) on 127.0.0.1 on a free port, then:

1. **concurrent**: N sessions (default 30) at once, each opening a different page with its own
   settings and stepping through it (a number input on pages without a player; on a player,
   what the browser sends when Next is pressed there: the chart steps in the browser and its
   invisible ``{page}.sync`` component reports the step as its trigger, rerunning only the
   detail panel's fragment, see :mod:`explorer.ui.player`);
2. **churn**: M sessions (default 200) opening a page and closing, one after another.

Before them, as the baseline of the concurrent figures, every scenario runs once alone (one
session at a time); the concurrent rows also give p50 and p95 as multiples of that baseline's
median. The baseline also prints the **server CPU per action** per scenario: the server process's
user + system CPU seconds (``/proc/PID/stat``, all its threads) read before and after each action
of the lone session. Unlike wall time it does not move with other load on the machine, and with N
sessions stepping at once on C cores it is what sets the queue (N x CPU per step / C).
``--alone`` runs only the baseline (seconds, not minutes), with ``--repeat R`` rounds of it. Every error box is counted and its text printed per page and action (the first few).

Sessions speak Streamlit's websocket protocol directly (:class:`explorer.ui.testing.Session`):
a headless browser per session is too heavy for a 2-core machine. After every action the
session's URL query (which the app writes only from that session's state) must equal what that
session asked for — its opening settings plus the step it stepped to — and the run must show no
error. Prints p50/p95/max seconds per action, errors, sessions whose state changed unasked, and
the server's resident memory (RSS) before, during (peak) and after each phase. Figures only:
nothing passes or fails here (the browser test ``tests/test_ui_load.py`` is the regression test).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from pathlib import Path
from typing import Any

#: (page, opening query, action, how many actions): every page with settings of its own
SCENARIOS: list[tuple[str, str, str, int]] = [
    ("belief_propagation", "sample=chain_bn&mode=max&max_iter=50", "next", 3),
    ("belief_propagation", "sample=four_cycle&damping=0.3&max_iter=200", "next", 3),
    ("belief_propagation", "sample=asia&updates=seqfix&seed=7", "next", 3),
    ("belief_propagation", "sample=sachs&tol=1e-06", "next", 3),
    ("neural", "sample=karate&layers=4&hidden=8", "next", 3),
    ("neural", "sample=caffeine&layer=gat&hidden=8&heads=2&layers=4", "next", 3),
    ("neural", "sample=star&layer=gin&layers=4", "next", 3),
    ("variable_elimination", "n=8&k=3", "next", 3),
    ("expressiveness", "a=decalin&b=bicyclopentyl", "next", 2),
    ("oversmoothing", "sample=star&depth=6&hidden=8", "next", 3),
    ("graphs", "sample=karate&layout=circular", "seed", 3),
    ("matrix", "sample=tree&hidden=4", "seed", 3),
]
PAGE_ID = {"belief_propagation": "bp", "neural": "nn", "variable_elimination": "ve",
           "expressiveness": "wl", "oversmoothing": "smooth", "graphs": "graphs",
           "matrix": "matrix"}


def cpu_s(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far, all threads (Linux /proc;
    psutil elsewhere; NaN when neither can say)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        import os

        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        pass
    try:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except Exception:  # noqa: BLE001 - CPU is a figure, not a requirement
        return float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux /proc; psutil elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:  # noqa: BLE001 - memory is a figure, not a requirement
        return float("nan")


class Sampler:
    """Samples a process's RSS every ``period`` seconds in a thread; ``peak`` since reset."""

    def __init__(self, pid: int, period: float = 0.25) -> None:
        self.pid, self.period, self.peak = pid, period, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(self.period)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)


def _within(got: dict[str, str], link: dict[str, str]) -> bool:
    """True when every setting in the session's URL is one the link asked for, as asked."""
    return all(link.get(k) == v for k, v in got.items())


def _expected(query: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(query, keep_blank_values=True))


def _count_errors(report: dict, where: str, errors: list[str]) -> None:
    """Add a run's error boxes to ``report``, keeping their texts by page and action
    (``report["texts"]``: where -> {text: count}) so the figures say *which* error it was."""
    report["errors"] += len(errors)
    seen = report["texts"].setdefault(where, {})
    for text in errors:
        seen[text] = seen.get(text, 0) + 1


def _print_texts(report: dict, limit: int = 3) -> None:
    """The error texts seen, per page and action (the first ``limit`` distinct ones each)."""
    for where, texts in sorted(report["texts"].items()):
        if not texts:
            continue
        shown = sorted(texts.items(), key=lambda kv: -kv[1])[:limit]
        for text, count in shown:
            print(f"    error on {where} (x{count}): {text}")
        if len(texts) > limit:
            print(f"    ... and {len(texts) - limit} more distinct texts on {where}")


#: seconds to wait after an action before reading the server's CPU (work after the run's
#: "finished" message, e.g. sending the last deltas, belongs to the action)
SETTLE_S = 0.05


async def _visitor(base: str, index: int, times: dict[str, list[float]], report: dict,
                   cpu: dict | None = None) -> None:
    """One session of scenario ``index``: open, then step. ``cpu`` (the lone baseline only):
    ``{"pid": server pid, "rows": {}}``; each action's server CPU seconds go to
    ``cpu["rows"][index][action]``."""
    from explorer.ui.testing import Session

    page, query, action, count = SCENARIOS[index % len(SCENARIOS)]
    pid = PAGE_ID[page]
    link = _expected(query)

    async def act(name: str, coro: Any) -> None:
        if cpu is None:
            times[name].append(await coro)
            return
        c0 = cpu_s(cpu["pid"])
        times[name].append(await coro)
        await asyncio.sleep(SETTLE_S)
        cpu["rows"].setdefault(index, {}).setdefault(name, []).append(cpu_s(cpu["pid"]) - c0)

    try:
        async with Session(base) as s:
            await act("open", s.open(page, query))
            _count_errors(report, f"{page} open", s.errors)
            # the app writes the link back without the settings that equal their defaults:
            # what it wrote must be part of the link, and is then what must stay
            want = s.params()
            changed = not _within(want, link)
            if changed:
                report["examples"].append((page, link, want))
            for i in range(1, count + 1):
                if action == "next":
                    sync, chart = f"{pid}.sync", f"{pid}.chart"
                    if sync not in s.widgets:
                        report["errors"] += 1
                        report["failures"].append(f"{page}: no {sync} component to step")
                        break
                    n_steps = len(s.data.get(chart, {}).get("labels", ())) or count + 1
                    if i >= n_steps:
                        break  # the run's last step
                    await act("next", s.trigger(sync, "step", i))
                    want = {**want, "step": str(i)}
                else:
                    value = int(want.get("seed", 0)) + i
                    await act("set seed", s.set_int(f"{pid}.seed", value))
                    want = {**want, "seed": str(value)}
                _count_errors(report, f"{page} {action} {i}", s.errors)
                if s.params() != want:
                    changed = True
                    report["examples"].append((page, want, s.params()))
            report["changed"] += int(changed)
    except Exception as e:  # noqa: BLE001 - a failed session is a figure
        report["errors"] += 1
        report["failures"].append(f"{page}: {type(e).__name__}: {e}"[:200])


async def _alone(base: str, pid: int, repeat: int = 1) -> tuple[dict, dict, dict]:
    """Every scenario ``repeat`` times, one session at a time: the baseline of the concurrent
    figures, with the server's CPU seconds per action per scenario (``{index: {action: [s]}}``)."""
    times: dict[str, list[float]] = {"open": [], "next": [], "set seed": []}
    report = {"errors": 0, "changed": 0, "failures": [], "examples": [], "texts": {}}
    cpu: dict = {"pid": pid, "rows": {}}
    for _ in range(repeat):
        for i in range(len(SCENARIOS)):
            await _visitor(base, i, times, report, cpu)
    return times, report, cpu["rows"]


def _cpu_table(rows: dict) -> list[str]:
    """The baseline's server CPU per action, one line per scenario (median ms over its actions),
    then the mean over scenarios per action."""
    lines = [f"  {'scenario':<62} {'open':>8} {'step':>8}  (server CPU ms, median; n)"]
    per: dict[str, list[float]] = {"open": [], "step": []}
    for i, (page, query, _, _) in enumerate(SCENARIOS):
        got = rows.get(i, {})
        cells = []
        for col, names in (("open", ("open",)), ("step", ("next", "set seed"))):
            xs = [x for n in names for x in got.get(n, [])]
            if xs:
                m = statistics.median(xs) * 1000
                per[col].append(m)
                cells.append(f"{m:6.0f}/{len(xs)}")
            else:
                cells.append(f"{'-':>8}")
        lines.append(f"  {(page + ' ' + query)[:62]:<62} {cells[0]:>8} {cells[1]:>8}")
    lines.append(f"  {'mean over scenarios':<62} "
                 + " ".join(f"{statistics.fmean(per[c]) if per[c] else float('nan'):8.0f}"
                            for c in ("open", "step")))
    return lines


async def _concurrent(base: str, n: int) -> tuple[dict, dict]:
    times: dict[str, list[float]] = {"open": [], "next": [], "set seed": []}
    report = {"errors": 0, "changed": 0, "failures": [], "examples": [], "texts": {}}
    await asyncio.gather(*(_visitor(base, i, times, report) for i in range(n)))
    return times, report


async def _churn(base: str, n: int, pid: int, every: int) -> tuple[list[float], list, dict]:
    from explorer.ui.testing import Session

    opens: list[float] = []
    memory: list[tuple[int, float]] = []
    report = {"errors": 0, "changed": 0, "failures": [], "texts": {}}
    for i in range(n):
        page, query, _, _ = SCENARIOS[i % len(SCENARIOS)]
        try:
            async with Session(base) as s:
                opens.append(await s.open(page, query))
                _count_errors(report, f"{page} open", s.errors)
                report["changed"] += int(not _within(s.params(), _expected(query)))
        except Exception as e:  # noqa: BLE001
            report["errors"] += 1
            report["failures"].append(f"{page}: {type(e).__name__}: {e}"[:200])
        if (i + 1) % every == 0:
            memory.append((i + 1, rss_mb(pid)))
    return opens, memory, report


def _row(name: str, xs: list[float], base: list[float] | None = None) -> str:
    """p50/p95/max of ``xs``; with ``base`` (the same action alone) also p50 and p95 as
    multiples of the baseline's median."""
    if not xs:
        return f"  {name:<10} (none)"
    xs = sorted(xs)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    line = (f"  {name:<10} n={len(xs):<4} p50 {statistics.median(xs):6.2f} s   "
            f"p95 {p95:6.2f} s   max {xs[-1]:6.2f} s")
    if base:
        b = statistics.median(base)
        line += f"   ({statistics.median(xs) / b:.1f}x / {p95 / b:.1f}x the action alone)"
    return line


def run(quick: bool = False, args: argparse.Namespace | None = None) -> int:
    """Run both phases and print the figures; returns 0 (figures, not a verdict)."""
    try:
        import websockets  # noqa: F401
    except ImportError:
        print("bench serve needs the `websockets` package (it comes with streamlit's server)")
        return 0
    from explorer.ui.testing import serve

    sessions = getattr(args, "sessions", None) or (6 if quick else 30)
    churn = getattr(args, "churn", None) or (20 if quick else 200)
    log = Path(__import__("tempfile").gettempdir()) / "explorer-bench-serve.log"
    print(f"server log: {log}")
    with serve(log) as base:
        pid = base.pid
        before = rss_mb(pid)
        print(f"server RSS before any session: {before:.0f} MB")
        # one warm-up visit per scenario, so the figures are of a warm server (cold first
        # runs are the browser benchmark's business)
        t0 = time.perf_counter()
        _, rep0 = asyncio.run(_concurrent(base, len(SCENARIOS)))
        warm = rss_mb(pid)
        print(f"warm-up ({len(SCENARIOS)} sessions, one per scenario) took "
              f"{time.perf_counter() - t0:.1f} s; RSS {warm:.0f} MB; errors: {rep0['errors']}")
        _print_texts(rep0)
        from explorer.ui import turns

        print(f"page runs at once: {turns.SLOTS or 'unlimited'} (EXPLORER_PAGE_TURNS); "
              "a step's fragment rerun never waits for a turn")
        repeat = getattr(args, "repeat", None) or 1
        t0 = time.perf_counter()
        alone, rep1, cpu = asyncio.run(_alone(base, pid, repeat))
        print(f"\nbaseline: each scenario alone, one session at a time, {repeat} round(s) "
              f"({time.perf_counter() - t0:.1f} s wall):")
        for name, xs in alone.items():
            print(_row(name, xs))
        print(f"  errors: {rep1['errors']}")
        _print_texts(rep1)
        print("server CPU per action (user + system of the server process, one session alone):")
        for line in _cpu_table(cpu):
            print(line)
        if getattr(args, "alone", False):
            return 0
        with Sampler(pid) as sampler:
            t0, c0 = time.perf_counter(), cpu_s(pid)
            times, report = asyncio.run(_concurrent(base, sessions))
            wall, cpu_used = time.perf_counter() - t0, cpu_s(pid) - c0
        after1 = rss_mb(pid)
        print(f"\n{sessions} concurrent sessions, each opening a page and stepping "
              f"({wall:.1f} s wall, {cpu_used:.1f} s of server CPU: what the queue is made of):")
        for name, xs in times.items():
            print(_row(name, xs, alone.get(name)))
        print(f"  errors: {report['errors']}   sessions whose state changed unasked: "
              f"{report['changed']} of {sessions}")
        for f in report["failures"][:5]:
            print(f"    failure: {f}")
        _print_texts(report)
        for page, want, got in report["examples"][:3]:
            print(f"    changed on {page}: wanted {want}, got {got}")
        print(f"  server RSS: during (peak) {sampler.peak:.0f} MB, after {after1:.0f} MB")

        every = max(churn // 4, 1)
        with Sampler(pid) as sampler:
            t0 = time.perf_counter()
            opens, memory, rep2 = asyncio.run(_churn(base, churn, pid, every))
            wall = time.perf_counter() - t0
        after2 = rss_mb(pid)
        print(f"\n{churn} sessions opening a page and closing, one after another "
              f"({wall:.1f} s wall):")
        print(_row("open", opens, alone["open"]))
        print(f"  errors: {rep2['errors']}   sessions whose state differed from their link: "
              f"{rep2['changed']}")
        for f in rep2["failures"][:5]:
            print(f"    failure: {f}")
        _print_texts(rep2)
        print("  server RSS after " + ", ".join(f"{k} sessions: {m:.0f} MB" for k, m in memory)
              + f"; peak {sampler.peak:.0f} MB")
        growth = after2 - after1
        print(f"\nmemory: before {before:.0f} MB, warm {warm:.0f} MB, after the concurrent phase "
              f"{after1:.0f} MB, after {churn} more sessions {after2:.0f} MB "
              f"(growth over the churn: {growth:+.0f} MB)")
    return 0
