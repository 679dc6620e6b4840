"""Home page: what the course covers and how to step through it."""

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

import lessons
from app import shell

st.title("WGAN classroom")
st.markdown(
    r"""
An interactive course on **Wasserstein GANs** (Arjovsky, Chintala & Bottou, 2017). Every claim of the
paper is something you can see, touch and measure here: distances are computed exactly, real
trainers run while you move the sliders, and every number on screen comes from code you can read.

**How to use it.** Step through the lessons with **Previous / Next** in the sidebar (or jump with the
menu). Each lesson follows the same shape: the motivation, the equation, the smallest experiment that
shows it, then *What to notice* and exercises — write your prediction first, then reveal the answer.
Every control is mirrored in the page address, so copying the URL shares the exact state you see.
"""
)

course = shell.available_lessons()
if course and st.button("Start with lesson 1", type="primary", icon=":material/play_arrow:",
                        key="home.start"):
    st.switch_page(f"views/{course[0].slug}.py")

# Numbered as the sidebar stepper counts them ("lesson k of N"): in course order, available ones only.
st.subheader("The course")
for number, info in enumerate(course, start=1):
    try:
        st.page_link(f"views/{info.slug}.py", label=f"{number}. {info.title}", icon=info.icon)
    except StreamlitPageNotFoundError:
        # A lesson whose files appeared after the navigation was built in this run: listed next run.
        continue
    st.caption(lessons.lesson_module(info.slug).SUMMARY)
