"""Reading graphs: the upload formats, their limits and checks, and the sample registry.

    read_graph(path)            a file, format chosen by extension (GRAPH_EXTENSIONS)
    read_graph_bytes(data, fn)  an upload held in memory
    load_graph(name_or_path)    a sample name or a file path
    list_samples(), get_sample(), sample_path(), is_sample()   the sample index

Every problem with a file raises :class:`~explorer.errors.InputFormatError` with a message that
says what was expected, what was found and what to do; softer findings (self-loops, merged
parallel edges, ignored attributes) are sentences in ``graph.meta["warnings"]``.
"""

from explorer.io.limits import Limits
from explorer.io.readers import GRAPH_EXTENSIONS, read_graph, read_graph_bytes
from explorer.io.samples import (SAMPLES_DIR, SampleInfo, get_sample, is_sample, list_samples,
                                 load_graph, sample_path)

__all__ = ["Limits", "GRAPH_EXTENSIONS", "read_graph", "read_graph_bytes", "SampleInfo",
           "SAMPLES_DIR", "list_samples", "get_sample", "sample_path", "is_sample", "load_graph"]
