"""Every number a lesson's text states about its own experiment, checked at the lesson's settings and seed.

:data:`CLAIMS` lists each numeric (or measurable) claim left in lesson text: the lesson, a fragment of the
text that makes it, and the test below that checks it. A claim with no check is a defect, so
``test_every_listed_claim_is_in_its_lesson_and_has_a_check`` fails when a fragment disappears from the
text (update the list) or names a test that does not exist. Numbers that the pages fill in from the run on
screen (``findings``, ``scale_sentence``, ``shape_sentence``, ``coverage_sentence``, ``settings_note``) are
not claims of the text; their builders are checked to print the run's own values. Facts quoted from the
papers are marked as theirs in the text ("the paper reports …") and are not re-measured here.

Runs are shared within the module (module-scoped fixtures); runs that take more than a few seconds on a
CPU are marked ``slow`` (the default ``python -m pytest`` runs them; ``-m "not slow"`` skips them).
"""

from __future__ import annotations

import importlib
import math
import sys

import numpy as np
import pytest


def at_defaults(lesson):
    """The heavy run that ``lesson``'s page opens with, from the app's disk cache of heavy runs: the
    result the server shows, computed once for the whole suite (the every-page browser test and the
    server read the same file)."""
    from app import precomputed

    return precomputed.run_defaults(lesson.__name__.rsplit(".", 1)[-1])


#: (lesson, fragment of its text, test that checks the claim)
CLAIMS = (
    ("meaningful_loss", "its ρ above is close to +1", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "compare its ρ with the WGAN's", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "can never exceed log 2 ≈ 0.69", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "ends far below the exact W1", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "the critic's estimate drops to $\\approx 0$ and stays there", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "its exact $W_1$ ends more than twice the working WGAN's", "test_meaningful_loss_defaults"),
    ("meaningful_loss", "its samples sit far from the modes", "test_meaningful_loss_defaults"),
    ("optimizers", "Negative steps are rare over a whole run", "test_optimizers_defaults"),
    ("optimizers", "RMSProp's cosine never goes below zero", "test_optimizers_defaults"),
    ("optimizers", "Its worst-step line dips below zero now", "test_optimizers_defaults"),
    ("optimizers", "The run with momentum ends worse than RMSProp's", "test_optimizers_defaults"),
    ("optimizers", "set β₁ = 0 and Adam's run moves back toward RMSProp's", "test_optimizers_without_momentum"),
    ("optimizers", "Always positive. With β₁ = 0", "test_optimizers_without_momentum"),
    ("optimizers", "Adam's share of negative-cosine critic steps grows", "test_optimizers_at_a_high_learning_rate"),
    ("optimizers", "its final W1 ends well above its W1 at 1e-3", "test_optimizers_at_a_high_learning_rate"),
    ("clipping_vs_gp", "at $c = 0.001$ it is orders of magnitude smaller", "test_clip_sweep_ends"),
    ("clipping_vs_gp", "At large $c$ few weights ever reach $\\pm c$", "test_clip_sweep_ends"),
    ("clipping_vs_gp", "most weights pile up at exactly $\\pm c$", "test_clip_sweep_ends"),
    ("clipping_vs_gp", "grows like $c^{L}$ — not in proportion to $c$", "test_clip_scale_exponent"),
    ("clipping_vs_gp", "It grows by orders of magnitude, not tenfold", "test_clip_scale_exponent"),
    ("clipping_vs_gp", "climbs to tens of times 1 within a few hundred live steps", "test_penalty_weight_and_meter"),
    ("clipping_vs_gp", "with λ = 10 it stays within a few tenths of 1", "test_penalty_weight_and_meter"),
    ("optimal_critic", "D within 0.01 of 0 or 1) covers the fake Gaussian", "test_optimal_critic_defaults"),
    ("optimal_critic", "normalised slope is of order 1 at the fake samples", "test_optimal_critic_defaults"),
    ("optimal_critic", "orders of magnitude less (normalised) signal", "test_optimal_critic_defaults"),
    ("optimal_critic", "the CDFs cross and the exact optimum (dashed) is a V", "test_optimal_critic_unequal_widths"),
    ("optimal_critic", "grows like a power of c close to its number of weight layers", "test_clip_scale_exponent"),
    ("optimal_critic", "both functions train with RMSProp at $\\alpha = 10^{-3}$", "test_optimal_critic_settings"),
    ("mode_collapse", "held fewer modes at a time than WGAN-GP on", "test_mode_collapse_counts_hold_over_the_seeds"),
    ("mode_collapse", "at least one more than it held on average", "test_mode_collapse_counts_hold_over_the_seeds"),
    ("mode_collapse", "held all eight in every log of the second half",
     "test_mode_collapse_counts_hold_over_the_seeds"),
    ("mode_collapse", "it covered all eight at the end", "test_clipped_wgan_counts_hold_over_the_seeds"),
    ("mode_collapse", "its high-quality share stays low (median", "test_clipped_wgan_counts_hold_over_the_seeds"),
    ("mode_collapse", "Exact $W_1$ at the end, median over the", "test_mode_collapse_counts_hold_over_the_seeds"),
    ("mode_collapse", "In the recorded seeds, WGAN-GP did on", "test_mode_collapse_counts_hold_over_the_seeds"),
    ("images", "climbs to most of the ten within a few", "test_images_classroom_runs"),
    ("images", "stays on one or two. With the **MLP**", "test_images_classroom_runs"),
    ("images", "stays collapsed on one or two classes (class KL well above the WGAN's", "test_images_classroom_runs"),
    ("images", "One or two classes on seed 0 after 300 steps", "test_images_classroom_runs"),
    ("images", "covers several more classes by step 300", "test_images_classroom_runs"),
    ("parallel_lines", "Five steps: each moves θ by exactly", "test_parallel_lines_walks"),
    ("parallel_lines", "bounces between ±0.05 forever", "test_parallel_lines_walks"),
    ("parallel_lines", "still sees a shift of 0.04", "test_parallel_lines_small_shift"),
    ("nash", "how far from the origin are the simultaneous iterates after 100 steps?", "test_nash_radii"),
    ("nash", "Does the final radius stay the same?", "test_nash_radii"),
    ("vanishing_gradients", "exponential decay, by several orders of magnitude", "test_vanishing_gradients_defaults"),
)


