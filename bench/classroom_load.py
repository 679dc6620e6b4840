"""Classroom load: a whole class opens one lesson at once and presses Start together.

Opens ``--sessions`` real Chromium sessions (one browser, one context each, driven concurrently with
Playwright's async API: every session navigates at the same moment, as a class that opens a shared
link does; ``--browser-nice N`` runs the browsers at a lower CPU priority, as if on the students' own
computers — on a loaded machine it starves them instead: their fragment timers, which keep the jobs
alive, stall; ``--split-cores`` holds the server, and so its job workers, to one half of the cores
and the browsers to the other, so that the browsers take no CPU from the server, as in a classroom
where they run on the students' computers) on one ``streamlit run`` server started with
``WGAN_MAX_JOBS=--max-jobs``, ``WGAN_JOBS_PER_CLIENT=0`` (every session comes from this one machine)
and ``WGAN_JOB_STATUS_FILE`` (the registry's read-only status file); once every page shows its Start
button, all sessions press it together. Then it checks

* the cap: the registry never admits more than ``max_jobs`` jobs and queues the rest;
* the message: every session over the cap shows the "Queued" notice with its position in line, and
  the positions shown are exactly 1 … sessions − max_jobs (``watchdog_stops`` counts the jobs the
  watchdog stopped while their pages were open: a browser too starved to poll for 30 s loses its job,
  and the queue moves on);
* responsiveness: ``/_stcore/health`` probed every 0.2 s by a process of its own during the whole run
  (from the first navigation to the last job's end), p95 < 1 s and max < 3 s (a probe that fails or
  times out after 10 s counts as infinitely slow); each probe over 1 s is listed with the server's
  CPU seconds during it, its main thread's wait for a core and the machine's runnable processes,
  which tell a server at work from one waiting for a core;
* release: after the sessions close, every job has stopped within 60 s, and no worker process of a
  job (every job trains in a worker process; their pids come from the status file) is left.

Run: ``python bench/classroom_load.py [--sessions 30 --max-jobs 2 --hold 20] [--split-cores]``; prints
a JSON summary (latencies per phase too) and exits non-zero when a check fails. With ``--profile DIR``
it records the server with ``py-spy record --gil`` (if installed: what holds the server's interpreter
lock) into ``DIR/server.txt`` (collapsed stacks).
``tests/test_classroom_load.py`` (marked slow) runs the same code with ten sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, start_server  # noqa: E402

#: The queue notice of a queued page ("... you are number N in line ...").
QUEUE_POSITION = re.compile(r"number (\d+) in line")


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


#: The probe's own process: ``/_stcore/health`` every ``period`` s, one line per probe: start time,
#: seconds, then from ``/proc``: the server's CPU seconds during the probe, the seconds its main thread
#: (the event loop that answers) and the probe itself waited in the run queue for a core, and the
#: runnable processes at the probe's end. A slow probe with little server CPU and a long run-queue
#: wait is the server waiting for a core, not working.
PROBE_SCRIPT = r"""
import os, sys, time, urllib.request
url, period, out, pid = sys.argv[1], float(sys.argv[2]), open(sys.argv[3], "w", buffering=1), sys.argv[4]
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
def queued(who=pid):  # a thread's time waiting for a core (schedstat, ns)
    with open(f"/proc/{who}/schedstat") as f:
        return int(f.read().split()[1]) / 1e9
def runnable():
    with open("/proc/stat") as f:
        return next(line.split()[1] for line in f if line.startswith("procs_running"))
while True:
    t0, p0, c0, q0, m0 = time.time(), time.perf_counter(), cpu(), queued(), queued("self")
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            resp.read()
        secs, kind = time.perf_counter() - p0, ""
    except OSError as exc:  # a refused or timed-out probe counts as infinitely slow
        secs, kind = float("inf"), type(exc).__name__
    waits = f"{queued() - q0:.2f} {queued('self') - m0:.2f}"
    out.write(f"{t0} {secs} {cpu() - c0:.2f} {waits} {runnable()} {kind}\n")
    time.sleep(period)
