"""Lesson mode_collapse: KDE and ring measurements with known answers; the three trainers share a seed."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import lessons.mode_collapse as lesson
from wgan_core import live

live.configure_torch_threads()


def test_ring_share_counts_points_within_the_band():
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    on = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    off = 0.5 * on  # radius 1: outside the ±0.25 band around 2
    assert lesson.ring_shares(on) == 1.0
    assert lesson.ring_shares(np.concatenate([on, off])) == 0.5
    assert lesson.ring_shares(np.array([[2.24, 0.0], [0.0, -1.76]])) == 1.0
    with pytest.raises(ValueError, match="shape"):
        lesson.ring_shares(np.zeros((3, 3)))


def test_kde_integrates_to_one_and_peaks_at_the_data():
    rng = np.random.default_rng(0)
    pts = rng.normal(loc=(1.0, -1.0), scale=0.3, size=(400, 2))
    x = np.linspace(-2, 4, 121)
    y = np.linspace(-4, 2, 101)
    dens = lesson.kde_grid(pts, x, y)
    assert dens.shape == (101, 121)
    mass = dens.sum() * (x[1] - x[0]) * (y[1] - y[0])
    assert mass == pytest.approx(1.0, abs=0.01)
    i, j = np.unravel_index(dens.argmax(), dens.shape)
    assert abs(x[j] - 1.0) < 0.2 and abs(y[i] + 1.0) < 0.2
    from scipy.stats import gaussian_kde  # the reference estimator

    gx, gy = np.meshgrid(x, y)
    ref = gaussian_kde(pts.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    np.testing.assert_allclose(dens, ref, rtol=1e-8, atol=1e-12)
    collapsed = np.tile([[0.5, 0.5]], (50, 1))  # a fully collapsed generator still gets a density
    assert np.isfinite(lesson.kde_grid(collapsed, x, y)).all()


def test_first_crossings_read_the_logs_in_order():
    logs = [{"member": "wgan", "g_step": s, "ring_share": r, "hq_share": h}
            for s, r, h in [(0, 0.1, 0.0), (25, 0.6, 0.1), (50, 0.9, 0.55), (75, 0.95, 0.8)]]
    logs.append({"member": "gan", "g_step": 25, "ring_share": 1.0, "hq_share": 1.0})
    assert lesson.circle_then_bumps(logs) == {"circle": 25, "bumps": 50}
    assert lesson.first_step_above(logs, "wgan", "hq_share", 0.99) is None


def test_sliders_reach_only_the_methods_they_belong_to():
    routed = lesson.hparam_changes({"clip_value": 0.02, "n_critic": 7, "lambda_gp": 1.0})
    assert routed == {"wgan": {"clip_value": 0.02, "n_critic": 7}, "wgan-gp": {"n_critic": 7, "lambda_gp": 1.0}}
    cfgs = lesson.configs("25gaussians", 4, {"clip_value": 0.02, "n_critic": 7})
    assert cfgs["gan"].n_critic == 1 and cfgs["wgan"].n_critic == 7 and cfgs["wgan"].clip_value == 0.02
    assert {c.seed for c in cfgs.values()} == {4} and {c.dataset for c in cfgs.values()} == {"25gaussians"}
    assert [cfgs[m].loss for m in lesson.METHODS] == ["gan", "wgan", "wgan-gp"]
    with pytest.raises(ValueError, match="dataset"):
        lesson.configs("mnist", 0)


def test_the_three_members_start_from_the_same_seed_and_report_the_paper_metrics():
    members = lesson.build_members("8gaussians", 2)
    data = [m.data.sample(16) for m in members.values()]
    assert all(torch.equal(data[0], d) for d in data[1:])  # same data stream
    # a job pickles its extra metric into the worker: a round trip must keep it working
    extra = pickle.loads(pickle.dumps(lesson.ring_metrics("8gaussians")))
    gan = members["gan"]
    gan.step()
    row = {**gan.metrics(), **extra("gan", gan)}
    for key in ("modes", "hq_share", "w1_exact", "ring_share"):
        assert key in row
    assert 0 <= row["modes"] <= 8 and 0.0 <= row["ring_share"] <= 1.0 and row["w1_exact"] > 0
    assert lesson.ring_metrics("swissroll") is None


def _table(gan_means=(4.0, 5.0, 6.0, 8.0, 7.0)) -> dict:
    """A seed table like the bench's: five seeds, both rings, both budgets."""
    runs, traces = [], []
    for dataset in lesson.RING_SIGMA:
        for seed, gan in enumerate(gan_means):
            for method in lesson.METHODS:
                traces.append(dict(method=method, dataset=dataset, seed=seed, g_step=[50, 100],
                                   modes=[1, 2], mode_mass=[[0.5] + [0.0] * 7, [0.0, 0.5, 0.5] + [0.0] * 5]))
                for steps in (lesson.SEED_STEPS, lesson.SEED_STEPS_LONG):
                    mean = gan if method == "gan" else (8.0 if method == "wgan-gp" else 7.5)
                    runs.append(dict(method=method, dataset=dataset, seed=seed, steps=steps, cpu_s=10.0 * seed,
                                     modes=8 if method == "wgan-gp" or (method == "wgan" and seed < 2) else 6,
                                     modes_mean_late=mean, modes_visited=8, hq_share=0.8,
                                     w1_exact={"gan": 0.3, "wgan": 0.2, "wgan-gp": 0.1}[method]))
    return {"runs": runs, "traces": traces, "budgets": [lesson.SEED_STEPS, lesson.SEED_STEPS_LONG], "every": 50,
            "machine": "test machine"}


