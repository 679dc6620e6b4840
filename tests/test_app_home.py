"""AppTest of the home page, run through the entry point (its page links need the navigation)."""

from __future__ import annotations

from app import shell


def test_home_lists_every_available_lesson_with_a_link_and_a_summary(app_test):
    at = app_test("main")
    assert not at.exception
    assert at.title[0].value == "WGAN classroom"
    links = at.get("page_link")
    available = shell.available_lessons()
    assert [link.proto.label.split(". ", 1)[1] for link in links] == [info.title for info in available]
    assert [link.proto.page for link in links][:2] == ["distances", "parallel_lines"]
    captions = [c.value for c in at.caption]
    assert any("earth mover" in c for c in captions) and any("θ" in c for c in captions)


def test_home_writes_nothing_into_the_url(app_test):
    at = app_test("main")
    assert dict(at.query_params) == {}


def test_home_has_a_start_with_lesson_1_button_that_opens_lesson_1(app_test):
    import lessons

    at = app_test("main")
    start = at.button(key="home.start")
    assert start.label == "Start with lesson 1"
    at = start.click().run()
    assert not at.exception
    first = shell.available_lessons()[0]
    assert at.title[0].value == lessons.lesson_module(first.slug).TITLE
