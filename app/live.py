"""Live training on a page: bind a training job (:mod:`wgan_core.live`) to the browser session.

Usage from a view (the lesson module provides the factory, the routing of slider values and defaults)::

    from app import live
    values = shell.controls_ui(SLUG, lesson.CONTROLS)          # settings that need a new job
    panel = live.LivePanel(SLUG, lesson.LIVE_CONTROLS,
                           make_members=functools.partial(lesson.build_members, values["seed"]),
                           route=lesson.hparam_changes, settings=values, max_steps=lesson.MAX_STEPS)
    panel.controls()                                           # sliders + Start/Pause/Resume, Step, Stop, New run
    panel.poll(draw)                                           # draw(job) every 2 s while it runs
    panel.export({'samples': lambda: fig(panel.job)})          # CSV of the logs, PNG per figure (app.live_export)

Rules it keeps:

* one job per browser session (starting one on another page stops the previous), and one per student
  across tabs (``WGAN_JOBS_PER_CLIENT``, see :mod:`app.live_slots`: a second tab says which lesson holds
  the run and can stop it); a comparison of several trainers is one job, so one slot of the cap;
* the job trains in a worker process, so drawing here never takes the trainer's GIL. ``make_members`` is
  therefore a picklable factory — a lesson's module-level ``build_members`` in a ``functools.partial`` —
  called as ``make_members(live_values, device=...)`` in the worker, on the device this server chose
  once (:func:`wgan_core.device.server_device`, read when the job is made); ``extra_metrics`` must
  pickle too. The workers' forkserver starts with the first live panel, preloading :data:`WORKER_PRELOAD`;
* the job never calls ``st.*``; the page polls it with ``st.fragment(run_every=1 s)`` (status)
  and redraws its figures every 2 s (the snapshot cadence);
* sliders apply to the running job from its next step (the job's ``set_hparams``);
* a job ends with its session: a lease in ``st.session_state`` stops it when the session state is
  dropped, the job polls ``Runtime.is_active_session`` (stops 5 s after the tab closes), and a
  watchdog stops it when nobody has polled for ``WGAN_JOB_IDLE_TIMEOUT`` s (default 30);
* a process-wide cap (``WGAN_MAX_JOBS``, default one per CPU core; GPU jobs apart, ``WGAN_MAX_GPU_JOBS``)
  queues the others with a message; a job paused for ``WGAN_PAUSE_GRACE_S`` (60) gives its slot back,
  and the page says that Resume picks it up again, queued if the class is full;
* the buttons follow the run's state: **Start** → **Pause** → **Resume**, **Step** (one generator step,
  then paused), **Stop** (ends the run, keeps its figures), **New run** (forgets the run: a fresh start).
  A paused run reads "paused at step N"; the rate is measured over the time the run was running
  (:class:`RunningRate`). Under the run, the values applied now (c, n_critic, λ, α per method); every
  slider change is recorded with its step (:meth:`LivePanel.changes`) for the time-series charts to mark;
* a run that diverges or runs out of GPU memory fails with that message and keeps its last figures;
* torch runs with ``WGAN_TORCH_THREADS`` (default 1) intra-op threads per job, set by each worker: one
  thread per job is what keeps jobs from starving each other.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import Any

import streamlit as st

from app import live_export, live_slots, shell
from app.live_state import RunningRate, drawing, hparams_text, per_job
from wgan_core.live import ACTIVE, ENDED, ClientLimitError, Job, prepare_workers

POLL_SECONDS = 1.0
#: Seconds between redraws of a live lesson's figures (and between the job's snapshots).
DRAW_SECONDS = 2.0
#: Seconds between polls of a queued or paused page: its place in line or paused step, and the watchdog.
QUEUED_POLL_SECONDS = 2.0
STATE_KEY = "live.lease"
#: Session-state keys of this session's job's rate meter and slider-change record, each ``(job id, …)``.
RATE_KEY, CHANGES_KEY = "live.rate", "live.changes"
#: What the workers' forkserver imports once besides torch, POT and the trainer: the lessons whose
#: factories build live members.
WORKER_PRELOAD = ("lessons", "lessons.mode_collapse", "lessons.clipping_vs_gp", "lessons.images")


class _Lease:
    """Holds the session's job; when the session state drops it, the finalizer stops the job."""

    def __init__(self, slug: str, signature: str, job: Job):
        self.slug, self.signature, self.job = slug, signature, job
        self._finalizer = weakref.finalize(self, job.request_stop, "the session ended")  # only signals

    def release(self, reason: str) -> None:
        self.job.stop(reason, wait=None)
        self._finalizer.detach()


