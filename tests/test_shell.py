"""The app shell: controls mirrored in the URL, the stepper, the footer and the page list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import lessons
from app import shell

ROOT = Path(__file__).resolve().parent.parent


def _controls_script():
    """A page with one control of every kind (runs inside AppTest)."""
    from app import shell
    from lessons import Choice, Slider, Toggle

    controls = (
        Slider("x", "x", -1.0, 1.0, 0.25, step=0.05),
        Slider("k", "k", 1, 9, 3, integer=True),
        Slider("lr", "lr", 1e-4, 1e-1, 1e-3, log=True, steps=13),
        Choice("mode", "mode", ("a", "b", "c"), "b"),
        Toggle("on", "on", False),
    )
    values = shell.controls_ui("demo", controls, columns=2)
    import streamlit as st

    st.write(repr(sorted(values.items())))


def _footer_script():
    from app import shell
    from lessons import Exercise

    class Module:
        WHAT_TO_NOTICE = ["first point", "second point"]
        EXERCISES = (Exercise("Pick one.", "It was b.", ("a", "b"), "b"), Exercise("Say it.", "Anything goes."))

    shell.footer("demo", Module)


def _run(script, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_function(script, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def test_controls_write_their_defaults_into_the_url():
    at = _run(_controls_script)
    assert not at.exception
    assert dict(at.query_params) == {"x": "0.25", "k": "3", "lr": "0.001", "mode": "b", "on": "0"}


def test_a_shared_link_restores_every_kind_of_control():
    at = _run(_controls_script, {"x": "-0.6", "k": "7", "lr": "0.01", "mode": "c", "on": "1"})
    assert not at.exception and not at.toast
    assert at.slider(key="demo.x").value == pytest.approx(-0.6)
    assert at.slider(key="demo.k").value == 7
    assert at.select_slider(key="demo.lr").value == pytest.approx(0.01)
    assert at.selectbox(key="demo.mode").value == "c"
    assert at.toggle(key="demo.on").value is True
    # Round trip: what the page writes back is exactly the link it was opened with.
    assert dict(at.query_params) == {"x": "-0.6", "k": "7", "lr": "0.01", "mode": "c", "on": "1"}


def test_moving_a_control_updates_the_url():
    at = _run(_controls_script)
    at.slider(key="demo.x").set_value(0.5)
    at.selectbox(key="demo.mode").set_value("a")
    at.toggle(key="demo.on").set_value(True).run()
    assert at.query_params["x"] == "0.5" and at.query_params["mode"] == "a" and at.query_params["on"] == "1"


def _unescaped(text: str) -> str:
    return text.replace("\\", "")


@pytest.mark.parametrize(("key", "raw"), [("x", "7"), ("k", "abc"), ("mode", "z"), ("on", "maybe"), ("x", "nan"),
                                          ("k", "inf"), ("k", "1e400"), ("k", "²"), ("k", "٣"), ("x", "")])
def test_bad_link_values_fall_back_to_the_default_with_a_toast_naming_the_key(key, raw):
    at = _run(_controls_script, {key: raw})
    assert not at.exception
    assert any(f"{key}=" in _unescaped(t.value) for t in at.toast), [t.value for t in at.toast]
    defaults = {"x": "0.25", "k": "3", "mode": "b", "on": "0"}
    assert at.query_params[key] == defaults[key]


@pytest.mark.parametrize(("key", "raw", "snapped"),
                         [("x", "0.33", "0.35"), ("k", "4.6", "5"), ("lr", "0.0012", "0.001")])
def test_a_link_between_grid_values_is_snapped_to_the_nearest_one_with_a_toast(key, raw, snapped):
    at = _run(_controls_script, {key: raw})
    assert not at.exception
    assert at.query_params[key] == snapped
    assert any("snapped" in t.value and f"{key}=" in _unescaped(t.value) for t in at.toast), at.toast


def test_a_link_on_the_grid_is_taken_without_a_toast():
    at = _run(_controls_script, {"x": "-1", "k": "9", "lr": "0.1"})
    assert not at.exception and not at.toast
    assert at.query_params["x"] == "-1" and at.query_params["k"] == "9" and at.query_params["lr"] == "0.1"


_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


@pytest.mark.parametrize("raw", ["[click](http://evil.example)", "**bold** :red[red] $x^2$ <b>b</b> www.evil.example",
                                 "a@evil.example", "http://evil.example/x", "www.evil.example",
                                 "mailto:a@evil.example", "`code`" + "x" * 500, "a``b`c"])
def test_a_link_value_echoed_in_a_toast_is_a_code_span_and_cut_short(raw):
    """Markdown autolinks a URL, a www. host or an e-mail address even when its characters are
    escaped; inside a code span it is shown as typed and never linked."""
    at = _run(_controls_script, {"mode": raw})
    (toast,) = at.toast
    text = toast.value
    spans = _CODE_SPAN.findall(text)
    assert [body.strip() for _, body in spans] == [lessons.shown(raw)], text
    outside = _CODE_SPAN.sub("", text)
    for ch in "[]()*:$<>`@":
        assert all(outside[i - 1] == "\\" for i, c in enumerate(outside) if c == ch), (ch, text)
    assert "evil" not in outside and "www" not in outside
    assert len(text) < 200


def test_code_span_fences_longer_than_any_backtick_run():
    assert shell.code_span("a``b") == "```a``b```"
    assert shell.code_span("`x") == "`` `x ``"
    assert shell.code_span("two\nlines") == "`two lines`"


def test_escape_markdown_keeps_the_text_readable():
    assert shell.escape_markdown("n='[a](b)' is outside [1, 2]") == "n='\\[a\\]\\(b\\)' is outside \\[1, 2\\]"
    assert shell.escape_markdown("two\nlines") == "two lines"


def test_footer_lists_what_to_notice_and_reveals_answers_only_after_a_prediction():
    at = _run(_footer_script)
    assert [h.value for h in at.subheader] == ["What to notice", "Exercises"]
    assert "first point" in at.markdown[0].value
    reveal = at.toggle(key="demo.ex1.reveal")
    assert reveal.disabled and not at.success
    at.radio(key="demo.ex1.guess").set_value("b").run()
    assert not at.toggle(key="demo.ex1.reveal").disabled
    at.toggle(key="demo.ex1.reveal").set_value(True).run()
    assert [s.value for s in at.success] == ["It was b."]
    at.text_input(key="demo.ex2.guess").input("my guess").run()
    at.toggle(key="demo.ex2.reveal").set_value(True).run()
    assert [s.value for s in at.success] == ["It was b.", "Anything goes."]


def test_a_lesson_is_listed_only_when_its_module_and_view_both_exist(tmp_path, monkeypatch):
    (tmp_path / "distances.py").write_text("")
    (tmp_path / "no_such_lesson.py").write_text("")
    monkeypatch.setattr(shell, "VIEWS", tmp_path)
    assert [info.slug for info in shell.available_lessons()] == ["distances"]
    monkeypatch.setattr(shell, "VIEWS", ROOT / "app" / "views")
    listed = [info.slug for info in shell.available_lessons()]
    assert listed[:2] == ["distances", "parallel_lines"]
    assert listed == [i.slug for i in lessons.COURSE if i.slug in listed]  # course order


def test_stepper_walks_the_course_forwards_and_backwards():
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120).run()
    n = len(shell.available_lessons())
    assert at.sidebar.caption[0].value == f"Course overview · {n} lessons"
    assert at.button(key="nav_prev").disabled
    at.button(key="nav_next").click().run()
    assert at.title[0].value == lessons.COURSE[0].title
    assert at.sidebar.caption[0].value == f"Lesson 1 of {n}"
    at.button(key="nav_prev").click().run()
    assert at.title[0].value == "WGAN classroom"
    # Start on lesson 2 from a link (few samples, to keep it quick) and step back twice.
    at.query_params["n"] = "100"
    at.switch_page("views/parallel_lines.py").run()
    assert at.title[0].value == lessons.COURSE[1].title
    assert at.sidebar.caption[0].value == f"Lesson 2 of {n}"
    at.button(key="nav_prev").click().run()
    assert at.title[0].value == lessons.COURSE[0].title
    assert not at.exception


def _sliders():
    """Every slider of every lesson that imports here, with its lesson's slug."""
    for info in lessons.COURSE:
        module = lessons.lesson_module(info.slug)
        for name in dir(module):
            if name.endswith("CONTROLS"):
                yield from ((info.slug, c) for c in getattr(module, name) if isinstance(c, lessons.Slider))


