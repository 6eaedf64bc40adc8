"""Choosing the torch device: ``"auto"``, ``"cpu"`` or ``"cuda"`` (optionally ``"cuda:K"``).

``"auto"`` means CUDA when torch sees a GPU, else the CPU (DESIGN.md, Conventions). Asking for
CUDA on a machine without one raises :class:`~explorer.errors.DeviceError` instead of torch's
lower-level ``RuntimeError`` at the first tensor transfer.
"""

from __future__ import annotations

import torch

from explorer.errors import DeviceError

__all__ = ["resolve_device", "DEVICES"]

#: the device names the CLI and the app offer
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn a device name into a :class:`torch.device` that exists on this machine.

    Args:
        device: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or
            ``"cuda:K"``, or a ``torch.device``.

    Returns:
        The torch device to run on.

    Raises:
        DeviceError: for an unknown name, or CUDA asked for when torch sees no GPU (or fewer
            than K+1 GPUs).

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    name = str(device).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            built = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            raise DeviceError(f"device {device!r} was requested but torch ({torch.__version__}, {built}) "
                              "sees no CUDA GPU on this machine; use --device cpu or --device auto")
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(f"device {device!r} was requested but only {torch.cuda.device_count()} "
                              f"GPU(s) exist (valid: cuda:0 .. cuda:{torch.cuda.device_count() - 1})")
        return dev
    raise DeviceError(f"expected a device among {', '.join(DEVICES)} (or cuda:K), found {device!r}")