def _lesson_text(slug: str) -> str:
    """Everything the lesson shows as text: its string constants, WHAT_TO_NOTICE and EXERCISES."""
    module = importlib.import_module(f"lessons.{slug}")
    parts = [v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)]
    parts += list(module.WHAT_TO_NOTICE)
    parts += [" ".join((e.question, e.answer, *(e.choices or ()))) for e in module.EXERCISES]
    return "\n".join(parts)


def test_every_listed_claim_is_in_its_lesson_and_has_a_check():
    here = sys.modules[__name__]
    for slug, fragment, check in CLAIMS:
        assert fragment in _lesson_text(slug), f"{slug}: claim {fragment!r} not found — update CLAIMS"
        assert callable(getattr(here, check, None)), f"{slug}: no test {check} for {fragment!r}"


# ---- A loss that means something (defaults: 8gaussians, 1500 steps, failed lr 0.1) ----------------

@pytest.fixture(scope="module")
def loss_runs():
    from lessons import meaningful_loss as lesson

    return at_defaults(lesson)


@pytest.mark.slow
def test_meaningful_loss_defaults(loss_runs):
    from lessons import meaningful_loss as lesson

    wgan, gan, failed = loss_runs.runs
    assert wgan.rho > 0.7 and wgan.rho > gan.rho + 0.2          # close to +1, and a better guide than the GAN's
    assert np.all(gan.estimate <= math.log(2) + 1e-6)           # never above log 2
    assert wgan.estimate[-1] < 0.1 * wgan.w1[-1]                 # the critic estimate ends far below W1
    assert np.abs(failed.estimate[2:]).max() < 1e-2 and failed.w1[-1] > 2 * wgan.w1[-1]
    text = lesson.findings(loss_runs)
    assert f"{wgan.rho:+.2f}" in text and f"{gan.rho:+.2f}" in text and f"{wgan.w1[-1]:.3f}" in text


# ---- Optimizers (defaults: β₁ 0.9, lr 1e-3, 1000 steps) -------------------------------------------

@pytest.fixture(scope="module")
def optimizer_runs():
    from lessons import optimizers as lesson

    defaults = {c.key: c.default for c in lesson.CONTROLS}
    return {"defaults": at_defaults(lesson), "defaults_args": defaults}