def _owner_alive() -> Callable[[], bool] | None:
    """A callable telling whether this browser session is still connected (None outside a server)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return None
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def session_job(slug: str | None = None) -> Job | None:
    """The job bound to this session (only if it belongs to ``slug``, when given)."""
    lease = st.session_state.get(STATE_KEY)
    if lease is None or (slug is not None and lease.slug != slug):
        return None
    return lease.job


def release(reason: str = "reset") -> None:
    """Stop and forget this session's job (its slot returns to the registry)."""
    lease = st.session_state.pop(STATE_KEY, None)
    if lease is not None:
        lease.release(reason)


def cached_figure(name: str, version: Any, build: Callable[[], Any]) -> Any:
    """Return the figure built for ``version`` of its data, building it only when the version changed.

    Polling redraws every second, but a snapshot or a log round arrives less often; building plotly
    figures costs tens of milliseconds each, taken from the training thread's CPU. Use a version such as
    ``(job.id, snapshot_step)`` or ``(job.id, len(logs))``. One figure per name is kept per session.
    """
    key = f"live.fig.{name}"
    held = st.session_state.get(key)
    if held is None or held[0] != version:
        held = (version, build())
        st.session_state[key] = held
    return held[1]


def device_notice() -> bool:
    """When this server's live-training device cannot be used (CUDA requested on a machine without a
    GPU, a bad ``WGAN_DEVICE``, or a Ray cluster that does not answer) show why — no traceback — and
    return False; else True, silently
    (:func:`instructor_note` says where the runs train)."""
    from wgan_core.device import server_device

    try:
        server_device()
    except ValueError as exc:
        st.error(f"Live training is off on this server: {exc}. Set WGAN_DEVICE to auto or cpu on the server.",
                 icon=":material/memory:")
        return False
    from wgan_core.live import default_registry

    try:
        default_registry().backend.check()  # a cluster that does not answer is named here, once, not at Start
    except RuntimeError as exc:
        st.error(f"Live training is off: {exc}. The other lessons work as usual.", icon=":material/cloud_off:")
        return False
    return True


def instructor_note() -> str:
    """Where this server's live runs train, and the setting that chooses it, for "For instructors"."""
    from wgan_core.device import describe_device, server_device

    try:
        where = describe_device(server_device())
    except ValueError as exc:
        return f"**Live runs** are off on this server: {exc}. `WGAN_DEVICE` (auto, cpu or cuda) chooses the device."
    from wgan_core.live import default_registry

    backend = default_registry().backend
    if backend.name == "ray":
        return (f"**Live runs** train on the Ray cluster at `{backend.address}` (`WGAN_RAY_ADDRESS`), one CPU "
                "(or a share of a GPU) each; the cluster's resources decide how many train at once.")
    return (f"**Live runs** train on this server's {where}; `WGAN_DEVICE` (auto, cpu or cuda) chooses the device, "
            "`WGAN_MAX_JOBS` caps the runs training at once.")


#: What a failed run says, by the kind of failure (``Job.failure``); ``{error}`` is the job's message.
FAILED = {
    "diverged": "The run {error}: its losses or weights stopped being finite. The figures show its last good "
                "step. {advice}",
    "gpu-memory": "The run failed: {error}.",
}


