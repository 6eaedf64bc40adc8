"""``python -m explorer bench panel``: the server's CPU time per step of a player's panel.

A step in the browser reruns only the player's detail panel (a fragment, see
:mod:`explorer.ui.player`). This bench starts the app, opens a page over the websocket protocol
(:class:`explorer.ui.testing.Session`), sends what the chart sends on every step (the panel's
sync trigger) through all the steps three times, and reads the server process's CPU time
(user + system, ``/proc/<pid>/stat``) around each round. Round 1 visits every step for the first
time (the over-smoothing scatter and cursor charts are built); rounds 2 and 3 revisit them (the
figures come from the cache's ``steps`` store). The baseline, in the same server, is a panel
step of the Variable elimination page (a note, a formula and a small table: no charts).

CPU time, not wall time: the build machine is shared, and a step's wall time there says more
about the other processes than about the panel. Linux only (``/proc``). Figures, no verdict.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

#: (label, page, opening query, sync key, steps)
CASES = [
    ("Over-smoothing, karate, 16 layers, 2 runs", "oversmoothing",
     "sample=karate&depth=16&archs=gcn&remedies=none,pairnorm", "smooth.sync", 17),
    ("Neural, karate, GCN 8 layers, Over-smoothing panel", "neural",
     "sample=karate&layers=8&panel=smoothing", "nn.sync", 8),
]
BASELINE = ("Variable elimination, chain of 5 (baseline)", "variable_elimination", "", "ve.sync", 8)


async def _rounds(url, pid: int, page: str, query: str, key: str, n: int, rounds: int) -> list[float]:
    from explorer.bench.serve import cpu_s
    from explorer.ui.testing import Session

    out = []
    async with Session(url) as s:
        await s.open(page, query)
        if s.errors:
            raise RuntimeError(f"{page}: {s.errors[0]}")
        for _ in range(rounds):
            c0 = cpu_s(pid)
            for i in list(range(1, n)) + [0]:
                await s.trigger(key, "step", i)
                if s.errors:
                    raise RuntimeError(f"{page} step {i}: {s.errors[0]}")
            out.append(1000 * (cpu_s(pid) - c0) / n)
    return out


def run(quick: bool = False) -> int:
    """Print the server's CPU milliseconds per panel step; returns 0 (figures, not a verdict)."""
    if not Path("/proc/self/stat").exists():
        print("bench panel reads the server's CPU time from /proc: Linux only")
        return 0
    from explorer.ui.testing import serve

    rounds = 2 if quick else 3
    log = Path(tempfile.gettempdir()) / "explorer-bench-panel.log"
    with serve(log) as url:
        base = asyncio.run(_rounds(url, url.pid, *BASELINE[1:], rounds))
        ref = min(base)
        print(f"{BASELINE[0]}: {' / '.join(f'{v:.1f}' for v in base)} ms CPU per step "
              "(rounds 1 / 2 / 3)")
        for label, page, query, key, n in CASES:
            got = asyncio.run(_rounds(url, url.pid, page, query, key, n, rounds))
            ratios = " / ".join(f"{v / ref:.1f}x" for v in got) if ref > 0 else "-"
            print(f"{label}: {' / '.join(f'{v:.1f}' for v in got)} ms CPU per step "
                  f"(first visit / revisits); {ratios} the baseline")
    print("(server process CPU time, /proc; the clock ticks every 10 ms, so a step is an "
          "average over a round)")
    return 0
