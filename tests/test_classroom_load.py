"""Classroom load (slow): four browser sessions open a lesson at once and press Start together.

Runs ``bench/classroom_load.py``'s scenario (all sessions navigate concurrently, then all press
Start) with a cap of two and checks what it must guarantee functionally: the cap is never exceeded,
the other two jobs are queued and each queued page shows its own position (1 and 2), every job has
stopped within 60 s after the sessions close, and no job's worker process is left. The health-latency p95
is measured and judged by the bench script itself (``python bench/classroom_load.py``), since tests
make no timing assertions. The bench runs thirty sessions; four keep the browsers of this test from
starving on CI's two cores beside the suite's other worker, and the watchdog waits 120 s (not the
bench's 30 s), so that a browser slowed by that worker does not lose its job: the watchdog has tests
of its own.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.classroom_load import run_load

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_four_sessions_opened_at_once_share_two_slots_and_all_jobs_end_after_they_close():
    # Its own thread: the scenario runs its own asyncio loop (Playwright's async API), which cannot
    # start where the sync browser fixture of this worker already runs one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(run_load, sessions=4, max_jobs=2, hold_s=5.0, idle_timeout_s=120).result()
    assert result["max_admitted_seen"] == 2  # the cap is reached, never exceeded
    assert result["status_under_load"]["active"] == 4 and result["status_under_load"]["queued"] == 2
    # each queued page shows its own place in line
    assert result["positions_shown"] == list(range(1, 3)), (result.get("queue_notices"), result["watchdog_stops"])
    final = result["final_status"]
    assert result["stopped_after_s"] is not None and result["stopped_after_s"] <= 60, final
    assert final["active"] == 0 and final["admitted"] == 0 and final["queued"] == 0
    # each admitted job trained in its own worker process (the app's default mode); none is left
    assert len(result["worker_pids_seen"]) >= 2 and result["workers_alive_after_stop"] == []
    assert result["health_samples"] > 0  # the probe ran throughout (its p95 is judged by the bench)
