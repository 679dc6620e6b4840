"""The class's queue that every app server on a Ray cluster shares (its logic, without a cluster):
one cap per kind, first come first served across servers, and the entries of a server that went
away expire."""

from __future__ import annotations

from wgan_core.live.ray_backend import ENTRY_TTL_S, _ClassQueue


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_two_servers_share_one_cap_and_one_line_in_ask_order():
    queue = _ClassQueue(Clock())
    assert queue.ask("a:1", "cpu", 2, True, {"label": "x"}) == 0
    assert queue.ask("a:2", "cpu", 2, True, {}) == 0
    assert queue.ask("b:1", "cpu", 2, True, {}) == 1  # server B waits behind server A
    assert queue.ask("a:3", "cpu", 2, True, {}) == 2
    assert queue.ask("b:2", "gpu", 1, True, {}) == 0  # GPU jobs are counted apart
    assert queue.counts() == {"admitted": 3, "admitted_gpu": 1, "queued": 2}
    assert [queue.position(k) for k in ("a:1", "b:1", "a:3", "nobody")] == [None, 1, 2, None]
    queue.release("a:2")
    assert queue.ask("a:3", "cpu", 2, True, {}) == 2  # not first in line: it may not jump the queue
    assert queue.ask("b:1", "cpu", 2, True, {}) == 0  # the first in line takes the freed slot
    assert queue.position("a:3") == 1
    assert [(j["key"], j["holds_slot"]) for j in queue.jobs()] == [
        ("a:1", True), ("b:1", True), ("a:3", False), ("b:2", True)]


def test_a_stop_asked_on_one_server_reaches_the_server_that_holds_the_job_when_it_renews():
    queue = _ClassQueue(Clock())
    queue.ask("a:1", "cpu", 2, True, {})
    queue.ask("a:2", "cpu", 2, True, {})
    queue.ask_stop("a:2", "stopped by the teacher")  # asked from server B's panel
    queue.ask_stop("gone:9", "stopped by the teacher")  # a job that has ended meanwhile: nothing to do
    assert queue.renew({"a:1": {}, "a:2": {}}) == {"a:2": "stopped by the teacher"}
    assert queue.renew({"a:1": {}}) == {}


def test_a_queued_entry_can_wait_without_taking_a_slot():
    queue = _ClassQueue(Clock())
    assert queue.ask("a:1", "cpu", 1, False, {}) == 1  # enqueued only
    assert queue.ask("a:1", "cpu", 1, True, {}) == 0


def test_the_entries_of_a_server_that_stopped_renewing_them_expire():
    clock = Clock()
    queue = _ClassQueue(clock)
    queue.ask("gone:1", "cpu", 1, True, {})
    queue.ask("here:1", "cpu", 1, True, {})
    clock.now += ENTRY_TTL_S * 0.8
    queue.renew({"here:1": {"status": "running", "steps": 7}})
    clock.now += ENTRY_TTL_S * 0.5
    assert [(j["key"], j["status"], j["steps"]) for j in queue.jobs()] == [("here:1", "running", 7)]
    assert queue.ask("here:1", "cpu", 1, True, {}) == 0  # the dead server's slot came back
