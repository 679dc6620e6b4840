"""A sentence that tells the student to change a setting names a control the page has.

Every upper-case text of a lesson (intro, notes, what to notice, exercises and their answers) is split
into sentences; a sentence with an instruction (set, raise, lower, move, tick, ...) that names a
setting from :data:`SETTINGS` must find a control for it among the lesson's controls, the sliders of
its live run included. "Set the learning rate to 1e-3" on a page without a learning-rate control fails.
"""

from __future__ import annotations

import importlib
import re

import pytest

import lessons
from lessons import Control, Exercise

#: An instruction to the student.
INSTRUCTION = re.compile(r"\b(set|raise|lower|move|slide|tick|untick|drag|increase|decrease|switch on|"
                         r"switch off|turn)\b", re.I)
#: A setting a sentence can name, and the control keys that provide it.
SETTINGS = {
    r"learning rate|\bα\b|\\alpha\b|\bη\b|\\eta\b": {"lr", "failed_lr", "eta"},
    r"\bclip(ping)?\b|clip \*\*c\*\*|\$c\$": {"clip_value"},
    r"n_critic": {"n_critic"},
    r"β₁|\\beta_1": {"beta1"},
    r"\bλ\b|\\lambda\b|penalty weight": {"lambda_gp"},
    r"sample count|samples per line": {"n"},
}


def _texts(module) -> list[str]:
    out = []
    for name in dir(module):
        if not name.isupper():
            continue
        value = getattr(module, name)
        items = value if isinstance(value, (list, tuple)) else (value,)
        for item in items:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, Exercise):
                out += [item.question, item.answer]
    return out


def _control_keys(module) -> set[str]:
    keys = set()
    for name in dir(module):
        value = getattr(module, name)
        items = value if isinstance(value, (list, tuple)) else (value,)
        keys |= {item.key for item in items if isinstance(item, Control)}
    return keys


def named_settings(sentence: str) -> list[str]:
    """The settings (patterns of :data:`SETTINGS`) that ``sentence`` tells the student to change."""
    if not INSTRUCTION.search(sentence):
        return []
    return [pattern for pattern in SETTINGS if re.search(pattern, sentence, re.I)]


def test_the_check_finds_a_setting_the_page_lacks():
    assert named_settings("Set n_critic to 10, or the learning rate to 1e-3.") == [
        r"learning rate|\bα\b|\\alpha\b|\bη\b|\\eta\b", "n_critic"]
    assert named_settings("The learning rate was 1e-3.") == []  # no instruction: a statement


@pytest.mark.parametrize("slug", [info.slug for info in lessons.COURSE])
def test_every_setting_a_lesson_tells_the_student_to_change_is_a_control_of_its_page(slug):
    module = importlib.import_module(f"lessons.{slug}")
    keys = _control_keys(module)
    assert keys, f"lessons.{slug} has no controls"
    missing = []
    for text in _texts(module):
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            missing += [(pattern, sentence.strip()[:120]) for pattern in named_settings(sentence)
                        if not SETTINGS[pattern] & keys]
    assert not missing, f"lessons.{slug} asks the student to change settings its page has no control for: {missing}"
