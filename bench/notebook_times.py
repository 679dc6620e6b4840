"""Time every lesson notebook top to bottom, one at a time, each in a fresh kernel.

    python bench/notebook_times.py                 # the defaults a student sees
    python bench/notebook_times.py --quick         # the test suite's quick parameters
    python bench/notebook_times.py mode_collapse   # some notebooks only

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

from lessons import notebooks
from lessons.notebooks import execute as ex

BUDGET_S = 180.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slugs", nargs="*", help="lessons to time (default: all)")
    parser.add_argument("--quick", action="store_true", help="inject the test suite's quick parameters")
    args = parser.parse_args(argv)
    slugs = args.slugs or notebooks.buildable_slugs()
    print(f"cpus: {os.cpu_count()}  parameters: {'quick' if args.quick else 'student defaults'}")
    print("| notebook | wall s | kernel CPU s | load before | load after | errors |\n"
          "| --- | ---: | ---: | ---: | ---: | --- |")
    worst = 0.0
    failed = False
    for slug in slugs:
        before = os.getloadavg()[0]
        nb, seconds = ex.execute(slug, quick=args.quick, timeout=int(BUDGET_S * 3), measure_cpu=True)
        cpu = ex.kernel_cpu(nb)
        errors = ex.errors(nb)
        failed |= bool(errors)
        worst = max(worst, cpu if cpu is not None else seconds)
        text = "none" if not errors else f"{errors[0]['ename']}: {errors[0]['evalue'][:60]}"
        cpu_text = "-" if cpu is None else f"{cpu:.1f}"
        print(f"| {notebooks.notebook_name(slug)} | {seconds:.1f} | {cpu_text} | {before:.1f} | "
              f"{os.getloadavg()[0]:.1f} | {text} |", flush=True)
    print(f"most kernel CPU: {worst:.1f} s = {worst / BUDGET_S:.2f} of the 3-minute budget")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
