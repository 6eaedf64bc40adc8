"""The project's exception hierarchy.

Every error a user can cause (a bad file, an unknown variable, a model too large) is raised as a
subclass of :class:`ExplorerError` whose message says what was expected, what was found and what
to do. The CLI prints the message and exits non-zero; the app shows it in the page. Neither ever
shows a traceback for these.

    ExplorerError
     +-- InputFormatError   a file or upload that cannot be read (carries path and line)
     +-- ModelError         a model or graph that was read but cannot be used as asked
     |    +-- EvidenceError a VAR=STATE that names an unknown variable/state or has probability 0
     |    +-- TooLargeError a computation refused because its size passes a stated limit
     +-- TraceError         a Trace that breaks the contract of :mod:`explorer.trace`
     +-- DeviceError        a torch device that was asked for but is not available
     +-- DidNotConverge     an iterative method that stopped at max_iter (figures as attributes)
"""

from __future__ import annotations


class ExplorerError(Exception):
    """Base class of every error the explorer raises on purpose."""


class InputFormatError(ExplorerError, ValueError):
    """A file or upload could not be read.

    Attributes:
        path: the file name (or ``None`` for in-memory text).
        line: the 1-based line number where the problem was found, when known.
    """

    #: the longest message kept (longer ones, which only quoted file content makes, are cut)
    MAX_MESSAGE = 600

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        message = " ".join(message.splitlines())  # always one line
        if len(message) > self.MAX_MESSAGE:
            message = message[: self.MAX_MESSAGE - 1] + "…"
        if path is not None and len(path) > 200:
            path = "…" + path[-199:]
        where = ""
        if path is not None and line is not None:
            where = f"{path}, line {line}: "
        elif path is not None:
            where = f"{path}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)


class ModelError(ExplorerError, ValueError):
    """A model, graph or set of options that cannot be used as asked."""


class EvidenceError(ModelError):
    """Evidence that names an unknown variable or state, or that has probability zero."""


class TooLargeError(ModelError):
    """A computation refused because it would pass a stated size limit.

    Attributes:
        size: the estimated size (entries, nodes, ...) that was refused.
        limit: the limit it passed.
    """

    def __init__(self, message: str, *, size: float | None = None, limit: float | None = None):
        self.size = size
        self.limit = limit
        super().__init__(message)


class TraceError(ExplorerError, ValueError):
    """A Trace whose fields break the contract (wrong shapes, ids out of range, ...)."""


class DeviceError(ExplorerError, RuntimeError):
    """A torch device was requested that this machine does not have."""


class DidNotConverge(ExplorerError, RuntimeError):
    """An iterative method reached its iteration limit without meeting its tolerance.

    Attributes:
        iterations: how many iterations ran.
        residual: the last measured change (the quantity compared with ``tol``).
        tol: the tolerance that was not met.
    """

    def __init__(self, iterations: int, residual: float, tol: float):
        self.iterations = iterations
        self.residual = residual
        self.tol = tol
        super().__init__(
            f"did not converge: after {iterations} iterations the largest change was "
            f"{residual:.3g}, above tol={tol:g}; raise max_iter, add damping, or loosen tol"
        )
