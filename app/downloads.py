"""A lesson's "lesson pack" download: its notebook and the course wheel in one zip.

The zip is made when the button is pressed (deferred data), from the committed notebook and the wheel
that :mod:`lessons.notebooks.pack` builds once per source version into its bounded cache. The reader
chooses nothing but the lesson the page already shows: no file names or paths come from the UI.
"""

from __future__ import annotations

import streamlit as st

from lessons.notebooks import pack


def lesson_pack_button(slug: str) -> None:
    """The download button of the lesson pack of ``slug``, with the one line that installs it."""
    st.download_button("Download the lesson pack (notebook + course package)", data=lambda: pack.lesson_pack(slug),
                       file_name=pack.pack_name(slug), mime="application/zip", on_click="ignore",
                       icon=":material/folder_zip:", key=f"{slug}.lesson_pack",
                       help="Runs outside this app and this repository: unzip, then "
                            f"`{pack.install_line()}` and open the notebook in Jupyter.")
