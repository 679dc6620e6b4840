"""A fragment timer's poll from a page the session has already left is dropped before it runs.

Streamlit's front end reruns each ``st.fragment(run_every=...)`` on a timer keyed by the fragment's id,
and every tick names the page the browser believes it is on. When the server moves a session to
another page (``st.switch_page``, as following the teacher does), the ticks sent before the browser
hears of the move still name the page it left. Streamlit 1.67 runs such a tick as a run of that
page, and the browser, told of a page change, clears the lesson it was drawing. With a class on one
busy core this feeds itself: each stale tick costs a full redraw of the right page, the redraw is
late, and the browser's timer sends the next stale tick meanwhile (``bench/follow_load.py``, 28
followers: no follower arrived, the server used its whole core).

:func:`install` (once per process, from ``app/main.py``) wraps ``AppSession.request_rerun``: a
timer's rerun (``is_auto_rerun``) that names another page than the one the session's last full run
drew (:func:`mark_page`), or that arrives while the session is being moved (:func:`mark_moving`), is
dropped. Every other request (a click, a widget, a page the student picks, a first load) passes
unchanged, and a dropped tick costs nothing: the page's next full run starts its timers again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import get_script_run_ctx

#: Sessions remembered at once (the oldest is forgotten first; a forgotten session's ticks all pass).
MAX_SESSIONS = 10_000
_MOVING = ""  # no page: the session is between a switch and its next full run
_lock = threading.Lock()
_pages: OrderedDict[str, str] = OrderedDict()
_installed: list[bool] = []


def _remember(page_hash: str) -> None:
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with _lock:
        _pages[ctx.session_id] = page_hash
        _pages.move_to_end(ctx.session_id)
        while len(_pages) > MAX_SESSIONS:
            _pages.popitem(last=False)


def mark_page() -> None:
    """This full run draws the page the router chose (call it after ``st.navigation``)."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.page_script_hash:
        _remember(ctx.page_script_hash)


def mark_moving() -> None:
    """This session is about to be switched to another page: every tick until its next full run is stale."""
    _remember(_MOVING)


def is_stale(session_id: str, client_state) -> bool:
    """Whether ``client_state`` (a rerun request of session ``session_id``) is a timer's tick from a page
    the session has left."""
    if client_state is None or not client_state.is_auto_rerun:
        return False
    with _lock:
        page = _pages.get(session_id)
    return page is not None and client_state.page_script_hash != page


def install() -> None:
    """Wrap ``AppSession.request_rerun`` once in this process so that stale ticks are dropped."""
    with _lock:
        if _installed:
            return
        original = AppSession.request_rerun

        def request_rerun(self, client_state=None):
            if is_stale(self.id, client_state):
                return
            original(self, client_state)

        AppSession.request_rerun = request_rerun
        _installed.append(True)
