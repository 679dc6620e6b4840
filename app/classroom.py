"""The class on every page: the anonymous student id, the class store (or why it is off), the
teacher's session, and the "Following the teacher" banner that moves a student's page with the
teacher's.

How following works: while the teacher presents, each lesson page the teacher's session opens (with its
control values, as the URL holds them) is written to the store after the page has run
(:func:`record_presenter_page`). Every other page polls the store once a second while the teacher
presents, every 3 s while nobody does (:func:`follow_ui`, a fragment), and, when the class moved,
switches to that lesson with those values. A student can **Leave** and **Rejoin**. A student whose own
live run is going is never moved: the banner says where the class is and offers to go there.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import lessons
from app import stale_polls
from wgan_core.classroom import ClassStore, ClassStoreError, RateLimiter, default_path, open_class_store

STUDENT = "class.student"
#: Session-state key that holds True once this session entered the teacher's key (never a widget key).
TEACHER = "teacher.unlocked"
PRESENTING = "class.presenting"
TEACHER_LAST = "class.teacher_last"  # (slug, query) of the lesson page this teacher's session last ran
LEFT = "class.left"
APPLIED = "class.applied"  # the presentation version this page last moved to
RENDERED = "class.rendered"  # (presenting?, revealed exercises) as the page last drew its exercises
LAST_SEEN = "class.last_seen"
#: Seconds between a page's follow polls while the teacher presents (a move reaches a page within this
#: and one run of the lesson's page).
FOLLOW_SECONDS = 1.0
#: Seconds between them while nobody presents: a poll costs the browser a re-render of the whole page
#: (an idle lesson page in Chromium: 1.1-1.8 CPU-s in 20 s at 1 s, 0.6-1.1 at 3 s), and only the start
#: of presenting is waited for; once it is seen, the page polls every FOLLOW_SECONDS.
IDLE_FOLLOW_SECONDS = 3.0
SEEN_EVERY_S = 10.0
#: Seconds before a store that failed is tried again.
RETRY_S = 60.0

#: Wrong teacher keys per client address: 5 at once, then one every 30 s (the teacher's panel uses it).
KEY_TRIES = RateLimiter(burst=5, per_s=30.0)

T = TypeVar("T")
_lock = threading.Lock()
_held: dict[str, Any] = {"path": None, "store": None, "error": None, "failed_at": 0.0}


def store() -> ClassStore | None:
    """The class store, or None while it cannot be used (:func:`store_error` says why): the SQLite file
    at ``WGAN_CLASS_DB``, or the store kept by the Ray cluster at ``WGAN_RAY_ADDRESS``
    (:func:`~wgan_core.classroom.open_class_store`)."""
    path = default_path()
    with _lock:
        if _held["path"] == path and (_held["store"] is not None or time.monotonic() - _held["failed_at"] < RETRY_S):
            return _held["store"]
        _held.update(path=path, store=None, error=None)
        try:
            _held["store"] = open_class_store()
        except ClassStoreError as exc:
            _held.update(error=str(exc), failed_at=time.monotonic())
        return _held["store"]


def store_error() -> str | None:
    """Why the class features are off, or None when the store works."""
    store()
    return _held["error"]


def call(action: Callable[[ClassStore], T], default: T = None) -> T:
    """``action(store)``, or ``default`` when the store is off or fails now (which turns it off)."""
    current = store()
    if current is None:
        return default
    try:
        return action(current)
    except ClassStoreError as exc:
        with _lock:
            _held.update(store=None, error=str(exc), failed_at=time.monotonic())
        return default


def student_id() -> str:
    """This browser session's anonymous id (random, made on its first page)."""
    if STUDENT not in st.session_state:
        st.session_state[STUDENT] = secrets.token_urlsafe(9)
    return st.session_state[STUDENT]


def is_teacher() -> bool:
    """Whether this session entered the teacher's key."""
    return st.session_state.get(TEACHER) is True


def require_teacher() -> None:
    """PermissionError unless this session entered the teacher's key (checked by every teacher action)."""
    if not is_teacher():
        raise PermissionError("Only the teacher's session can do this.")


def presentation():
    """The class's presentation, or None (no teacher presents, or the store is off)."""
    return call(lambda s: s.presentation())


def presenting_here() -> bool:
    """Whether this session is the teacher's and is the one presenting."""
    if not (is_teacher() and st.session_state.get(PRESENTING)):
        return False
    current = presentation()
    return current is not None and current.presenter == student_id()


def start_presenting() -> None:
    """The class follows this (teacher's) session, from the lesson it last opened (else the home page)."""
    require_teacher()
    slug, query = st.session_state.get(TEACHER_LAST, ("", {}))
    st.session_state[PRESENTING] = True
    call(lambda s: s.start_presenting(student_id(), slug, query))


def stop_presenting() -> None:
    require_teacher()
    st.session_state[PRESENTING] = False
    call(lambda s: s.stop_presenting())


def title_of(slug: str) -> str:
    return next((info.title for info in lessons.COURSE if info.slug == slug), "Home")


def page_drawn(slug: str) -> None:
    """After a page (not the teacher's panel) ran in full: this session is seen on it (the panel's count
    of students per lesson; a move reaches a student when its page has run), and a presenting teacher's
    page becomes the class's lesson."""
    _mark_seen(slug)
    record_presenter_page(slug)


def record_presenter_page(slug: str) -> None:
    """After a lesson page ran in a teacher's session: remember it, and when this session presents, make
    it (with its URL values) the class's lesson."""
    if not is_teacher():
        return
    query = {k: st.query_params[k] for k in st.query_params}
    st.session_state[TEACHER_LAST] = (slug, query)
    if presenting_here():
        call(lambda s: s.move(student_id(), slug, query))