"""


class HealthProbe:
    """Polls ``/_stcore/health`` every ``period`` seconds from a process of its own; records each latency.

    Its own process (a thread of its own, with its own interpreter lock): a probe thread inside this
    script would share the lock with the Playwright driver of thirty pages and time the script's own
    stalls along with the server's. :meth:`mark` labels what follows with a phase of the scenario, so
    the summary can say when the slow probes came.
    """

    def __init__(self, base_url: str, server_pid: int, period: float = 0.2):
        self.url, self.period, self.server_pid = f"{base_url}/_stcore/health", period, server_pid
        self.log = Path(tempfile.mkdtemp(prefix="wgan-probe-")) / "health.txt"
        self.phases: list[tuple[float, str]] = [(0.0, "idle")]
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", PROBE_SCRIPT, self.url, str(self.period), str(self.log),
                                      str(self.server_pid)])

    def mark(self, phase: str) -> None:
        self.phases.append((time.time(), phase))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    def samples(self) -> list[tuple[str, float, str]]:
        """(phase, seconds, failure kind or "") per probe."""
        return [(phase, secs, kind) for phase, secs, *_, kind in self._lines()]

    def _lines(self) -> list[tuple[str, float, float, float, float, int, str]]:
        out = []
        for line in self.log.read_text().splitlines() if self.log.exists() else []:
            t0, secs, server_cpu, waited, probe_waited, runnable, *kind = line.split()
            phase = [name for start, name in self.phases if start <= float(t0)][-1]
            out.append((phase, float(secs), float(server_cpu), float(waited), float(probe_waited), int(runnable),
                        kind[0] if kind else ""))
        return out

    def slow(self, over_s: float = 1.0) -> list[dict]:
        """Each probe slower than ``over_s``: its phase, seconds, the server's CPU seconds, its main
        thread's and the probe's own run-queue waits meanwhile, and the runnable processes at its end
        (a probe that timed out reports 10 s of wall time)."""
        return [{"phase": phase, "s": round(min(secs, 10.0), 2), "server_cpu_s": cpu, "main_thread_waited_s": waited,
                 "probe_waited_s": probe_waited, "runnable": runnable}
                for phase, secs, cpu, waited, probe_waited, runnable, _ in self._lines() if secs > over_s]

    def summary(self, phase: str | None = None) -> dict:
        xs = sorted(s for p, s, _ in self.samples() if phase is None or p == phase)
        if not xs:
            return {"samples": 0}
        return {"samples": len(xs), "p50_s": round(xs[len(xs) // 2], 3),
                "p95_s": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 3), "max_s": round(xs[-1], 3)}


class Profiler:
    """``py-spy record`` on the server process for the whole scenario (a no-op without py-spy or a dir)."""

    def __init__(self, out_dir: str | None, pid: int):
        self.proc = None
        exe = shutil.which("py-spy")
        if out_dir and exe:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            self.out = Path(out_dir)
            self.proc = subprocess.Popen(
                [exe, "record", "--pid", str(pid), "--rate", "50", "--nonblocking", "--gil",
                 "--format", "raw", "--output", str(self.out / "server.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
            self.proc.wait(timeout=60)


async def _open(browser, url: str, lesson: str):
    """A fresh context navigated to the lesson, waiting until its Start button can be pressed."""
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(300_000)
    await page.goto(f"{url}/{lesson}")
    start = page.get_by_role("button", name="Start")
    await start.wait_for(state="visible")
    while not await start.is_enabled():
        await asyncio.sleep(0.2)
    return ctx, page


async def _queue_position(page) -> int | None:
    """The position the page shows in its "Queued" notice, or None when it shows none."""
    notice = page.get_by_text("Queued", exact=False)
    if await notice.count() == 0:
        return None
    match = QUEUE_POSITION.search(await notice.first.inner_text())
    return int(match.group(1)) if match else None


async def _notice_text(page) -> str:
    """The page's status line (its first alert or progress text), as the student reads it."""
    found = page.locator('[data-testid="stAlert"], [data-testid="stProgress"]')
    return await found.first.inner_text() if await found.count() else ""


def chromium_launcher(nice: int, cpus: set[int] | None) -> str:
    """A Chromium launcher at lower CPU priority (``nice``) and/or held to ``cpus``, so that on one
    machine the browsers — in a classroom, the students' own computers — do not starve the server."""
    if nice <= 0 and not cpus:
        return CHROMIUM
    prefix = (f"nice -n {int(nice)} " if nice > 0 else "") + (f"taskset -c {_cpu_list(cpus)} " if cpus else "")
    wrapper = Path(tempfile.mkdtemp(prefix="wgan-chromium-")) / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec {prefix}"{CHROMIUM}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def _cpu_list(cpus: set[int]) -> str:
    return ",".join(str(c) for c in sorted(cpus))


