"""Notebook cells of the live lessons: they train in the notebook with the lesson's own trainers.

The members come from the lesson's ``build_members`` (the same :class:`wgan_core.trainer.Trainer`
configs as the app's live job); the one outer loop of every run (:func:`wgan_core.drive.drive`) steps
them under a ``tqdm.auto`` bar, logs their metrics every ``log_every`` steps (the live job's log round,
:func:`wgan_core.live.member.member_logs`) and redraws the figures (the builders of :mod:`plots`) every
``redraw_every`` steps. A later cell changes ``clip_value`` / ``n_critic`` mid-run with ``set_hparams`` and trains on.
"""

from __future__ import annotations

from lessons import Slider
from lessons.notebooks import Recipe, code, md


def _imports(plots_lines: str) -> str:
    """The live cell's imports, in isort's order: tqdm, then lessons, plots, wgan_core."""
    return ("from tqdm.auto import tqdm\n\nfrom lessons.notebooks.widgets import Redraw, control, explore\n"
            f"{plots_lines}\nfrom wgan_core.drive import drive\nfrom wgan_core.live.member import member_logs")


def _steps(default: int, more: int, every: int) -> tuple[Slider, ...]:
    return (
        Slider("train_steps", "generator steps of the first run", 1, 20000, default, integer=True),
        Slider("more_steps", "generator steps after changing the knobs", 0, 20000, more, integer=True),
        Slider("redraw_every", "redraw the figures every k steps", 1, 5000, every, integer=True),
    )


LOOP = """
logs = []
redraw = Redraw()


def step_members():
    for trainer in members.values():
        trainer.step()


def train(steps):
    \"\"\"``steps`` generator steps of every member through the one outer loop of every run
    (``wgan_core.drive.drive``): metrics every ``log_every`` steps, figures every ``redraw_every``.\"\"\"
    bar = tqdm(total=steps, desc="generator steps")

    def after_step(i):
        bar.update()
        if i % redraw_every == 0 or i == steps:
            redraw(figures())

    for round_ in drive(step_members, steps, lambda: member_logs(members, extra), due=lambda i: i % log_every == 0,
                        callbacks=[after_step]):
        logs.extend(round_)
    bar.close()


logs.extend(member_logs(members, extra))
redraw(figures())
train(train_steps)
"""


def _knobs_cell(changes: str, route: str) -> list:
    return [
        md("### Change the knobs in the middle of the run\n\n`set_hparams` takes effect at the next step: the "
           "members keep their weights and optimiser state, only the knob changes. Here the clip c drops "
           "ten-fold and n_critic to 1; the curves show the moment."),
        code(f"""
changes = {changes}
for member, knobs in {route.format(values="changes")}.items():
    members[member].set_hparams(**knobs)
print({{name: trainer.hparams() for name, trainer in members.items()}})
train(more_steps)
"""),
        md("With a front end, pick values and press *Run* to train more steps with them."),
        code(f"""
def more(clip_value, n_critic, steps=100):
    for member, knobs in {route.format(values="dict(clip_value=clip_value, n_critic=n_critic)")}.items():
        members[member].set_hparams(**knobs)
    train(steps)
    return list(figures().values())


explore(more, run_button=True, clip_value=control(lesson, "clip_value", clip_value),
        n_critic=control(lesson, "n_critic", n_critic))
"""),
    ]


def _mode_collapse(m):
    return [
        md(m.INTRO), md(m.OBJECTIVES), md("## What the recorded seeds show\n\n" + m.SEEDS_TEXT),
        md(m.table_markdown()), md("## Train live"),
        code("""
live = dict(clip_value=clip_value, n_critic=n_critic, lambda_gp=lambda_gp)
members = lesson.build_members(dataset, seed, live)
ring = lesson.ring_metrics(dataset)
log_every = lesson.NETWORK["metrics_every"]


def extra(name, trainer):
    return ring(name, trainer) if ring is not None else {}


def panel(method):
    snapshot = members[method].snapshot()
    x, y = snapshot["field"]["x"][::2], snapshot["field"]["y"][::2]
    kde = (x, y, lesson.kde_grid(snapshot["samples"], x, y))
    return plots.method_panel(snapshot, kde, lesson.METHOD_LABELS[method])


def figures():
    out = {method: panel(method) for method in lesson.METHODS}
    out["w1"] = live_plots.curves(logs, "w1_exact", "exact W1 to held-out data", lesson.METHOD_LABELS)
    out["modes"] = plots.mode_mass_heatmaps(lesson.mass_traces(logs), lesson.METHOD_LABELS, "Samples on each mode")
    if dataset in lesson.RING_SIGMA:
        out["ring"] = plots.circle_vs_bumps(logs, "wgan", lesson.circle_then_bumps(logs))
    out["clip"] = live_plots.curves([e for e in logs if e["member"] == "wgan"], "clip_value",
                                    "WGAN clip c as applied", lesson.METHOD_LABELS, ylog=True, height=220)
    return out
""" + LOOP + """
if dataset != "swissroll":  # modes at the end, mean over the second half, ever covered
    print(lesson.coverage_sentence(logs, 25 if dataset == "25gaussians" else 8))
for method in lesson.METHODS:
    row = [e for e in logs if e["member"] == method][-1]
    print(f"{lesson.METHOD_LABELS[method]}: exact W1 {row['w1_exact']:.3f} after {row['g_step']} steps")
"""),
        *_knobs_cell("dict(clip_value=clip_value / 10, n_critic=1)", "lesson.hparam_changes({values})"),
        md(m.CIRCLE_THEN_BUMPS),
    ]