def test_every_outcome_sentence_is_a_count_over_the_table():
    table = _table()
    short, long = lesson.findings(table=table), lesson.findings(steps=lesson.SEED_STEPS_LONG, table=table)
    assert (short["gan_fewer"], short["gp_steady"], short["wgan_all"], short["gan_hops"]) == (4, 5, 2, 4)
    gan, gp, wgan, _, w1 = lesson.what_to_notice(short, long)
    assert "held fewer modes at a time than WGAN-GP on 4 of 5 recorded seeds" in gan
    assert "4.0 to 8.0 of 8, WGAN-GP 8.0" in gan and "not most seeds" not in gan
    assert "on 5 of 5 seeds" in gp and "all eight at the end on 2 of 5 seeds" in wgan
    assert "median 0.80 after 1,500 steps) while it visits 8 modes" in wgan
    assert "GAN 0.300, WGAN 0.200, WGAN-GP 0.100" in w1
    few = lesson.findings(table=_table((8.0, 8.0, 8.0, 7.0, 8.0)))
    assert "on 1 of 5 recorded seeds" in lesson.what_to_notice(few, long)[0]
    assert "At this setting that is not most seeds" in lesson.what_to_notice(few, long)[0]
    assert "WGAN-GP did on 5 of 5, the GAN on 1 of 5" in lesson._exercises(short, long)[0].answer
    text = lesson.table_markdown(table)
    assert text.count("\n| 0.0") == 12 and "| 0.05 | 1,500 | GAN | 5 | 6 (6–6) | 6.0 (4.0–8.0) |" in text
    assert "over the seeds; test machine" in text
    assert lesson.recorded_traces(3, table=table)["gan"] == ([50, 100], table["traces"][0]["mode_mass"])
    with pytest.raises(ValueError, match="no runs"):
        lesson.findings(steps=7, table=table)


def test_the_run_summary_and_sentence_come_from_the_runs_logs():
    def log(member, step, held):
        mass = [0.0] * 8
        for k in held:
            mass[k] = 0.1
        return dict(member=member, g_step=step, modes=float(len(held)), hq_share=0.5, w1_exact=0.4, mode_mass=mass)

    logs = [log("gan", 25, [0, 1]), log("wgan-gp", 25, range(8)), log("gan", 50, [2, 3]), log("wgan-gp", 50, range(8))]
    summary = lesson.run_summary(logs)
    assert summary["gan"] == dict(modes=2, modes_mean_late=2.0, modes_visited=4, hq_share=0.5, w1_exact=0.4)
    assert summary["wgan-gp"]["modes_mean_late"] == 8.0 and "wgan" not in summary
    line = lesson.coverage_sentence(logs, 8)
    assert "GAN: 2 of 8 now, 2.0 on average over the second half, 4 ever covered, never all 8" in line
    assert "WGAN-GP: 8 of 8 now, 8.0 on average over the second half, 8 ever covered, all 8 first at step 25" in line
    steps, mass = lesson.mass_traces(logs)["gan"]
    assert steps == [25, 50] and mass[1][2] == 0.1


def test_live_sliders_start_at_the_presets_the_seed_table_used():
    from wgan_core.config import PRESETS

    for control in lesson.LIVE_CONTROLS:
        for method in lesson.LIVE_TARGETS[control.key]:
            assert PRESETS[lesson.PRESET_OF[method]].get(control.key, control.default) == control.default, control.key


def test_the_page_claims_come_from_the_committed_seed_table():
    table = lesson.seed_table()
    assert table["budgets"] == [lesson.SEED_STEPS, lesson.SEED_STEPS_LONG]
    for steps in table["budgets"]:
        assert lesson.findings(lesson.SEED_DATASET, steps)["seeds"] >= 5
    assert lesson.what_to_notice(lesson.findings(), lesson.findings(steps=lesson.SEED_STEPS_LONG)) \
        == lesson.WHAT_TO_NOTICE


def test_lesson_text_is_complete():
    assert lesson.TITLE == "Mixture of Gaussians and mode collapse"
    assert "circle" in lesson.CIRCLE_THEN_BUMPS and "clip" in lesson.OBJECTIVES
    assert 2 <= len(lesson.EXERCISES) <= 3 and len(lesson.WHAT_TO_NOTICE) >= 2
    clip = next(c for c in lesson.LIVE_CONTROLS if c.key == "clip_value")
    assert clip.log and clip.min == 0.001 and clip.max == 0.1


def test_the_heatmap_has_a_row_of_modes_per_method_on_one_colour_scale():
    from plots.mode_collapse import mode_mass_heatmaps

    traces = {"gan": ([50, 100], [[0.5] + [0.0] * 7, [0.0, 0.5] + [0.0] * 6]),
              "wgan-gp": ([50, 100], [[0.125] * 8] * 2)}
    fig = mode_mass_heatmaps(traces, lesson.METHOD_LABELS, "title")
    maps = [t for t in fig.data if t.type == "heatmap"]
    assert len(maps) == 2 and all(t.coloraxis == "coloraxis" for t in maps)
    assert list(maps[0].y) == list(range(1, 9)) and np.asarray(maps[0].z).shape == (8, 2)
    assert np.asarray(maps[0].z)[1, 1] == 0.5 and fig.layout.coloraxis.cmax == 0.25
    assert [a.text for a in fig.layout.annotations] == ["GAN", "WGAN-GP"]
