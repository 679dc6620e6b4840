"""Speed of the exact W1 (wgan_core.distances.wasserstein1, POT network simplex) on 2-D clouds.

Target: ≤ 0.5 s at n = 2,000 points per side. Prints the median of several seeded solves per size
and its ratio to the target.

    python bench/wasserstein_speed.py [--sizes 500 1000 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wgan_core.distances import wasserstein1  # noqa: E402

TARGET_S = 0.5
TARGET_N = 2000


def clouds(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two 2-D Gaussian clouds one unit apart, as a generator and data batch might be."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)) + np.array([1.0, 0.0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    wasserstein1(*clouds(10, 0))  # imports POT outside the timings
    for n in args.sizes:
        timings, values = [], []
        for seed in range(args.repeats):
            x, y = clouds(n, seed)
            start = time.perf_counter()
            values.append(wasserstein1(x, y))
            timings.append(time.perf_counter() - start)
        median = statistics.median(timings)
        line = (f"n = {n:5d}: median {median:.3f} s over {args.repeats} solves "
                f"(min {min(timings):.3f}, max {max(timings):.3f}); W1 ≈ {statistics.mean(values):.4f}")
        if n == TARGET_N:
            line += f"; ratio to the {TARGET_S} s target: {median / TARGET_S:.2f}"
        print(line)


if __name__ == "__main__":
    main()
