"""Who a page's student is, and the message their second tab gets (one live job per student).

The registry (:mod:`wgan_core.live.registry`) counts live jobs per *client address*
(``WGAN_JOBS_PER_CLIENT``, default 1, 0 lifts the limit). The address is the one Streamlit sees for
the browser's connection (``st.context.ip_address``; ``localhost`` when the browser runs on the server
itself). Behind a reverse proxy every student has the proxy's address, so a teacher who runs one sets
``WGAN_TRUST_FORWARDED=1``: the address the proxy added to ``X-Forwarded-For`` (the last one in it;
the earlier ones are whatever the browser sent, so they never count) is used instead. Without that
setting the header is ignored, since any browser can send it.
"""

from __future__ import annotations

import os

import streamlit as st

import lessons
from wgan_core.live import REGISTRY

TRUST_FORWARDED_ENV = "WGAN_TRUST_FORWARDED"


def trust_forwarded() -> bool:
    raw = os.environ.get(TRUST_FORWARDED_ENV, "").strip().lower()
    if raw not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ValueError(f"{TRUST_FORWARDED_ENV}={os.environ[TRUST_FORWARDED_ENV]!r} must be 1 or 0")
    return raw in ("1", "true", "yes")


def client_address() -> str:
    """This session's client address, as the per-client limit counts it."""
    if trust_forwarded():
        header = st.context.headers.get("X-Forwarded-For")
        forwarded = header.split(",")[-1].strip() if isinstance(header, str) else ""
        if forwarded:
            return forwarded
    ip = st.context.ip_address  # None for a browser on this computer (and no string outside a real server)
    return ip if isinstance(ip, str) and ip else "localhost"


def lesson_title(slug: str) -> str:
    return next((info.title for info in lessons.COURSE if info.slug == slug), slug or "another page")


def other_jobs(client: str, mine) -> list:
    """The client's live jobs other than ``mine``, when they use up its share (else [])."""
    limit = REGISTRY.jobs_per_client
    if not limit:
        return []
    others = [job for job in REGISTRY.jobs_of(client) if job is not mine]
    return others if len(others) >= limit else []


def other_tab_ui(slug: str, others: list) -> None:
    """Say which lesson holds this student's live run, with a button that stops it."""
    holder = others[0]
    st.warning(f"You already have a live run in **{lesson_title(holder.label)}** (another tab or window on this "
               f"computer; {holder.status}, step {holder.steps}). One live run per student keeps training slots "
               "free for the class: stop that one to train here.", icon=":material/tab:")
    if st.button("Stop that run", key=f"{slug}.live.stop_other", icon=":material/stop:"):
        for job in others:
            job.stop("stopped from another tab of the same student", wait=None)
        st.rerun()
