"""Real-browser test of leading a class: one teacher and three students, each in a browser of their
own, on a server of its own (its own class database and teacher key). The students follow the
teacher's lesson and values, one leaves and rejoins, the class answers a poll that the teacher reveals,
and two students' live runs (mode collapse), stopped by the teacher, land on the lesson's class board."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lessons
from tests.browser.helpers import no_exception, wait_idle, wait_until
from tests.conftest import ARTIFACTS, ROOT, free_port, stop_process, wait_healthy

KEY = "a long random phrase for the test"
NASH = "Hard to reach a Nash equilibrium"
DISTANCES = "Measuring the distance between distributions"
MODES = "Mixture of Gaussians and mode collapse"


@pytest.fixture
def class_server(tmp_path):
    """A server with the teacher's key in a secrets file of its own and a fresh class database."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'teacher_key = "{KEY}"\n')
    port = free_port()
    env = {**__import__("os").environ, "PYTHONUNBUFFERED": "1", "WGAN_CLASS_DB": str(tmp_path / "class.sqlite3"),
           "WGAN_MAX_JOBS": "4"}
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / f"streamlit-class-{port}.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--secrets.files", str(secrets)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url
    finally:
        stop_process(proc)


def new_page(browser, url: str, path: str = ""):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)  # a loaded 2-core machine runs four sessions here
    page.goto(f"{url}/{path}")
    wait_idle(page)
    return page


def title(page) -> str:
    """The page's title, or "" while the page between two lessons has none yet."""
    heading = page.locator("h1")
    return heading.first.inner_text() if heading.count() else ""


def go(page, lesson: str) -> None:
    """Open a page from the sidebar (the same browser session, as a teacher moves through the course)."""
    # the sidebar shows each lesson's short title: find its link by the page's address
    slug = next((info.slug for info in lessons.COURSE if info.title == lesson), "teacher")
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{slug}"]').first.click()
    wait_until(lambda: title(page).startswith(lesson), f"the teacher's page to show {lesson}")
    wait_idle(page, timeout=300)


def banner(page) -> str:
    found = page.locator('[data-testid="stAlert"]', has_text="the teacher")
    return found.first.inner_text() if found.count() else ""


def arrives(page, lesson: str) -> None:
    wait_until(lambda: title(page).startswith(lesson) and f"Following the teacher: {lesson}" in banner(page),
               lambda: f"a student to follow to {lesson} (on {title(page)!r}, banner {banner(page)!r})", timeout=240)
    wait_idle(page, timeout=300)


def test_a_teacher_leads_three_students(browser, class_server):
    teacher = new_page(browser, class_server, "teacher")
    teacher.get_by_label("Teacher key").fill(KEY)
    teacher.get_by_role("button", name="Open the panel").click()
    teacher.get_by_role("button", name="Start presenting").click()
    wait_until(lambda: teacher.get_by_text("The class follows you").count(), "presenting to start")
    go(teacher, NASH)
    slider = teacher.get_by_role("slider", name="Learning rate η")
    slider.focus()
    slider.press("ArrowRight")
    wait_until(lambda: "eta=" in teacher.url, "the teacher's URL to hold η")
    eta = teacher.url.split("eta=")[1].split("&")[0]
    wait_idle(teacher)
    students = [new_page(browser, class_server) for _ in range(3)]
    for s in students:  # follow: the lesson and the teacher's values
        arrives(s, NASH)
        wait_until(lambda s=s: f"eta={eta}" in s.url, lambda s=s: f"the student's URL {s.url} to hold eta={eta}")

    students[0].get_by_role("button", name="Leave").click()  # leave, then rejoin
    wait_until(lambda: "Not following the teacher" in banner(students[0]), "the Rejoin banner")
    go(teacher, DISTANCES)
    for s in students[1:]:
        arrives(s, DISTANCES)
    assert title(students[0]) == NASH
    students[0].get_by_role("button", name="Rejoin").click()
    arrives(students[0], DISTANCES)

    picks = ("W = 30, TV = 1", "W = 10, TV = 1", "W = 30, TV = 0.5")  # the first is right
    for s, pick in zip(students, picks, strict=True):  # the poll
        s.get_by_text(pick, exact=True).first.click()
        wait_idle(s)
        s.get_by_role("button", name="Submit prediction").first.click()
        wait_until(lambda s=s: s.get_by_text("Your prediction is submitted").count(), "the submission")
    go(teacher, "Teacher's panel")
    wait_until(lambda: teacher.get_by_text("3 answers").count(), "the panel to count 3 answers")
    assert title(students[0]) == DISTANCES  # opening the panel did not move the class
    teacher.get_by_role("button", name="Reveal to the class").first.click()
    wait_until(lambda: students[0].get_by_text("Right.").count(), "Right. on the right student's page")
    for s in students[1:]:
        wait_until(lambda s=s: s.get_by_text("Not quite.").count(), "Not quite. on a wrong student's page")

    go(teacher, MODES)  # a board with two runs: two students train, the teacher stops all
    for s in students:
        arrives(s, MODES)
    for s in students[:2]:
        s.get_by_role("button", name="Step").click()
        wait_until(lambda s=s: s.get_by_text("paused at step").count(), "a student's first step", timeout=180)
    go(teacher, "Teacher's panel")
    teacher.get_by_role("button", name="Stop all").click()
    board = "The board holds 6 runs from 2 sessions (2 gan, 2 wgan, 2 wgan-gp)"  # one point per method of a run
    for s in students:  # both runs reach every page's board, the third student's too (it redraws by itself)
        wait_until(lambda s=s: s.get_by_text(board).count(), "both runs on a student's board", timeout=90)
    wait_until(lambda: teacher.get_by_text(f"{MODES}: 6 runs on the board").count(), "the panel's board count")
    for p in [teacher, *students]:
        no_exception(p)
    students[0].screenshot(path=str(ARTIFACTS / "classroom-student.png"), full_page=True)
    teacher.screenshot(path=str(ARTIFACTS / "classroom-teacher.png"), full_page=True)
    for p in [teacher, *students]:
        p.context.close()