def test_every_sliders_default_and_ends_are_on_its_own_grid():
    for slug, slider in _sliders():
        text = shell._fmt(slider.default)
        assert slider.on_grid(text) and slider.parse(text) == slider.default, (slug, slider.key)
        assert slider.snap(slider.min) == slider.min and slider.snap(slider.max) == slider.max, (slug, slider.key)


@pytest.mark.parametrize(("text", "value"), [("1999", 2000), ("150", 200), ("149.9", 100), ("100", 100),
                                             ("2e3", 2000), ("+1000.0", 1000)])
def test_parse_moves_a_number_onto_the_step_grid(text, value):
    n = lessons.Slider("n", "n", 100, 2000, 500, step=100, integer=True)
    assert n.parse(text) == value and isinstance(n.parse(text), int)
    assert n.on_grid(text) == (float(text) == value)


def test_parse_of_a_float_slider_lands_on_clean_grid_values():
    theta = lessons.Slider("theta", "θ", -1.0, 1.0, 0.5, step=0.01)
    assert theta.parse("0.33") == 0.33 and theta.on_grid("0.33")
    assert theta.parse("0.3349") == 0.33 and not theta.on_grid("0.3349")
    odd = lessons.Slider("w", "w", 1, 15, 5, step=2, integer=True)  # grid 1, 3, …, 15
    assert [odd.parse(t) for t in ("2.1", "4", "15", "14.9")] == [3, 5, 15, 15]


