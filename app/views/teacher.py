"""Teacher's panel, the class's cockpit. Shown only to a session that entered the teacher's key:

* **Presenting** — Start / Stop presenting: while presenting, each lesson this session opens (with its
  control values) becomes the class's lesson, and every following student's page moves to it;
* **Students now** — how many student pages were on each lesson in the last 30 s;
* **Class poll** — for the class's current lesson, each exercise with its number of answers, the choice
  counts as a bar chart or the written answers (shown as plain text), and **Reveal to the class**;
* **Class results** — how many runs each live lesson's board holds, with **Clear the board**;
* **Live runs** — the cap, the queue and every live job of the class with a Stop button each (on a
  Ray cluster shared by several app servers, the other servers' jobs too; their Stop reaches them
  within seconds), **Stop all** (every job of the class, the other servers' too) and **Pause all**
  (this server's jobs: the class's admission can stop another server's job, not pause it);
* **Heavy lessons** — whether each heavy lesson's default setting is computed, and **Prepare the
  class**, which computes the missing ones in the background with a progress bar.

The key is the teacher's secret, set on the server in ``.streamlit/secrets.toml`` (kept out of git)::

    teacher_key = "a long random phrase"

It is entered once per browser session and compared in constant time (``hmac.compare_digest``); wrong
keys are rate-limited per client address. When the class database cannot be used, one message says so
and the class features are off; the live-run controls keep working.
"""

from __future__ import annotations

import hmac
import time

import streamlit as st

import lessons
from app import board, classroom, cockpit, live, live_slots, precomputed, shell
from app.live_slots import lesson_title
from wgan_core.live import ACTIVE, REGISTRY

REFRESH_SECONDS = 2.0


def configured_key() -> str | None:
    """The teacher's key from ``st.secrets``, or None when the server has none."""
    try:
        key = st.secrets.get("teacher_key")
    except FileNotFoundError:  # no secrets.toml at all
        return None
    return str(key) if key else None


def unlock_ui(key: str) -> bool:
    """Ask for the key once per session; True when this session has entered it."""
    if classroom.is_teacher():
        return True
    with st.form("teacher.login"):
        entered = st.text_input("Teacher key", type="password", key="teacher.key")
        if st.form_submit_button("Open the panel", icon=":material/lock_open:"):
            client = live_slots.client_address()
            wait = classroom.KEY_TRIES.wait_s(client)
            if wait > 0:
                st.error(f"Too many wrong keys from this computer: try again in {wait:.0f} s.")
            elif hmac.compare_digest(entered.encode("utf-8"), key.encode("utf-8")):
                st.session_state[classroom.TEACHER] = True
                st.rerun()
            else:
                classroom.KEY_TRIES.allow(client)
                st.error("That is not the teacher key.")
    return False


def presenting_ui() -> None:
    st.subheader("Presenting")
    current = classroom.presentation()
    if classroom.presenting_here():
        st.success(f"The class follows you: {classroom.title_of(current.slug)}. Open any lesson (sidebar, "
                   "stepper or a link) and the class moves with you; this panel does not move it.",
                   icon=":material/co_present:")
        if st.button("Stop presenting", key="teacher.stop_presenting", icon=":material/stop_screen_share:"):
            classroom.stop_presenting()
            st.rerun()
        return
    if current is not None:
        st.info(f"Another teacher session presents {classroom.title_of(current.slug)}. Starting here takes over.")
    st.caption("Start presenting, then open a lesson: every student's page follows yours within seconds.")
    if st.button("Start presenting", key="teacher.start_presenting", type="primary",
                 icon=":material/present_to_all:"):
        classroom.start_presenting()
        st.rerun()


