"""What one page run costs the server: the CPU time of a follower's arrival on each lesson of a route.

A class that follows the teacher arrives on the teacher's lesson at once: every student's session runs
the lesson's page (the whole app, ``app/main.py``: sidebar, stepper, banner, lesson, footer) with the
same control values. This bench opens each page of ``--pages`` (default: the follow bench's route) in
``--runs`` fresh sessions (Streamlit's AppTest, one new session per run, as a follower that arrives
there) after one warm-up run that fills the server's caches, and prints per page the median and the
smallest CPU time of the script's thread (the page run itself, as the server runs it; AppTest's own
work on its results is not counted) and the wall time of a run, in milliseconds. CPU time, not wall
time, is the figure to compare on a shared machine: it does not count the time the run waited for a core.

Run: ``python bench/page_runs.py [--pages distances,nash] [--runs 7]``; prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The follow bench's route (``bench/follow_load.py``): the lessons a teacher moves the class through.
ROUTE = ("distances", "parallel_lines", "gan_objective", "nash", "vanishing_gradients", "optimal_critic")


def _timed_script_runs() -> list[tuple[float, float]]:
    """Make every script run append (its thread's CPU seconds, wall seconds) to the returned list."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    runs: list[tuple[float, float]] = []
    run_script = ScriptRunner._run_script

    def timed(self, rerun_data):
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return run_script(self, rerun_data)
        finally:
            runs.append((time.thread_time() - cpu, time.perf_counter() - wall))

    ScriptRunner._run_script = timed
    return runs


def _one_script_cache() -> None:
    """Compile each script once, as the server does (one ``ScriptCache`` per runtime): AppTest makes a
    new cache, and so compiles the app again, for every session."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def one_run(page: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh session's run of ``page`` in the whole app."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.switch_page(f"views/{page}.py")
    runs.clear()
    at.run()
    if at.exception:
        raise SystemExit(f"{page} raised: {at.exception[0].message}")
    if len(runs) != 1:
        raise SystemExit(f"{page}: {len(runs)} script runs where one was expected")
    return runs[0]


def measure(pages: list[str], runs: int) -> dict:
    out, timed = {}, _timed_script_runs()
    _one_script_cache()
    for page in pages:
        one_run(page, timed)  # fills the caches (a teacher looks through the lessons before class)
        cpu, wall = zip(*(one_run(page, timed) for _ in range(runs)), strict=True)
        out[page] = {"cpu_ms_median": round(1000 * statistics.median(cpu), 1), "cpu_ms_min": round(1000 * min(cpu), 1),
                     "wall_ms_median": round(1000 * statistics.median(wall), 1)}
        print(page, out[page], file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", default=",".join(ROUTE), help="comma-separated lesson slugs")
    ap.add_argument("--runs", type=int, default=7, help="timed fresh sessions per page")
    args = ap.parse_args()
    os.environ.setdefault("WGAN_CLASS_DB", str(Path(tempfile.mkdtemp(prefix="wgan-page-runs-")) / "class.sqlite3"))
    load = os.getloadavg()[0]
    result = measure(args.pages.split(","), args.runs)
    print(json.dumps({"load_avg_before": load, "load_avg_after": os.getloadavg()[0], "pages": result}, indent=2))


if __name__ == "__main__":
    main()
