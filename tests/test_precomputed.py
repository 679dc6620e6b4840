"""Heavy lesson runs: computed once per setting, shared by every session, kept on disk in a format
that cannot run code, and never more than the server's number of heavy-run slots at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app import precomputed, result_codec

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Part:
    name: str
    curve: np.ndarray


@dataclass(frozen=True)
class Result:
    parts: tuple[Part, ...]
    table: dict
    score: float
    note: str | None


def fake_lesson(seconds: float = 0.0, gate: threading.Event | None = None):
    """A lesson module whose heavy function counts its calls and the most that ran at once; with
    ``gate``, each call also waits (at most 60 s) until the gate is set."""
    module = types.ModuleType("lessons.fake_heavy")
    module.Part, module.Result = Part, Result
    module.calls, module.running, module.most = [], 0, 0
    guard = threading.Lock()

    def heavy(n: int, progress=None):
        with guard:
            module.calls.append(n)
            module.running += 1
            module.most = max(module.most, module.running)
        time.sleep(seconds)
        if gate is not None:
            gate.wait(60)
        with guard:
            module.running -= 1
        return Result((Part("a", np.arange(n, dtype=np.float32)), Part("b", np.array([np.nan, np.inf]))),
                      {"k": np.int64(n), "rows": [1, 2.5]}, float(n) / 3, None)

    module.heavy = heavy
    return module


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_LESSON_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_result_comes_back_from_disk_exactly(cache):
    module = fake_lesson()
    first = precomputed.run(module, "heavy", {"n": 5})
    again = precomputed.run(module, "heavy", {"n": 5})
    assert module.calls == [5]  # the second one was read back
    assert again.parts[0].curve.dtype == np.float32 and np.array_equal(again.parts[0].curve, np.arange(5))
    assert np.isnan(again.parts[1].curve[0]) and again.parts[1].curve[1] == np.inf
    assert again.table == {"k": 5, "rows": [1, 2.5]} and again.score == first.score and again.note is None
    assert isinstance(again.parts, tuple) and isinstance(again.parts[0], Part)
    assert len(list(cache.glob("fake_heavy.heavy-*.npz"))) == 1


def test_concurrent_sessions_asking_for_one_setting_share_one_computation(cache):
    gate = threading.Event()  # the computation ends only once the other three have been told to wait
    module = fake_lesson(gate=gate)
    waited, told = [], set()

    def waiting(text: str) -> None:
        waited.append(text)
        told.add(threading.get_ident())
        if len(told) == 3:
            gate.set()

    threads = [threading.Thread(target=precomputed.run, args=(module, "heavy", {"n": 7}),
                                kwargs={"waiting": waiting}) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert module.calls == [7] and gate.is_set()
    assert all("computing this setting" in text for text in waited)


def test_different_settings_never_compute_more_than_the_slots_at_once(cache):
    module = fake_lesson(seconds=0.3)
    threads = [threading.Thread(target=precomputed.run, args=(module, "heavy", {"n": n})) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(module.calls) == [0, 1, 2, 3]
    assert module.most == 1  # WGAN_HEAVY_RUNS defaults to 1


#: A process that asks for one setting of a fake lesson whose computation takes 2 s and leaves a mark.
OTHER_PROCESS = """
import sys, time, types
from pathlib import Path
from app import precomputed
marks = Path(sys.argv[1])
module = types.ModuleType("lessons.fake_shared")

def heavy(n):
    with marks.open("a") as f:
        f.write("computed\\n")
    time.sleep(2.0)
    return {"n": n}