def exercise_poll_ui(slug: str, index: int, ex: lessons.Exercise, answers: list, revealed: bool) -> None:
    st.markdown(f"**Exercise {index}.** {ex.question}")
    st.markdown(f"**{len(answers)} answer{'' if len(answers) == 1 else 's'}**")
    if ex.choices:
        counts = {choice: sum(a.choice == choice for a in answers) for choice in ex.choices}
        st.bar_chart({"answers": counts}, horizontal=True, height=60 + 30 * len(ex.choices))
        st.caption(f"Right choice: {ex.correct}")
    else:
        for a in answers:
            st.text(a.text)  # plain text: no Markdown, HTML or links
    if revealed:
        st.caption("Revealed to the class.")
    elif st.button("Reveal to the class", key=f"teacher.reveal.{slug}.{index}", icon=":material/visibility:"):
        classroom.require_teacher()
        classroom.call(lambda s: s.reveal(slug, index))
        st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def class_ui() -> None:
    """Students on each lesson, and the class's current lesson's poll, refreshed every couple of seconds."""
    st.subheader("Students now")
    counts = classroom.call(lambda s: s.students_by_lesson(30.0), {})
    if counts:
        st.dataframe([{"Lesson": classroom.title_of(slug), "Students": n} for slug, n in sorted(counts.items())],
                     hide_index=True)
    else:
        st.caption("No student page seen in the last 30 s.")
    st.subheader("Class poll")
    current = classroom.presentation()
    if current is None or not lessons.has_module(current.slug):
        st.caption("While you present a lesson, its exercises and the class's answers show here.")
        return
    slug, module = current.slug, lessons.lesson_module(current.slug)
    answers = classroom.call(lambda s: s.answers(slug), [])
    revealed = classroom.call(lambda s: s.revealed(slug), frozenset())
    st.caption(f"{classroom.title_of(slug)} · updated {time.strftime('%H:%M:%S')}")
    for i, ex in enumerate(module.EXERCISES, start=1):
        with st.container(border=True):
            exercise_poll_ui(slug, i, ex, [a for a in answers if a.exercise == i], i in revealed)
    if st.button("Clear this lesson's answers", key=f"teacher.clear_answers.{slug}", icon=":material/delete:",
                 help="Forget the predictions and reveals of this lesson, e.g. before the next class."):
        classroom.require_teacher()
        classroom.call(lambda s: s.clear_answers(slug))
        st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def jobs_ui() -> None:
    """The cap, the queue and every live job, refreshed every couple of seconds."""
    if not live.device_notice():  # live runs are off (no device, a cluster that does not answer): said why
        return
    status = REGISTRY.status()
    per_client = status["jobs_per_client"] or "no limit"
    gpu_cap = status["max_gpu_jobs"] if status["max_gpu_jobs"] is not None else "set when a GPU job asks"
    cpu, gpu, queued, limit = st.columns(4)
    cpu.metric("CPU jobs training", f"{status['admitted'] - status['admitted_gpu']} of {status['max_jobs']}")
    gpu.metric("GPU jobs training", f"{status['admitted_gpu']} of {gpu_cap}")
    queued.metric("Queued", status["queued"])
    limit.metric("Live jobs per student", per_client)
    stop_all, pause_all, _ = st.columns([1, 1, 3])
    if stop_all.button("Stop all", key="teacher.stop_all", icon=":material/stop_circle:",
                       help="Stop every live run of the class (on a Ray cluster, the other app servers' runs too)."):
        classroom.require_teacher()
        st.toast(f"Stopped {cockpit.stop_all()} live run(s).")
    if pause_all.button("Pause all", key="teacher.pause_all", icon=":material/pause_circle:",
                        help="Pause the live runs of this app server only: another server's runs can be "
                             "stopped from here, not paused."):
        classroom.require_teacher()
        st.toast(f"Paused {cockpit.pause_all()} live run(s); each student's Start resumes theirs.")
    jobs = [j for j in REGISTRY.class_jobs() if j["status"] in ACTIVE + ("new",)]
    if not jobs:
        st.info("No live job right now.")
        return
    header = st.columns([3, 2, 1, 1, 2, 1])
    for col, name in zip(header, ("Lesson", "Status", "Steps", "Age", "Client", ""), strict=True):
        col.markdown(f"**{name}**")
    for row in jobs:
        cols = st.columns([3, 2, 1, 1, 2, 1])
        slot = "" if row["status"] != "paused" or row["holds_slot"] else " (slot given back)"
        cols[0].write(lesson_title(row["label"]))
        cols[1].write(f"{row['status']}{slot} · {row['kind'].upper()}")
        cols[2].write(str(row["steps"]))
        cols[3].write(f"{row['age_s'] / 60:.0f} min" if row["age_s"] >= 60 else f"{row['age_s']:.0f} s")
        cols[4].write(row["client"] or "localhost")
        key = f"teacher.stop.{row['id']}" if row["here"] else f"teacher.stop.{row['key']}"
        if cols[5].button("Stop", key=key, icon=":material/stop:",
                          help=None if row["here"] else "A run on another app server: it stops within seconds."):
            classroom.require_teacher()
            REGISTRY.stop_job(row, "stopped by the teacher")
            st.rerun()
        if not row["here"]:
            cols[4].caption("on another app server")
    st.caption(f"Updated {time.strftime('%H:%M:%S')}; refreshes every {REFRESH_SECONDS:g} s.")


