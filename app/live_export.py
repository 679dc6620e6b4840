"""Export of a live run: the metric logs as CSV, and each figure as PNG rendered in this server.

A PNG is rendered by kaleido driving a headless Chromium, which costs the server about a second of
CPU and a browser process, so exports are limited: one export at a time for the whole server
(:data:`EXPORTS`, a non-blocking semaphore of one) and one per session every
:data:`EXPORT_EVERY_S` seconds. A refused export says why and when to try again. The PNG is made
only when its *Render* button is clicked (never from a download request, which a crafted client could
repeat), then offered for download; the CSV is cheap and made when its button is clicked.
"""

from __future__ import annotations

import csv
import io
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

#: Seconds a session waits between two PNG exports.
EXPORT_EVERY_S = 10.0


class ExportLimiter:
    """At most one render at a time in this process, and one per ``key`` every ``every_s`` seconds."""

    def __init__(self, every_s: float):
        self.every_s = float(every_s)
        self._busy = threading.Semaphore(1)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def run(self, key: str, render: Callable[[], bytes]) -> bytes:
        """``render()``, or a RuntimeError saying why not now."""
        with self._lock:
            wait = self._last.get(key, -float("inf")) + self.every_s - time.monotonic()
        if wait > 0:
            raise RuntimeError(f"one PNG export every {self.every_s:g} s per student: try again in {wait:.0f} s")
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("another student's PNG export is being rendered right now: try again in a few seconds")
        try:
            with self._lock:
                self._last[key] = time.monotonic()
                if len(self._last) > 1000:  # forget sessions long gone
                    cutoff = time.monotonic() - self.every_s
                    self._last = {k: t for k, t in self._last.items() if t > cutoff}
            return render()
        finally:
            self._busy.release()


#: The server's limiter of PNG exports.
EXPORTS = ExportLimiter(EXPORT_EVERY_S)


def metrics_csv(logs: list[dict]) -> str:
    """The job's logs as CSV text: one row per (member, log), columns the union of the keys."""
    columns: list[str] = []
    for entry in logs:
        columns += [k for k in entry if k not in columns and not isinstance(entry[k], (dict, list))]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(logs)
    return buf.getvalue()


def figure_png(fig, width: int = 900, height: int = 600) -> bytes:
    """Render a plotly figure to PNG with kaleido, pointing it at the system Chromium (``BROWSER_PATH``)."""
    browser = os.environ.setdefault("BROWSER_PATH", os.environ.get("WGAN_CHROMIUM", "/usr/bin/chromium"))
    if not Path(browser).exists():
        raise RuntimeError(f"PNG export needs Chrome/Chromium for kaleido; none at BROWSER_PATH={browser!r}. "
                           "Install chromium (setup.sh does) or set BROWSER_PATH.")
    return fig.to_image(format="png", width=width, height=height)


def _session_key() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def export_ui(slug: str, job, figures: dict[str, Callable[[], Any]]) -> None:
    """The *Export* expander: the logs as CSV, and per figure a *Render* button, then its download."""
    with st.expander("Export", icon=":material/download:"):
        st.download_button("Metrics (CSV)", data=lambda: metrics_csv(job.logs()), on_click="ignore",
                           file_name=f"{slug}-metrics.csv", mime="text/csv", key=f"{slug}.export.csv")
        for name, build in figures.items():
            key = f"{slug}.export.{name}"
            render, download = st.columns(2)
            if render.button(f"Render {name} (PNG)", key=f"{key}.render", width="stretch"):
                try:
                    st.session_state[f"{key}.png"] = EXPORTS.run(_session_key(), lambda b=build: figure_png(b()))
                except RuntimeError as exc:
                    st.warning(f"PNG export: {exc}.", icon=":material/hourglass_top:")
            png = st.session_state.get(f"{key}.png")
            if png is not None:
                download.download_button(f"{name}.png", data=png, file_name=f"{slug}-{name}.png", mime="image/png",
                                         on_click="ignore", key=key, width="stretch")
