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
from typing import Any

import torch

from explorer.errors import ModelError
from explorer.io.limits import Limits
from explorer.nn.state_dict import read_state_dict

__all__ = ["load_pyg_state_dict", "EXPECTED_KEYS", "GAT_LAST"]

#: how a GAT's last layer may combine its heads: averaged (PyG's ``GAT`` with ``out_channels``,
#: the default here) or concatenated (PyG's ``GAT`` without ``out_channels``)
GAT_LAST = ("mean", "concat")

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


def _matrix(k: int, name: str, t: torch.Tensor, rows: int | None = None, cols: int | None = None
            ) -> tuple[int, int]:
    """Check a 2-D ``[out, in]`` weight (sizes >= 1, or the given ones); return its shape."""
    want = f"[{rows if rows is not None else 'out'}, {cols if cols is not None else 'in'}]"
    if (t.dim() != 2 or min(t.shape) < 1 or (rows is not None and t.shape[0] != rows)
            or (cols is not None and t.shape[1] != cols)):
        raise ModelError(f"convs.{k}.{name}: expected a 2-D weight matrix of shape {want}, found shape "
                         f"{tuple(t.shape)}; the state dict does not fit the layers it names")
    return int(t.shape[0]), int(t.shape[1])


def _vector(k: int, name: str, t: torch.Tensor, sizes: tuple[int, ...]) -> None:
    if t.dim() != 1 or t.shape[0] not in sizes:
        want = " or ".join(f"[{n}]" for n in sizes)
        raise ModelError(f"convs.{k}.{name}: expected a 1-D vector of shape {want}, found shape "
                         f"{tuple(t.shape)}; the state dict does not fit the layers it names")


def _layer_spec(kind: str, k: int, keys: dict[str, torch.Tensor]) -> dict[str, Any]:
    """Sizes of layer ``k`` from its tensors, every shape checked (GAT ``concat`` is settled later)."""
    if kind == "gat":
        att = keys["att_src"]
        if att.dim() != 3 or att.shape[0] != 1 or min(att.shape) < 1:
            raise ModelError(f"convs.{k}.att_src: expected shape [1, heads, channels], found "
                             f"{tuple(att.shape)}; the state dict does not fit the layers it names")
        heads, c = int(att.shape[1]), int(att.shape[2])
        if tuple(keys["att_dst"].shape) != tuple(att.shape):
            raise ModelError(f"convs.{k}.att_dst: expected shape {tuple(att.shape)} like att_src, found "
                             f"{tuple(keys['att_dst'].shape)}")
        _, d_in = _matrix(k, "lin.weight", keys["lin.weight"], rows=heads * c)
        if "bias" in keys:
            _vector(k, "bias", keys["bias"], (heads * c, c))
        return {"in": d_in, "out": c, "heads": heads, "concat": None}
    if kind == "gin":
        h, d_in = _matrix(k, "nn.lins.0.weight", keys["nn.lins.0.weight"])
        _vector(k, "nn.lins.0.bias", keys["nn.lins.0.bias"], (h,))
        out, _ = _matrix(k, "nn.lins.1.weight", keys["nn.lins.1.weight"], cols=h)
        _vector(k, "nn.lins.1.bias", keys["nn.lins.1.bias"], (out,))
        if keys["eps"].numel() != 1 or keys["eps"].dim() > 1:
            raise ModelError(f"convs.{k}.eps: expected one number (shape [1]), found shape "
                             f"{tuple(keys['eps'].shape)}")
        return {"in": d_in, "out": out, "heads": 1, "concat": True}
    main = "lin_l" if kind == "sage" else "lin"
    out, d_in = _matrix(k, f"{main}.weight", keys[f"{main}.weight"])
    bias = "lin_l.bias" if kind == "sage" else "bias"
    if bias in keys:
        _vector(k, bias, keys[bias], (out,))
    if "lin_r.weight" in keys:
        _matrix(k, "lin_r.weight", keys["lin_r.weight"], rows=out, cols=d_in)
    return {"in": d_in, "out": out, "heads": 1, "concat": True}


