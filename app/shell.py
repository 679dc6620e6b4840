"""The app's frame: page list, the sidebar stepper, lesson controls mirrored in the URL, and the
"What to notice" / exercises footer shared by every lesson."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

import lessons
from app import downloads, exercises
from lessons import Choice, Control, Slider, Toggle

VIEWS = Path(__file__).resolve().parent / "views"


def available_lessons() -> list[lessons.LessonInfo]:
    """Lessons of the course whose module and view both exist, in course order."""
    return [info for info in lessons.COURSE if lessons.has_module(info.slug) and (VIEWS / f"{info.slug}.py").exists()]


#: The sidebar's name of each lesson: short enough to show whole in the sidebar (see
#: :data:`NAV_TITLE_CHARS`); the page itself shows the lesson's full title.
NAV_TITLES = {
    "distances": "Measuring distances",
    "parallel_lines": "Learning parallel lines",
    "gan_objective": "The GAN game",
    "nash": "Nash equilibrium",
    "vanishing_gradients": "Vanishing gradients",
    "optimal_critic": "Discriminator vs critic",
    "mode_collapse": "Mode collapse",
    "meaningful_loss": "A meaningful loss",
    "clipping_vs_gp": "Clipping vs penalty",
    "optimizers": "Optimizers",
    "images": "Training on images",
}
#: Longest sidebar entry ("11. " included) that the default sidebar shows without cutting it.
NAV_TITLE_CHARS = 28


def nav_title(number: int, info: lessons.LessonInfo) -> str:
    """``"3. The GAN game"``: the lesson's number in the course and its short name."""
    return f"{number}. {NAV_TITLES.get(info.slug, info.title)}"


def build_pages() -> list[st.Page]:
    home = st.Page(str(VIEWS / "home.py"), title="Home", icon=":material/home:", default=True)
    return [home] + [
        st.Page(str(VIEWS / f"{info.slug}.py"), title=nav_title(number, info), icon=info.icon, url_path=info.slug)
        for number, info in enumerate(available_lessons(), start=1)
    ]


def stepper(pages: list[st.Page], current: st.Page) -> None:
    """Sidebar: "lesson k of N" with previous / next buttons."""
    index = next((i for i, p in enumerate(pages) if p.url_path == current.url_path), 0)
    n_lessons = len(pages) - 1
    with st.sidebar:
        if index == 0:
            st.caption(f"Course overview · {n_lessons} lessons")
        else:
            st.caption(f"Lesson {index} of {n_lessons}")
        left, right = st.columns(2)
        if left.button("◀ Previous", disabled=index == 0, width="stretch", key="nav_prev"):
            st.switch_page(pages[index - 1])
        if right.button("Next ▶", disabled=index == len(pages) - 1, width="stretch", key="nav_next"):
            st.switch_page(pages[index + 1])


# ----------------------------------------------------------------------------------------------
# Controls mirrored in the URL
# ----------------------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


#: Characters that mean something in Streamlit's Markdown: links, emphasis, code, HTML and entities,
#: ``:icon:`` / ``:red[…]`` directives, ``$`` LaTeX, autolinked ``www.`` / ``http:`` / ``a@b``.
_MARKDOWN = frozenset("\\`*_{}[]()<>#+-.!|~$:@&^")


def escape_markdown(text: str) -> str:
    """``text`` shown as itself in Streamlit's Markdown (toasts, warnings): each character that
    Markdown would act on is backslash-escaped and line breaks become spaces. A URL, a ``www.`` host
    or an e-mail address in ``text`` is still made a link by Markdown: show such values with
    :func:`code_span`."""
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in text.replace("\n", " ").replace("\r", " "))


def code_span(text: str) -> str:
    """``text`` as a Markdown code span: shown as typed, never a link, emphasis or maths. Line breaks
    become spaces; the fence is longer than any run of backticks inside."""
    text = text.replace("\n", " ").replace("\r", " ")
    runs = [len(r) for r in "".join(ch if ch == "`" else " " for ch in text).split()]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def echo_markdown(message: str, echoed: str) -> str:
    """``message`` for Markdown, each occurrence of ``echoed`` (a value taken from the link) as a code
    span and the rest escaped: the link's value reads as typed and never becomes a link."""
    return code_span(echoed).join(escape_markdown(part) for part in message.split(echoed))


def _seed_state(slug: str, control: Control) -> bool:
    """Put the control's starting value into session state: from the URL if valid (a slider's value
    moved onto its grid, with a toast saying so), else the default with a toast naming the key.
    True when this took a value other than the default from the link."""
    key = f"{slug}.{control.key}"
    if key in st.session_state:
        return False
    value = control.default
    raw = st.query_params.get(control.key)
    if raw is not None:
        echoed = lessons.shown(raw)
        try:
            value = control.parse(raw)
        except ValueError as exc:
            st.toast(echo_markdown(f"Ignored the link's value: {exc}. Using {_fmt(value)}.", echoed))
        else:
            if isinstance(control, Slider) and not control.on_grid(raw):
                st.toast(echo_markdown(f"The link's {control.key}={echoed} is not a value of the "
                                       f"slider: snapped to the nearest one, {_fmt(value)}.", echoed))
    st.session_state[key] = value
    return value != control.default


