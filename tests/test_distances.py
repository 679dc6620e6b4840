"""wgan_core.distances: exact answers, references (scipy), invariants and bad inputs."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lessons.parallel_lines import example1_distances, example1_estimate
from wgan_core import distances as d

LOG2 = math.log(2.0)


# ----------------------------------------------------------------------------------------------
# Exact answers
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("v", [(0.3, -0.4), (2.0, 0.0), (-1.5, 1.5)])
def test_w1_of_a_translated_cloud_is_the_length_of_the_shift(v):
    # Lower bound from the 1-Lipschitz f(x) = <x, v/|v|>, upper bound from moving each point by v.
    x = np.random.default_rng(0).normal(size=(60, 2))
    assert d.wasserstein1(x, x + np.asarray(v)) == pytest.approx(np.hypot(*v), rel=1e-9, abs=1e-12)


def test_w1_of_a_translated_sample_in_one_dimension():
    x = np.random.default_rng(1).uniform(size=200)
    assert d.wasserstein1(x, x - 0.7) == pytest.approx(0.7, rel=1e-12)


def test_dirt_piles_of_weng_cost_five_shovel_units():
    positions = np.arange(1.0, 5.0)
    p, q = np.array([3, 2, 1, 4.0]), np.array([1, 2, 4, 3.0])
    plan, cost = d.transport_plan(positions, positions, p, q)
    assert cost * 10 == pytest.approx(5.0)
    assert d.wasserstein1(positions, positions, p, q) * 10 == pytest.approx(5.0)
    # The running surplus of Weng's text gives the same number.
    assert np.abs(np.cumsum(p - q)).sum() == pytest.approx(5.0)
    np.testing.assert_allclose(plan.sum(axis=1), p / 10, atol=1e-12)
    np.testing.assert_allclose(plan.sum(axis=0), q / 10, atol=1e-12)


def test_disjoint_supports_give_js_log2_tv_one_and_infinite_kl():
    p, q = [0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.3, 0.7]
    assert d.js_divergence(p, q) == pytest.approx(LOG2, rel=1e-12)
    assert d.total_variation(p, q) == pytest.approx(1.0)
    assert d.kl_divergence(p, q) == math.inf
    assert d.kl_divergence(q, p) == math.inf


def test_identical_distributions_are_at_distance_zero():
    p = [0.1, 0.2, 0.7]
    assert d.kl_divergence(p, p) == 0.0
    assert d.js_divergence(p, p) == pytest.approx(0.0, abs=1e-15)
    assert d.total_variation(p, p) == 0.0


def test_bernoulli_closed_forms():
    a, b = 0.2, 0.6
    kl = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    m = (a + b) / 2
    js = 0.5 * (a * math.log(a / m) + (1 - a) * math.log((1 - a) / (1 - m))) \
        + 0.5 * (b * math.log(b / m) + (1 - b) * math.log((1 - b) / (1 - m)))
    assert d.kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(kl, rel=1e-12)
    assert d.js_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(js, rel=1e-10)
    assert d.total_variation([a, 1 - a], [b, 1 - b]) == pytest.approx(abs(a - b), rel=1e-12)


def test_divergences_of_finely_binned_gaussians_match_their_closed_forms():
    edges = np.linspace(-12, 12, 24_001)
    mids, width = 0.5 * (edges[1:] + edges[:-1]), edges[1] - edges[0]
    mu1, s1, mu2, s2 = 0.0, 1.0, 1.0, 1.5
    p, q = stats.norm.pdf(mids, mu1, s1) * width, stats.norm.pdf(mids, mu2, s2) * width
    kl = math.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5
    assert d.kl_divergence(p, q) == pytest.approx(kl, rel=1e-4)
    # Equal variances: TV = 2 Phi(|mu1 - mu2| / (2 sigma)) - 1.
    q_same = stats.norm.pdf(mids, 1.0, 1.0) * width
    assert d.total_variation(p, q_same) == pytest.approx(2 * stats.norm.cdf(0.5) - 1, rel=1e-4)


def test_normalisation_of_masses():
    assert d.js_divergence([2, 2], [1, 3]) == pytest.approx(d.js_divergence([0.5, 0.5], [0.25, 0.75]))
    assert d.kl_divergence([[1, 1], [1, 1]], [[2, 2], [2, 2]]) == pytest.approx(0.0)


# ----------------------------------------------------------------------------------------------
# Reference: scipy's 1-D Wasserstein distance
# ----------------------------------------------------------------------------------------------

def test_pot_matches_scipy_in_one_dimension_with_weights():
    rng = np.random.default_rng(2)
    u, v = rng.normal(size=70), rng.exponential(size=50)
    wu, wv = rng.uniform(0.1, 1.0, 70), rng.uniform(0.1, 1.0, 50)
    expected = stats.wasserstein_distance(u, v, wu, wv)
    assert d.wasserstein1(u, v, wu, wv) == pytest.approx(expected, rel=1e-9)
    # The same clouds embedded in the plane go through the network simplex instead.
    up, vp = np.column_stack([u, np.zeros(70)]), np.column_stack([v, np.zeros(50)])
    assert d.wasserstein1(up, vp, wu, wv) == pytest.approx(expected, rel=1e-7)
    plan, cost = d.transport_plan(u, v, wu, wv)
    assert cost == pytest.approx(expected, rel=1e-7)
    assert plan.shape == (70, 50)


# ----------------------------------------------------------------------------------------------
# Invariants
# ----------------------------------------------------------------------------------------------

def test_w1_is_symmetric_and_satisfies_the_triangle_inequality():
    rng = np.random.default_rng(3)
    x, y, z = rng.normal(size=(40, 3)), rng.normal(1.0, size=(30, 3)), rng.uniform(size=(35, 3))
    assert d.wasserstein1(x, y) == pytest.approx(d.wasserstein1(y, x), rel=1e-9)
    assert d.wasserstein1(x, z) <= d.wasserstein1(x, y) + d.wasserstein1(y, z) + 1e-9


def test_transport_plan_has_the_right_marginals_and_cost():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(12, 2)), rng.normal(size=(9, 2))
    a, b = rng.uniform(size=12), rng.uniform(size=9)
    plan, cost = d.transport_plan(x, y, a, b)
    np.testing.assert_allclose(plan.sum(axis=1), a / a.sum(), atol=1e-12)
    np.testing.assert_allclose(plan.sum(axis=0), b / b.sum(), atol=1e-12)
    dist = np.linalg.norm(x[:, None] - y[None], axis=-1)
    assert cost == pytest.approx(float((plan * dist).sum()))
    assert cost == pytest.approx(d.wasserstein1(x, y, a, b), rel=1e-9)


def test_sliced_wasserstein_is_a_seeded_lower_bound():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(80, 2)), rng.normal(0.5, size=(80, 2))
    sw = d.sliced_wasserstein(x, y, n_projections=50, seed=7)
    assert 0 < sw <= d.wasserstein1(x, y) + 1e-9
    assert sw == d.sliced_wasserstein(x, y, n_projections=50, seed=7)


def test_js_is_symmetric_and_bounded_kl_is_not_symmetric():
    p, q = [0.7, 0.2, 0.1], [0.1, 0.3, 0.6]
    assert d.js_divergence(p, q) == pytest.approx(d.js_divergence(q, p))
    assert 0 < d.js_divergence(p, q) < LOG2
    assert d.kl_divergence(p, q) != pytest.approx(d.kl_divergence(q, p))


# ----------------------------------------------------------------------------------------------
# Paper Example 1
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("theta", [-0.7, 0.01, 1.0])
def test_parallel_lines_closed_forms(theta):
    assert example1_distances(theta) == {"W": abs(theta), "JS": LOG2, "KL": math.inf, "KL_reverse": math.inf,
                                       "TV": 1.0}
    assert example1_distances(0.0) == {"W": 0.0, "JS": 0.0, "KL": 0.0, "KL_reverse": 0.0, "TV": 0.0}


def test_parallel_lines_estimate_is_seeded_and_close_to_the_closed_form():
    est = example1_estimate(0.5, n=150, seed=3)
    assert est == example1_estimate(0.5, n=150, seed=3)
    # Sampling can only add to |theta|: the vertical mismatch of two samples of Z costs extra.
    assert 0.5 <= est["W"] < 0.55
    assert est["JS"] == pytest.approx(LOG2)
    assert est["TV"] == pytest.approx(1.0)
    assert est["KL"] == math.inf and est["KL_reverse"] == math.inf


# ----------------------------------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: d.kl_divergence([0.5, -0.1, 0.6], [0.3, 0.3, 0.4]), "negative mass"),
        (lambda: d.js_divergence([0.5, np.nan], [0.5, 0.5]), "NaN"),
        (lambda: d.total_variation([0.5, 0.5], [0.2, 0.3, 0.5]), "same shape"),
        (lambda: d.total_variation([0.0, 0.0], [0.5, 0.5]), "zero total mass"),
        (lambda: d.kl_divergence([], []), "empty"),
        (lambda: d.kl_divergence(1.0, 1.0), "scalar"),
        (lambda: d.wasserstein1(np.zeros((3, 2)), np.zeros((3, 3))), "same dimension"),
        (lambda: d.wasserstein1(np.zeros((2, 2, 2)), np.zeros((2, 2))), "shape"),
        (lambda: d.wasserstein1(np.zeros((0, 2)), np.zeros((2, 2))), "no points"),
        (lambda: d.wasserstein1([[0.0, np.inf]], [[0.0, 0.0]]), "NaN or infinite"),
        (lambda: d.wasserstein1([0.0, 1.0], [0.0, 1.0], a=[1.0, 1.0, 1.0]), r"a must have shape \(2,\)"),
        (lambda: d.transport_plan([0.0, 1.0], [0.0, 1.0], b=[1.0, -1.0]), "negative mass"),
        (lambda: d.sliced_wasserstein(np.zeros((3, 2)), np.zeros((3, 2)), n_projections=0), "n_projections"),
        (lambda: example1_distances(float("nan")), "theta"),
        (lambda: example1_estimate(0.5, n=1), "n must be"),
        (lambda: example1_estimate(0.5, n=10, bins=1), "bins"),
        (lambda: example1_estimate(1.5, n=10), "window"),
    ],
)
def test_bad_inputs_raise_value_errors_that_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.filterwarnings("ignore:numItermax reached")
def test_a_solver_stopped_early_raises_instead_of_returning_a_bound(monkeypatch):
    monkeypatch.setattr(d, "EMD_MAX_ITER", 1)
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
    with pytest.raises(d.TransportError):
        d.wasserstein1(x, y)
    with pytest.raises(d.TransportError):
        d.transport_plan(x, y)


def test_pot_is_imported_without_sklearn_cluster_which_still_imports_afterwards():
    code = ("import sys\nfrom wgan_core.pot import ot\nassert 'sklearn.cluster' not in sys.modules\n"
            "assert ot.emd2([0.5, 0.5], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]]) == 0.0\n"
            "from sklearn.cluster import KMeans\nprint(KMeans.__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0 and out.stdout.strip() == "KMeans", out.stderr
