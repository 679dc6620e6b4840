"""Exercises: predict, then reveal — and, when the class store is on, a class poll.

A student commits a prediction with **Submit prediction** (a choice, or a text of at most
:data:`~wgan_core.classroom.MAX_TEXT_CHARS` characters); it is stored once per student and exercise and
can change until the answer is revealed. While a teacher presents, the teacher reveals each exercise to
the class from the panel; otherwise a student reveals it alone, as soon as a prediction is picked or
written. A revealed choice exercise says **Right** or **Not quite** and which choice was right.
"""

from __future__ import annotations

import streamlit as st

from app import classroom
from lessons import Exercise
from wgan_core.classroom import MAX_TEXT_CHARS, PredictionsClosed, RateLimiter

#: Submissions per student: a burst of 5, then one every 3 s.
ANSWERS = RateLimiter(burst=5, per_s=3.0)


def verdict(ex: Exercise, picked: str | None) -> None:
    """Right / Not quite for a revealed choice exercise the student answered."""
    if not ex.choices or picked is None:
        return
    if picked == ex.correct:
        st.markdown(":green[:material/check_circle: **Right.**]")
    else:
        st.markdown(f":orange[:material/info: **Not quite.**] The right choice is *{ex.correct}*.")


def _submit(slug: str, index: int, ex: Exercise, guess: str) -> None:
    student = classroom.student_id()
    if not ANSWERS.allow(student):
        st.warning(f"Too many submissions at once: wait {ANSWERS.wait_s(student):.0f} s and submit again.")
        return
    fields = {"choice": guess} if ex.choices else {"text": guess}
    try:
        saved = classroom.call(lambda s: s.submit_answer(student, slug, index, **fields))
    except PredictionsClosed as exc:
        st.warning(str(exc))
        return
    except ValueError as exc:
        st.error(str(exc))
        return
    if saved is not None:
        st.toast("Prediction submitted.", icon=":material/how_to_vote:")


def exercise_ui(slug: str, index: int, ex: Exercise, presenting: bool, class_revealed: bool) -> None:
    """One exercise: question, prediction, Submit prediction, and its reveal."""
    st.markdown(f"**Exercise {index}.** {ex.question}")
    key = f"{slug}.ex{index}.guess"
    stored = classroom.call(lambda s: s.answer_of(classroom.student_id(), slug, index))
    if not st.session_state.get(key) and stored is not None:  # the submitted prediction comes back
        st.session_state[key] = stored.choice if ex.choices else stored.text
    if ex.choices:
        guess = st.radio("Your prediction", ex.choices, index=None, key=key, disabled=class_revealed)
    else:
        guess = st.text_input("Your prediction", key=key, placeholder="Write it down first", max_chars=MAX_TEXT_CHARS,
                              disabled=class_revealed)
    store_on = classroom.store() is not None
    if store_on and not class_revealed:
        if st.button("Submit prediction", key=f"{slug}.ex{index}.submit", disabled=not guess,
                     icon=":material/how_to_vote:"):
            _submit(slug, index, ex, guess)
            stored = classroom.call(lambda s: s.answer_of(classroom.student_id(), slug, index))
        if stored is not None:
            st.caption("Your prediction is submitted; you can change it and submit again until the reveal.")
    picked = stored.choice if stored is not None else (guess if ex.choices else None)
    if class_revealed:
        st.success(ex.answer)
        verdict(ex, picked)
    elif presenting:
        st.caption("Your teacher reveals the answer to the class.")
    elif st.toggle("Reveal answer", key=f"{slug}.ex{index}.reveal", disabled=not guess,
                   help="Commit to a prediction first.") and guess:
        st.success(ex.answer)
        verdict(ex, guess if ex.choices else None)


def exercises_ui(slug: str, exercises: list[Exercise] | tuple[Exercise, ...]) -> None:
    """Every exercise of the lesson, each in its own box."""
    st.subheader("Exercises")
    presenting = classroom.presentation() is not None
    revealed = classroom.call(lambda s: s.revealed(slug), frozenset())
    classroom.rendered(slug, presenting, revealed)
    for i, ex in enumerate(exercises, start=1):
        with st.container(border=True):
            exercise_ui(slug, i, ex, presenting, i in revealed)
