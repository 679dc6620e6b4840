"""Lesson: Training on images — DCGAN, no-batch-norm and MLP generators on real digits, live and replayed."""

import functools

import streamlit as st

import lessons.images as lesson
from app import board, live, replay, shell
from app.live_chart import live_chart
from plots import images as plots

SLUG = "images"

st.title(lesson.TITLE)
st.markdown(lesson.OPENING)

st.subheader("Train live")
settings = shell.controls_ui(SLUG, lesson.CONTROLS, columns=4)
panel = live.LivePanel(
    SLUG, lesson.LIVE_CONTROLS, settings=settings, max_steps=lesson.MAX_STEPS, log_every=lesson.METRICS_EVERY,
    make_members=functools.partial(lesson.build_members, dict(settings)),
    route=lambda values: lesson.hparam_changes(values, settings["method"]),
)
try:
    profile = lesson.live_profile()[1]
except ValueError:  # CUDA requested without a GPU: the panel below says so and offers no Start
    profile = None
st.markdown(lesson.experiment_text(settings["dataset"], profile))
if profile is not None:
    config = lesson.lesson_config(settings["dataset"], settings["generator"], settings["method"], settings["seed"])
    st.markdown(lesson.settings_note(config, settings["method"]))
    st.caption(lesson.parameters_sentence(lesson.parameter_counts(config), settings["generator"]))
panel.controls()
if settings["method"] != "wgan":
    st.caption("The clip c slider acts on the WGAN only; n_critic acts on every method except the GAN baseline, "
               "which keeps DCGAN's one discriminator step per generator step.")


def run_logs(job) -> list[dict]:
    return [e for e in job.logs() if e.get("member") == "run"]


def curve_figure(job):
    _, snaps = job.latest_snapshot()
    snap = snaps["run"]
    title = "Critic estimate, with samples"  # median-filtered as in Fig 4 (the legend says which line is which)
    return plots.w_curve(lesson.w_curve(run_logs(job)), title, snap["thumb_steps"], snap["thumbs"],
                         changes=panel.changes())


def draw(job) -> None:
    _, snaps = job.latest_snapshot()
    snap = snaps["run"]
    logs = run_logs(job)
    left, right = st.columns([2, 3])
    live_chart(plots.sample_grid(snap["grid"], f"Fixed noise, step {snap['g_step']}"), key=f"{SLUG}.grid",
               container=left)
    live_chart(curve_figure(job), key=f"{SLUG}.curve", container=right)
    last = logs[-1] if logs else {}
    a, b, c, d = st.columns(4)
    if "classes_covered" in last:
        a.metric("classes covered", f"{last['classes_covered']:.0f} / 10")
        b.metric("class KL", f"{last['class_kl']:.2f}")
    if "w1_pixels" in last:
        c.metric("exact W₁ in pixels", f"{last['w1_pixels']:.2f}")
    if "critic_estimate" in last:
        d.metric("critic estimate", f"{last['critic_estimate']:.4f}")
    if any("classes_covered" in e for e in logs):
        live_chart(plots.coverage_curves(logs, changes=panel.changes()), key=f"{SLUG}.coverage")


panel.poll(draw)
panel.export({"w-curve": lambda: curve_figure(panel.job)})
board.class_board_ui(SLUG, panel.job, settings, lesson.METHOD_LABELS)

st.markdown(lesson.WHY_GAN_FAILS)
st.markdown(lesson.BATCH_NORM_CLIPPING)

def replay_run_ui(name: str) -> None:
    """One recorded run: caption, snapshot scrubber and curves — or one line saying why it cannot be read."""
    try:
        run = lesson.load_image_run(name)
        cfg = run.config
        st.caption(f"{cfg.get('dataset')} · generator {cfg.get('generator')} · {cfg.get('loss')} · "
                   f"{len(run.logs)} logs · {run.summary.get('g_step', '?')} generator steps")
        if run.snapshot_steps:
            step = st.select_slider("Snapshot at step", run.snapshot_steps, value=run.snapshot_steps[-1],
                                    key=f"{SLUG}.replay.step")
            left, right = st.columns([2, 3])
            left.plotly_chart(plots.sample_grid(lesson.run_grid(run, step), f"{name}: step {step}"),
                              key=f"{SLUG}.replay.grid", width="stretch")
            thumb_steps, thumbs = lesson.run_thumbnails(run)
            right.plotly_chart(plots.w_curve(lesson.w_curve(run.logs), "Recorded critic estimate", thumb_steps,
                                             thumbs), key=f"{SLUG}.replay.curve", width="stretch")
    except ValueError as exc:  # rewritten since it was listed, or an unreadable snapshot
        st.warning(f"Run `{name}` cannot be replayed: {exc}")
        return
    if any("classes_covered" in e for e in run.logs):
        st.plotly_chart(plots.coverage_curves(run.logs), key=f"{SLUG}.replay.coverage", width="stretch")


runs = lesson.list_image_runs()
if runs:  # the replay section shows only when there is a recorded run (For instructors says how to record one)
    st.subheader("Replay a recorded run")
    replay.skipped_note(lesson.skipped_image_runs())
    replay_run_ui(st.selectbox("Recorded run", runs, key=f"{SLUG}.replay.run"))

    checkpoints = lesson.list_checkpoints()
    if checkpoints:
        st.subheader("Samples from a checkpoint")
        chosen = st.selectbox("Checkpoint of run", checkpoints, key=f"{SLUG}.ckpt.run")
        if st.button("Generate samples", key=f"{SLUG}.ckpt.go", icon=":material/image:"):
            try:
                grid, info = lesson.checkpoint_grid(chosen)
            except (ValueError, RuntimeError) as exc:  # CheckpointError included: a clear message, no code run
                st.error(f"Could not load {chosen}/checkpoint.pt: {exc}")
            else:
                st.plotly_chart(plots.sample_grid(grid, f"{chosen}: {info['generator']} · {info['loss']} · "
                                                        f"step {info['g_step']}"),
                                key=f"{SLUG}.ckpt.grid", width="stretch")

shell.footer(SLUG, lesson, instructors=(live.instructor_note(), replay.HOW_TO_RECORD))
