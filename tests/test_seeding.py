"""``seeded`` seeds only torch's CPU generator; the oracle is ``torch.manual_seed`` itself: after
either, the CPU generator's state and every draw from it are the same, bit for bit."""

from __future__ import annotations

import pytest

from explorer.seeding import seeded

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**32 + 5, -3])
def test_seeded_leaves_the_cpu_generator_as_manual_seed_does(seed):
    torch.manual_seed(seed)
    want_state = torch.get_rng_state()
    want = torch.nn.Linear(5, 3).weight.detach().clone()
    torch.manual_seed(seed + 1)                     # something else in between
    with seeded(seed):
        assert torch.equal(torch.get_rng_state(), want_state)
        got = torch.nn.Linear(5, 3).weight.detach().clone()
    assert torch.equal(got, want)


def test_seeded_restore_puts_the_generator_back():
    torch.manual_seed(99)
    before = torch.get_rng_state()
    with seeded(4, restore=True):
        torch.rand(10)
    assert torch.equal(torch.get_rng_state(), before)