def _unlink_uncomputed(slug: str, controls, linked: list[Control]) -> None:
    """A link selects a heavy lesson's setting only once the server has computed it: otherwise the
    linked controls that feed the heavy run go back to their defaults, with a toast, so that no link
    starts a computation (moving a slider does, one at a time for the server)."""
    from app import precomputed

    if slug not in precomputed.HEAVY:
        return
    module = lessons.lesson_module(slug)
    if not {c.key for c in module.CONTROLS} <= {c.key for c in controls}:
        return
    values = {c.key: st.session_state[f"{slug}.{c.key}"] for c in module.CONTROLS}
    heavy = precomputed.kwargs_of(slug, values)
    if heavy == precomputed.defaults_of(slug) or precomputed.is_cached(slug, values):
        return
    every = precomputed.HEAVY[slug] == "run_controls"
    reset = [c for c in linked if every or c.key in heavy]
    for control in reset:
        st.session_state[f"{slug}.{control.key}"] = control.default
    asked = ", ".join(f"{c.key}={_fmt(values[c.key])}" for c in reset)
    st.toast(escape_markdown(f"The link's setting ({asked}) has not been computed on this server yet, so the "
                             "page shows the defaults. Move a slider to compute it."))


def control_ui(slug: str, control: Control, container=None) -> Any:
    """Draw one control (its value seeded from the URL) and return its value."""
    box = container if container is not None else st
    key = f"{slug}.{control.key}"
    _seed_state(slug, control)
    if isinstance(control, Slider):
        if control.log:
            box.select_slider(control.label, options=control.options(), key=key, help=control.help or None,
                              format_func=lambda v: f"{v:.3g}")
        else:
            step = control.grid_step
            # Coerce only when needed: assigning a widget's key on every run pushes its value back to
            # the browser and can undo a slider move made while a rerun was in progress.
            if control.integer:
                if not isinstance(st.session_state[key], int):
                    st.session_state[key] = int(st.session_state[key])
                box.slider(control.label, int(control.min), int(control.max), step=int(step), key=key,
                           help=control.help or None)
            else:
                if not isinstance(st.session_state[key], float):
                    st.session_state[key] = float(st.session_state[key])
                box.slider(control.label, float(control.min), float(control.max), step=step, key=key,
                           help=control.help or None)
    elif isinstance(control, Choice):
        box.selectbox(control.label, control.options, key=key, help=control.help or None,
                      format_func=lambda o: control.labels.get(o, o))
    elif isinstance(control, Toggle):
        box.toggle(control.label, key=key, help=control.help or None)
    else:  # pragma: no cover - a programming error
        raise TypeError(f"unknown control {control!r}")
    return st.session_state[key]


def controls_ui(slug: str, controls, container=None, columns: int | None = None) -> dict[str, Any]:
    """Draw every control of a lesson and mirror all their values in the URL query string."""
    linked = [c for c in controls if _seed_state(slug, c)]
    if linked:
        _unlink_uncomputed(slug, controls, linked)
    values: dict[str, Any] = {}
    if columns:
        cols = (container or st).columns(columns)
        for i, control in enumerate(controls):
            values[control.key] = control_ui(slug, control, cols[i % columns])
    else:
        for control in controls:
            values[control.key] = control_ui(slug, control, container)
    sync_url(values)
    return values


def sync_url(values: dict[str, Any]) -> None:
    """Write the values into the query string (only when they changed, to avoid extra reruns)."""
    for k, v in values.items():
        text = _fmt(v)
        if st.query_params.get(k) != text:
            st.query_params[k] = text


# ----------------------------------------------------------------------------------------------
# Lesson footer
# ----------------------------------------------------------------------------------------------

def what_to_notice(points: list[str]) -> None:
    st.subheader("What to notice")
    st.markdown("\n".join(f"- {p}" for p in points))


def footer(slug: str, module, instructors: tuple[str, ...] = ()) -> None:
    """The standard end of a lesson; ``instructors`` are the view's notes for :func:`instructors_ui`."""
    st.divider()
    what_to_notice(module.WHAT_TO_NOTICE)
    exercises.exercises_ui(slug, module.EXERCISES)
    notebook_download(slug)
    instructors_ui(module, instructors)


#: Title of the one collapsed section per page that holds what only a teacher needs.
INSTRUCTORS_TITLE = "For instructors"


def instructors_ui(module, notes: tuple[str, ...] = ()) -> None:
    """One collapsed "For instructors" section: the lesson's ``INSTRUCTORS`` text, the view's ``notes``
    (Markdown: where live runs train, how to record runs to replay) and the command that reproduces the
    paper's figures. Commands, module paths and settings of the server belong here, not in the lesson."""
    blocks = [text for text in (getattr(module, "INSTRUCTORS", ""), *notes) if text]
    figures = getattr(module, "PAPER_FIGURES", ())
    if not blocks and not figures:
        return
    with st.expander(INSTRUCTORS_TITLE, expanded=False, icon=":material/school:"):
        for text in blocks:
            st.markdown(text)
        if figures:
            st.markdown("The same computation without the app prints the figure's numbers and a measured "
                        "line per claim:")
            st.code("\n".join(f"python -m lessons figure {n}" for n in figures), language="bash")


def notebook_download(slug: str) -> None:
    """The lesson's Jupyter notebook (built by ``python -m lessons.notebooks build``) as a download."""
    from lessons.notebooks import notebook_path

    path = notebook_path(slug)
    st.download_button("Download this lesson as a notebook", path.read_bytes(), file_name=path.name,
                       mime="application/x-ipynb+json", icon=":material/download:", key=f"{slug}.notebook")
    downloads.lesson_pack_button(slug)
