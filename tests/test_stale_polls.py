"""A fragment timer's tick from a page the session has left is dropped; every other request passes."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession

from app import stale_polls


def request(page: str, auto: bool) -> ClientState:
    state = ClientState()
    state.page_script_hash, state.is_auto_rerun = page, auto
    if auto:
        state.fragment_id = "follow"
    return state


@pytest.fixture
def session(monkeypatch):
    """A script run of session "s1" (the run context is all the marks read); the memory starts empty."""
    ctx = SimpleNamespace(session_id="s1", page_script_hash="lesson-a")
    monkeypatch.setattr(stale_polls, "get_script_run_ctx", lambda: ctx)
    monkeypatch.setattr(stale_polls, "_pages", type(stale_polls._pages)())
    return ctx


def test_a_tick_from_the_page_left_is_stale_and_the_current_pages_tick_is_not(session):
    stale_polls.mark_page()
    assert not stale_polls.is_stale("s1", request("lesson-a", auto=True))
    assert stale_polls.is_stale("s1", request("lesson-b", auto=True))


def test_while_a_session_moves_every_tick_is_stale_until_its_next_full_run(session):
    stale_polls.mark_page()
    stale_polls.mark_moving()
    assert stale_polls.is_stale("s1", request("lesson-a", auto=True))
    session.page_script_hash = "lesson-b"
    stale_polls.mark_page()
    assert stale_polls.is_stale("s1", request("lesson-a", auto=True))
    assert not stale_polls.is_stale("s1", request("lesson-b", auto=True))


def test_clicks_first_loads_and_unknown_sessions_always_pass(session):
    stale_polls.mark_page()
    assert not stale_polls.is_stale("s1", request("lesson-b", auto=False))  # the student picked a page
    assert not stale_polls.is_stale("s1", request("", auto=False))
    assert not stale_polls.is_stale("s1", None)
    assert not stale_polls.is_stale("s2", request("lesson-b", auto=True))


def test_the_memory_is_bounded(session, monkeypatch):
    monkeypatch.setattr(stale_polls, "MAX_SESSIONS", 3)
    for n in range(5):
        session.session_id = f"s{n}"
        stale_polls.mark_page()
    assert list(stale_polls._pages) == ["s2", "s3", "s4"]


def test_install_wraps_request_rerun_once_and_drops_only_stale_ticks(session, monkeypatch):
    passed = []
    monkeypatch.setattr(AppSession, "request_rerun", lambda self, client_state=None: passed.append(client_state))
    monkeypatch.setattr(stale_polls, "_installed", [])
    stale_polls.install()
    stale_polls.install()
    stale_polls.mark_page()
    app_session = SimpleNamespace(id="s1")
    fresh, stale, click = request("lesson-a", True), request("lesson-b", True), request("lesson-b", False)
    for state in (fresh, stale, click):
        AppSession.request_rerun(app_session, state)
    assert passed == [fresh, click]
