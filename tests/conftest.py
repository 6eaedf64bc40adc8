"""Shared test fixtures.

``torch_one_thread``: the diagnostics tests run deep stacks of small matrix products; on a
2-core machine torch's default thread pool makes them 10-20x slower, so those modules pin torch
to one thread for their duration and restore it afterwards.
"""

import pytest


@pytest.fixture(scope="module")
def torch_one_thread():
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
