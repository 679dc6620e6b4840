"""Real-browser test of the home page and the sidebar stepper."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_for_url, wait_idle, wait_until

pytestmark = pytest.mark.browser


def test_home_links_to_the_lessons_and_the_stepper_walks_them(app_server, page):
    open_page(page, app_server)
    no_exception(page)
    assert page.get_by_role("heading", name="WGAN classroom").is_visible()
    assert page.get_by_text("Course overview").is_visible()
    link = page.get_by_role("main").get_by_role("link", name="2. Learning parallel lines")
    assert link.count() == 1
    link.click()
    wait_for_url(page, "/parallel_lines")
    wait_until(page.get_by_role("heading", name="Learning parallel lines").first.is_visible, "the lesson's heading")
    wait_until(page.get_by_text("Lesson 2 of").is_visible, "the stepper's 'Lesson 2 of'")
    wait_idle(page)
    no_exception(page)

    page.get_by_role("button", name="◀ Previous").click()
    wait_for_url(page, "/distances")
    wait_until(page.get_by_text("Lesson 1 of").is_visible, "the stepper's 'Lesson 1 of'")
    wait_idle(page)
    no_exception(page)
    page.get_by_role("button", name="◀ Previous").click()
    wait_until(lambda: "/distances" not in page.evaluate("() => location.href"), "leaving the lesson")
    wait_until(page.get_by_role("heading", name="WGAN classroom").is_visible, "the home page's heading")
    wait_idle(page)
    no_exception(page)
