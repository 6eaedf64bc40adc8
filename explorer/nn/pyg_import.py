"""Read a PyG model's ``state_dict`` and infer the architecture from the tensors alone.

Supported: ``torch_geometric.nn.models.GCN``, ``GraphSAGE``, ``GAT`` and ``GIN`` with default
options (no ``norm``, no ``jk``, GAT v1, SAGE without ``project``), any depth, with or without
``out_channels``. PyG itself is never imported: the file is a dict of tensors.

Example (with PyG installed)::

    model = torch_geometric.nn.models.GCN(5, 16, num_layers=3, out_channels=2)
    torch.save(model.state_dict(), "gcn.pt")
    spec = load_pyg_state_dict("gcn.pt")       # {"kind": "gcn", "layers": 3, ...}
    trace = run_stack(graph, weights="gcn.pt")
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import torch

from explorer.errors import InputFormatError, ModelError

__all__ = ["load_pyg_state_dict", "EXPECTED_KEYS"]

#: the keys of one layer ``convs.<k>.`` per architecture (optional ones in brackets)
EXPECTED_KEYS = {
    "gcn": ["lin.weight", "[bias]"],
    "sage": ["lin_l.weight", "[lin_l.bias]", "[lin_r.weight]"],
    "gat": ["lin.weight", "att_src", "att_dst", "[bias]"],
    "gin": ["nn.lins.0.weight", "nn.lins.0.bias", "nn.lins.1.weight", "nn.lins.1.bias", "eps"],
}
_CONV = re.compile(r"^convs\.(\d+)\.(.+)$")


def _expected_text() -> str:
    return "; ".join(f"{k}: " + ", ".join(f"convs.<k>.{v}" for v in keys) for k, keys in EXPECTED_KEYS.items())


def _mismatch(found: list[str], why: str) -> ModelError:
    shown = ", ".join(found[:12]) + (f", ... ({len(found)} keys)" if len(found) > 12 else "")
    return ModelError(f"this state dict is not a default PyG GCN, GraphSAGE, GAT or GIN model ({why}). "
                      f"Expected keys per layer: {_expected_text()}. Found: {shown or 'no keys'}")


def _as_state_dict(obj_or_path: Any) -> dict[str, torch.Tensor]:
    if isinstance(obj_or_path, (str, Path)):
        try:
            obj = torch.load(str(obj_or_path), map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as e:  # pickle errors, zip errors, unsafe objects
            raise InputFormatError(f"expected a state dict saved with torch.save(model.state_dict(), ...), "
                                   f"could not read it ({type(e).__name__}: {e})", path=str(obj_or_path)) from e
    else:
        obj = obj_or_path
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"expected a state dict (a mapping of names to tensors), found {type(obj).__name__}; "
                         "save one with torch.save(model.state_dict(), path)")
    return {str(k): v.detach().cpu() for k, v in obj.items()}


def load_pyg_state_dict(obj_or_path: Any) -> dict[str, Any]:
    """Infer the architecture of a PyG ``GCN``/``GraphSAGE``/``GAT``/``GIN`` state dict.

    Args:
        obj_or_path: a path to a ``.pt`` file, a state dict, or a ``torch.nn.Module``.

    Returns:
        ``{"kind", "layers", "in_channels", "hidden", "out_channels", "heads", "specs",
        "layer_opts", "state_dict"}``; ``specs`` is the per-layer list of
        :func:`explorer.nn.stack.conv_specs` form, ``state_dict`` the tensors keyed
        ``convs.<k>.*``. Sizes, heads and concat-or-mean come from the tensor shapes.

    Raises:
        InputFormatError: the file cannot be read as a torch state dict.
        ModelError: another architecture (the message lists expected and found keys).
    """
    sd = _as_state_dict(obj_or_path)
    found = list(sd)
    per: dict[int, dict[str, torch.Tensor]] = {}
    for key, t in sd.items():
        m = _CONV.match(key)
        if not m:
            raise _mismatch(found, f"key {key!r} is not under convs.<k>.")
        per.setdefault(int(m.group(1)), {})[m.group(2)] = t
    if not per or sorted(per) != list(range(len(per))):
        raise _mismatch(found, "the layers convs.0 .. convs.L-1 are not all present")
    first = per[0]
    kind = ("gat" if "att_src" in first else "sage" if "lin_l.weight" in first
            else "gin" if "nn.lins.0.weight" in first else "gcn" if "lin.weight" in first else None)
    if kind is None:
        raise _mismatch(found, "no layer type recognised in convs.0")
    allowed = {k.strip("[]") for k in EXPECTED_KEYS[kind]}
    specs = []
    for k in range(len(per)):
        keys = per[k]
        extra = sorted(set(keys) - allowed)
        missing = sorted(k2.strip("[]") for k2 in EXPECTED_KEYS[kind] if not k2.startswith("[")
                         and k2.strip("[]") not in keys)
        if extra or missing:
            raise _mismatch(found, f"{kind} layer convs.{k} has unexpected keys {extra} / lacks {missing}")
        if kind == "gat":
            heads, c = keys["att_src"].shape[1], keys["att_src"].shape[2]
            concat = "bias" not in keys or keys["bias"].numel() == heads * c
            specs.append({"in": keys["lin.weight"].shape[1], "out": c, "heads": heads, "concat": concat})
        elif kind == "gin":
            w0, w1 = keys["nn.lins.0.weight"], keys["nn.lins.1.weight"]
            specs.append({"in": w0.shape[1], "out": w1.shape[0], "heads": 1, "concat": True})
        else:
            w = keys["lin_l.weight" if kind == "sage" else "lin.weight"]
            specs.append({"in": w.shape[1], "out": w.shape[0], "heads": 1, "concat": True})
    for k in range(1, len(specs)):
        prev = specs[k - 1]
        width = prev["out"] * (prev["heads"] if prev["concat"] else 1)
        if specs[k]["in"] != width:
            raise ModelError(f"convs.{k} expects {specs[k]['in']} inputs but convs.{k - 1} outputs {width}; "
                             "the state dict is not a plain stack of layers")
    opts: dict[str, Any] = {}
    if kind == "sage":
        opts = {"root_weight": "lin_r.weight" in first, "bias": "lin_l.bias" in first}
    elif kind in ("gcn", "gat"):
        opts = {"bias": "bias" in first}
    last = specs[-1]
    hidden = specs[0]["out"] * (specs[0]["heads"] if specs[0]["concat"] else 1)
    return {"kind": kind, "layers": len(specs), "in_channels": specs[0]["in"], "hidden": hidden,
            "out_channels": last["out"] * (last["heads"] if last["concat"] else 1),
            "heads": specs[0]["heads"], "specs": specs, "layer_opts": opts, "state_dict": sd}
