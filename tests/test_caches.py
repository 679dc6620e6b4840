"""Every Streamlit cache in the project is bounded: a link or a slider can add entries, never memory
without limit. The scan reads the source (AST), so a new cache decorator fails here until it says
how many entries it keeps (``max_entries``); a ``ttl`` is allowed on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "plots", "lessons", "wgan_core", "bench")
CACHES = {"cache_data", "cache_resource"}


def _cache_calls(tree: ast.AST):
    """(line, node) of every use of st.cache_data / st.cache_resource, as a decorator or called."""
    decorators = [d for node in ast.walk(tree) for d in getattr(node, "decorator_list", [])]
    for dec in decorators:
        if _is_cache(dec.func if isinstance(dec, ast.Call) else dec):
            yield dec.lineno, dec
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_cache(node.func) and not any(node is d for d in decorators):
            yield node.lineno, node


def _is_cache(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
    return name in CACHES


def unbounded(source: str) -> list[str]:
    """One line per cache of ``source`` without a positive integer ``max_entries``."""
    problems = []
    for line, node in _cache_calls(ast.parse(source)):
        keywords = {k.arg: k.value for k in node.keywords} if isinstance(node, ast.Call) else {}
        bound = keywords.get("max_entries")
        ok = isinstance(bound, ast.Constant) and isinstance(bound.value, int) and bound.value > 0
        if not ok:
            problems.append(f"line {line}: cache without a positive integer max_entries")
    return problems


def _sources():
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_the_scan_finds_every_form_of_cache():
    assert unbounded("import streamlit as st\n@st.cache_data\ndef f(): ...\n")
    assert unbounded("import streamlit as st\n@st.cache_resource(show_spinner=False)\ndef f(): ...\n")
    assert unbounded("from streamlit import cache_data\n@cache_data(ttl=60)\ndef f(): ...\n")
    assert unbounded("import streamlit as st\ng = st.cache_data(lambda: 1)\n")
    assert unbounded("import streamlit as st\n@st.cache_data(max_entries=None)\ndef f(): ...\n")
    assert not unbounded("import streamlit as st\n@st.cache_data(max_entries=8, ttl=3600)\ndef f(): ...\n")


def test_the_scan_covers_the_app_and_finds_its_caches():
    files = [p for p in _sources() if "cache_" in p.read_text(encoding="utf-8")]
    assert any(p.parent.name == "views" for p in files)
    found = sum(len(list(_cache_calls(ast.parse(p.read_text(encoding="utf-8"))))) for p in files)
    assert found >= 10


@pytest.mark.parametrize("path", [p for p in _sources() if "cache_" in p.read_text(encoding="utf-8")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_streamlit_cache_is_bounded(path):
    assert unbounded(path.read_text(encoding="utf-8")) == [], path
