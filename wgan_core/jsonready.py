"""Plain values for JSON: the one conversion every writer of run files and of the class store uses.

It needs numpy only (no torch), so the class store, which runs in a process of its own on a
cluster's head node, can use it without loading the trainer's libraries.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["json_ready"]


def json_ready(value):
    """JSON-ready copy: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
