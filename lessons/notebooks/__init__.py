"""Every lesson as a Jupyter notebook, written from the lesson module itself.

``python -m lessons.notebooks build`` writes ``notebooks/NN_<slug>.ipynb`` (course order) and
``notebooks/00_index.ipynb``; ``python -m lessons.notebooks check`` lists the committed notebooks that
differ from a fresh build. A notebook is the lesson's own text constants as markdown cells, a cell
tagged ``parameters`` holding the lesson's controls (defaults from its ``CONTROLS``), and code cells that
call the lesson's compute and draw with the app's figure builders (:mod:`plots`). The cells of each
lesson are in :mod:`lessons.notebooks.recipes` (static lessons) and :mod:`lessons.notebooks.live`
(lessons that train).

In a notebook, :func:`validate_controls` is the first call after the parameters cell: a value outside
the lesson's range stops there with the lesson's own message (the one its control spec gives for a bad
link in the app), before any compute or torch code runs.

nbformat is imported only when a notebook is built, so the app can import :func:`notebook_path`.
"""

from __future__ import annotations

import json
import numbers
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lessons
from lessons import Choice, Control, Slider, Toggle

ROOT = Path(__file__).resolve().parent.parent.parent
#: Where the built notebooks live (committed, without outputs).
NOTEBOOKS_DIR = ROOT / "notebooks"
INDEX_NAME = "00_index.ipynb"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


# ----------------------------------------------------------------------------------------------
# Names and paths
# ----------------------------------------------------------------------------------------------

def notebook_name(slug: str) -> str:
    """``NN_<slug>.ipynb`` with NN the lesson's place in :data:`lessons.COURSE` (01 ... 11)."""
    for i, info in enumerate(lessons.COURSE, start=1):
        if info.slug == slug:
            return f"{i:02d}_{slug}.ipynb"
    raise ValueError(f"no lesson {slug!r} in the course; lessons are {[i.slug for i in lessons.COURSE]}")


def notebook_path(slug: str, folder: Path | None = None) -> Path:
    return (folder or NOTEBOOKS_DIR) / notebook_name(slug)


def buildable_slugs() -> list[str]:
    """Course lessons that have a module and a recipe, in course order."""
    from lessons.notebooks.live import LIVE_RECIPES
    from lessons.notebooks.recipes import RECIPES

    known = {**RECIPES, **LIVE_RECIPES}
    return [i.slug for i in lessons.COURSE if lessons.has_module(i.slug) and i.slug in known]


# ----------------------------------------------------------------------------------------------
# Controls: every spec of a lesson, validation, the parameters cell
# ----------------------------------------------------------------------------------------------

def lesson_controls(module) -> list[Control]:
    """All control specs of ``module``: ``CONTROLS`` first, then every other ``*_CONTROLS``, each key once."""
    names = ["CONTROLS"] + sorted(n for n in dir(module) if n.endswith("_CONTROLS"))
    out: dict[str, Control] = {}
    for name in names:
        for control in getattr(module, name, ()):
            out.setdefault(control.key, control)
    return list(out.values())


def _check_type(control: Control, value: Any) -> None:
    key = control.key
    if isinstance(control, Toggle):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be True or False; got {value!r}")
    elif isinstance(control, Choice):
        if not isinstance(value, str):
            raise ValueError(f"{key} must be one of {control.options}; got {value!r}")
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{key} must be a number; got {value!r}")
    elif control.integer and float(value) != int(value):
        raise ValueError(f"{key} must be a whole number; got {value!r}")


def validate_controls(module, values: dict[str, Any], extra: Iterable[Control] = ()) -> dict[str, Any]:
    """Check notebook parameters against the lesson's control specs (and ``extra`` notebook-only specs).

    Raises ValueError naming the parameter: a wrong type, or the spec's own message for a value outside
    its range (``clip_value=0.0 is outside [0.001, 0.1]``). Returns ``values`` unchanged.
    """
    specs = {c.key: c for c in [*lesson_controls(module), *extra]}
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise ValueError(f"{unknown[0]} is not a control of this lesson; controls are {sorted(specs)}")
    for key, value in values.items():
        control = specs[key]
        _check_type(control, value)
        control.parse(_as_text(value))  # the spec's own range / option check and message
    return values


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, float) and float(value).is_integer() and abs(value) < 1e6:
        return repr(float(value))
    return repr(value)


def _spec_comment(control: Control) -> str:
    if isinstance(control, Slider):
        kind = "whole number" if control.integer else "number"
        scale = ", log scale" if control.log else ""
        return f"{control.label}: {kind} in [{control.min:g}, {control.max:g}]{scale}"
    if isinstance(control, Choice):
        return f"{control.label}: one of {', '.join(map(repr, control.options))}"
    return f"{control.label}: True or False"