def test_parse_of_a_log_slider_picks_one_of_its_options():
    lr = lessons.Slider("lr", "lr", 1e-4, 1e-2, 1e-3, log=True, steps=21)
    assert lr.parse("0.00101") == 0.001 and lr.parse("0.00101") in lr.options()
    assert lr.on_grid("0.001") and not lr.on_grid("0.00101")


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e400", "²", "٣", "", " 5", "5 ", "1_000", "0x10",
                                  "1,5", "abc", "5000", "-1"])
def test_parse_rejects_what_is_not_a_value_of_the_slider(text):
    n = lessons.Slider("n", "n", 100, 2000, 500, step=100, integer=True)
    with pytest.raises(ValueError, match=r"^n='.*' is (not a number|outside \[100, 2000\])$"):
        n.parse(text)


# A crafted link to a heavy lesson starts no computation of its own: its value is snapped to the grid,
# and a setting the server has not computed falls back to the default. The lesson's compute function is
# wrapped to record the value it receives (and to run a small version of it, to stay quick).
HEAVY_LINKS = [
    ("parallel_lines", "n", "1999", "estimate_curves", 2000),
    ("optimal_critic", "iters", "1999", "fig3", 2000),
    ("vanishing_gradients", "iters", "3999", "run_controls", 4000),
    ("meaningful_loss", "steps", "2999", "loss_curves", 3000),
]


def _recording(function, key: str, small: int, seen: list):
    import functools
    import inspect

    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        if "values" in bound.arguments:  # run_controls(values): the controls as a dict
            seen.append(bound.arguments["values"][key])
            bound.arguments["values"] = {**bound.arguments["values"], key: small}
        else:
            name = next(n for n in (key, "n", "iters", "steps") if n in bound.arguments)
            seen.append(bound.arguments[name])
            bound.arguments[name] = small
        return function(*bound.args, **bound.kwargs)

    return wrapper


def _open_link(slug: str, key: str, raw: str) -> AppTest:
    import streamlit as st

    st.cache_data.clear()  # a fresh server's memory: only the disk cache remains
    at = AppTest.from_file(str(ROOT / "app" / "views" / f"{slug}.py"), default_timeout=120)
    at.query_params[key] = raw
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("slug", "key", "raw", "function", "used"), HEAVY_LINKS)
def test_a_crafted_link_to_a_heavy_lesson_computes_only_what_the_server_has(monkeypatch, tmp_path, slug, key, raw,
                                                                            function, used):
    import streamlit as st

    from app import precomputed

    module = lessons.lesson_module(slug)
    default = next(c for c in module.CONTROLS if c.key == key).default
    monkeypatch.setenv("WGAN_LESSON_CACHE", str(tmp_path))  # small runs kept under full settings: this test's only
    seen: list = []
    monkeypatch.setattr(module, function, _recording(getattr(module, function), key, 100, seen))
    try:
        at = _open_link(slug, key, raw)
        assert seen == [default], seen  # the page's default, never the link's setting
        assert at.query_params[key] == shell._fmt(default)
        toasts = " ".join(t.value for t in at.toast)
        assert "snapped" in toasts and "has not been computed on this server yet" in toasts
        # Once computed (a slider moved there, or the teacher before class), the same link shows it.
        values = {**lessons.defaults(module.CONTROLS), key: used}
        precomputed.run(module, function, precomputed.kwargs_of(slug, values))
        assert seen == [default, used]
        at = _open_link(slug, key, raw)
        assert seen == [default, used], seen  # read from disk
        assert at.query_params[key] == str(used)
    finally:
        st.cache_data.clear()  # the small runs must not be served to a later test under the full key


def test_every_page_has_a_short_numbered_sidebar_title():
    titles = [shell.nav_title(n, info) for n, info in enumerate(lessons.COURSE, start=1)]
    assert titles == [f"{n}. {shell.NAV_TITLES[i.slug]}" for n, i in enumerate(lessons.COURSE, start=1)]
    assert max(len(t) for t in titles) <= shell.NAV_TITLE_CHARS, titles
