"""Follow load: a class of ``--followers`` sessions follows the teacher through ``--moves`` lessons.

One ``streamlit run`` server with a teacher's key and a fresh class database. The teacher's session
(its own browser context) opens the teacher's panel, enters the key and presses **Start presenting**;
then ``--followers`` student sessions (one context each, opened concurrently with Playwright's async
API) open the home page and follow. The teacher then moves through ``--moves`` lessons from the
sidebar, as in class (having looked through them before the class, as a teacher prepares: the
pages' first, cold computation is not part of a move). For each move it measures, from the moment
the class's lesson changes in the store (read from the class database itself) to the moment each
student page shows that lesson — its heading, the lesson's body below the banner, and the banner
"Following the teacher: <title>", read in the page by the browser's own polling —

* arrival: the slowest and the 95th-percentile student (the guarantee: every student within 3 s);
* blank pages: a page whose banner shows the lesson while its body stays empty for 10 s;
* the server's side of arrival: the time until the server had run the lesson's page for half, 95 %
  and all of the students (each page marks its student present on a lesson once it has run there):
  what the students' own computers add to it is their browser's drawing, which on this machine
  all followers' browsers do on one shared core;
* responsiveness: ``/_stcore/health`` probed every 0.2 s by a process of its own for the whole run,
  p95 < 1 s (``bench/classroom_load.py``'s probe).

``--protocol N`` makes N of the followers protocol followers (``bench/protocol_client.py``): each
speaks Streamlit's own websocket protocol to the server as a browser's front end does (it asks for
its page, and for the follow fragment's run every second on its own timer) without drawing. It is
the faithful client for a class whose browsers run on the students' own computers: the server sees
the same requests, and this machine does not spend a core per browser on drawing. A protocol follower
arrives when the server has sent it the whole run of the lesson's page (its heading and the banner,
then the run's end) after the move. The other followers stay real Chromium pages, to measure what a
browser's own drawing adds; the summary reports both kinds per move.

``--split-cores`` holds the server to one half of the cores and the clients (the browsers and this
script with its protocol followers) to the other, as if the students' browsers ran on their own
computers (the figure the classroom guarantee is stated for).

Run: ``python bench/follow_load.py [--followers 30 --protocol 28 --moves 5] [--split-cores]``; prints a
JSON summary and exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import lessons  # noqa: E402
from bench.classroom_load import HealthProbe, chromium_launcher, split_cores  # noqa: E402
from bench.protocol_client import ProtocolFollower  # noqa: E402
from tests.browser.helpers import BUSY  # noqa: E402
from tests.conftest import ARTIFACTS, CHROMIUM_ARGS, start_server, stop_process  # noqa: E402
from wgan_core.classroom import open_store  # noqa: E402

KEY = "a long random phrase for the follow bench"
#: The teacher's route: light lessons, each a different page (the class moves every time).
ROUTE = ("distances", "parallel_lines", "gan_objective", "nash", "vanishing_gradients", "optimal_critic")
#: In the page: the heading, something of the lesson below it, and the banner, all for one title.
ARRIVED_JS = """title => {
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  const banner = [...document.querySelectorAll('[data-testid="stAlert"]')].some(
      a => a.innerText.includes('Following the teacher: ' + title));
  const body = document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"]').length;
  return banner && h1 !== null && h1.innerText.startsWith(title) && body > 3;
}"""
BANNER = "Following the teacher: "
HEADING_JS = """t => { const h = document.querySelector('[data-testid="stMain"] h1');
                      return h && h.innerText.startsWith(t); }"""
BANNER_JS = """title => [...document.querySelectorAll('[data-testid="stAlert"]')].some(
      a => a.innerText.includes('Following the teacher: ' + title))"""


def title_of(slug: str) -> str:
    return next(info.title for info in lessons.COURSE if info.slug == slug)


async def _context_page(browser, url: str):
    ctx = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(300_000)
    await page.goto(url)
    await page.wait_for_selector('[data-testid="stSidebarNav"]')
    return ctx, page


async def _idle(page, settle_s: float = 1.5) -> None:
    """Until the page has shown no running script, spinner or skeleton for ``settle_s`` seconds."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < settle_s:
        if await page.locator(BUSY).count():
            quiet_since = time.monotonic()
        await asyncio.sleep(0.2)


async def _teacher(browser, url: str, route: tuple[str, ...]):
    """The teacher's session: it looks through the route first (as a teacher prepares the lesson, which
    also fills the server's caches of the pages), then opens the panel and starts presenting."""
    ctx, page = await _context_page(browser, url)
    for slug in route:
        await page.goto(f"{url}/{slug}")
        await page.wait_for_function(HEADING_JS, arg=title_of(slug))
        await _idle(page)
    await page.goto(f"{url}/teacher")
    await page.get_by_label("Teacher key").fill(KEY)
    await page.get_by_role("button", name="Open the panel").click()
    await page.get_by_role("button", name="Start presenting").click()
    await page.get_by_text("The class follows you").wait_for()
    return ctx, page


