"""Real Chromium over every page of the app, one visit per page on one shared server:

* every formula renders: no ``.katex-error`` and no TeX source (``$``, ``\\frac``...) in the visible text;
* lesson pages speak to students: commands, module paths, environment variables and bench scripts
  appear only inside collapsed sections ("For instructors");
* no plotly chart's title overlaps its legend, and no title runs out of its chart, at 1280×800 and at
  1920×1080;
* nothing leaves the room: every request the page makes goes to the server's own origin;
* nothing is cut off: no text element (metric label, select box, sidebar entry) ends in an ellipsis;
* the sidebar lists every page, the teacher's panel included, with no "View more".

A full-page screenshot of each page at 1280×800 lands in ``tests/_artifacts/pages/`` (the 1920×1080 checks
read the same boxes without a picture: a tall software-rendered screenshot costs seconds of CPU).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest

import lessons
from app import precomputed
from tests.browser.helpers import no_exception, wait_idle, wait_until
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

#: Every page: home (""), each lesson of the course, the teacher's panel (``WGAN_BROWSER_PAGES=a,b``
#: visits only those, to check a page while working on it).
ALL_PAGES = [""] + [info.slug for info in lessons.COURSE] + ["teacher"]
PAGES = [p for p in ALL_PAGES if p in os.environ.get("WGAN_BROWSER_PAGES", ",".join(ALL_PAGES)).split(",")]
SIZES = ((1280, 800), (1920, 1080))

#: Text of rendered elements that a student sees: text nodes whose element is visible, outside KaTeX's
#: output (its MathML copy holds the TeX source) and outside closed <details> (collapsed expanders).
VISIBLE_TEXT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const out = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('.katex, .katex-display, script, style')) continue;
    const closed = el.closest('details:not([open])');
    if (closed && !el.closest('summary')) continue;
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    out.push(n.textContent);
  }
  return out.join(' ');
}"""

