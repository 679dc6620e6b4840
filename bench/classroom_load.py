"""Classroom load: many browser sessions on one server, each starting a live job.

Opens ``--sessions`` real Chromium sessions (one browser, one context each) on one ``streamlit run``
server started with ``WGAN_MAX_JOBS=--max-jobs`` and ``WGAN_JOB_STATUS_FILE`` (the registry's
read-only status file), clicks **Start** on the mode-collapse lesson in every session, then checks

* the cap: the registry never admits more than ``max_jobs`` jobs and queues the rest;
* the message: every session over the cap shows the "Queued" notice;
* responsiveness: ``/_stcore/health`` polled every 0.2 s during the whole load, p95 latency < 1 s
  (a probe that fails or times out after 10 s counts as infinitely slow);
* release: after the sessions close, every job has stopped within 60 s, and no worker process of a
  job (``WGAN_JOB_MODE=process``, the default; their pids come from the status file) is left.

Run: ``python bench/classroom_load.py [--sessions 10 --max-jobs 2]``; prints a JSON summary and exits
non-zero when a check fails. ``tests/test_classroom_load.py`` (marked slow) runs the same code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser.helpers import open_page  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402


def read_status(path: Path, pids: set[int] | None = None) -> dict:
    """The registry's status file ({} while it is being replaced); adds the jobs' worker pids to ``pids``."""
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if pids is not None:
        pids.update(j["pid"] for j in status.get("jobs", []) if j.get("pid"))
    return status


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts: it is not reaped yet)."""
    return Path(f"/proc/{pid}").exists()


class HealthProbe(threading.Thread):
    """Polls ``/_stcore/health`` every ``period`` seconds and records each latency (or failure)."""

    def __init__(self, base_url: str, period: float = 0.2):
        super().__init__(daemon=True)
        self.url, self.period = f"{base_url}/_stcore/health", period
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as resp:
                    resp.read()
                self.latencies.append(time.perf_counter() - t0)
            except OSError as exc:  # a refused or timed-out probe counts as infinitely slow in p95
                self.failures.append(type(exc).__name__)
            self.done.wait(self.period)

    def p95(self) -> float:
        xs = sorted(self.latencies) + [float("inf")] * len(self.failures)
        return xs[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else float("inf")


def run_load(sessions: int = 10, max_jobs: int = 2, hold_s: float = 20.0, lesson: str = "mode_collapse") -> dict:
    """Run the scenario; return measured facts (no pass/fail decisions except in :func:`checks`)."""
    from playwright.sync_api import sync_playwright

    status_file = Path(tempfile.mkdtemp(prefix="wgan-load-")) / "jobs.json"
    proc, url = start_server({"WGAN_MAX_JOBS": str(max_jobs), "WGAN_JOB_STATUS_FILE": str(status_file),
                              "WGAN_JOB_IDLE_TIMEOUT": "30"})
    probe = HealthProbe(url)
    out: dict = {"sessions": sessions, "max_jobs": max_jobs, "max_admitted_seen": 0, "max_active_seen": 0}
    pids: set[int] = set()  # worker processes seen in the status file
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            probe.start()
            contexts, pages = [], []
            for _ in range(sessions):
                ctx = browser.new_context(viewport={"width": 1200, "height": 900})
                page = ctx.new_page()
                page.set_default_timeout(180_000)
                open_page(page, url, lesson, "", )
                contexts.append(ctx)
                pages.append(page)
            for page in pages:
                page.get_by_role("button", name="Start").click()
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                st = read_status(status_file, pids)
                out["max_admitted_seen"] = max(out["max_admitted_seen"], st.get("admitted", 0))
                out["max_active_seen"] = max(out["max_active_seen"], st.get("active", 0))
                if st.get("active", 0) >= sessions:
                    break
                time.sleep(0.5)
            out["status_under_load"] = {k: v for k, v in read_status(status_file).items() if k != "jobs"}
            hold_until = time.monotonic() + hold_s
            seen_queued: set[int] = set()  # pages that showed the notice (a running page shows progress)
            notice_deadline = time.monotonic() + 120
            while len(seen_queued) < sessions - max_jobs and time.monotonic() < notice_deadline:
                for i, page in enumerate(pages):
                    if i not in seen_queued and page.get_by_text("Queued: all", exact=False).count() > 0:
                        seen_queued.add(i)
                time.sleep(0.5)
            out["pages_showing_queued"] = len(seen_queued)
            while time.monotonic() < hold_until:
                st = read_status(status_file, pids)
                out["max_admitted_seen"] = max(out["max_admitted_seen"], st.get("admitted", 0))
                time.sleep(0.5)
            closed_at = time.monotonic()
            for ctx in contexts:
                ctx.close()
            browser.close()
            out["stopped_after_s"] = None
            while time.monotonic() - closed_at < 90:
                st = read_status(status_file, pids)
                if st and st.get("active", 1) == 0 and st.get("admitted", 1) == 0:
                    out["stopped_after_s"] = round(time.monotonic() - closed_at, 1)
                    break
                time.sleep(0.5)
            out["final_status"] = read_status(status_file)
            # a stopped job has waited for its worker to exit, so none may be left (checked while the
            # server still runs: its exit would end them anyway)
            out["worker_pids_seen"] = sorted(pids)
            out["workers_alive_after_stop"] = [pid for pid in sorted(pids) if alive(pid)]
    finally:
        probe.done.set()
        proc.terminate()
        proc.wait(timeout=30)
    out["health_samples"] = len(probe.latencies)
    out["health_failures"] = len(probe.failures)
    out["health_failure_kinds"] = sorted(set(probe.failures))
    out["health_p95_s"] = round(probe.p95(), 3)
    out["health_max_s"] = round(max(probe.latencies, default=float("inf")), 3)
    return out


def checks(result: dict) -> dict[str, bool]:
    """The pass/fail criteria of the classroom load test."""
    n, cap = result["sessions"], result["max_jobs"]
    return {
        "cap respected": 0 < result["max_admitted_seen"] <= cap,
        "others queued with a message": result["pages_showing_queued"] >= n - cap,
        "health p95 < 1 s": result["health_p95_s"] < 1.0,
        "all jobs stopped within 60 s": result["stopped_after_s"] is not None and result["stopped_after_s"] <= 60,
        "no worker process left": result.get("workers_alive_after_stop", [None]) == [],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--max-jobs", type=int, default=2)
    ap.add_argument("--hold", type=float, default=20.0, help="seconds to keep the load on")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    result = run_load(args.sessions, args.max_jobs, args.hold)
    verdict = checks(result)
    result.pop("final_status", None)
    print(json.dumps({**result, "checks": verdict}, indent=2))
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