@pytest.mark.slow
def test_optimizers_defaults(optimizer_runs):
    from lessons import optimizers as lesson

    rms, adam = optimizer_runs["defaults"]
    assert rms.negative_share == 0.0 and np.all(rms.cosine_min > 0)
    assert adam.negative_share > 0.0 and adam.negative.any()
    assert adam.negative_share < 0.05                           # rare over the whole run
    assert adam.final_w1 > 1.5 * rms.final_w1
    text = lesson.findings(rms, adam)
    assert f"{adam.negative_share:.2%}" in text and f"{rms.final_w1:.2f}" in text


@pytest.mark.slow
def test_optimizers_without_momentum(optimizer_runs):
    from lessons import optimizers as lesson

    d = optimizer_runs["defaults_args"]
    adam0 = lesson.train("adam", 0.0, d["lr"], d["steps"])
    rms, adam9 = optimizer_runs["defaults"]  # RMSProp has no momentum: the same run at any β₁
    assert adam0.negative_share == 0.0
    assert abs(adam0.final_w1 - rms.final_w1) < abs(adam9.final_w1 - rms.final_w1)


@pytest.mark.slow
def test_optimizers_at_a_high_learning_rate(optimizer_runs):
    from lessons import optimizers as lesson

    d = optimizer_runs["defaults_args"]
    rms_hi, adam_hi = lesson.compare(d["beta1"], 1e-2, d["steps"])
    rms, adam = optimizer_runs["defaults"]
    assert adam_hi.negative_share > adam.negative_share
    assert rms_hi.negative_share == 0.0 and rms_hi.final_w1 > 5 * rms.final_w1


# ---- Weight clipping vs gradient penalty (the sweep the page shows: seed 0) -----------------------

@pytest.fixture(scope="module")
def sweep():
    from lessons import clipping_vs_gp as lesson

    return lesson.clip_sweep(seed=0)


def test_clip_sweep_ends(sweep):
    c = list(sweep.clips)
    small, mid, large = c.index(0.001), c.index(0.01), len(c) - 1
    assert sweep.grad_at_fake[small] < 1e-2 * sweep.grad_at_fake[mid]          # vanishing end
    assert sweep.at_limit[large] < 0.1 and sweep.iters_to_90[large] > sweep.iters_to_90[mid]  # slow end
    assert sweep.at_limit[mid] > 0.5                                          # most weights at ±c (c = 0.01)


def test_clip_scale_exponent(sweep):
    from lessons import clipping_vs_gp as lesson

    fit = lesson.scale_fit(sweep)
    assert fit.used.sum() >= 3
    # close to the number of weight layers (4), far from proportional (1): ×10 in c is ≥ ×1000 in Ŵ
    assert 3.0 <= fit.slope <= 6.0 and lesson.CRITIC_LAYERS == 4
    assert f"c^{{{fit.slope:.2f}}}" in lesson.scale_sentence(sweep)


def test_penalty_weight_and_meter():
    from lessons import clipping_vs_gp as lesson

    def meter(lam: float, rounds: int = 100) -> float:
        member = lesson.build_members(0, "frozen", False, live={"lambda_gp": lam})["wgan-gp"]
        for _ in range(rounds):
            member.step()
        return member.metrics()["grad_norm_max"]

    assert meter(0.01) > 10.0
    assert abs(meter(10.0) - 1.0) < 0.5


# ---- Optimal discriminator vs critic (defaults: mean 2.5, 500 iterations, c 0.01, std 0.5) ---------

def test_optimal_critic_defaults():
    from lessons import optimal_critic as lesson

    r = at_defaults(lesson)
    assert r.saturated_share > 0.9
    assert 0.5 < r.critic_at_fake < 2.0
    assert r.ratio < 1e-2
    assert len(r.crossings) == 0


def test_optimal_critic_settings():
    from lessons import optimal_critic as lesson

    assert (lesson.LR, lesson.BATCH) == (1e-3, 256) and "batch 256" in lesson.FAIRNESS


def test_optimal_critic_unequal_widths():
    from lessons import optimal_critic as lesson

    defaults = {c.key: c.default for c in lesson.CONTROLS}
    r = lesson.fig3(**{**defaults, "fake_mean": 0.0, "fake_std": 1.5})
    assert len(r.crossings) == 1
    assert r.optimum_corr > 0.9 and r.linear_corr < 0.5


