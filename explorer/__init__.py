"""Message Passing Explorer: watch message passing happen on a graph, round by round.

The library (everything outside :mod:`explorer.ui`) never imports streamlit; it works from the
command line (``python -m explorer``) and from a notebook. See ``DESIGN`` in the README.
"""

import os

# torch's CPU allocator backs buffers of 2 MB and more with transparent huge pages when this is
# set before its first allocation (PyTorch >= 2.2; numpy does the same for its large arrays by
# default). A recorded run keeps its messages, so each run takes fresh memory: with 4 KB pages a
# 2-layer GraphSAGE on 100,000 nodes spent ~100 ms of a ~150 ms run faulting in 128 MB, and
# whether an unrecorded run paid the same depended on what the allocator had kept. setdefault:
# a value the user set (THP_MEM_ALLOC_ENABLE=0) wins; it has no effect once torch has allocated.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

from explorer.errors import ExplorerError, InputFormatError, ModelError
from explorer.graph import Graph
from explorer.trace import Step, Trace, validate_trace

__version__ = "0.1.0"
__all__ = ["Graph", "Trace", "Step", "validate_trace", "ExplorerError", "InputFormatError",
           "ModelError", "__version__"]
