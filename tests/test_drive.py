"""The one outer loop (wgan_core.drive.drive), the live loop that runs on it, and a job's supervisor, in this
process (a fake link stands in for the worker)."""

from __future__ import annotations

import threading

from tests.helpers import wait_for
from wgan_core.drive import drive
from wgan_core.live.loop import Loop


def test_drive_measures_when_due_and_at_the_last_step_then_calls_back():
    events, count = [], [0]

    def step():
        count[0] += 1
        events.append(("step", count[0]))

    def measure():
        events.append(("measure", count[0]))
        return count[0]

    out = []
    for value in drive(step, 5, measure, due=lambda n: n % 2 == 0, callbacks=[lambda n: events.append(("cb", n))]):
        out.append(value)
        events.append(("consumed", value))
    assert out == [2, 4, 5]
    # the callback of a measured step comes after the consumer handled its measurement
    assert events[events.index(("measure", 2)):events.index(("step", 3))] == [
        ("measure", 2), ("consumed", 2), ("cb", 2)]
    assert [e for e in events if e[0] == "cb"] == [("cb", n) for n in range(1, 6)]
    assert list(drive(step, 0, measure, due=lambda n: True)) == []


def test_drive_asks_the_gate_before_every_step_and_ends_when_it_says_so():
    asked, steps = [], []
    gate = iter([True, True, False, True])
    values = list(drive(lambda: steps.append(1), None, lambda: len(steps), due=lambda n: True,
                        gate=lambda: asked.append(1) or next(gate)))
    assert values == [1, 2] and len(asked) == 3  # no step after the gate said no, even without a step limit


class Counter:
    """A job member that counts its steps."""

    def __init__(self):
        self.g_step, self.knobs = 0, {"n_critic": 5}

    def step(self):
        self.g_step += 1

    def hparams(self):
        return dict(self.knobs)

    def set_hparams(self, **changes):
        self.knobs.update(changes)

    def metrics(self):
        return {"n_critic": self.knobs["n_critic"]}

    def snapshot(self):
        return {"at": self.g_step}


class Sink:
    def __init__(self):
        self.steps, self.records = 0, []

    def on_steps(self, steps):
        self.steps = steps

    def on_record(self, steps, logs, snapshot):
        self.records.append((steps, logs, snapshot))


def _start(loop: Loop, stop: threading.Event) -> tuple[threading.Thread, list]:
    result = []
    thread = threading.Thread(target=lambda: result.append(loop.run(stop.is_set)), daemon=True)
    thread.start()
    return thread, result


def test_the_live_loop_pauses_steps_by_hand_applies_changes_and_stops_between_steps():
    sink, stop = Sink(), threading.Event()
    loop = Loop({"a": Counter(), "b": Counter()}, sink, max_steps=None, log_every=1000, snapshot_every_s=1e9)
    thread, result = _start(loop, stop)
    wait_for(lambda: len(sink.records) == 1)  # the first record, before any step: logs and a snapshot
    assert sink.records[0][0] == 0 and sink.records[0][2] == {"a": {"at": 0}, "b": {"at": 0}}
    assert sink.steps == 0  # not running: the gate waits
    loop.add_steps(2)
    wait_for(lambda: sink.steps == 2 and len(sink.records) == 3)
    # every manual step is logged with a snapshot, one log per member with the member's own count
    assert [(s, [e["g_step"] for e in logs], snap["a"]["at"]) for s, logs, snap in sink.records[1:]] == [
        (1, [1, 1], 1), (2, [2, 2], 2)]
    loop.set_hparams("b", {"n_critic": 1})
    loop.set_running(True)
    wait_for(lambda: len(sink.records) >= 4)  # a change is logged at the next step
    assert sink.records[3][1][1]["n_critic"] == 1 and sink.records[3][1][0]["n_critic"] == 5
    loop.set_running(False)
    stop.set()
    loop.wake()
    thread.join(10)
    assert result == [False] and loop.members["a"].g_step == loop.members["b"].g_step == loop.steps


def test_the_live_loop_finishes_at_max_steps_with_one_last_record_and_a_snapshot():
    sink, stop = Sink(), threading.Event()
    loop = Loop({"a": Counter()}, sink, max_steps=7, log_every=3, snapshot_every_s=1e9)
    loop.set_running(True)
    thread, result = _start(loop, stop)
    thread.join(10)
    assert result == [True] and loop.steps == 7 == sink.steps
    assert [(s, snap is not None) for s, _, snap in sink.records] == [(0, True), (3, False), (6, False), (7, True)]


class FakeLink:
    """A worker link that only records what was sent and answers with ``replies`` (no process)."""

    def __init__(self):
        self.worker_id, self.sent, self.replies = None, [], []

    def start(self, factory, args, options):
        self.worker_id = "fake-worker"
        self.replies.append(("ready", self.worker_id, {"wgan": {"n_critic": 5}}))

    def send(self, command):
        self.sent.append(command)
        if command == ("stop",):
            self.replies.append(("end", "stopped", ""))

    def receive(self, timeout):
        return self.replies.pop(0) if self.replies else None

    def death_note(self):
        return None

    def close(self):
        pass


def test_the_supervisor_holds_training_commands_until_the_slot_and_again_after_parking(tmp_path):
    from tests.live_factories import tiny_members
    from wgan_core.live import Job, JobRegistry
    from wgan_core.live.transport import ProcessBackend

    link = FakeLink()
    job = Job(
        tiny_members, registry=JobRegistry(1, tmp_path / "s.json", jobs_per_client=0, backend=ProcessBackend()),
        link=link, pause_grace=0.2)
    job.set_hparams(n_critic=3)  # before the worker exists: held by the mirror, sent when it reports
    job.step(2)
    wait_for(lambda: job.holds_slot and job.status == "paused" and job.pid == "fake-worker")
    wait_for(lambda: ("hparams", 1, "wgan", {"n_critic": 3}) in link.sent)
    assert link.sent[0] == ("step", 2)  # the held command went out first, once the worker ran with a slot
    wait_for(lambda: not job.holds_slot)  # paused past its grace: the slot goes back, the worker stays
    job.start()  # queues again; the run command goes out once the job is admitted anew
    wait_for(lambda: ("run", True) in link.sent and job.status == "running" and job.holds_slot)
    job.stop()
    assert job.join(10) and job.status == "stopped" and ("stop",) in link.sent