#: For every plotly chart: its box, its title's box and its legend's box (null when absent).
CHART_BOXES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                     return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null; };
  const title = gd.querySelector('.g-gtitle .gtitle');
  return {title: title ? title.textContent : '', titleBox: box(title),
          legend: box(gd.querySelector('.legend .bg')), chart: box(gd.querySelector('.main-svg'))};
})"""

#: Text cut short by CSS (``text-overflow: ellipsis`` with more text than room), in the main area and sidebar.
CUT_TEXT_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *'))
  .filter(e => e.textContent.trim() && e.checkVisibility()
               && getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""

#: The sidebar's page links and whether a "View more" button hides some.
SIDEBAR_JS = """() => ({links: Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] a'))
                          .map(a => a.textContent.trim()),
                       more: Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] button'))
                          .map(b => b.textContent.trim()).filter(t => /view/i.test(t))})"""

#: TeX a student should never read as source: a dollar sign or a backslash command.
TEX = re.compile(r"\$|\\(frac|mathbb|lambda|theta|nabla|sum|log|sqrt|mathrm|big|left|right|tfrac|cdot|"
                 r"[a-zA-Z]+\{)")
#: Developer text: commands, module paths, environment variables, bench scripts, class internals.
DEVELOPER = re.compile(r"python -m|\bWGAN_[A-Z_]+|\bwgan_core\b|\bbench/|\bTrainer\.|METHOD_PRESETS|"
                       r"--out\b|\b\w+\.py\b|train-toy|train-images|\bpip install")


#: Seconds a page may take to settle on its first visit (a loaded 2-core machine computes its caches).
VISIT_TIMEOUT = 300.0


def _visit(visits, path: str) -> dict:
    visit = visits[path]
    if "error" in visit:
        pytest.fail(f"/{path} could not be read: {visit['error']}")
    return visit


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def visits(app_server, browser):
    """Each page visited once: what the checks below read, per page."""
    out_dir = ARTIFACTS / "pages"
    out_dir.mkdir(parents=True, exist_ok=True)
    origin = urlsplit(app_server).netloc
    found = {}
    for path in PAGES:
        context = browser.new_context(viewport={"width": SIZES[0][0], "height": SIZES[0][1]})
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        requests: list[str] = []
        pg.on("request", lambda r, requests=requests: requests.append(r.url))
        if path in precomputed.HEAVY:  # the default setting's heavy run, on the disk cache the server shares
            precomputed.run_defaults(path)
        try:
            pg.goto(f"{app_server}/{path}")
            wait_idle(pg, timeout=VISIT_TIMEOUT)  # a page's first visit computes its cached results
            no_exception(pg)
        except (AssertionError, TimeoutError) as exc:  # that page's checks fail; the others still run
            found[path] = {"error": f"{type(exc).__name__}: {exc}"}
            context.close()
            continue
        visit = {"text": pg.evaluate(VISIBLE_TEXT_JS), "katex_errors": pg.locator(".katex-error").count(),
                 "sidebar": pg.evaluate(SIDEBAR_JS), "charts": {}, "cut": {}}
        for width, height in SIZES:
            if (width, height) != SIZES[0]:  # the page opened at SIZES[0]
                pg.set_viewport_size({"width": width, "height": height})
                pg.wait_for_timeout(1500)  # plotly relayouts on resize
            visit["charts"][(width, height)] = pg.evaluate(CHART_BOXES_JS)
            visit["cut"][(width, height)] = pg.evaluate(CUT_TEXT_JS)
            if (width, height) == SIZES[0]:  # the whole page in one picture: a viewport as tall as its content
                tall = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                pg.set_viewport_size({"width": width, "height": min(int(tall), 12_000)})
                pg.wait_for_timeout(500)
                pg.screenshot(path=str(out_dir / f"{path or 'home'}-{width}.png"))
        visit["external"] = [u for u in requests
                             if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != origin]
        found[path] = visit
        context.close()
    return found


@pytest.mark.parametrize("path", PAGES)
def test_every_formula_renders(visits, path):
    visit = _visit(visits, path)
    assert visit["katex_errors"] == 0, f"{visit['katex_errors']} KaTeX errors on /{path}"
    tex = [visit["text"][max(0, m.start() - 60):m.end() + 20] for m in TEX.finditer(visit["text"])]
    assert not tex, f"TeX source in the visible text of /{path}: {tex[:5]}"


@pytest.mark.parametrize("path", [p for p in PAGES if p != "teacher"])
def test_no_developer_text_outside_the_instructors_section(visits, path):
    text = _visit(visits, path)["text"]
    dev = [text[max(0, m.start() - 50):m.end() + 30] for m in DEVELOPER.finditer(text)]
    assert not dev, f"developer text on /{path} outside a collapsed section: {dev[:6]}"


@pytest.mark.parametrize("path", PAGES)
def test_chart_titles_clear_of_legends_and_inside_their_chart(visits, path):
    problems = []
    for size, charts in _visit(visits, path)["charts"].items():
        for chart in charts:
            title, legend, box = chart["titleBox"], chart["legend"], chart["chart"]
            if title and legend and _overlap(title, legend):
                problems.append(f"{size}: title {chart['title']!r} overlaps its legend")
            if title and box and (title[0] < box[0] - 1 or title[2] > box[2] + 1):
                problems.append(f"{size}: title {chart['title']!r} runs out of its chart")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PAGES)
def test_no_request_leaves_the_origin(visits, path):
    assert not _visit(visits, path)["external"], f"/{path} fetched {_visit(visits, path)['external']}"


@pytest.mark.parametrize("path", PAGES)
def test_no_text_is_cut_off(visits, path):
    cut = {size: texts for size, texts in _visit(visits, path)["cut"].items() if texts}
    assert not cut, f"text cut short on /{path}: {cut}"


@pytest.mark.parametrize("path", PAGES)
def test_the_sidebar_lists_every_page_without_view_more(visits, path):
    sidebar = _visit(visits, path)["sidebar"]
    assert not sidebar["more"], f"the sidebar hides pages behind {sidebar['more']}"
    assert len(sidebar["links"]) == len(ALL_PAGES), sidebar["links"]
    # a link's text starts with its icon's name (Material Symbols ligature), then the page's title
    assert sidebar["links"][-1].endswith("Teacher's panel") and sidebar["links"][0].endswith("Home")
    for number in range(1, len(lessons.COURSE) + 1):
        assert any(re.search(rf"(?<!\d){number}\. \w", link) for link in sidebar["links"]), (number, sidebar["links"])


#: Link values a page echoes back in a toast: Markdown autolinks each of them unless it sits in a code span.
ECHOED = {"real_mean_a": "http://evil.example/x", "real_mean_b": "www.evil.example",
          "gen_mean": "someone@evil.example", "gen_width": "[click](http://evil.example/y)"}


def test_echoed_link_values_are_never_links(app_server, page):
    from urllib.parse import urlencode

    page.goto(f"{app_server}/gan_objective?{urlencode(ECHOED)}")  # toasts last seconds: no wait for idle
    read = """() => Array.from(document.querySelectorAll('[data-testid="stToast"]')).map(t => ({
        text: t.innerText, links: Array.from(t.querySelectorAll('a')).map(a => a.href)}))"""
    toasts = wait_until(lambda: (lambda t: t if len(t) >= len(ECHOED) else None)(page.evaluate(read)),
                        "a toast per echoed value", timeout=60)
    texts = [t["text"] for t in toasts]
    for value in ECHOED.values():
        assert any(value in t for t in texts), (value, texts)
    assert not [t["links"] for t in toasts if t["links"]], toasts


#: A signed zero as a page might print it: "-0.0", "−0.000" (a number that rounds to nothing).
MINUS_ZERO = re.compile(r"(?<![\w.])[-−]0\.0+(?![\d])")


@pytest.mark.parametrize("path", PAGES)
def test_no_minus_zero(visits, path):
    text = _visit(visits, path)["text"]
    found = [text[max(0, m.start() - 40):m.end() + 20] for m in MINUS_ZERO.finditer(text)]
    assert not found, f"a signed zero on /{path}: {found}"
