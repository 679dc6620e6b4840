"""Teacher's panel: every live job of this server (lesson, status, steps, age, client) with a Stop
button each, and the cap and the queue. Shown only to whoever enters the teacher's key.

The key is the teacher's secret, set on the server in ``.streamlit/secrets.toml`` (kept out of git)::

    teacher_key = "a long random phrase"

It is entered once per browser session and compared in constant time (``hmac.compare_digest``).
"""

from __future__ import annotations

import hmac
import time

import streamlit as st

from app.live_slots import lesson_title
from wgan_core.live import ACTIVE, REGISTRY

UNLOCKED = "teacher.unlocked"
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
    if st.session_state.get(UNLOCKED):
        return True
    with st.form("teacher.login"):
        entered = st.text_input("Teacher key", type="password", key="teacher.key")
        if st.form_submit_button("Open the panel", icon=":material/lock_open:"):
            if hmac.compare_digest(entered.encode("utf-8"), key.encode("utf-8")):
                st.session_state[UNLOCKED] = True
                st.rerun()
            st.error("That is not the teacher key.")
    return False


@st.fragment(run_every=REFRESH_SECONDS)
def jobs_ui() -> None:
    """The cap, the queue and every live job, refreshed every couple of seconds."""
    status = REGISTRY.status()
    per_client = status["jobs_per_client"] or "no limit"
    gpu_cap = status["max_gpu_jobs"] if status["max_gpu_jobs"] is not None else "set when a GPU job asks"
    cpu, gpu, queued, limit = st.columns(4)
    cpu.metric("CPU jobs training", f"{status['admitted'] - status['admitted_gpu']} of {status['max_jobs']}")
    gpu.metric("GPU jobs training", f"{status['admitted_gpu']} of {gpu_cap}")
    queued.metric("Queued", status["queued"])
    limit.metric("Live jobs per student", per_client)
    jobs = [j for j in status["jobs"] if j["status"] in ACTIVE + ("new",)]
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
        if cols[5].button("Stop", key=f"teacher.stop.{row['id']}", icon=":material/stop:"):
            job = REGISTRY.find(row["id"])
            if job is not None:
                job.stop("stopped by the teacher", wait=None)
            st.rerun(scope="fragment")
    st.caption(f"Updated {time.strftime('%H:%M:%S')}; refreshes every {REFRESH_SECONDS:g} s.")


st.title("Teacher's panel")
KEY = configured_key()
if KEY is None:
    st.info("The teacher's panel is off on this server. To turn it on, write a line "
            '`teacher_key = "a long random phrase"` into `.streamlit/secrets.toml` next to the app '
            "(that file stays out of git), restart the server, then open this page and enter the phrase.",
            icon=":material/lock:")
elif unlock_ui(KEY):
    jobs_ui()