module.heavy = heavy
waited = []
result = precomputed.run(module, "heavy", {"n": 4}, waiting=waited.append)
print(result["n"], "waited" if waited else "did not wait")
"""


def test_processes_that_share_a_cache_folder_compute_a_setting_once(cache, tmp_path):
    marks = tmp_path / "marks.txt"
    env = {**os.environ, "WGAN_LESSON_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(marks)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = sorted(proc.communicate(timeout=120)[0].strip() for proc in procs)
    assert [proc.returncode for proc in procs] == [0, 0]
    assert marks.read_text().splitlines() == ["computed"]  # one computation for both processes
    assert outs[0].startswith("4 ") and outs[1].startswith("4 ")
    assert len(list((cache / ".locks").glob("*.lock"))) == 1 <= precomputed.FILE_LOCKS


def test_the_slot_count_is_read_through_a_setting_when_first_needed(monkeypatch):
    monkeypatch.setenv("WGAN_HEAVY_RUNS", "3")
    assert precomputed.heavy_runs() == 3
    for bad in ("0", "many"):
        monkeypatch.setenv("WGAN_HEAVY_RUNS", bad)
        with pytest.raises(ValueError, match="WGAN_HEAVY_RUNS"):
            precomputed.heavy_runs()
    code = "import app.precomputed as p; assert p._SLOTS == []"  # importing reads nothing
    env = {**os.environ, "WGAN_HEAVY_RUNS": "many", "PYTHONPATH": str(ROOT)}
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode == 0


def test_a_cache_file_that_would_run_code_is_never_unpickled(cache, tmp_path):
    module = fake_lesson()
    precomputed.run(module, "heavy", {"n": 3})
    (path,) = cache.glob("*.npz")
    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    with path.open("wb") as fh:
        np.savez(fh, tree=np.array([Payload()], dtype=object))
    result = precomputed.run(module, "heavy", {"n": 3})
    assert not marker.exists()
    assert module.calls == [3, 3] and result.score == 1.0  # recomputed, and the file written again
    assert result_codec.decode(path.read_bytes(), {"Part": Part, "Result": Result}).score == 1.0


def test_a_torn_or_foreign_cache_file_is_recomputed(cache):
    module = fake_lesson()
    precomputed.run(module, "heavy", {"n": 4})
    (path,) = cache.glob("*.npz")
    path.write_bytes(path.read_bytes()[:50])
    precomputed.run(module, "heavy", {"n": 4})
    assert module.calls == [4, 4]
    with pytest.raises(ValueError, match="unknown result type 'Result'"):
        result_codec.decode(path.read_bytes(), {"Part": Part})


def test_new_code_never_reads_an_old_result_and_old_files_are_pruned(cache, monkeypatch):
    module = fake_lesson()
    precomputed.run(module, "heavy", {"n": 2})
    monkeypatch.setattr(precomputed, "_VERSION", ["another-version"])
    precomputed.run(module, "heavy", {"n": 2})
    assert module.calls == [2, 2]
    monkeypatch.setattr(precomputed, "MAX_FILES", 3)
    for n in range(10, 15):
        precomputed.run(module, "heavy", {"n": n})
    assert len(list(cache.glob("fake_heavy.heavy-*.npz"))) == 3


def test_off_keeps_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("WGAN_LESSON_CACHE", "off")
    module = fake_lesson()
    precomputed.run(module, "heavy", {"n": 1})
    precomputed.run(module, "heavy", {"n": 1})
    assert module.calls == [1, 1] and precomputed.cache_dir() is None


def test_the_encoder_refuses_what_it_cannot_store_safely():
    with pytest.raises(TypeError, match="array of Python objects"):
        result_codec.encode(np.array([object()], dtype=object))
    with pytest.raises(TypeError, match="cannot store a set"):
        result_codec.encode({"s": {1, 2}})


def test_every_heavy_lesson_names_a_function_that_takes_its_defaults():
    import inspect

    import lessons

    for slug, function in precomputed.HEAVY.items():
        signature = inspect.signature(getattr(lessons.lesson_module(slug), function))
        signature.bind(**precomputed.defaults_of(slug))


def test_a_crafted_link_after_a_restart_reads_the_setting_from_disk(cache, monkeypatch):
    """n=2000 computed once; then ?n=1999 and ?n=2000 on a fresh server (memory caches empty) compute
    nothing more."""
    import streamlit as st

    import lessons.parallel_lines as lesson

    real, seen = lesson.estimate_curves, []

    def recording(n, *args, **kwargs):
        seen.append(n)
        return real(100, *args, **kwargs)  # small, to stay quick (kept in this test's cache folder only)

    monkeypatch.setattr(lesson, "estimate_curves", recording)
    precomputed.run(lesson, "estimate_curves", {"n": 2000})
    try:
        for raw in ("1999", "2000"):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app" / "views" / "parallel_lines.py"), default_timeout=120)
            at.query_params["n"] = raw
            at.run()
            assert not at.exception
            assert at.query_params["n"] == "2000"
        assert seen == [2000]
    finally:
        st.cache_data.clear()


@dataclass(frozen=True)
class Reads:
    name: str
    steps: np.ndarray
    w1: np.ndarray
    grid: np.ndarray  # not one value per read: never cut


def test_a_longer_cached_run_serves_every_shorter_one_cut_to_length(cache, monkeypatch):
    module = types.ModuleType("lessons.fake_prefix")
    module.Reads, module.calls = Reads, []

    def heavy(steps: int, lr: float):
        module.calls.append(steps)
        reads = np.arange(5, steps + 1, 5)
        return Reads("run", reads, reads * lr, np.zeros(3)), Reads("other", reads, -reads * lr, np.ones(2))

    module.heavy = heavy
    monkeypatch.setitem(precomputed.PREFIX, ("fake_prefix", "heavy"), "steps")
    full = precomputed.run(module, "heavy", {"steps": 30, "lr": 0.5})
    short = precomputed.run(module, "heavy", {"steps": 10, "lr": 0.5})
    assert module.calls == [30]
    assert [list(r.steps) for r in short] == [[5, 10], [5, 10]] and list(short[1].w1) == [-2.5, -5.0]
    assert np.array_equal(short[0].grid, full[0].grid)
    precomputed.run(module, "heavy", {"steps": 10, "lr": 0.1})  # another setting: computed
    precomputed.run(module, "heavy", {"steps": 40, "lr": 0.5})  # longer than any cached: computed
    assert module.calls == [30, 10, 40]


def test_the_optimizers_runs_are_exact_prefixes_of_longer_ones():
    """Same seed, same RNG order, reads every READ_EVERY iterations: 10 iterations = the first 10 of 20."""
    import dataclasses

    import lessons.optimizers as lesson

    assert precomputed.PREFIX[("optimizers", "compare")] == "steps"
    short, cut = lesson.compare(0.9, 1e-3, 10), precomputed.first_steps(lesson.compare(0.9, 1e-3, 20), 10)
    for a, b in zip(short, cut, strict=True):
        for f in dataclasses.fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            assert np.array_equal(x, y, equal_nan=True) if isinstance(x, np.ndarray) else x == y, f.name
        assert a.final_w1 == b.final_w1 and a.negative_share == b.negative_share


def test_a_setting_is_one_file_whether_a_number_is_written_2_or_2_0():
    assert precomputed.file_stem("x", "f", {"a": 2, "b": {"c": 1.0}}) == \
        precomputed.file_stem("x", "f", {"a": 2.0, "b": {"c": 1}})
    assert precomputed.file_stem("x", "f", {"a": 2.5}) != precomputed.file_stem("x", "f", {"a": 2})


def test_every_heavy_view_runs_its_lesson_through_the_lesson_cache():
    """No view calls a heavy function itself (which would compute per setting of st.cache_data alone)."""
    for slug, function in precomputed.HEAVY.items():
        source = (ROOT / "app" / "views" / f"{slug}.py").read_text(encoding="utf-8")
        assert f"lesson.{function}(" not in source, slug
        assert f'"{function}"' in source, slug


SMALL = {"n": 100, "iters": 100, "steps": 100}


@pytest.mark.parametrize("slug", sorted(precomputed.HEAVY))
def test_warming_computes_the_setting_a_page_opens_with(slug, monkeypatch):
    """``python -m app.precomputed`` writes the file the page's first visit reads."""
    import streamlit as st

    real, asked = precomputed.run, []

    def recording(module, function, kwargs, **rest):
        asked.append(precomputed.file_stem(slug, function, kwargs))
        values = kwargs.get("values", kwargs)
        small = {k: min(v, SMALL[k]) if k in SMALL else v for k, v in values.items()}  # quick
        return real(module, function, {"values": small} if "values" in kwargs else small, **rest)

    monkeypatch.setenv("WGAN_LESSON_CACHE", "off")
    monkeypatch.setattr(precomputed, "run", recording)
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app" / "views" / f"{slug}.py"), default_timeout=180).run()
        assert not at.exception, at.exception
    finally:
        st.cache_data.clear()
    assert asked == [precomputed.file_stem(slug, precomputed.HEAVY[slug], precomputed.defaults_of(slug))]
