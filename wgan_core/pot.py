"""POT (``ot``), imported the way every process of the project imports it.

Import this module, never ``ot`` directly (:func:`wgan_core.distances.wasserstein1` does, and the live
workers' forkserver preloads it):

* every array reaching POT from the project is a float64 numpy array, so POT's PyTorch backend is never
  used; when torch is not loaded yet, the backend is disabled so that ``import ot`` does not import torch
  (several seconds on a cold start, for the first lesson page of the app);
* POT's Gromov-Wasserstein modules import ``sklearn.cluster`` when scikit-learn is installed (it is, for
  the digits); only their k-means initialisations use it, never ``ot.emd2``. While ``ot`` is imported,
  ``sklearn.cluster`` is marked unavailable, so that no process pays for that import (0.7-1 CPU-second
  here); importing ``sklearn.cluster`` afterwards works as usual.
"""

from __future__ import annotations

import os
import sys

_first = "ot" not in sys.modules
if _first and "torch" not in sys.modules:
    os.environ.setdefault("POT_BACKEND_DISABLE_PYTORCH", "1")
_hidden = _first and "sklearn.cluster" not in sys.modules
if _hidden:
    sys.modules["sklearn.cluster"] = None  # an ImportError for POT's optional import
try:
    import ot
finally:
    if _hidden and sys.modules.get("sklearn.cluster", 0) is None:
        del sys.modules["sklearn.cluster"]

__all__ = ["ot"]