def _gat_concat(specs: list[dict[str, Any]], per: dict[int, dict[str, torch.Tensor]],
                gat_last: str | None) -> list[str]:
    """Settle each GAT layer's concat-or-mean from its bias, else from the next layer's input
    width; the last layer without a bias follows ``gat_last`` (default: mean, as PyG's
    ``GAT`` with ``out_channels``). Returns the notes for the model summary."""
    notes = []
    last = len(specs) - 1
    for k, sp in enumerate(specs):
        h, c = sp["heads"], sp["out"]
        told = None
        if h == 1:
            told = "concat"                          # one head: both rules give the same numbers
        elif "bias" in per[k]:
            told = "concat" if per[k]["bias"].numel() == h * c else "mean"
        elif k < last:
            told = "concat" if specs[k + 1]["in"] == h * c else "mean"
        if k == last and gat_last is not None and told is not None and h > 1 and gat_last != told:
            raise ModelError(f"gat_last={gat_last!r} was asked for, but convs.{k}.bias has "
                             f"{per[k]['bias'].numel()} entries, so its {h} heads are "
                             f"{'concatenated' if told == 'concat' else 'averaged'}; drop the override")
        if told is None:
            told = gat_last or "mean"
            how = "averaged" if told == "mean" else "concatenated"
            notes.append(f"the last GAT layer has no bias to tell how its {h} heads combine; they are "
                         f"{how} ({'chosen' if gat_last else 'PyG GAT default with out_channels'}); "
                         f"use --gat-last {'concat' if told == 'mean' else 'mean'} / gat_last="
                         f"{'concat' if told == 'mean' else 'mean'!r} for the other")
        sp["concat"] = told == "concat"
    return notes


def load_pyg_state_dict(obj_or_path: Any, *, gat_last: str | None = None, limits: Limits | None = None,
                        filename: str | None = None) -> dict[str, Any]:
    """Infer the architecture of a PyG ``GCN``/``GraphSAGE``/``GAT``/``GIN`` state dict.

    Args:
        obj_or_path: a path to a ``.pt`` file, its bytes, a state dict, or a ``torch.nn.Module``;
            files and bytes are bounded and checked by :func:`explorer.nn.state_dict.read_state_dict`.
        gat_last: ``"mean"`` or ``"concat"``: how the last GAT layer combines its heads when the
            file cannot tell (no bias, more than one head). Default ``"mean"``, as PyG's ``GAT``
            built with ``out_channels``; the spec's ``notes`` say when this was assumed.
        limits: size limits (default ``Limits()``).
        filename: the name used in messages for bytes.

    Returns:
        ``{"kind", "layers", "in_channels", "hidden", "out_channels", "heads", "specs",
        "layer_opts", "state_dict", "notes"}``; ``specs`` is the per-layer list of
        :func:`explorer.nn.stack.conv_specs` form, ``state_dict`` the tensors keyed
        ``convs.<k>.*``. Sizes, heads and concat-or-mean come from the tensor shapes.

    Raises:
        InputFormatError: the file cannot be read as a torch state dict, or a tensor is not
            dense, finite, floating point and within the limits.
        ModelError: another architecture (the message lists expected and found keys), or a
            tensor whose shape does not fit (the message names the key and both shapes).
    """
    if gat_last is not None and gat_last not in GAT_LAST:
        raise ModelError(f"expected gat_last in {GAT_LAST}, found {gat_last!r}")
    sd = read_state_dict(obj_or_path, limits=limits, filename=filename)
    found = list(sd)
    per: dict[int, dict[str, torch.Tensor]] = {}
    for key, t in sd.items():
        m = _CONV.match(key)
        if not m or len(m.group(1)) > 4:
            raise _mismatch(found, f"key {key[:60]!r} is not under convs.<k>.")
        per.setdefault(int(m.group(1)), {})[m.group(2)] = t
    if not per or sorted(per) != list(range(len(per))):
        raise _mismatch(found, "the layers convs.0 .. convs.L-1 are not all present")
    first = per[0]
    kind = ("gat" if "att_src" in first else "sage" if "lin_l.weight" in first
            else "gin" if "nn.lins.0.weight" in first else "gcn" if "lin.weight" in first else None)
    if kind is None:
        raise _mismatch(found, "no layer type recognised in convs.0")
    allowed = {k.strip("[]") for k in EXPECTED_KEYS[kind]}
    optional = {k.strip("[]") for k in EXPECTED_KEYS[kind] if k.startswith("[")}
    specs = []
    for k in range(len(per)):
        keys = per[k]
        extra = sorted(set(keys) - allowed)
        missing = sorted(k2.strip("[]") for k2 in EXPECTED_KEYS[kind] if not k2.startswith("[")
                         and k2.strip("[]") not in keys)
        if extra or missing:
            raise _mismatch(found, f"{kind} layer convs.{k} has unexpected keys {extra} / lacks {missing}")
        if set(keys) & optional != set(first) & optional:
            raise _mismatch(found, f"convs.{k} has the optional keys {sorted(set(keys) & optional)} but "
                                   f"convs.0 has {sorted(set(first) & optional)}; every layer must match")
        specs.append(_layer_spec(kind, k, keys))
    notes = _gat_concat(specs, per, gat_last) if kind == "gat" else []
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
            "heads": specs[0]["heads"], "specs": specs, "layer_opts": opts, "state_dict": sd,
            "notes": notes}