def split_cores() -> tuple[set[int], set[int]]:
    """(server's cores, browsers' cores): the machine's cores in two halves, the server's half first
    (one core each on a 2-core machine)."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("--split-cores needs at least 2 cores")
    half = len(cores) // 2
    return set(cores[:half]), set(cores[half:])


def _watch_status(status_file: Path, pids: set[int], out: dict) -> dict:
    st = read_status(status_file, pids)
    out["max_admitted_seen"] = max(out["max_admitted_seen"], st.get("admitted", 0))
    out["max_active_seen"] = max(out["max_active_seen"], st.get("active", 0))
    return st


async def _scenario(url: str, probe: HealthProbe, status_file: Path, sessions: int, max_jobs: int,
                    hold_s: float, lesson: str, out: dict, pids: set[int], browser_nice: int,
                    browser_cpus: set[int] | None) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_launcher(browser_nice, browser_cpus),
                                           args=CHROMIUM_ARGS, headless=True)
        probe.mark("open")
        t0 = time.monotonic()
        opened = await asyncio.gather(*(_open(browser, url, lesson) for _ in range(sessions)))
        out["all_pages_ready_s"] = round(time.monotonic() - t0, 1)
        contexts, pages = [c for c, _ in opened], [p for _, p in opened]
        probe.mark("start")
        t0 = time.monotonic()
        await asyncio.gather(*(p.get_by_role("button", name="Start").click() for p in pages))
        while time.monotonic() - t0 < 180:
            st = _watch_status(status_file, pids, out)
            if st.get("active", 0) >= sessions and st.get("queued", 0) >= sessions - max_jobs:
                break
            await asyncio.sleep(0.5)
        out["all_jobs_registered_s"] = round(time.monotonic() - t0, 1)
        out["status_under_load"] = {k: v for k, v in read_status(status_file).items() if k != "jobs"}
        probe.mark("run")
        hold_until, want = time.monotonic() + hold_s, list(range(1, sessions - max_jobs + 1))
        out["positions_shown"] = []
        while time.monotonic() < hold_until or (out["positions_shown"] != want
                                                 and time.monotonic() < hold_until + 120):
            # one sweep over the pages: the positions the queued pages show at (about) one moment
            positions = await asyncio.gather(*(_queue_position(p) for p in pages))
            out["positions_shown"] = sorted(p for p in positions if p is not None)
            _watch_status(status_file, pids, out)
            await asyncio.sleep(2.0)  # a sweep reads every page: keep the driver's own load down
        out["pages_showing_position"] = len(out["positions_shown"])  # in the last sweep
        if out["positions_shown"] != want:  # what each page says, for the report
            out["queue_notices"] = await asyncio.gather(*(_notice_text(p) for p in pages))
        probe.mark("close")
        closed_at = time.monotonic()
        await asyncio.gather(*(c.close() for c in contexts))
        await browser.close()
    out["stopped_after_s"] = None
    while time.monotonic() - closed_at < 90:
        st = _watch_status(status_file, pids, out)
        if st and st.get("active", 1) == 0 and st.get("admitted", 1) == 0:
            out["stopped_after_s"] = round(time.monotonic() - closed_at, 1)
            break
        await asyncio.sleep(0.5)


def run_load(sessions: int = 30, max_jobs: int = 2, hold_s: float = 20.0, lesson: str = "mode_collapse",
             profile_dir: str | None = None, browser_nice: int = 0, split: bool = False,
             idle_timeout_s: float = 30.0) -> dict:
    """Run the scenario; return measured facts (no pass/fail decisions except in :func:`checks`).

    ``split``: the server (and so its job workers, which inherit its cores) runs on one half of the
    cores and the browsers on the other, as if the students' browsers ran on their own computers.
    ``idle_timeout_s``: the server's watchdog (``WGAN_JOB_IDLE_TIMEOUT``) for pages that stop polling."""
    status_file = Path(tempfile.mkdtemp(prefix="wgan-load-")) / "jobs.json"
    server_cpus, browser_cpus = split_cores() if split else (None, None)
    every_cpu = os.sched_getaffinity(0)
    if server_cpus:
        os.sched_setaffinity(0, server_cpus)  # the server inherits this process's cores
    try:
        proc, url = start_server({"WGAN_MAX_JOBS": str(max_jobs), "WGAN_JOBS_PER_CLIENT": "0",
                                  "WGAN_JOB_STATUS_FILE": str(status_file),
                                  "WGAN_JOB_IDLE_TIMEOUT": f"{idle_timeout_s:g}"})
    finally:
        os.sched_setaffinity(0, every_cpu)
    probe = HealthProbe(url, proc.pid)
    out: dict = {"sessions": sessions, "max_jobs": max_jobs, "max_admitted_seen": 0, "max_active_seen": 0,
                 "browser_nice": browser_nice,
                 "server_cpus": sorted(server_cpus or every_cpu), "browser_cpus": sorted(browser_cpus or every_cpu),
                 "load_avg_before": os.getloadavg()[0]}
    pids: set[int] = set()  # worker processes seen in the status file
    profiler = Profiler(profile_dir, proc.pid)
    probe.start()
    try:
        asyncio.run(_scenario(url, probe, status_file, sessions, max_jobs, hold_s, lesson, out, pids, browser_nice,
                               browser_cpus))
        out["final_status"] = read_status(status_file)
        # jobs of pages still open that the watchdog stopped (their browser did not poll for 30 s)
        server_log = ARTIFACTS / f"streamlit-{url.rsplit(':', 1)[1]}.log"
        out["watchdog_stops"] = server_log.read_text(errors="replace").count("stopped by the watchdog")
        # a stopped job has waited for its worker to exit, so none may be left (checked while the
        # server still runs: its exit would end them anyway)
        out["worker_pids_seen"] = sorted(pids)
        out["workers_alive_after_stop"] = [pid for pid in sorted(pids) if alive(pid)]
    finally:
        probe.stop()
        profiler.stop()
        out["load_avg_after"] = os.getloadavg()[0]
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    whole, failures = probe.summary(), [kind for _, _, kind in probe.samples() if kind]
    out["health_samples"], out["health_failures"] = whole["samples"], len(failures)
    out["health_failure_kinds"] = sorted(set(failures))
    out["health_p95_s"], out["health_max_s"] = whole.get("p95_s", float("inf")), whole.get("max_s", float("inf"))
    out["health_by_phase"] = {ph: probe.summary(ph) for ph in ("open", "start", "run", "close")}
    out["slow_probes"] = probe.slow()
    return out


