"""Lesson: Mixture of Gaussians and mode collapse — GAN, WGAN and WGAN-GP trained live, side by side."""

import functools

import streamlit as st

import lessons.mode_collapse as lesson
from app import board, live, replay, shell
from app.live_chart import live_chart
from plots import live as live_plots
from plots import mode_collapse as plots

SLUG = "mode_collapse"

st.title(lesson.TITLE)
st.markdown(lesson.INTRO)
st.markdown(lesson.OBJECTIVES)


@st.cache_data(max_entries=8, show_spinner=False)
def recorded_heatmap(seed: int):
    title = (f"Recorded run, seed {seed}: share of samples on each mode "
             f"(σ = {lesson.RING_SIGMA[lesson.SEED_DATASET]:g})")
    return plots.mode_mass_heatmaps(lesson.recorded_traces(seed), lesson.METHOD_LABELS, title)


st.subheader("What the recorded seeds show")
st.markdown(lesson.SEEDS_TEXT)
st.markdown(lesson.table_markdown())
recorded = lesson.findings()["seed_list"]
seed_shown = st.select_slider("Recorded seed", recorded, value=recorded[0], key=f"{SLUG}.recorded_seed")
st.plotly_chart(recorded_heatmap(int(seed_shown)), key=f"{SLUG}.recorded_heatmap")

st.subheader("Train live")
settings = shell.controls_ui(SLUG, lesson.CONTROLS, columns=2)
panel = live.LivePanel(
    SLUG, lesson.LIVE_CONTROLS, route=lesson.hparam_changes, settings=settings, max_steps=lesson.MAX_STEPS,
    make_members=functools.partial(lesson.build_members, settings["dataset"], settings["seed"]),
    extra_metrics=lesson.ring_metrics(settings["dataset"]), log_every=lesson.NETWORK["metrics_every"],
)
st.markdown(lesson.settings_note())
panel.controls()


def method_figure(snapshot: dict, method: str):
    field = snapshot["field"]
    x, y = field["x"][::2], field["y"][::2]  # the KDE on every other grid line: a quarter of the cost
    return plots.method_panel(snapshot, (x, y, lesson.kde_grid(snapshot["samples"], x, y)),
                              lesson.METHOD_LABELS[method])


def latest_logs(logs: list[dict]) -> dict[str, dict]:
    return {e["member"]: e for e in logs}


def draw(job) -> None:
    step, snaps = job.latest_snapshot()
    logs = job.logs()
    last = latest_logs(logs)
    hp = job.hparams()
    logs_version = (job.id, len(logs), logs[-1]["g_step"] if logs else -1)
    for col, method in zip(st.columns(3), lesson.METHODS, strict=True):
        with col:
            fig = live.cached_figure(f"{SLUG}.{method}", (job.id, step),
                                     lambda m=method: method_figure(snaps[m], m))
            live_chart(fig, key=f"{SLUG}.panel.{method}")
            row = last.get(method, {})
            a, b, c = st.columns(3)
            if "modes" in row:
                a.metric("modes covered", f"{int(row['modes'])}")
                b.metric("high quality", f"{row['hq_share']:.0%}")
            c.metric("exact W₁", f"{row.get('w1_exact', float('nan')):.3f}")
            st.caption(lesson.knob_caption(method, hp[method]))
    if settings["dataset"] != "swissroll":
        st.markdown(lesson.coverage_sentence(logs, 25 if settings["dataset"] == "25gaussians" else 8))
        heat = live.cached_figure(f"{SLUG}.heat", logs_version, lambda: plots.mode_mass_heatmaps(
            lesson.mass_traces(logs), lesson.METHOD_LABELS, "Your run: share of samples on each mode"))
        live_chart(heat, key=f"{SLUG}.heat")
    left, right = st.columns(2)
    w1 = live.cached_figure(f"{SLUG}.w1", logs_version, lambda: live_plots.curves(
        logs, "w1_exact", "exact W₁ to held-out data", lesson.METHOD_LABELS))
    live_chart(w1, key=f"{SLUG}.curve.w1", container=left)
    if settings["dataset"] in lesson.RING_SIGMA:
        ring = live.cached_figure(f"{SLUG}.ring", logs_version, lambda: plots.circle_vs_bumps(
            logs, "wgan", lesson.circle_then_bumps(logs)))
        live_chart(ring, key=f"{SLUG}.curve.ring", container=right)
    else:
        hq = live.cached_figure(f"{SLUG}.hq", logs_version, lambda: live_plots.curves(
            logs, "hq_share", "high-quality share", lesson.METHOD_LABELS))
        live_chart(hq, key=f"{SLUG}.curve.hq", container=right)
    clip = live.cached_figure(f"{SLUG}.clip", logs_version, lambda: live_plots.curves(
        [e for e in logs if e["member"] == "wgan"], "clip_value", "WGAN clip c as applied by the job",
        lesson.METHOD_LABELS, ylog=True, height=220))
    live_chart(clip, key=f"{SLUG}.curve.clip")


panel.poll(draw)


def export_figure(method: str):
    return lambda: method_figure(panel.job.latest_snapshot()[1][method], method)


figures = {f"panel-{m}": export_figure(m) for m in lesson.METHODS}
figures["w1-curves"] = lambda: live_plots.curves(panel.job.logs(), "w1_exact", "exact W₁", lesson.METHOD_LABELS)
panel.export(figures)

board.class_board_ui(SLUG, panel.job, settings, lesson.METHOD_LABELS)
st.markdown(lesson.CIRCLE_THEN_BUMPS)
replay.replay_ui(SLUG, accept=lambda cfg: cfg.dataset in lesson.DATASETS, title="Replay a run your teacher recorded")
shell.footer(SLUG, lesson, instructors=(live.instructor_note(), replay.HOW_TO_RECORD))