def prepare_ui() -> None:
    """Each heavy lesson's default: computed or not, and Prepare the class with a progress bar."""
    st.subheader("Heavy lessons")
    state = cockpit.PREPARER.state

    @st.fragment(run_every=1.0 if state.running else None)
    def progress() -> None:
        now = cockpit.PREPARER.state
        if now.running:
            st.progress(now.overall, text=f"Preparing {classroom.title_of(now.current or '')} "
                                          f"({len(now.done)} of {len(now.todo)} done)")
        elif state.running:
            st.rerun()  # finished: redraw the table and the button
        if now.error:
            st.error(shell.escape_markdown(f"Preparing stopped at {now.error}"))

    missing = [slug for slug in precomputed.HEAVY if not cockpit.default_computed(slug)]
    st.dataframe([{"Lesson": classroom.title_of(slug), "Default computed": slug not in missing}
                  for slug in precomputed.HEAVY], hide_index=True)
    progress()
    if st.button("Prepare the class", key="teacher.prepare", disabled=not missing or state.running,
                 icon=":material/rocket_launch:", help="Compute the missing defaults in the background."):
        classroom.require_teacher()
        cockpit.PREPARER.start(missing)
        st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def boards_ui() -> None:
    """Each live lesson's class board: how many runs, and Clear the board (refreshed every couple of seconds)."""
    st.subheader("Class results")
    for slug in board.BOARD_LESSONS:
        runs = classroom.call(lambda s, slug=slug: s.board(slug), [])
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"{classroom.title_of(slug)}: {len(runs)} run{'s' * (len(runs) != 1)} on the board")
        if right.button("Clear the board", key=f"teacher.clear_board.{slug}", disabled=not runs,
                        icon=":material/delete_sweep:"):
            classroom.require_teacher()
            classroom.call(lambda s, slug=slug: s.clear_board(slug))
            st.rerun()


st.title("Teacher's panel")
KEY = configured_key()
if KEY is None:
    st.info("The teacher's panel is off on this server. To turn it on, write a line "
            '`teacher_key = "a long random phrase"` into `.streamlit/secrets.toml` next to the app '
            "(that file stays out of git), restart the server, then open this page and enter the phrase.",
            icon=":material/lock:")
elif unlock_ui(KEY):
    problem = classroom.store_error()
    if problem:
        st.error(shell.escape_markdown(problem), icon=":material/database:")
    else:
        presenting_ui()
        class_ui()
        boards_ui()
    st.subheader("Live runs")
    jobs_ui()
    prepare_ui()
