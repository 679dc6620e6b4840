"""Shared fixtures: repository paths, a headless Streamlit server and a real Chromium browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Every AppTest session and every test browser reaches the app from this computer ("localhost"), so the
# one-live-job-per-student limit would hold each test back behind the jobs earlier tests left winding
# down; it is lifted for the suite (servers started below inherit it) and tested on its own registries
# and pages (tests/test_live_slots.py).
os.environ.setdefault("WGAN_JOBS_PER_CLIENT", "0")
# The class's store (answers, boards, presentation) of the suite's pages is a file of its own, never the
# runs directory's; tests of the class features point WGAN_CLASS_DB at their own files.
os.environ.setdefault("WGAN_CLASS_DB", str(Path(tempfile.mkdtemp(prefix="wgan-class-")) / "class.sqlite3"))

ARTIFACTS = ROOT / "tests" / "_artifacts"
CHROMIUM = os.environ.get("WGAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"Streamlit at {base_url} did not become healthy within {timeout}s")


def start_server(extra_env: dict[str, str] | None = None,
                 extra_args: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app/main.py`` headless on a free localhost port (``extra_args``: more
    ``streamlit run`` options, e.g. ``["--secrets.files", path]``); return (proc, url)."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", *(extra_args or [])],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url)
    except RuntimeError:
        proc.kill()
        raise
    return proc, base_url


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """End a server the tests started: SIGTERM, then SIGKILL if it is still there after ``timeout`` s."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def app_test():
    """Open a page of the app as Streamlit's AppTest: ``app_test("nash", {"eta": "0.2"})``.

    ``page`` is a view's slug (``app/views/<page>.py``) or ``"main"`` (the entry point, with its
    navigation); ``query`` sets the URL's query string; ``timeout`` is AppTest's default timeout in
    seconds. Returns the page after its first run (``run=False``: before it, e.g. to set more state).
    A heavy lesson's setting that ``query`` selects is computed first (``computed=False``: not), as a
    link selects only computed settings (:func:`tests.helpers.compute_link`).
    """
    from streamlit.testing.v1 import AppTest

    from tests.helpers import compute_link

    def open_page(page: str, query: dict[str, str] | None = None, timeout: float = 120, run: bool = True,
                  computed: bool = True) -> AppTest:
        path = ROOT / "app" / ("main.py" if page == "main" else f"views/{page}.py")
        if not path.is_file():
            raise ValueError(f"no page {page!r}: {path} does not exist")
        if computed:
            compute_link(page, query)
        at = AppTest.from_file(str(path), default_timeout=timeout)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at.run() if run else at

    return open_page


@pytest.fixture
def one_torch_thread():
    """Run the test with one torch intra-op thread (small models; avoids oversubscribing 2 cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def app_server():
    """URL of a Streamlit server running the whole app, shared by the browser tests of a worker."""
    ARTIFACTS.mkdir(exist_ok=True)
    # The browser tests of one worker share this server, and a live job of an earlier test keeps its
    # slot until its session is released (tab closed + watchdog), so the job cap is lifted here; the
    # cap and its "Queued" message are tested on their own server by tests/test_classroom_load.py.
    proc, url = start_server({"WGAN_MAX_JOBS": "16"})
    yield url
    stop_process(proc)


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's) driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
                    "(.ci/run does) or point WGAN_CHROMIUM at a Chromium binary.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


#: The suite's longest parts, started first so that the two workers end together (measured on CI's
#: 2 cores: each takes between one and five minutes; the rest of the suite is many short tests).
LONGEST_FIRST = (
    "tests/test_claims.py",
    "tests/test_live_contract.py",
    "tests/browser/test_every_page.py",
    "tests/browser/test_class_on_a_cluster.py",
    "tests/test_classroom_load.py",
    "tests/test_notebooks.py",
    "tests/test_notebook_package.py",
    "tests/browser/test_classroom.py",
    "tests/browser/test_notebook_lab.py",
    "tests/test_live_node_loss.py",
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    """Two things for the parallel run (``-n 2 --dist loadgroup``):

    * tests that share a module-scoped fixture (a server, a trained run, a built wheel) run on one
      worker, which computes it once: they get the ``xdist_group`` of their module and fixtures
      (otherwise each worker that receives one of them computes it again);
    * the longest modules (:data:`LONGEST_FIRST`) are handed out first.
    """
    for item in items:
        defs = getattr(item, "_fixtureinfo", None)
        shared = sorted(name for name, fixturedefs in (defs.name2fixturedefs.items() if defs else ())
                        if fixturedefs and fixturedefs[-1].scope == "module")
        if shared:
            item.add_marker(pytest.mark.xdist_group(f"{item.module.__name__}:{'+'.join(shared)}"))

    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a module is kept
