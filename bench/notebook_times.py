"""Time every lesson notebook top to bottom, one at a time, each in a fresh kernel.

    python bench/notebook_times.py                 # the defaults a student sees
    python bench/notebook_times.py --quick         # the test suite's quick parameters
    python bench/notebook_times.py mode_collapse   # some notebooks only
    python bench/notebook_times.py --tool papermill --repeat 5 --quick   # each 5 times with papermill's CLI

``--tool`` picks the runner: ``nbclient`` (a plain ``NotebookClient``, the default), ``papermill`` (its
command line) or ``nbconvert`` (``jupyter nbconvert --to notebook --execute``, always at the defaults: it
takes no parameters). ``--repeat N`` runs each notebook N times in a row: a hang of a headless runner
can be timing-dependent, so one clean run proves little; a run past 3 x the budget is killed and counted.

Prints one markdown row per notebook: wall seconds, the kernel's CPU seconds (user + system over all
its threads: what the run costs whatever else shares the machine, so on an idle 2-core CPU the wall time
is at most about this), the 1-minute load average before and after (the machine may be shared), and
whether the run ended without an error output. The budget per notebook is
3 minutes on a 2-core CPU; the last line prints the slowest notebook's share of that budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from lessons import notebooks
from lessons.notebooks import execute as ex

BUDGET_S = 180.0


def _run(tool: str, slug: str, quick: bool, folder: Path):
    """``(notebook, wall seconds)`` of one run; a killed run raises ``subprocess.TimeoutExpired``."""
    timeout = int(BUDGET_S * 3)
    if tool == "nbclient":
        return ex.execute(slug, quick=quick, timeout=timeout, measure_cpu=True)
    output = folder / notebooks.notebook_name(slug)
    if tool == "papermill":
        nb, seconds, _ = ex.papermill(slug, output, quick=quick, timeout=timeout)
    else:
        nb, seconds, _ = ex.nbconvert(slug, output, timeout=timeout)
    return nb, seconds


def main(argv: list[str] | None = None) -> int:
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", help="lessons to time (default: all)")
    parser.add_argument("--quick", action="store_true", help="inject the test suite's quick parameters")
    parser.add_argument("--tool", choices=("nbclient", "papermill", "nbconvert"), default="nbclient")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each notebook in a row")
    args = parser.parse_args(argv)
    slugs = args.slugs or notebooks.buildable_slugs()
    quick = args.quick and args.tool != "nbconvert"
    print(f"cpus: {os.cpu_count()}  tool: {args.tool}  parameters: {'quick' if quick else 'student defaults'}")
    print("| notebook | run | wall s | kernel CPU s | load before | load after | errors |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    worst = 0.0
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for slug in slugs:
            for run in range(1, args.repeat + 1):
                before = os.getloadavg()[0]
                try:
                    nb, seconds = _run(args.tool, slug, quick, Path(folder))
                except subprocess.TimeoutExpired as killed:
                    failed += 1
                    print(f"| {notebooks.notebook_name(slug)} | {run} | >{killed.timeout:.0f} | - | {before:.1f} | "
                          f"{os.getloadavg()[0]:.1f} | killed: no end within {killed.timeout:.0f} s |", flush=True)
                    continue
                cpu = ex.kernel_cpu(nb)
                errors = ex.errors(nb)
                failed += bool(errors)
                worst = max(worst, cpu if cpu is not None else seconds)
                text = "none" if not errors else f"{errors[0]['ename']}: {errors[0]['evalue'][:60]}"
                cpu_text = "-" if cpu is None else f"{cpu:.1f}"
                print(f"| {notebooks.notebook_name(slug)} | {run} | {seconds:.1f} | {cpu_text} | {before:.1f} | "
                      f"{os.getloadavg()[0]:.1f} | {text} |", flush=True)
    runs = len(slugs) * args.repeat
    print(f"{runs - failed} of {runs} runs ended without an error or a hang")
    label = "kernel CPU" if args.tool == "nbclient" else "wall time"
    print(f"most {label}: {worst:.1f} s = {worst / BUDGET_S:.2f} of the 3-minute budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
