"""A lesson's heavy run drawn with a progress bar: the one helper the views' cached runs share.

A view keeps its own ``st.cache_data`` function (the cache key is its controls) and calls
:func:`run_with_progress` inside it::

    @st.cache_data(show_spinner=False, max_entries=32)
    def run_fig3(fake_mean: float, iters: int, clip_value: float, fake_std: float):
        return cached_run.run_with_progress(lesson, "fig3", dict(fake_mean=fake_mean, iters=iters, ...))

The run comes from :func:`app.precomputed.run` (the precomputed cache where the setting is one
the server has already computed, else the lesson's function, once per setting for all sessions). The
bar shows the run's progress, or the wait while another session computes the same setting, and is
removed when the result is there — also when the run fails.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["run_with_progress"]


def run_with_progress(lesson, name: str, kwargs: dict[str, Any], text: str = "Training") -> Any:
    """``app.precomputed.run(lesson, name, kwargs)`` with a progress bar on the page meanwhile."""
    from app import precomputed

    bar = st.progress(0.0, text=text)
    try:
        return precomputed.run(lesson, name, kwargs, progress=lambda f, msg: bar.progress(min(f, 1.0), msg),
                               waiting=lambda msg: bar.progress(0.0, msg))
    finally:
        bar.empty()
