"""Every Markdown string a lesson shows renders its maths: a ``$$`` block whose inner line starts with
``+``, ``-``, ``=``, ``*``, ``#`` or ``1.`` is read by Markdown as a list item, a heading underline or a
heading, and KaTeX then gets half a formula; an odd number of ``$`` leaves TeX source on the page.

The strings are every text constant of every lesson module (intro, notices, captions, bullets,
exercises and answers, control labels and help) and every Markdown cell of the built notebooks."""

from __future__ import annotations

import json
import re
from dataclasses import fields, is_dataclass

import pytest

import lessons
from lessons.notebooks import NOTEBOOKS_DIR

#: A line that Markdown turns into something other than text when it starts a line of a paragraph.
_BREAKS = re.compile(r"^\s*([+\-=*#]|\d+\.)")
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)


def display_math_problems(text: str) -> list[str]:
    """Inner lines of ``$$`` blocks that Markdown would not leave to KaTeX, and unbalanced ``$``."""
    problems = []
    for block in _DISPLAY.findall(text):
        lines = block.split("\n")
        if len(lines) > 1 and (lines[0].strip() or lines[-1].strip()):
            # remark-math reads a line-leading "$$..." as a fence whose first line is discarded meta
            problems.append(f"display maths over several lines with {lines[0].strip()[:30]!r} beside its "
                            "opening $$ (or text before its closing $$): put each $$ on a line of its own")
        for line in lines[1:]:
            if _BREAKS.match(line):
                problems.append(f"display maths line {line.strip()!r} starts like Markdown syntax")
    inline = _DISPLAY.sub("", text).replace(r"\$", "")
    if "$$" in inline:
        problems.append("a $$ block is not closed")
    elif inline.count("$") % 2:
        problems.append(f"{inline.count('$')} single $ (unbalanced)")
    return problems


def _strings(value, where: str):
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, f"{where}[{k!r}]")
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _strings(getattr(value, f.name), f"{where}.{f.name}")


def lesson_strings():
    """(place, text) for every upper-case constant of every lesson module."""
    for info in lessons.COURSE:
        module = lessons.lesson_module(info.slug)
        for name, value in vars(module).items():
            if name.isupper() and not name.startswith("_"):
                yield from _strings(value, f"lessons.{info.slug}.{name}")


def notebook_strings():
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {i}", "".join(cell["source"])


@pytest.mark.parametrize("text, expected", [
    ("$$\na\n  + b\n$$", 1), ("$$\na\n= b\n$$", 1), ("$$\na\n - b\n$$", 1), ("$$\na\n* b\n$$", 1),
    ("$$\na\n# b\n$$", 1), ("$$\na\n1. b\n$$", 1), ("$$\na +\n  b\n$$", 0), ("$$a +\n  b$$", 1),
    ("$$a\n  + b$$", 2), ("$x$ and $y", 1), (r"costs \$5 and $x$", 0), ("$$a$$ $$b", 1),
    ("$x$, $$\\sum_i x_i$$", 0),
])
def test_the_check_finds_what_markdown_breaks(text, expected):
    assert len(display_math_problems(text)) == expected


def test_every_lesson_string_renders_its_maths():
    found = [(where, p) for where, text in lesson_strings() for p in display_math_problems(text)]
    assert list(lesson_strings()), "no lesson strings collected"
    assert not found, "\n".join(f"{w}: {p}" for w, p in found)


def test_every_notebook_markdown_cell_renders_its_maths():
    cells = list(notebook_strings())
    assert cells, "no notebook cells collected"
    found = [(where, p) for where, text in cells for p in display_math_problems(text)]
    assert not found, "\n".join(f"{w}: {p}" for w, p in found)