async def _arrival(page, title: str, t_move: list[float], limit_s: float) -> tuple[float, bool]:
    """(seconds from the class's move to this page showing the lesson, whether it went blank): a page
    whose banner names the lesson while its body stays empty for 60 s is blank (arrival = inf; its
    screenshot is kept in the tests' artifacts folder)."""
    await page.wait_for_function(BANNER_JS, arg=title, polling=50, timeout=limit_s * 1000)
    try:
        await page.wait_for_function(ARRIVED_JS, arg=title, polling=50, timeout=60_000)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the body never came
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"follow-blank-{id(page)}.png"), full_page=True)
        return float("inf"), True
    while not t_move:  # the store's change is read by another task; it may land a poll later
        await asyncio.sleep(0.01)
    return time.monotonic() - t_move[0], False


async def _protocol_arrival(client: ProtocolFollower, title: str, t_click: float, t_move: list[float],
                            limit_s: float) -> float:
    """Seconds from the class's move until the server had sent this protocol follower the whole run of
    the lesson's page (its heading and the banner naming it)."""
    run = await client.arrival(title, BANNER + title, after=t_click, timeout=limit_s)
    while not t_move:
        await asyncio.sleep(0.01)
    return run.finished_at - t_move[0]


def cpu_s(pid: int | str = "self") -> float:
    """CPU seconds (user + system, all threads) that process ``pid`` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spread(secs: list[float]) -> dict:
    secs = sorted(secs)
    if not secs:
        return {}
    return {"max_s": round(secs[-1], 2), "p95_s": round(secs[min(len(secs) - 1, int(0.95 * len(secs)))], 2),
            "median_s": round(secs[len(secs) // 2], 2)}


async def _server_arrivals(db: Path, slug: str, followers: int, t_move: list[float], limit_s: float) -> list[float]:
    """Seconds from the move until the server had drawn the lesson for 50 %, 95 % and all of the
    followers (each page marks its student seen on a lesson once it has run there; the teacher's
    session is on it before the move), inf where not reached within ``limit_s``."""
    store, marks, out = open_store(db), [-(-followers * q // 100) for q in (50, 95, 100)], []
    deadline = time.monotonic() + limit_s
    while len(out) < len(marks) and time.monotonic() < deadline:
        here = store.students_by_lesson(within_s=60.0).get(slug, 0) - 1  # less the teacher
        while len(out) < len(marks) and here >= marks[len(out)] and t_move:
            out.append(time.monotonic() - t_move[0])
        await asyncio.sleep(0.02)
    return out + [float("inf")] * (len(marks) - len(out))


async def _watch_store(db: Path, version: int, t_move: list[float]) -> int:
    """Poll the class database until the presentation's version passes ``version``; note the time."""
    store = open_store(db)
    while True:
        current = store.presentation()
        if current is not None and current.version > version:
            t_move.append(time.monotonic())
            return current.version
        await asyncio.sleep(0.01)


async def _open_class(browser, url: str, browsers: int, clients: list[ProtocolFollower]) -> list:
    """Open every follower's session at once: (context, page) per browser; the protocol followers'
    first runs have finished when this returns."""
    opened = asyncio.gather(*(_context_page(browser, url) for _ in range(browsers)))
    await asyncio.gather(*(c.open() for c in clients))
    await asyncio.gather(*(c.wait_run(lambda r: True, 300) for c in clients))
    return await opened


async def _move(teacher, db: Path, slug: str, followers: int, pages: list, clients: list[ProtocolFollower]) -> dict:
    """The teacher moves the class to ``slug`` from the sidebar; each follower's arrival there."""
    version = open_store(db).presentation().version
    t_move: list[float] = []
    watcher = asyncio.create_task(_watch_store(db, version, t_move))
    t_click = time.monotonic()
    await teacher.locator(f'[data-testid="stSidebarNav"] a[href$="/{slug}"]').first.click()
    server = asyncio.create_task(_server_arrivals(db, slug, followers, t_move, 120))
    title = title_of(slug)
    drawn, results, protocol = await asyncio.gather(
        server, asyncio.gather(*(_arrival(p, title, t_move, 120) for p in pages), return_exceptions=True),
        asyncio.gather(*(_protocol_arrival(c, title, t_click, t_move, 120) for c in clients), return_exceptions=True))
    watcher.cancel()
    protocol_secs = [r for r in protocol if isinstance(r, float)]
    return {"lesson": slug,
            "server_drawn_s": {"median": round(drawn[0], 2), "p95": round(drawn[1], 2), "all": round(drawn[2], 2)},
            "browsers": {**_spread([r[0] if isinstance(r, tuple) else float("inf") for r in results]),
                         "blank": sum(1 for r in results if isinstance(r, tuple) and r[1]),
                         "missing": sum(1 for r in results if not isinstance(r, tuple))},
            "protocol": {**_spread(protocol_secs + [float("inf")] * (len(protocol) - len(protocol_secs))),
                         "missing": len(protocol) - len(protocol_secs),
                         "errors": sum(run.errors for c in clients for run in c.runs)}}


