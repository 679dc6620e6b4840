r"""Class coverage of generated digits: mode collapse measured on real data.

A generator that has *collapsed* draws most samples from a few modes. On the digits the modes have
names — the classes $0\ldots9$ — so a small classifier trained on the real digits can count them.
For $n$ generated images with predicted classes $\hat y_i$, let $p_k = \frac1n\#\{i:\hat y_i = k\}$
be the class histogram. We report

* ``classes_covered`` $= \#\{k : p_k \ge \frac{1}{4}\cdot\frac{1}{10}\}$, classes that receive at
  least a quarter of their fair share (10 for a generator that covers every digit);
* ``class_kl`` $= KL(p \,\|\, u) = \sum_k p_k \log(10\,p_k)$, the divergence of the histogram from
  uniform $u$: $0$ for perfect balance, $\log 10 \approx 2.30$ when every sample is one class.

The classifier is a support-vector machine with an RBF kernel on the $8\times8$ images (images of
any size are average-pooled back to $8\times8$ first). It is trained once per process, seeded, on
1,500 digits and scores about 98% on the other 297.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from wgan_core.distances import kl_divergence
from wgan_core.images.digits import digits_8x8

__all__ = ["DigitClassifier", "digit_classifier", "class_coverage", "COVERED_SHARE", "N_CLASSES"]

N_CLASSES = 10
#: A class counts as covered when it gets at least this share of the samples (a quarter of 1/10).
COVERED_SHARE = 0.25 / N_CLASSES
N_TRAIN = 1500


def to_8x8_features(images: torch.Tensor) -> np.ndarray:
    """Map images ``(n, 1, H, W)`` in $[-1, 1]$ to features ``(n, 64)`` on the $[0, 16]$ scale."""
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey images of shape (n, 1, H, W), got {tuple(images.shape)}")
    x = images.detach().float().cpu().clamp(-1, 1)
    x = F.adaptive_avg_pool2d(x, 8)
    return ((x + 1.0) * 8.0).reshape(x.shape[0], 64).numpy().astype(np.float64)


@dataclass
class DigitClassifier:
    """A fitted digit classifier with its held-out accuracy."""

    model: object
    test_accuracy: float

    def predict(self, images: torch.Tensor) -> np.ndarray:
        """Predicted classes ``(n,)`` of images ``(n, 1, H, W)`` in $[-1, 1]$."""
        if images.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.model.predict(to_8x8_features(images)), dtype=np.int64)


@lru_cache(maxsize=1)
def digit_classifier(seed: int = 0) -> DigitClassifier:
    """Train (once per process) the RBF-SVM digit classifier on a seeded split."""
    from sklearn.svm import SVC

    images, labels = digits_8x8()
    order = np.random.default_rng(seed).permutation(len(labels))
    train, test = order[:N_TRAIN], order[N_TRAIN:]
    features = images.reshape(len(labels), 64)
    model = SVC(C=10.0, gamma=0.001).fit(features[train], labels[train])
    accuracy = float((model.predict(features[test]) == labels[test]).mean())
    return DigitClassifier(model, accuracy)


def class_coverage(images: torch.Tensor) -> dict[str, float]:
    """``classes_covered`` (0–10) and ``class_kl`` (nats) of generated digits ``(n, 1, H, W)``."""
    if images.shape[0] == 0:
        raise ValueError("class_coverage needs at least one image")
    predicted = digit_classifier().predict(images)
    hist = np.bincount(predicted, minlength=N_CLASSES).astype(np.float64) / len(predicted)
    covered = int((hist >= COVERED_SHARE - 1e-12).sum())
    kl = kl_divergence(hist, np.full(N_CLASSES, 1.0 / N_CLASSES))
    return {"classes_covered": float(covered), "class_kl": float(kl)}