class LivePanel:
    """The live-training block of one lesson page.

    Parameters
    ----------
    slug : str
        The lesson (keys, URL state and the job's label).
    live_controls : sequence of lessons.Slider
        Hyper-parameter sliders applied to the running job (mirrored in the URL).
    make_members : callable
        ``make_members(live_values, device=device) -> {name: trainer}``, called when a new job is needed
        — in the job's worker, on the job's device (this server's, chosen when the job is made), so it
        must pickle (``functools.partial`` of a lesson's ``build_members``).
    route : callable
        ``route(live_values) -> {member: {hparam: value}}`` (a lesson's ``hparam_changes``).
    settings : dict
        Values that define the run (dataset, seed, ...); changing them resets the job.
    max_steps, log_every, snapshot_every_s
        Passed to the job (snapshots every 2 s by default: the page polls every second, and figures are
        rebuilt only when their data changed, see :func:`cached_figure`).
    extra_metrics : callable, optional
        Passed to the job (picklable, like ``make_members``).
    """

    def __init__(self, slug: str, live_controls, make_members: Callable[[dict], dict], route: Callable,
                 settings: dict[str, Any], max_steps: int | None = None, log_every: int = 25,
                 extra_metrics: Callable | None = None, snapshot_every_s: float = DRAW_SECONDS):
        self.slug, self.live_controls = slug, tuple(live_controls)
        self.make_members, self.route = make_members, route
        self.signature = repr(sorted(settings.items()))
        self.max_steps, self.log_every, self.extra_metrics = max_steps, log_every, extra_metrics
        self.snapshot_every_s = snapshot_every_s
        self.values: dict[str, Any] = {}
        # start the workers' forkserver when a live page first shows, so that its first Start does not
        # wait for it (not at import: a worker that imports this module must not start one)
        prepare_workers(preload=WORKER_PRELOAD)
        lease = st.session_state.get(STATE_KEY)
        if lease is not None and lease.slug == slug and lease.signature != self.signature:
            release("the lesson's settings changed")

    @property
    def job(self) -> Job | None:
        return session_job(self.slug)

    def _new_job(self) -> Job:
        from wgan_core.device import server_device

        release("a new run started in this session")
        job = Job(self.make_members, (dict(self.values),), max_steps=self.max_steps, log_every=self.log_every,
                  extra_metrics=self.extra_metrics, snapshot_every_s=self.snapshot_every_s,
                  owner_alive=_owner_alive(), label=self.slug, client=live_slots.client_address(),
                  device=server_device())
        st.session_state[STATE_KEY] = _Lease(self.slug, self.signature, job)
        return job

    def _act(self, action: Callable[[Job], None]) -> None:
        """``action(job)`` on this page's job, made anew if there is none or it ended."""
        job = self.job
        if job is None or job.status in ENDED:
            try:
                job = self._new_job()
            except ClientLimitError:  # another tab won the race: the rerun shows which lesson holds the run
                return
        action(job)

    def controls(self) -> dict[str, Any]:
        """Draw the sliders and the buttons of the run's state; act on a click."""
        self.values = shell.controls_ui(self.slug, self.live_controls, columns=len(self.live_controls))
        usable = device_notice()
        others = live_slots.other_jobs(live_slots.client_address(), session_job())
        if others:
            live_slots.other_tab_ui(self.slug, others)
            usable = False
        clicked = self._buttons(self.job, usable)
        self.apply(self.values)
        if clicked:
            st.rerun()  # redraw the buttons (and start or stop polling) for the job's new state
        return self.values

    def _buttons(self, job: Job | None, usable: bool) -> bool:
        """Start → Pause → Resume, Step, Stop, New run, as the run's state allows; True on a click."""
        status = job.status if job is not None else "new"
        ended = status in ENDED
        first, step, stop, new = st.columns(4)
        key = f"{self.slug}.live"
        if status in ("running", "queued"):
            if first.button("Pause", key=f"{key}.pause", icon=":material/pause:", width="stretch"):
                job.pause()
                return True
        elif first.button("Resume" if status == "paused" else "Start", key=f"{key}.start", type="primary",
                          disabled=ended or not usable, icon=":material/play_arrow:", width="stretch",
                          help="This run has ended: **New run** starts another." if ended else None):
            self._act(Job.start)
            return True
        if step.button("Step", key=f"{key}.step", icon=":material/skip_next:", disabled=ended or not usable,
                       help="One generator step (each method), then pause.", width="stretch"):
            self._act(Job.step)
            return True
        if stop.button("Stop", key=f"{key}.stop", icon=":material/stop:", disabled=job is None or ended,
                       help="End this run; its figures stay on the page.", width="stretch"):
            job.stop("stopped by the user", wait=None)
            return True
        if new.button("New run", key=f"{key}.reset", icon=":material/restart_alt:", disabled=job is None,
                      type="primary" if ended else "secondary", width="stretch",
                      help="Forget this run and its figures; Start then trains a fresh one."):
            release("a new run was asked for")
            return True
        return False

    def changes(self) -> list[tuple[int, str]]:
        """The slider changes sent to this page's job: ``(generator step, "c = 0.003")``, in order."""
        job = self.job
        return list(per_job(CHANGES_KEY, job, list)) if job is not None else []

    def apply(self, values: dict[str, Any]) -> None:
        """Send changed slider values to the running job (from its next step)."""
        job = self.job
        if job is None or job.status not in ACTIVE + ("new",):
            return
        current = job.hparams()
        for member, changes in self.route(values).items():
            diff = {k: v for k, v in changes.items() if current.get(member, {}).get(k) != v}
            if diff:
                try:
                    job.set_hparams(member, **diff)
                except ValueError as exc:
                    st.error(str(exc))
                else:
                    if job.steps > 0:  # a change before the first step is the run's setting, not a change
                        record = per_job(CHANGES_KEY, job, list)
                        text = hparams_text(diff)
                        if not record or record[-1] != (job.steps, text):
                            record.append((job.steps, text))

    def status_ui(self, job: Job | None) -> None:
        """Progress bar, step rate and the queued / stopped messages."""
        if job is None:
            st.info("Press **Start** to train live, or **Step** to advance one generator step at a time.")
            return
        if job.status == "queued" and job.holds_slot:
            st.info("Starting the training process…", icon=":material/hourglass_top:")
            return
        if job.status == "queued":  # on a Ray cluster the cap and the queue are the class's, for every server
            cap, kind = job.registry.cap(job.kind), job.kind.upper()
            whose = "the class's cluster" if job.registry.backend.name == "ray" else "this server"
            slots = f"all {cap} {kind} training slots" if cap > 1 else f"the one {kind} training slot"
            again = "resumes where it left off" if job.pid is not None else "starts by itself"
            st.warning(f"Queued: {slots} of {whose} {'are' if cap > 1 else 'is'} busy (you are number "
                       f"{job.queue_position() or 1} in line). Your run {again} when a slot frees.",
                       icon=":material/hourglass_top:")
            return
        frac = job.progress()
        st.progress(frac if frac is not None else 0.0, text=self.status_text(job))
        self.applied_ui(job)
        if job.status == "paused" and not job.holds_slot:
            st.info(f"Paused for over {job.pause_grace:g} s, so this run gave its training slot back to the class. "
                    "**Resume** picks it up where it left off (if the class is full, it waits in line first).",
                    icon=":material/pause_circle:")
        if job.status in ("stopped", "finished"):
            st.caption(f"Run ended: {job.stop_reason}. Its figures stay below; **New run** starts another.")
        if job.status == "failed":
            lr = "lr" in {c.key for c in self.live_controls}
            advice = "Lower the learning rate α and press **New run**." if lr else "Press **New run** to train again."
            st.error(FAILED.get(job.failure, "The run failed: {error}.").format(error=job.error, advice=advice),
                     icon=":material/error:")

    def applied_ui(self, job: Job) -> None:
        """The hyper-parameters each member trains with now (those its sliders set), under the run."""
        routed = self.route(self.values) if self.values else {}
        parts = []
        for member, values in job.hparams().items():
            shown = {k: v for k, v in values.items() if not routed or k in routed.get(member, {})}
            if shown:
                parts.append(f"{member}: {hparams_text(shown)}")
        if parts:
            st.caption("Applied now: " + "  ·  ".join(parts))

    def status_text(self, job: Job) -> str:
        """``running · step 120 of 4000 · 35.2 steps/s`` while it runs (the rate over running time only),
        ``paused at step 120`` when paused (no rate: nothing runs), ``stopped at step 120`` at the end."""
        of = f" of {job.max_steps}" if job.max_steps else ""
        meter = per_job(RATE_KEY, job, RunningRate)
        meter.update(job.status, job.steps, time.monotonic())
        if job.status == "running":
            rate = meter.rate
            return f"running · step {job.steps}{of}" + (f" · {rate:.1f} steps/s" if rate is not None else "")
        return f"{job.status} at step {job.steps}{of}"

    def poll(self, draw: Callable[[Job], None]) -> None:
        """Poll the job while it is active: its status, and ``draw(job)`` while its figures change.

        Two fragments: a light one (progress, queue message, watchdog heartbeat) every :data:`POLL_SECONDS`
        (:data:`QUEUED_POLL_SECONDS` for a queued or paused job: a class of queued pages is most of the
        server's load), and the figures every :data:`DRAW_SECONDS` while they change (:func:`drawing`;
        the cadence of the job's snapshots). Admitted, paused or resumed: one full rerun re-arms both.
        """
        job = self.job
        queued = job is not None and job.status == "queued"
        still = queued or (job is not None and job.status == "paused")
        armed = drawing(job)
        active = job is not None and job.status in ACTIVE

        @st.fragment(run_every=(QUEUED_POLL_SECONDS if still else POLL_SECONDS) if active else None)
        def live_status() -> None:
            current = self.job
            if current is not None:
                current.touch()
            self.status_ui(current)
            changed = (current is None or current.status not in ACTIVE or (current.status == "queued") != queued
                       or drawing(current) != armed)
            if active and changed:
                st.rerun()  # the run ended, was admitted, paused or resumed: a full rerun re-arms polling

        @st.fragment(run_every=DRAW_SECONDS if armed else None)
        def live_figures() -> None:
            current = self.job
            if current is not None and current.latest_snapshot() is not None:
                draw(current)

        live_status()
        live_figures()

    def export(self, figures: dict[str, Callable[[], Any]]) -> None:
        """The metric logs as CSV and each figure (``name -> builder``) as PNG; see :mod:`app.live_export`."""
        job = self.job
        if job is not None and job.logs():
            live_export.export_ui(self.slug, job, figures)