def parameters_source(controls: Iterable[Control]) -> str:
    """The parameters cell: ``key = default  # label and range`` per control."""
    lines = []
    for c in controls:
        value = int(c.default) if isinstance(c, Slider) and c.integer else c.default
        lines.append(f"{c.key} = {_literal(value)}  # {_spec_comment(c)}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Cells and notebooks
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" or "code"
    source: str
    tags: tuple[str, ...] = ()


def md(text: str) -> Cell:
    return Cell("markdown", text.strip("\n"))


def code(text: str, *tags: str) -> Cell:
    return Cell("code", text.strip("\n"), tuple(tags))


@dataclass(frozen=True)
class Recipe:
    """A lesson's notebook: ``setup`` (imports after the validation call) and ``body(module)`` cells.

    ``extra`` are notebook-only parameters (training length, redraw interval) as control specs, so they
    are validated like the lesson's own; ``quick`` is a small parameter set for the test suite.
    """

    imports: str
    body: Any  # callable(module) -> list[Cell]
    extra: tuple[Control, ...] = ()
    quick: dict[str, Any] = field(default_factory=dict)


def recipe(slug: str) -> Recipe:
    from lessons.notebooks.live import LIVE_RECIPES
    from lessons.notebooks.recipes import RECIPES

    found = {**RECIPES, **LIVE_RECIPES}.get(slug)
    if found is None:
        raise ValueError(f"no notebook recipe for lesson {slug!r}")
    return found


def _header(module, slug: str) -> list[Cell]:
    from lessons.notebooks.pack import install_line

    place = next(i for i, info in enumerate(lessons.COURSE, start=1) if info.slug == slug)
    return [md(f"# {module.TITLE}\n\n*Lesson {place} of {len(lessons.COURSE)}.* {module.SUMMARY}\n\n"
               f"**Install** (fresh environment or hosted Jupyter, outside the repository): `{install_line()}` "
               "with the wheel from the app's lesson pack; a torch already installed is kept.\n\n"
               f"This notebook is written from `lessons/{slug}.py` by `python -m lessons.notebooks build`; it "
               "runs top to bottom (Run All). Change a value in the **parameters** cell and run again, or move "
               "the sliders of the interactive cells. The same lesson is a page of the app "
               "(`streamlit run app/main.py`).")]


def _setup(module, slug: str, rec: Recipe) -> list[Cell]:
    controls = [*lesson_controls(module), *rec.extra]
    names = textwrap.fill(", ".join(f"{c.key}={c.key}" for c in controls), 100, initial_indent="    ",
                          subsequent_indent="    ", break_on_hyphens=False)
    # the notebook-only parameters are specs of the recipe, validated the same way
    extra, helpers = ("", "validate_controls")
    if rec.extra:
        extra, helpers = f", extra=recipe({slug!r}).extra", "recipe, validate_controls"
    check = f"validate_controls(lesson, dict(\n{names},\n){extra})"
    return [
        md("## Parameters\n\nThe lesson's controls, with the app's defaults. A value outside a control's range "
           "stops the next cell with a message naming it."),
        code(parameters_source(controls), "parameters"),
        code(f"import lessons.{slug} as lesson\nfrom lessons.notebooks import {helpers}\n\n{check}\n\n"
             f"{rec.imports.strip()}"),
    ]


def _footer(module) -> list[Cell]:
    cells = [md("## What to notice\n\n" + "\n".join(f"- {p}" for p in module.WHAT_TO_NOTICE))]
    parts = ["## Exercises\n\nPredict first, write your answer down, then open the answer."]
    for i, ex in enumerate(module.EXERCISES, start=1):
        choices = "".join(f"\n- {c}" for c in ex.choices)
        parts.append(f"**Exercise {i}.** {ex.question}{choices}\n\n<details><summary>Answer</summary>\n\n"
                     f"{ex.answer}\n\n</details>")
    cells.append(md("\n\n".join(parts)))
    figures = getattr(module, "PAPER_FIGURES", ())
    if figures:
        commands = "\n".join(f"python -m lessons figure {n}" for n in figures)
        cells.append(md("The same computation without a notebook prints the paper figure's numbers and a "
                        f"measured line per claim:\n\n```bash\n{commands}\n```"))
    return cells


def lesson_cells(slug: str) -> list[Cell]:
    module = lessons.lesson_module(slug)
    rec = recipe(slug)
    return [*_header(module, slug), *_setup(module, slug, rec), *rec.body(module), *_footer(module)]


def _notebook(cells: list[Cell]):
    import nbformat
    from nbformat import v4

    nb = v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(cells):
        made = v4.new_markdown_cell(cell.source) if cell.kind == "markdown" else v4.new_code_cell(cell.source)
        made.id = f"cell-{i:02d}"  # stable ids: a rebuild of unchanged lessons is byte-identical
        if cell.tags:
            made.metadata["tags"] = list(cell.tags)
        nb.cells.append(made)
    nbformat.validate(nb)
    return nb


def build_notebook(slug: str):
    """The lesson's notebook (an ``nbformat`` NotebookNode, no outputs)."""
    return _notebook(lesson_cells(slug))


def build_index():
    rows = []
    for info in lessons.COURSE:
        if info.slug in buildable_slugs():
            module = lessons.lesson_module(info.slug)
            rows.append(f"{len(rows) + 1}. [{info.title}]({notebook_name(info.slug)}) — {module.SUMMARY}")
    text = ("# The WGAN classroom as notebooks\n\nOne notebook per lesson, in course order. Each one runs top to "
            "bottom on a laptop CPU in a few minutes and downloads nothing. Open with `jupyter lab notebooks/`.\n\n"
            + "\n".join(rows))
    return _notebook([md(text)])


def build_all() -> dict[str, Any]:
    """``{file name: notebook}`` for the index and every lesson."""
    out = {INDEX_NAME: build_index()}
    out.update({notebook_name(slug): build_notebook(slug) for slug in buildable_slugs()})
    return out


def dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def write_all(folder: Path | None = None) -> list[Path]:
    from wgan_core.atomic import atomic_write

    folder = folder or NOTEBOOKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in build_all().items():
        atomic_write(folder / name, dumps(nb))
        written.append(folder / name)
    return written


def stale(folder: Path | None = None) -> list[str]:
    """Names of notebooks whose file is missing or differs (as JSON) from a fresh build."""
    folder = folder or NOTEBOOKS_DIR
    out = []
    for name, nb in build_all().items():
        path = folder / name
        if not path.exists() or json.loads(path.read_text()) != json.loads(dumps(nb)):
            out.append(name)
    return out