def checks(result: dict) -> dict[str, bool]:
    """The pass/fail criteria of the classroom load test."""
    n, cap = result["sessions"], result["max_jobs"]
    return {
        "cap respected": 0 < result["max_admitted_seen"] <= cap,
        "all others queued": result["status_under_load"].get("queued") == n - cap,
        # in the last sweep over the pages, the queued ones showed exactly the positions 1 … n − cap
        "every queued page shows its position": result["positions_shown"] == list(range(1, n - cap + 1)),
        "health p95 < 1 s": result["health_p95_s"] < 1.0,
        "health max < 3 s": result["health_max_s"] < 3.0,
        "all jobs stopped within 60 s": result["stopped_after_s"] is not None and result["stopped_after_s"] <= 60,
        "no worker process left": result.get("workers_alive_after_stop", [None]) == [],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--max-jobs", type=int, default=2)
    ap.add_argument("--hold", type=float, default=20.0, help="seconds to keep the load on after Start")
    ap.add_argument("--profile", default=None, help="a folder for a py-spy profile of the server")
    ap.add_argument("--browser-nice", type=int, default=0,
                    help="CPU niceness of the browsers (0: same priority as the server)")
    ap.add_argument("--split-cores", action="store_true",
                    help="the server and its workers on one half of the cores, the browsers on the other")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    result = run_load(args.sessions, args.max_jobs, args.hold, profile_dir=args.profile, browser_nice=args.browser_nice,
                      split=args.split_cores)
    verdict = checks(result)
    result.pop("final_status", None)
    print(json.dumps({**result, "checks": verdict}, indent=2))
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
