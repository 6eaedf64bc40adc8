"""A client that sends only the player's step trigger (as Streamlit's websocket protocol allows,
and as ``bench serve``'s sessions do) still moves the page's step and its link — from the first
step on. Before the fix the first trigger of a session was lost (the sync callback found no
component state yet), so a shared link kept ``step`` unset after the first Next."""

import asyncio

import pytest

pytest.importorskip("websockets")


@pytest.mark.parametrize("page,query,pid", [("variable_elimination", "n=6&k=2", "ve"),
                                            ("belief_propagation", "sample=chain_bn", "bp")])
def test_every_step_trigger_reaches_the_link(app_url, page, query, pid):
    from explorer.ui.testing import Session

    async def go() -> list[dict]:
        seen = []
        async with Session(app_url) as s:
            await s.open(page, query)
            n = len(s.data[f"{pid}.chart"]["labels"])
            for k in (1, 2, 1, 0):
                if k < n:
                    await s.trigger(f"{pid}.sync", "step", k)
                    seen.append((k, s.params().get("step", "0"), list(s.errors)))
        return seen

    for k, step, errors in asyncio.run(go()):
        assert errors == []
        assert step == str(k)
