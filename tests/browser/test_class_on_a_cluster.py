"""Real-browser test of one class on two app servers that share a Ray cluster (slow; in a private
network namespace, :mod:`tests.ray_namespace`).

Two ``streamlit run app/main.py`` servers point ``WGAN_RAY_ADDRESS`` at one 2-CPU cluster, so the
class has two training slots. Three students press Start across the servers: one on server A, two on
server B. Exactly two runs train and the third shows Queued; the teacher's panel on server B lists A's
run; when A's student stops, the queued run starts. Then the teacher on server B presents a lesson,
and A's student is moved to it on server A: the class store is the cluster's (each server names a
class file of its own, as on machines of their own, and neither file is made). The servers and the browser run
inside the namespace, beside the cluster (they listen on its loopback):
:func:`test_two_app_servers_share_one_class_on_a_ray_cluster` makes the namespace and runs
:func:`test_in_the_namespace` there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from tests.browser.helpers import no_exception, wait_idle, wait_until
from tests.conftest import ARTIFACTS, ROOT, free_port, stop_process, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.browser]
INSIDE = os.environ.get("WGAN_RAY_ADDRESS")  # set only in the namespace run
KEY = "the teacher key of the cluster test"
RUNNING = re.compile(r"running · step [1-9]")
NASH = "Hard to reach a Nash equilibrium"


def start_servers(tmp_path, names: str) -> list[tuple[subprocess.Popen, str]]:
    """One server per name, each with the teacher's key, started together."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'teacher_key = "{KEY}"\n')
    ARTIFACTS.mkdir(exist_ok=True)
    servers = []
    for name in names:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "WGAN_JOBS_PER_CLIENT": "0",
               "WGAN_CLASS_DB": str(tmp_path / f"class-{name}.sqlite3")}  # never used: the class is the cluster's
        port = free_port()
        with open(ARTIFACTS / f"streamlit-cluster-{name}-{port}.log", "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port),
                 "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats",
                 "false", "--secrets.files", str(secrets)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        servers.append((proc, f"http://127.0.0.1:{port}"))
    return servers


def open_lessons(browser, wanted: list[tuple[str, str]]) -> list:
    """A page per ``(server url, lesson path)``, all opened before any is waited for: the two servers run
    their first pages side by side, as a class's first visits do."""
    pages = []
    for url, path in wanted:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{url}/{path}")
        pages.append(page)
    for page in pages:
        wait_idle(page, timeout=300)
    return pages


def phase(started: float, what: str) -> None:
    """Print how long the run took to reach ``what`` (the outer test shows these lines)."""
    print(f"PHASE {time.monotonic() - started:6.1f} s  {what}", flush=True)


def text_of(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def button(page, name: str):
    """The page's own button ``name`` (Streamlit's header shows a Stop button of its own during a run)."""
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


def banner(page) -> str:
    """The page's "the teacher" banner, or "" while it has none."""
    found = page.locator('[data-testid="stAlert"]', has_text="the teacher")
    return found.first.inner_text() if found.count() else ""


def unlock_panel(page) -> None:
    page.get_by_label("Teacher key").fill(KEY)
    page.get_by_role("button", name="Open the panel").click()


def live_runs(teacher) -> str:
    """The text of the panel's Live runs section."""
    return text_of(teacher).partition("Live runs")[2].partition("Heavy lessons")[0]


@pytest.mark.skipif(not INSIDE, reason="runs in the namespace that the next test makes")
def test_in_the_namespace(browser, tmp_path):
    started = time.monotonic()
    servers = start_servers(tmp_path, "ab")
    try:
        for _, url in servers:
            wait_healthy(url, timeout=180)
        phase(started, "both servers healthy")
        (_, on_a), (_, on_b) = servers
        student_a, student_b, student_c, teacher = open_lessons(
            browser, [(on_a, "mode_collapse"), (on_b, "mode_collapse"), (on_b, "mode_collapse"), (on_b, "teacher")])
        phase(started, "the four pages open")
        button(student_a, "Start").click()
        wait_until(lambda: RUNNING.search(text_of(student_a)), "A's run to train", timeout=300)
        phase(started, "A's run trains")

        button(student_b, "Start").click()
        wait_until(lambda: RUNNING.search(text_of(student_b)), "B's run to train beside A's", timeout=300)
        phase(started, "B's run trains beside A's")

        button(student_c, "Start").click()
        wait_until(lambda: "number 1 in line" in text_of(student_c), "C's run to be queued", timeout=180)
        time.sleep(3.0)  # exactly two train, the third waits
        assert "number 1 in line" in text_of(student_c) and not RUNNING.search(text_of(student_c))
        assert RUNNING.search(text_of(student_a)) and RUNNING.search(text_of(student_b))
        phase(started, "C's run queued")

        unlock_panel(teacher)
        wait_until(lambda: "on another app server" in live_runs(teacher), "B's panel to list A's run", timeout=120)
        listed = live_runs(teacher)  # A's run, and B's and C's on this server, each with a Stop button
        assert listed.count("Mixture of Gaussians and mode collapse") == 3
        assert listed.count("on another app server") == 1 and "queued · CPU" in listed
        stops = teacher.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
        wait_until(lambda: stops.count() == 3, lambda: f"three Stop buttons in the panel, found {stops.count()}: "
                   f"{teacher.get_by_test_id('stMain').get_by_role('button').all_inner_texts()}", timeout=60)
        no_exception(teacher)
        phase(started, "B's panel lists A's run")

        button(student_a, "Stop").click()
        wait_until(lambda: RUNNING.search(text_of(student_c)), "C's run to start once A's stops", timeout=300)
        phase(started, "C's run trains after A's stopped")
        assert "in line" not in text_of(student_c)

        # The class store is the cluster's: the teacher on server B presents, and A's student (whose run has
        # stopped) is moved to the teacher's lesson on server A.
        button(teacher, "Start presenting").click()
        wait_until(lambda: "The class follows you" in text_of(teacher), "B's teacher to present", timeout=120)
        teacher.locator('[data-testid="stSidebarNav"] a[href$="/nash"]').first.click()
        wait_until(lambda: f"Presenting to the class: {NASH}" in text_of(teacher),
                   f"B's teacher to present {NASH}", timeout=120)
        phase(started, "B's teacher presents")
        wait_until(lambda: f"Following the teacher: {NASH}" in banner(student_a) and "/nash" in student_a.url,
                   lambda: f"A's student to follow B's teacher (at {student_a.url}, banner {banner(student_a)!r})",
                   timeout=120)
        phase(started, "A's student follows B's presenting teacher")
        assert not any(tmp_path.glob("class-*.sqlite3"))  # neither server opened a class file of its own
        for page in (student_a, student_b, student_c, teacher):
            no_exception(page)
    finally:
        for proc, _ in servers:
            stop_process(proc)


def test_two_app_servers_share_one_class_on_a_ray_cluster(tmp_path):
    """Runs :func:`test_in_the_namespace` beside a 2-CPU Ray head in a fresh network namespace; the
    head's ``WGAN_CLASS_DB`` names the class's file, which the cluster's store makes on the head node."""
    if INSIDE:
        pytest.skip("this is the run inside the namespace")
    from tests.ray_namespace import run_tests_inside

    on_head = tmp_path / "class-on-the-head.sqlite3"
    done = run_tests_inside(__file__, "test_in_the_namespace", 900, passed=1, num_cpus=2,
                            env={"WGAN_CLASS_DB": str(on_head)})
    print("\n".join(line for line in done.stdout.splitlines() if line.startswith("PHASE")))
    assert on_head.exists()
