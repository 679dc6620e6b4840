"""A student's session spoken in Streamlit's own protocol, as the browser's front end speaks it.

In a class every student's browser runs on the student's own computer; what the server sees of it is
one websocket (``/_stcore/stream``) carrying ``BackMsg`` requests in and ``ForwardMsg`` replies out.
:class:`ProtocolFollower` is that websocket without the drawing, so that one machine can hold a class
of them beside the server and measure the server alone. It does what Streamlit 1.67's front end does
(``frontend/app/src/App.tsx``, ``connection/``):

* it opens the websocket with the subprotocol ``streamlit`` and asks for a run of its page (the page
  name from the URL's path, the URL's query string, its context: time zone, locale, URL);
* a ``new_session`` message names the page that runs (its script hash, sent back with every later
  request) and the run's fragments; a full run (no fragment) stops every fragment timer, as the front
  end's ``cleanupAutoReruns`` does, and ``page_info_changed`` replaces the URL's query string;
* ``auto_rerun`` (a fragment id and an interval) starts a timer per fragment — the front end's
  ``setInterval`` — that asks for a run of that fragment (``fragment_id``, ``is_auto_rerun``) on the
  current page, with the current query string; ``stop_auto_rerun`` stops the fragments it names. The
  server never reruns a fragment on its own: without these timers a page does not poll;
* cacheable messages are remembered by hash and reported back (``cached_message_hashes``), so that
  the server sends a reference instead of a message the client already holds, and forgotten after
  ``max_cached_message_age`` full runs, as the front end's message cache does.

It sends no widget values: a student who follows the teacher touches no widget, and the server then
keeps each widget's value from the session's previous run, which is what the browser sends back
unchanged. It records the headings and alerts of each full run, and the moment each run finished, so
that a bench can tell when the session shows a lesson (:meth:`ProtocolFollower.arrival`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus


@dataclass
class Run:
    """One full run as the client received it: its page, what it drew, when it finished."""

    page_script_hash: str
    headings: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    errors: int = 0
    finished_at: float | None = None


class ProtocolFollower:
    """One session on ``base_url`` (``http://host:port``), opened on ``path`` (``""``: the home page)."""

    def __init__(self, base_url: str, path: str = "", query: str = ""):
        parts = urlsplit(base_url)
        self.base_url, self.ws_url = base_url, f"ws://{parts.netloc}/_stcore/stream"
        self.page_name, self.query = path.strip("/"), query
        self.page_script_hash = ""
        self.runs: list[Run] = []  # full runs, oldest first
        self.fragment_runs = 0
        self._run: Run | None = None
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._cache: dict[str, int] = {}  # message hash -> full run count when last used
        self._full_runs, self._max_age = 0, 2
        self._changed = asyncio.Event()
        self._ws = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> None:
        """Connect and ask for the first run of the page (the front end's first request)."""
        from websockets.asyncio.client import connect

        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, proxy=None,
                                 open_timeout=120, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        await self._send_rerun()

    async def close(self) -> None:
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def wait_run(self, accept, timeout: float) -> Run:
        """The first finished full run for which ``accept(run)`` holds (TimeoutError after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((r for r in self.runs if r.finished_at is not None and accept(r)), None)
            if found is not None:
                return found
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), timeout=max(0.0, deadline - time.monotonic()))

    async def arrival(self, title: str, banner: str, after: float, timeout: float) -> Run:
        """The first full run finished after ``after`` (``time.monotonic()``) whose page has a heading
        that starts with ``title`` and an alert that contains ``banner``."""
        return await self.wait_run(lambda r: r.finished_at > after and any(h.startswith(title) for h in r.headings)
                                   and any(banner in a for a in r.alerts), timeout)

    # -- requests ---------------------------------------------------------------------------------

    async def _send_rerun(self, fragment_id: str = "", auto: bool = False) -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.widget_states.SetInParent()
        state.page_script_hash = self.page_script_hash
        state.page_name = "" if self.page_script_hash else self.page_name
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.cached_message_hashes.extend(self._cache)
        ctx = state.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale, ctx.color_scheme = "UTC", 0, "en-US", "light"
        ctx.url = f"{self.base_url}/{self.page_name}" + (f"?{self.query}" if self.query else "")
        await self._ws.send(msg.SerializeToString())

    async def _tick(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send_rerun(fragment_id, auto=True)

    # -- replies ----------------------------------------------------------------------------------

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg)
        except ConnectionClosed:
            pass

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable and msg.hash:
            self._cache[msg.hash] = self._full_runs
        if kind == "new_session":
            self._new_session(msg)
        elif kind == "navigation" and msg.navigation.page_script_hash:
            self._navigation(msg.navigation)
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "ref_hash":
            self._cache[msg.ref_hash] = self._full_runs
        elif kind == "delta" and self._run is not None and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element)
        elif kind == "script_finished":
            self._finished(msg.script_finished)

    def _new_session(self, msg: ForwardMsg) -> None:
        session = msg.new_session
        self.page_script_hash = session.page_script_hash
        if msg.metadata.run.fragment_ids:
            self._run = None  # a fragment's run: the page's lesson stays as the last full run drew it
            return
        for fragment_id in list(self._timers):  # a full run: the front end clears every auto-rerun timer
            self._stop_timer(fragment_id)
        self._max_age = session.config.max_cached_message_age or self._max_age
        self._run = Run(session.page_script_hash)
        self.runs.append(self._run)

    def _navigation(self, navigation) -> None:
        """The page that runs, and its URL path (``st.navigation``'s pages)."""
        self.page_script_hash = navigation.page_script_hash
        self.page_name = next((p.url_pathname for p in navigation.app_pages
                               if p.page_script_hash == navigation.page_script_hash), self.page_name)

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "heading":
            self._run.headings.append(element.heading.body)
        elif kind == "alert":
            self._run.alerts.append(element.alert.body)
        elif kind == "exception":
            self._run.errors += 1

    def _finished(self, status: int) -> None:
        if status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.fragment_runs += 1
            return
        if self._run is not None and status == FINISHED.FINISHED_SUCCESSFULLY:
            self._run.finished_at = time.monotonic()
            self._full_runs += 1
            self._cache = {h: n for h, n in self._cache.items() if self._full_runs - n <= self._max_age}
        self._changed.set()

    def _start_timer(self, fragment_id: str, interval: float) -> None:
        if fragment_id in self._timers and self._timers[fragment_id][0] == interval:
            return  # the front end keeps a running timer of the same interval
        self._stop_timer(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    def _stop_timer(self, fragment_id: str) -> None:
        timer = self._timers.pop(fragment_id, None)
        if timer is not None:
            timer[1].cancel()
