"""Mode coverage as the literature reports it: per-mode mass, covered modes, and a run's summary."""

from __future__ import annotations

import numpy as np
import pytest

from wgan_core.data import make_toy
from wgan_core.metrics import COVERAGE_KEYS, coverage_summary, covered_modes, mode_coverage

RING = make_toy("8gaussians").centers


def test_mass_on_each_mode_is_the_share_of_samples_within_3_sigma():
    samples = np.concatenate([np.repeat(RING[:2], 30, axis=0), np.repeat(RING[2:3], 40, axis=0),
                              np.full((100, 2), 10.0)])  # 100 of 200 far from every mean
    cover = mode_coverage(samples, RING, 0.05)
    np.testing.assert_allclose(cover.mass, [0.15, 0.15, 0.2, 0, 0, 0, 0, 0])
    assert cover.modes == 3 and cover.hq_share == pytest.approx(0.5) and cover.mass.sum() == pytest.approx(0.5)


def test_covered_modes_follow_the_rule_of_mode_coverage():
    # 512 samples: a mode needs max(2, 1 % of 512) = 5.12 samples, i.e. 6
    mass = np.array([6, 5, 0, 100, 2, 0, 0, 399]) / 512
    assert covered_modes(mass, 512).tolist() == [True, False, False, True, False, False, False, True]
    samples = np.concatenate([np.repeat(RING[k:k + 1], n, axis=0) for k, n in enumerate([6, 5, 0, 100, 2, 0, 0, 399])])
    assert mode_coverage(samples, RING, 0.05).modes == 3


def test_the_two_rings_differ_only_in_sigma():
    wide, narrow = make_toy("8gaussians"), make_toy("8gaussians-narrow")
    np.testing.assert_array_equal(wide.centers, narrow.centers)
    assert (wide.std, narrow.std) == (0.05, 0.02)
    row = narrow.evaluate(narrow.sample(512))
    assert len(row["mode_mass"]) == 8 and sum(row["mode_mass"]) == pytest.approx(row["hq_share"])


def _log(step: int, held: list[int], n: int = 100) -> dict:
    mass = np.zeros(8)
    mass[held] = 1.0 / len(held)
    return {"g_step": step, "modes": len(held), "hq_share": 1.0, "w1_exact": 0.5, "mode_mass": mass.tolist()}


def test_a_generator_that_hops_holds_two_modes_but_visits_eight():
    hops = [_log(100 * (i + 1), [2 * i, 2 * i + 1]) for i in range(4)]
    assert coverage_summary(hops, 100) == {"modes": 2, "modes_mean_late": 2.0, "modes_visited": 8,
                                           "hq_share": 1.0, "w1_exact": 0.5}
    steady = [_log(100 * (i + 1), list(range(8))) for i in range(4)]
    assert coverage_summary(steady, 100)["modes_mean_late"] == 8.0
    growing = [_log(100, [0]), _log(200, [0, 1]), _log(300, [0, 1, 2]), _log(400, [0, 1, 2, 3])]
    # the second half is the logs after step 200: 3 and 4 modes
    assert coverage_summary(growing, 100)["modes_mean_late"] == pytest.approx(3.5)
    assert set(coverage_summary(growing, 100)) == set(COVERAGE_KEYS)
    with pytest.raises(ValueError, match="modes"):
        coverage_summary([{"g_step": 1}], 100)
