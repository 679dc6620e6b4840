"""Heavy lesson results as bytes that cannot run code: an ``.npz`` of the arrays plus a JSON tree of
dataclasses, tuples, lists, str-keyed dicts and scalars that refers to them; nothing else is stored.
Read back with ``allow_pickle=False``; only the dataclasses the reader names are rebuilt."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from typing import Any

import numpy as np


def encode(value: Any) -> bytes:
    """``value`` as the bytes of an ``.npz``: its arrays plus a JSON tree that refers to them."""
    arrays: list[np.ndarray] = []

    def tree(v):
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {"dataclass": type(v).__name__,
                    "fields": {f.name: tree(getattr(v, f.name)) for f in dataclasses.fields(v)}}
        if isinstance(v, np.ndarray):
            if v.dtype == object:
                raise TypeError("an array of Python objects cannot be stored")
            arrays.append(v)
            return {"array": len(arrays) - 1}
        if isinstance(v, tuple | list):
            return {"tuple" if isinstance(v, tuple) else "list": [tree(x) for x in v]}
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise TypeError("only dicts with string keys can be stored")
            return {"dict": {k: tree(x) for k, x in v.items()}}
        if isinstance(v, np.generic):
            return {"scalar": v.item()}
        if v is None or isinstance(v, bool | int | float | str):
            return {"scalar": v}
        raise TypeError(f"cannot store a {type(v).__name__}")

    root = json.dumps(tree(value))
    buffer = io.BytesIO()
    np.savez(buffer, tree=np.array(root), **{f"a{i}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def decode(data: bytes, types: dict[str, type]) -> Any:
    """Inverse of :func:`encode`; a dataclass must be one of ``types`` (by name). ValueError if not."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:  # object arrays: ValueError
        raise ValueError(f"not a result file ({type(exc).__name__}: {exc})") from None

    def build(node):
        if "dataclass" in node:
            cls = types.get(node["dataclass"])
            if cls is None:
                raise ValueError(f"unknown result type {node['dataclass']!r}")
            return cls(**{k: build(v) for k, v in node["fields"].items()})
        (kind, body), = node.items()
        if kind == "array":
            return arrays[f"a{int(body)}"]
        if kind in ("tuple", "list"):
            items = [build(x) for x in body]
            return tuple(items) if kind == "tuple" else items
        if kind == "dict":
            return {k: build(v) for k, v in body.items()}
        if kind == "scalar":
            return body
        raise ValueError(f"unknown node {kind!r}")

    try:
        return build(json.loads(str(arrays.pop("tree"))))
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed result file ({type(exc).__name__}: {exc})") from None
