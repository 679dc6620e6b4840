"""Real Chromium: during a live mixture-of-Gaussians run the charts update in place.

Counts the plotly charts on the page every 0.5 s over 20 s of a run: every sample holds exactly the
charts the lesson draws (no chart missing, none twice — a remounted chart would show up as a
duplicate beside its old copy, or as a gap), each of the three method panels is there every time,
and the plots are the same DOM elements throughout while their data moves on.
"""

from __future__ import annotations

import time

import pytest

from lessons.mode_collapse import METHOD_LABELS
from tests.browser.helpers import no_exception, open_page, wait_until

pytestmark = pytest.mark.browser

#: The live charts of the mode-collapse page: three method panels, the per-mode heatmap of the run, W₁,
#: the ring/bumps curve, clip c.
LIVE_CHARTS = 7

#: Every plotly plot on the page: its title, whether it is displayed, the length of its first trace,
#: and a mark set on the element at the first sample (an element made later has none).
CHARTS_JS = """(mark) => Array.from(document.querySelectorAll('.js-plotly-plot')).map((e, i) => {
    if (mark) e.__wganMark = i;
    return {title: (e.layout && e.layout.title && e.layout.title.text) || '',
            shown: e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden',
            points: e.data && e.data.length ? (e.data[0].x || []).length : 0,
            mark: e.__wganMark === undefined ? null : e.__wganMark};
})"""


def test_live_charts_update_in_place_without_gaps_or_duplicates(app_server, page):
    open_page(page, app_server, "mode_collapse", "dataset=8gaussians&seed=0")
    no_exception(page)
    before = len(page.evaluate(CHARTS_JS, False))  # charts outside the live panel (none expected)
    page.get_by_role("button", name="Start").click()
    expected = before + LIVE_CHARTS
    wait_until(lambda: len(page.evaluate(CHARTS_JS, False)) >= expected, "the first live draw")
    first = page.evaluate(CHARTS_JS, True)  # marks every plot element present now
    samples = []
    end = time.monotonic() + 20
    while time.monotonic() < end:
        samples.append(page.evaluate(CHARTS_JS, False))
        time.sleep(0.5)
    no_exception(page)
    page.get_by_role("button", name="Pause").click()

    counts = [len(s) for s in samples]
    assert min(counts) == max(counts) == expected, f"chart count moved: {sorted(set(counts))}"
    for sample in samples:
        titles = [c["title"] for c in sample if c["shown"]]
        assert len(titles) == expected, f"a chart was hidden: {titles}"
        assert len(set(titles)) == len(titles), f"a chart twice: {titles}"
        for label in METHOD_LABELS.values():
            assert any(label in t for t in titles), f"the {label} panel missing: {titles}"
        # the same elements throughout: none was replaced by a fresh one
        assert sorted(c["mark"] for c in sample) == sorted(c["mark"] for c in first)
    # ... while what they show moved on: the W₁ curve gained points
    w1 = [[c["points"] for c in s if "exact W" in c["title"]][0] for s in (first, samples[-1])]
    assert w1[1] > w1[0], f"the W₁ curve did not grow in 20 s: {w1}"