# ---- Mixture of Gaussians: the page's counts over the seed table's seeds, trained again ---------
# The page states counts over the seeds that bench/mode_collapse_seeds.py recorded. Here the lesson's
# members train again on those seeds at the lesson's setting; the counts may move by one seed (a seeded
# run follows the processor's floating-point arithmetic), and "most seeds" must hold or fail alike.

def _recount(methods: dict[str, int]) -> dict:
    """A seed table like the bench's from fresh runs: ``{method: steps}``, summaries at both budgets."""
    from lessons import mode_collapse as lesson
    from wgan_core.metrics import coverage_summary
    from wgan_core.trainer import Trainer

    table = lesson.seed_table()
    runs = []
    for seed in lesson.findings()["seed_list"]:
        configs = lesson.configs(lesson.SEED_DATASET, seed, {c.key: c.default for c in lesson.LIVE_CONTROLS})
        for method, steps in methods.items():
            logs = list(Trainer(configs[method]).run(steps, metrics_every=table["every"]))
            for budget in (b for b in (lesson.SEED_STEPS, lesson.SEED_STEPS_LONG) if b <= steps):
                runs.append({"method": method, "dataset": lesson.SEED_DATASET, "seed": seed, "steps": budget,
                             "cpu_s": 0.0, **coverage_summary([e for e in logs if e["g_step"] <= budget],
                                                              configs[method].eval_samples)})
    return {"runs": runs}


@pytest.fixture(scope="module")
def seed_runs():
    from lessons import mode_collapse as lesson

    return _recount({"gan": lesson.SEED_STEPS, "wgan": lesson.SEED_STEPS_LONG, "wgan-gp": lesson.SEED_STEPS})


def _close(again: dict, stated: dict, keys) -> None:
    for key in keys:
        assert abs(again[key] - stated[key]) <= 1, f"{key}: {again[key]} seeds again, the page says {stated[key]}"


@pytest.mark.slow
def test_mode_collapse_counts_hold_over_the_seeds(seed_runs):
    from lessons import mode_collapse as lesson

    stated, again = lesson.findings(), lesson.findings(table=seed_runs)
    assert again["seeds"] == stated["seeds"] >= 5
    _close(again, stated, ("gan_fewer", "gan_hops", "gp_steady", "wgan_all"))
    half = stated["seeds"] / 2
    assert (again["gan_fewer"] > half) == (stated["gan_fewer"] > half)  # "most seeds", or the page says it is not
    for method in lesson.METHODS:  # the exercise's counts: all eight through the second half
        held = [sum(v >= 8 for v in f[method]["modes_mean_late"]) for f in (stated, again)]
        assert abs(held[0] - held[1]) <= 1
    median = {k: [float(np.median(f[m]["w1_exact"])) for m in lesson.METHODS] for k, f in (("s", stated), ("a", again))}
    assert np.argsort(median["s"]).tolist() == np.argsort(median["a"]).tolist()  # the same ranking of W1


@pytest.mark.slow
def test_clipped_wgan_counts_hold_over_the_seeds(seed_runs):
    from lessons import mode_collapse as lesson

    for steps in (lesson.SEED_STEPS, lesson.SEED_STEPS_LONG):
        stated = lesson.findings(steps=steps)
        again = [r for r in seed_runs["runs"] if r["method"] == "wgan" and r["steps"] == steps]
        assert len(again) == stated["seeds"]
        assert abs(sum(r["modes"] >= 8 for r in again) - stated["wgan_all"]) <= 1
        if steps == lesson.SEED_STEPS:  # "its high-quality share stays low (median …)"
            assert abs(np.median([r["hq_share"] for r in again]) - np.median(stated["wgan"]["hq_share"])) < 0.05


# ---- Training on images (classroom profile on the CPU, seed 0, 300 steps) -------------------------

@pytest.fixture(scope="module")
def image_runs():
    from lessons import images as lesson

    out = {}
    for generator in ("dcgan-nobn", "mlp"):
        for method in ("wgan", "gan"):
            config = lesson.lesson_config("digits", generator, method, 0, profile="classroom", device="cpu")
            run = lesson.ImageRun(lesson.build_trainer(config, lesson.PROFILES["classroom"]))
            for _ in range(300):
                run.step()
            out[generator, method] = run.trainer.metrics()
    return out