def _mark_seen(slug: str) -> None:
    now = time.monotonic()
    if now - st.session_state.get(LAST_SEEN, (None, -1e9))[1] >= SEEN_EVERY_S or \
            st.session_state[LAST_SEEN][0] != slug:
        st.session_state[LAST_SEEN] = (slug, now)
        call(lambda s: s.seen(student_id(), slug))


def _move_to(pages: list[st.Page], current) -> None:
    """Switch this page to the class's lesson and values (the lesson's own controls are re-read from them)."""
    target = next((p for p in pages if p.url_path == current.slug), None)
    st.session_state[APPLIED] = current.version
    if target is None:
        return
    if lessons.has_module(current.slug):
        module = lessons.lesson_module(current.slug)
        for control in tuple(module.CONTROLS) + tuple(getattr(module, "LIVE_CONTROLS", ())):
            st.session_state.pop(f"{current.slug}.{control.key}", None)
    stale_polls.mark_moving()
    st.switch_page(target, query_params=current.query)


def _own_run_going(session_job: Callable[[], Any]) -> bool:
    from wgan_core.live import ACTIVE

    job = session_job()
    return job is not None and job.status in ACTIVE


def _should_move(current, session_job: Callable[[], Any]) -> bool:
    """Whether this page has yet to follow the class's latest move (and may: no own live run going)."""
    if current is None or st.session_state.get(LEFT) or st.session_state.get(APPLIED) == current.version:
        return False
    if current.presenter == student_id() and is_teacher():
        return False
    return not _own_run_going(session_job)


def _banner(slug: str, session_job: Callable[[], Any], presenting: bool) -> None:
    current = presentation()
    if (current is not None) != presenting:
        st.rerun()  # presenting started or stopped: the full run sets the poll's interval again
    if _should_move(current, session_job):
        st.rerun()  # the page switch itself happens in the full run (follow_ui), never in a fragment's
    drawn = st.session_state.get(RENDERED)
    if drawn is not None and drawn[0] == slug:
        if drawn[1] != (current is not None):
            st.rerun()  # presenting started or stopped: the exercises change how they reveal
        if drawn[2] != call(lambda s: s.revealed(slug), frozenset()):
            st.rerun()  # the teacher revealed an exercise of this lesson
    if current is None:
        return
    title = title_of(current.slug)
    if current.presenter == student_id() and is_teacher():
        st.info(f"Presenting to the class: {title}", icon=":material/co_present:")
        return
    if st.session_state.get(LEFT):
        text, button = f"Not following the teacher (the class is on {title}).", "Rejoin"
    else:
        text, button = f"Following the teacher: {title}", "Leave"
    if not st.session_state.get(LEFT) and st.session_state.get(APPLIED) != current.version:
        text = f"The teacher moved to {title}: your live run keeps you here until it ends."
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.info(text, icon=":material/school:")
    if right.button(button, key="class.follow_toggle", width="stretch"):
        st.session_state[LEFT] = button == "Leave"
        st.session_state.pop(APPLIED, None)
        st.rerun()


def _page_of_this_run() -> str | None:
    """The page (its script hash) that Streamlit's runner runs this script run, or a fragment's run, for."""
    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.page_script_hash


def follow_ui(pages: list[st.Page], slug: str, session_job: Callable[[], Any]) -> None:
    """The banner on a page that is not the teacher's panel: polls the class every second while the
    teacher presents, every :data:`IDLE_FOLLOW_SECONDS` while nobody does.
    ``session_job()`` is this session's own live job, if any: while it is going, the page is never moved.

    A page moved by the class can receive one stale poll: the browser's one-second timer of the page
    it left fires while the move runs, and asks for this fragment's run on the page it left. Streamlit
    then runs the fragment as a run of that page, and the browser, told of a page change, clears the
    lesson and redraws only the banner (measured: 1 or 2 of 4 followers per move at a load of 15, blank
    for minutes). The fragment notices a run for another page than its own and switches back to its
    own page, with its values: one full run redraws the whole lesson. Most stale polls never get here:
    :mod:`app.stale_polls` drops a tick from a page the session has left before it runs (with a class
    on one busy core, answering each with a redraw kept every follower from arriving).
    """
    student_id()
    st.session_state[RENDERED] = None  # a full run: the lesson's exercises (if any) record what they draw
    current = presentation()
    if _should_move(current, session_job):
        _move_to(pages, current)  # in the full run, never in a fragment's run (see the stale poll above)
    own_page, own_query = _page_of_this_run(), st.query_params.to_dict()
    target = next(p for p in pages if p.url_path == slug)

    presenting = current is not None

    @st.fragment(run_every=FOLLOW_SECONDS if presenting else IDLE_FOLLOW_SECONDS)
    def follow() -> None:
        if _page_of_this_run() != own_page:
            stale_polls.mark_moving()
            st.switch_page(target, query_params=own_query)  # a stale poll: redraw this page in full
        if st.session_state.get(LAST_SEEN, (None,))[0] == slug:
            _mark_seen(slug)  # still here: kept fresh (a new page is marked once drawn, by page_drawn)
        _banner(slug, session_job, presenting)

    follow()


def rendered(slug: str, presenting: bool, revealed: frozenset[int]) -> None:
    """The exercises record what they drew, so that the banner can tell when to redraw them."""
    st.session_state[RENDERED] = (slug, presenting, revealed)
