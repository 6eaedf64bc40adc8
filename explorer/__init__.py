"""Message Passing Explorer: watch message passing happen on a graph, round by round.

The library (everything outside :mod:`explorer.ui`) never imports streamlit; it works from the
command line (``python -m explorer``) and from a notebook. See ``DESIGN`` in the README.
"""

from explorer.errors import ExplorerError, InputFormatError, ModelError
from explorer.graph import Graph
from explorer.trace import Step, Trace, validate_trace

__version__ = "0.1.0"
__all__ = ["Graph", "Trace", "Step", "validate_trace", "ExplorerError", "InputFormatError",
           "ModelError", "__version__"]
