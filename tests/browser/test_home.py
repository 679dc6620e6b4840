"""Real-browser test of the home page and the sidebar stepper."""

from __future__ import annotations

import pytest

from tests.browser.helpers import no_exception, open_page, wait_idle

pytestmark = pytest.mark.browser


def test_home_links_to_the_lessons_and_the_stepper_walks_them(app_server, page):
    open_page(page, app_server)
    no_exception(page)
    assert page.get_by_role("heading", name="WGAN classroom").is_visible()
    assert page.get_by_text("Course overview").is_visible()
    link = page.get_by_role("link", name="2. Learning parallel lines")
    assert link.count() == 1
    link.click()
    wait_idle(page)
    no_exception(page)
    assert "/parallel_lines" in page.url
    assert page.get_by_role("heading", name="Learning parallel lines").first.is_visible()
    assert page.get_by_text("Lesson 2 of").is_visible()

    page.get_by_role("button", name="◀ Previous").click()
    wait_idle(page)
    no_exception(page)
    assert "/distances" in page.url
    assert page.get_by_text("Lesson 1 of").is_visible()
    page.get_by_role("button", name="◀ Previous").click()
    wait_idle(page)
    assert page.get_by_role("heading", name="WGAN classroom").is_visible()