async def _scenario(url: str, db: Path, followers: int, protocol: int, moves: int, out: dict, probe: HealthProbe,
                    browser_cpus: set[int] | None, server_pid: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_launcher(0, browser_cpus),
                                           args=CHROMIUM_ARGS, headless=True)
        t_ctx, teacher = await _teacher(browser, url, ROUTE[:moves])
        probe.mark("open")
        t0 = time.monotonic()
        clients = [ProtocolFollower(url) for _ in range(protocol)]
        opened = await _open_class(browser, url, followers - protocol, clients)
        pages = [p for _, p in opened]
        out["all_pages_open_s"] = round(time.monotonic() - t0, 1)
        probe.mark("moves")
        out["moves"], before = [], (time.monotonic(), cpu_s(server_pid), cpu_s())
        for slug in ROUTE[:moves]:
            out["moves"].append(await _move(teacher, db, slug, followers, pages, clients))
            await asyncio.sleep(2.0)  # the teacher talks a moment before the next move
        probe.mark("close")
        out["moves_phase"] = {"wall_s": round(time.monotonic() - before[0], 1),  # the CPU the moves took
                              "server_cpu_s": round(cpu_s(server_pid) - before[1], 1),
                              "this_script_cpu_s": round(cpu_s() - before[2], 1)}
        out["protocol_fragment_runs"] = sum(c.fragment_runs for c in clients)
        await asyncio.gather(*(c.close() for c in clients))
        await asyncio.gather(*(c.close() for c, _ in opened), t_ctx.close())
        await browser.close()


def run_follow(followers: int = 30, moves: int = 5, split: bool = False, protocol: int = 0) -> dict:
    """Run the scenario; return the measured facts (pass/fail only in :func:`checks`)."""
    tmp = Path(tempfile.mkdtemp(prefix="wgan-follow-"))
    (tmp / "secrets.toml").write_text(f'teacher_key = "{KEY}"\n')
    db = tmp / "class.sqlite3"
    server_cpus, browser_cpus = split_cores() if split else (None, None)
    every_cpu = os.sched_getaffinity(0)
    if server_cpus:
        os.sched_setaffinity(0, server_cpus)  # the server inherits this process's cores
    try:
        proc, url = start_server({"WGAN_CLASS_DB": str(db)}, ["--secrets.files", str(tmp / "secrets.toml")])
    finally:
        os.sched_setaffinity(0, every_cpu)
    probe = HealthProbe(url, proc.pid)
    out: dict = {"followers": followers, "protocol_followers": protocol, "split_cores": split,
                 "load_avg_before": os.getloadavg()[0]}
    probe.start()
    if browser_cpus:
        os.sched_setaffinity(0, browser_cpus)  # this script's protocol followers are clients too
    try:
        asyncio.run(_scenario(url, db, followers, protocol, moves, out, probe, browser_cpus, proc.pid))
    finally:
        os.sched_setaffinity(0, every_cpu)
        probe.stop()
        out["load_avg_after"] = os.getloadavg()[0]
        stop_process(proc)
    whole = probe.summary()
    out["health_p95_s"], out["health_max_s"] = whole.get("p95_s", float("inf")), whole.get("max_s", float("inf"))
    out["health_by_phase"] = {ph: probe.summary(ph) for ph in ("open", "moves")}
    return out


def checks(result: dict) -> dict[str, bool]:
    moves = result.get("moves", [])
    kinds = [k for k in ("browsers", "protocol") if moves and "max_s" in moves[0][k]]  # the kinds the class has
    return {
        "the server drew every follower's lesson within 3 s of each move":
            bool(moves) and all(m["server_drawn_s"]["all"] <= 3.0 for m in moves),
        **{f"every {kind} follower shows it within 3 s of each move":
           all(m[kind]["max_s"] <= 3.0 for m in moves) for kind in kinds},
        "no blank page, no follower missing, no error":
            all(m["browsers"]["blank"] == 0 and m[k]["missing"] == 0 and m["protocol"]["errors"] == 0
                for m in moves for k in ("browsers", "protocol")),
        "health p95 < 1 s": result["health_p95_s"] < 1.0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--followers", type=int, default=30)
    ap.add_argument("--protocol", type=int, default=0,
                    help="how many of the followers are protocol followers (the others are Chromium pages)")
    ap.add_argument("--moves", type=int, default=5, choices=range(1, len(ROUTE) + 1))
    ap.add_argument("--split-cores", action="store_true",
                    help="the server on one half of the cores, the clients on the other")
    args = ap.parse_args()
    if not 0 <= args.protocol <= args.followers:
        ap.error(f"--protocol must be between 0 and --followers ({args.followers}), got {args.protocol}")
    result = run_follow(args.followers, args.moves, args.split_cores, args.protocol)
    verdict = checks(result)
    print(json.dumps({**result, "checks": verdict}, indent=2))
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
