"""Lesson: Weight clipping vs gradient penalty — the clip-c sweep, then both critics trained live."""

import functools

import streamlit as st

import lessons.clipping_vs_gp as lesson
from app import board, live, replay, shell
from app.live_chart import live_chart
from plots import SERIES
from plots import clipping_vs_gp as plots
from plots import live as live_plots

SLUG = "clipping_vs_gp"

st.title(lesson.TITLE)
st.markdown(lesson.INTRO)


@st.cache_data(show_spinner="Training one critic per clip value…", max_entries=4)
def cached_sweep(seed: int):
    return lesson.clip_sweep(seed=seed)


st.subheader("The clip-c sweep: vanishing ↔ slow")
st.caption(f"One clipped critic per c, each trained {lesson.SWEEP_ITERS} iterations against the same frozen "
           "generator from the same seed.")
result = cached_sweep(0)
st.plotly_chart(plots.sweep(result), key=f"{SLUG}.sweep", width="stretch")
st.plotly_chart(plots.traces(result), key=f"{SLUG}.traces", width="stretch")
st.markdown(lesson.CLIP_SCALE)
st.plotly_chart(plots.scale_vs_c(result, lesson.scale_fit(result)), key=f"{SLUG}.scale", width="stretch")
st.markdown(lesson.scale_sentence(result))

st.subheader("Both critics, live")
settings = shell.controls_ui(SLUG, lesson.CONTROLS, columns=3)
panel = live.LivePanel(
    SLUG, lesson.LIVE_CONTROLS, route=lesson.hparam_changes, settings=settings, max_steps=lesson.MAX_STEPS,
    make_members=functools.partial(lesson.build_members, settings["seed"], settings["generator"],
                                   settings["official_schedule"]),
    log_every=lesson.NETWORK["metrics_every"],
)
st.markdown(lesson.settings_note())
panel.controls()


def surface(job, method):
    return plots.value_surface(job.latest_snapshot()[1][method], f"{lesson.METHOD_LABELS[method]}: f(x)")


def draw(job) -> None:
    step, snaps = job.latest_snapshot()
    logs = job.logs()
    last = {e["member"]: e for e in logs}
    hp = job.hparams()
    changes = panel.changes()  # slider changes, marked on the time-series charts
    snap_version = (job.id, step)
    logs_version = (job.id, len(logs), logs[-1]["g_step"] if logs else -1, len(changes))
    for col, method, colour in zip(st.columns(2), lesson.METHODS, SERIES, strict=False):
        snap, row = snaps[method], last.get(method, {})
        with col:
            fig = live.cached_figure(f"{SLUG}.surface.{method}", snap_version, lambda m=method: surface(job, m))
            live_chart(fig, key=f"{SLUG}.surface.{method}")
            a, b, c = st.columns(3)
            a.metric("Lipschitz meter", f"{row.get('grad_norm_max', float('nan')):.3g}",
                     help="Largest ‖∇ₓf‖ at interpolates between real and generated points.")
            b.metric("critic estimate Ŵ", f"{row.get('critic_estimate_eval', float('nan')):.3g}")
            c.metric("exact W₁", f"{row.get('w1_exact', float('nan')):.3f}")
            knobs = hp[method]
            st.caption(f"clip c = {knobs['clip_value']:.3g} · n_critic = {knobs['n_critic']} · "
                       f"α = {knobs['lr']:.3g}" if method == "wgan" else
                       f"λ = {knobs['lambda_gp']:.3g} · n_critic = {knobs['n_critic']} · α = {knobs['lr']:.3g}")
            w, g = snap["weights"], snap["grad_norms"]
            weights = live.cached_figure(f"{SLUG}.weights.{method}", snap_version, lambda w=w, c=colour:
                                         live_plots.histogram(w["counts"], w["edges"], "critic weights", c,
                                                              marks=plots.weight_marks(w), mark_text="±c",
                                                              xtitle="w"))
            live_chart(weights, key=f"{SLUG}.weights.{method}")
            norms = live.cached_figure(f"{SLUG}.norms.{method}", snap_version, lambda g=g, c=colour:
                                       live_plots.histogram(g["counts"], g["edges"], "‖∇ₓf‖ at interpolates", c,
                                                            marks=(1.0,), xtitle="gradient norm"))
            live_chart(norms, key=f"{SLUG}.gradnorms.{method}")
    left, right = st.columns(2)
    lip = live.cached_figure(f"{SLUG}.lip", logs_version, lambda: live_plots.curves(
        logs, "grad_norm_max", "Lipschitz meter over time", lesson.METHOD_LABELS, ylog=True, changes=changes))
    live_chart(lip, key=f"{SLUG}.curve.lip", container=left)
    est = live.cached_figure(f"{SLUG}.est", logs_version, lambda: live_plots.curves(
        logs, "critic_estimate_eval", "critic estimate Ŵ", lesson.METHOD_LABELS, changes=changes))
    live_chart(est, key=f"{SLUG}.curve.est", container=right)


panel.poll(draw)
panel.export({
    "surface-wgan": lambda: surface(panel.job, "wgan"),
    "surface-wgan-gp": lambda: surface(panel.job, "wgan-gp"),
    "lipschitz": lambda: live_plots.curves(panel.job.logs(), "grad_norm_max", "Lipschitz meter",
                                           lesson.METHOD_LABELS, ylog=True),
})

board.class_board_ui(SLUG, panel.job, settings, lesson.METHOD_LABELS)
replay.replay_ui(SLUG, accept=lambda cfg: cfg.is_wasserstein and cfg.is_toy)
st.markdown(lesson.SIGN_CONVENTION)
st.markdown(lesson.PAPER_VS_CODE)


@st.cache_data(show_spinner="One clipped critic step of a DCGAN critic on digits…", max_entries=2)
def cached_bn(clamp_bn: bool):
    return lesson.bn_scales_after_clipping(clamp_bn)


bn = shell.controls_ui(SLUG, lesson.BN_CONTROLS, columns=2)
if bn["bn_demo"]:
    demo = cached_bn(bn["clamp_bn"])
    left, right = st.columns([2, 1])
    left.plotly_chart(live_plots.histogram(demo["counts"], demo["edges"], "batch-norm scales γ after one step",
                                           SERIES[3], marks=(demo["clip_value"],), mark_text="c", xtitle="γ"),
                      key=f"{SLUG}.bn", width="stretch")
    right.metric("largest γ", f"{demo['gamma'].max():.3g}")
    right.metric("largest other |w|", f"{demo['other_max']:.3g}", help="Convolution weights: always clipped to c.")
shell.footer(SLUG, lesson, instructors=(live.instructor_note(), replay.HOW_TO_RECORD))
