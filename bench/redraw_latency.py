"""Server-side redraw latency of the parallel-lines lesson after a θ change (target: ≤ 150 ms).

Runs the lesson's view with Streamlit's AppTest at 2,000 samples per line. The first run fills the
caches (sample estimates over the θ grid and seeds); every later run moves only the θ slider, which
must only redraw. Prints each timing, the median and its ratio to the target.

    python bench/redraw_latency.py [--n 2000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 0.150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="samples per line (the n control)")
    parser.add_argument("--repeats", type=int, default=15, help="timed θ changes")
    args = parser.parse_args()

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "views" / "parallel_lines.py"), default_timeout=600)
    at.query_params["n"] = str(args.n)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the page raised: {at.exception[0].message}")
    print(f"cold first run (fills the cache, n = {args.n}): {cold:.2f} s")

    # Distinct θ values on the slider's 0.01 grid, so that every run is a real change.
    thetas = [round(-0.9 + 1.8 * i / (args.repeats - 1), 2) for i in range(args.repeats)]
    at.slider(key="parallel_lines.theta").set_value(0.77).run()  # one warm redraw, untimed
    timings = []
    for theta in thetas:
        at.slider(key="parallel_lines.theta").set_value(theta)
        start = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - start)
        assert at.metric[0].value == f"{abs(theta):.3f}", "the page did not redraw for the new θ"
    median = statistics.median(timings)
    print("θ redraws (ms): " + ", ".join(f"{1000 * t:.0f}" for t in timings))
    print(f"median redraw: {1000 * median:.1f} ms (min {1000 * min(timings):.1f}, max {1000 * max(timings):.1f})")
    print(f"ratio to the {1000 * TARGET_S:.0f} ms target: {median / TARGET_S:.2f} "
          f"({'meets' if median <= TARGET_S else 'misses'} the target)")


if __name__ == "__main__":
    main()
