"""What a crafted link costs the server, before and after links were snapped onto the sliders' grids
and heavy runs were kept in the lesson cache (app/precomputed.py).

Before: every off-grid value (``?n=1999``, ``?n=1951``, …) was its own cache key, so each one paid a
full computation. After: each value is snapped onto the grid (all of these become ``n=2000``); the first
visit computes that setting once and every later one — another link, another student, a restarted
server — reads it back from disk.

    python bench/crafted_links.py                      # parallel_lines and optimal_critic
    python bench/crafted_links.py --lessons meaningful_loss vanishing_gradients optimizers

Prints one line per lesson: seconds of the computation a crafted link used to start, the cold first
visit after the change, and the warm visits (mean of the other links), and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: lesson -> (the control a link crafts, the crafted values)
LINKS = {
    "parallel_lines": ("n", ("1999", "1951", "1960.5", "2000")),
    "optimal_critic": ("iters", ("1999", "1951", "2000")),
    "vanishing_gradients": ("iters", ("3999", "3951", "4000")),
    "meaningful_loss": ("steps", ("2999", "2951", "3000")),
    "optimizers": ("steps", ("2999", "2951", "3000")),
}


def kwargs_for(slug: str, key: str, value) -> dict:
    from app import precomputed

    kwargs = precomputed.defaults_of(slug)
    if "values" in kwargs:
        return {"values": {**kwargs["values"], key: value}}
    return {**kwargs, key: value}


def measure(slug: str) -> dict[str, float]:
    import lessons
    from app import precomputed

    module = lessons.lesson_module(slug)
    function = getattr(module, precomputed.HEAVY[slug])
    key, links = LINKS[slug]
    control = next(c for c in module.CONTROLS if c.key == key)
    # Before: the link's own value (range-checked only) went straight to the computation.
    raw = float(links[0])
    start = time.perf_counter()
    function(**kwargs_for(slug, key, int(round(raw)) if control.integer else raw))
    before = time.perf_counter() - start
    # After: snapped, computed once, then read back for every other link.
    times = []
    for raw in links:
        start = time.perf_counter()
        precomputed.run(module, precomputed.HEAVY[slug], kwargs_for(slug, key, control.parse(raw)))
        times.append(time.perf_counter() - start)
    return {"before": before, "cold": times[0], "warm": statistics.mean(times[1:])}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", nargs="+", default=["parallel_lines", "optimal_critic"], choices=sorted(LINKS))
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="crafted-links-") as cold_cache:
        os.environ["WGAN_LESSON_CACHE"] = cold_cache
        for slug in args.lessons:
            key, links = LINKS[slug]
            t = measure(slug)
            print(f"{slug} ?{key}={links[0]}: before {t['before']:.2f} s for every distinct crafted value; after: "
                  f"cold {t['cold']:.2f} s once, then {t['warm'] * 1000:.1f} ms for {', '.join(links[1:])} "
                  f"({t['before'] / t['warm']:.0f}x less)")


if __name__ == "__main__":
    main()