@pytest.mark.slow
def test_images_classroom_runs(image_runs):
    nobn_w, nobn_g = image_runs["dcgan-nobn", "wgan"], image_runs["dcgan-nobn", "gan"]
    mlp_w, mlp_g = image_runs["mlp", "wgan"], image_runs["mlp", "gan"]
    assert nobn_w["classes_covered"] >= 7 and nobn_g["classes_covered"] <= 2
    assert mlp_g["classes_covered"] <= 2 and mlp_g["class_kl"] > mlp_w["class_kl"] + 0.5
    assert mlp_w["classes_covered"] >= mlp_g["classes_covered"] + 2


# ---- Learning parallel lines ----------------------------------------------------------------------

def test_parallel_lines_walks():
    from lessons import parallel_lines as lesson

    walk = lesson.gradient_descent("W", 0.5, 0.1, steps=8)
    assert list(walk[:6]) == [0.5, 0.4, 0.3, 0.2, 0.1, 0.0] and np.all(walk[5:] == 0.0)
    bounce = lesson.gradient_descent("W", 0.55, 0.1, steps=12)
    assert bounce[6] == pytest.approx(-0.05) and np.allclose(np.abs(bounce[6:]), 0.05)


def test_parallel_lines_small_shift():
    from lessons import parallel_lines as lesson

    est = lesson.estimate_curves(500, thetas=(0.0, 0.04))
    w, js = est.mean("W"), est.mean("JS")
    assert w[1] > w[0]                     # the exact W1 on samples sees the shift
    assert js[1] == pytest.approx(js[0])   # the histogram JS does not (same column)


# ---- Nash and vanishing gradients ----------------------------------------------------------------

def test_nash_radii():
    from lessons import nash as lesson

    def radius(eta: float, steps: int) -> float:
        t = lesson.simultaneous(1.0, 1.0, eta, steps)
        return float(math.hypot(t.x[-1], t.y[-1]))

    assert radius(0.1, 100) == pytest.approx(2.33, abs=0.01)            # (1.01)^50 · √2
    assert radius(0.2, 100) / math.sqrt(2) == pytest.approx(7.1, abs=0.05)
    assert radius(0.1, 200) / math.sqrt(2) == pytest.approx(2.7, abs=0.05)


@pytest.mark.slow
def test_vanishing_gradients_defaults():
    from lessons import vanishing_gradients as lesson

    result = at_defaults(lesson)
    assert result.orders_fallen("gan-minimax") >= 2.0                   # several orders of magnitude


# ---- compare's verdict ----------------------------------------------------------------------------

def test_compare_verdict_quotes_the_seed_table_at_its_setting():
    from wgan_core.compare import verdict

    def row(method, seed, mean):
        return dict(method=method, dataset="8gaussians", seed=seed, steps=1500, cpu_s=1.0, modes=int(mean),
                    modes_mean_late=mean, modes_visited=8, hq_share=0.8, w1_exact=0.2)

    methods = ("gan", "wgan", "wgan-gp")
    table = {"runs": [row(m, s, 4.0 + s if m == "gan" else 8.0) for s in range(5) for m in methods]}
    results = {m: dict(w1_exact=0.2, modes=8, hq_share=0.8, modes_mean_late=8.0, modes_visited=8) for m in methods}
    line = verdict(results, 8, "8gaussians", 1500, table)
    assert "fewer modes than WGAN-GP on 4 of 5 seeds" in line and "gan 4.0–8.0" in line
    assert "WGAN-GP held all 8 throughout the second half on 5 of 5" in line
    assert "no seed table" in verdict(results, 8, "8gaussians", 1000, table)


def test_compare_verdict_reports_an_unconverged_wgan():
    from wgan_core.compare import verdict

    results = {"gan": dict(w1_exact=0.7, modes=6, hq_share=0.9, g_steps=1500),
               "wgan": dict(w1_exact=0.3, modes=3, hq_share=0.11, g_steps=1500),
               "wgan-gp": dict(w1_exact=0.17, modes=8, hq_share=0.85, g_steps=1500)}
    line = verdict(results, 8)
    assert "wgan: not converged in 1500 generator steps" in line and "wgan-gp: not converged" not in line
    assert "not converged" not in verdict({**results, "wgan": dict(results["wgan-gp"])}, 8)
