"""Read a ``.pt`` state dict safely: bounded before it is loaded, checked before it is used.

A state dict file is a zip archive (``torch.save`` since PyTorch 1.6): a pickle naming the
tensors and one member per storage. :func:`read_state_dict` refuses, with
:class:`~explorer.errors.InputFormatError` and one line saying what was expected and found:

1. before loading: a file (or upload) larger than ``Limits.max_bytes``; anything that is not
   a zip archive (legacy pickles cannot be sized in advance); members whose *declared*
   uncompressed sizes add up past ``Limits.max_bytes`` (a 1.9 MB file that inflates to 2 GB is
   refused from its directory, without inflating anything);
2. while loading: anything but tensors in plain containers -- ``torch.load(weights_only=True)``
   unpickles no code, so a pickle that would call a function fails and runs nothing;
3. after loading, per tensor, before any of it is used: a layout other than dense strided
   (sparse COO/CSR...), the meta device, quantized or non-floating dtypes, strides that
   reuse memory (an expanded or zero-stride tensor whose elements outnumber its storage),
   more data than ``Limits.max_bytes`` in all, and NaN or infinite values.

Architecture checks (which keys, which shapes) live in :mod:`explorer.nn.pyg_import`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Mapping

import torch

from explorer.errors import InputFormatError, ModelError
from explorer.io.limits import DEFAULT_LIMITS, Limits

__all__ = ["read_state_dict", "check_tensors"]

_SAVE_HINT = "save one with torch.save(model.state_dict(), path)"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _check_archive(data: bytes | None, path: str | None, limits: Limits, source: str) -> None:
    """Size, zip format and declared member sizes, before torch reads a byte of it."""
    size = len(data) if data is not None else Path(path).stat().st_size
    if size > limits.max_bytes:
        raise InputFormatError(f"expected a state dict file of at most {_mb(limits.max_bytes)} "
                               f"(Limits.max_bytes), found {_mb(size)}; use a smaller model or raise "
                               f"the limit with Limits(max_bytes={size})", path=source)
    handle = io.BytesIO(data) if data is not None else path
    try:
        with zipfile.ZipFile(handle) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise InputFormatError(f"expected a PyTorch state dict saved with torch.save(model.state_dict(), path) "
                               f"(a zip archive, PyTorch 1.6 or later), found a file that is not a zip "
                               f"archive ({e})",
                               path=source) from e
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_bytes:
        raise InputFormatError(f"expected at most {_mb(limits.max_bytes)} of tensor data (Limits.max_bytes), "
                               f"but the archive's {len(infos)} members declare {_mb(declared)} once "
                               f"inflated; this is not a small model's state dict -- refused before "
                               f"loading (raise the limit with Limits(max_bytes={declared}) if you trust it)",
                               path=source)


def _load(data: bytes | None, path: str | None, source: str) -> Any:
    try:
        return torch.load(io.BytesIO(data) if data is not None else path, map_location="cpu",
                          weights_only=True)
    except Exception as e:  # noqa: BLE001 - unpickling refusals, corrupt members, unsafe globals
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputFormatError(f"expected only tensors in a state dict ({_SAVE_HINT}); torch refused to "
                               f"load it without running code ({type(e).__name__}: {first[:200]})",
                               path=source) from e


def check_tensors(sd: Mapping[Any, Any], *, limits: Limits = DEFAULT_LIMITS,
                  source: str | None = None) -> dict[str, torch.Tensor]:
    """Check every value of a state dict as the module docstring lists (step 3).

    Returns:
        ``{str(key): tensor}`` on the CPU, unchanged otherwise.

    Raises:
        InputFormatError: the first offending tensor, by key, with what was found.
        ModelError: not a mapping of names to tensors.
    """
    if isinstance(sd, torch.nn.Module):
        sd = sd.state_dict()
    if not isinstance(sd, Mapping):
        raise ModelError(f"expected a state dict (a mapping of names to tensors), found "
                         f"{type(sd).__name__}; {_SAVE_HINT}")
    out: dict[str, torch.Tensor] = {}
    total = 0
    for key, t in sd.items():
        def bad(what: str) -> InputFormatError:
            return InputFormatError(f"{key}: expected a dense, finite floating-point tensor, found "
                                    f"{what}; {_SAVE_HINT} from a model on the CPU or GPU", path=source)
        if not isinstance(key, str):
            raise ModelError(f"expected tensor names (strings) as keys, found {type(key).__name__} "
                             f"{key!r:.40}; {_SAVE_HINT}")
        if not isinstance(t, torch.Tensor):
            raise ModelError(f"expected a state dict (a mapping of names to tensors), but {key} holds "
                             f"{type(t).__name__}; {_SAVE_HINT}")
        if t.layout != torch.strided:
            raise bad(f"a {str(t.layout).replace('torch.', '')} tensor")
        if t.is_meta or t.device.type == "meta":
            raise bad("a tensor on the meta device (shapes without values)")
        if t.is_quantized:
            raise bad(f"a quantized tensor ({t.dtype})")
        if not t.is_floating_point():
            raise bad(f"dtype {t.dtype}")
        need = t.numel() * t.element_size()
        if need and any(st == 0 and sz > 1 for sz, st in zip(t.shape, t.stride())):
            raise bad(f"a zero-stride (expanded) tensor of shape {tuple(t.shape)}")
        if need > t.untyped_storage().nbytes():
            raise bad(f"a tensor of {_mb(need)} on {_mb(t.untyped_storage().nbytes())} of storage "
                      "(strides that reuse memory)")
        total += need
        if total > limits.max_bytes:
            raise InputFormatError(f"expected at most {_mb(limits.max_bytes)} of tensors (Limits.max_bytes), "
                                   f"found more by {key} (shape {tuple(t.shape)}); use a smaller model or "
                                   "raise the limit", path=source)
        if not bool(torch.isfinite(t).all()):
            n_bad = int((~torch.isfinite(t)).sum())
            raise bad(f"{n_bad} NaN or infinite value{'s' if n_bad != 1 else ''}")
        out[key] = t.detach().cpu()
    return out


def read_state_dict(source: Any, *, limits: Limits | None = None, filename: str | None = None
                    ) -> dict[str, torch.Tensor]:
    """A state dict from a ``.pt`` path, its bytes, a mapping of tensors or a module, checked.

    Args:
        source: ``str``/``Path`` (a file), ``bytes`` (an upload), a mapping or ``nn.Module``.
        limits: ``Limits.max_bytes`` bounds the file, the declared archive content and the
            tensors together (default 20 MB).
        filename: the name to put in messages for ``bytes``.

    Raises:
        InputFormatError: any refusal of the module docstring.
        ModelError: an in-memory object that is not a state dict.
        FileNotFoundError: no such file.
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, name = bytes(source), filename or "<upload>"
        _check_archive(data, None, limits, name)
        return check_tensors(_load(data, None, name), limits=limits, source=name)
    if isinstance(source, (str, Path)):
        path = str(source)
        _check_archive(None, path, limits, path)
        return check_tensors(_load(None, path, path), limits=limits, source=path)
    return check_tensors(source, limits=limits, source=filename)