def _clipping_vs_gp(m):
    return [
        md(m.INTRO),
        md(f"## The clip-c sweep: vanishing ↔ slow\n\nOne clipped critic per c, each trained {m.SWEEP_ITERS} "
           "iterations against the same frozen generator from the same seed."),
        code("""
sweep = lesson.clip_sweep(seed=seed)
plots.sweep(sweep).show()
plots.traces(sweep).show()
for c, grad, share in zip(sweep.clips, sweep.grad_at_fake, sweep.at_limit, strict=True):
    print(f"c = {c:<6g} mean |grad f| at fakes = {grad:.3g}   weights at +-c: {share:.0%}")
"""),
        md("## Both critics, live"),
        code("""
live = dict(clip_value=clip_value, n_critic=n_critic, lr=lr, lambda_gp=lambda_gp)
members = lesson.build_members(seed, generator, official_schedule, live)
log_every = lesson.NETWORK["metrics_every"]


def extra(name, trainer):
    return {}


def figures():
    out = {}
    for method, colour in zip(lesson.METHODS, SERIES[:len(lesson.METHODS)], strict=True):
        snap = members[method].snapshot()
        out[method] = plots.value_surface(snap, f"{lesson.METHOD_LABELS[method]}: f(x)")
        w = snap["weights"]
        out[f"{method}.weights"] = live_plots.histogram(w["counts"], w["edges"], "critic weights", colour,
                                                        marks=plots.weight_marks(w), mark_text="+-c", xtitle="w")
    out["lipschitz"] = live_plots.curves(logs, "grad_norm_max", "Lipschitz meter over time", lesson.METHOD_LABELS,
                                         ylog=True)
    return out
""" + LOOP + """
for method in lesson.METHODS:
    row = [e for e in logs if e["member"] == method][-1]
    print(f"{lesson.METHOD_LABELS[method]}: Lipschitz meter {row['grad_norm_max']:.3g}, exact W1 {row['w1_exact']:.3f}")
"""),
        *_knobs_cell("dict(clip_value=clip_value / 10, n_critic=1)", "lesson.hparam_changes({values})"),
        md(m.SIGN_CONVENTION), md(m.PAPER_VS_CODE),
        code("""
if bn_demo:  # one clipped critic step of a DCGAN critic on digits
    demo = lesson.bn_scales_after_clipping(clamp_bn)
    live_plots.histogram(demo["counts"], demo["edges"], "batch-norm scales after one step", SERIES[3],
                         marks=(demo["clip_value"],), mark_text="c", xtitle="gamma").show()
    print(f"largest gamma {demo['gamma'].max():.3g}, largest other |w| {demo['other_max']:.3g}")
"""),
    ]


def _images(m):
    return [
        md(m.INTRO), md("## Train live"),
        code("""
settings = dict(dataset=dataset, generator=generator, method=method, seed=seed)
members = lesson.build_members(settings, dict(clip_value=clip_value, n_critic=n_critic))
log_every = lesson.METRICS_EVERY


def extra(name, trainer):
    return {}


def figures():
    snap = members["run"].snapshot()
    out = {"grid": plots.sample_grid(snap["grid"], f"Fixed noise, step {snap['g_step']}"),
           "curve": plots.w_curve(lesson.w_curve(logs), "Critic estimate (median-filtered, as in Fig 4)",
                                  snap["thumb_steps"], snap["thumbs"])}
    if any("classes_covered" in e for e in logs):
        out["coverage"] = plots.coverage_curves(logs)
    return out
""" + LOOP + """
last = logs[-1]
print(f"{lesson.METHOD_LABELS[method]}, generator {generator}, {last['g_step']} steps: "
      + ", ".join(f"{k} {last[k]:.3g}" for k in ("classes_covered", "class_kl", "critic_estimate") if k in last))
largest = max(float(p.detach().abs().max()) for p in members["run"].trainer.critic.parameters())
print(f"largest |critic weight| = {largest:.4g}; clip c = {members['run'].hparams()['clip_value']:.4g}")
"""),
        *_knobs_cell("dict(clip_value=clip_value / 10, n_critic=1)", "lesson.hparam_changes({values}, method)"),
        md(m.WHY_GAN_FAILS), md(m.BATCH_NORM_CLIPPING),
    ]


LIVE_RECIPES = {
    "mode_collapse": Recipe(_imports("from plots import live as live_plots\nfrom plots import mode_collapse as plots"),
                            _mode_collapse, extra=_steps(1500, 300, 250),
                            quick=dict(train_steps=50, more_steps=25, redraw_every=25)),
    "clipping_vs_gp": Recipe(_imports("from plots import SERIES\nfrom plots import clipping_vs_gp as plots\n"
                                      "from plots import live as live_plots"),
                             _clipping_vs_gp, extra=_steps(1000, 300, 250),
                             quick=dict(train_steps=50, more_steps=25, redraw_every=25)),
    "images": Recipe(_imports("from plots import images as plots"), _images, extra=_steps(400, 100, 100),
                     quick=dict(train_steps=3, more_steps=2, redraw_every=2)),
}
