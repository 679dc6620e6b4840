"""Entry point: ``streamlit run app/main.py``.

Routes with ``st.navigation``: the home page, then every lesson of :data:`lessons.COURSE` whose
lesson module and view both exist, in course order, and last, in a section of its own, the teacher's panel
(``app/views/teacher.py``, outside the lesson stepper). Every page is listed in the sidebar (no "View
more"). The favicon is a file of the app (``app/static/favicon.png``): no page fetches anything from
outside the server.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so `app`, `lessons` and `wgan_core` import without an install
    sys.path.insert(0, str(ROOT))

import pandas  # noqa: E402,F401 - whole before any page runs: plotly peeks at a half-imported pandas in sys.modules
import streamlit as st  # noqa: E402

from app import classroom, live, shell, stale_polls  # noqa: E402

FAVICON = ROOT / "app" / "static" / "favicon.png"

stale_polls.install()  # a fragment timer's tick from a page the session has left is dropped
st.set_page_config(page_title="WGAN classroom", page_icon=str(FAVICON), layout="wide")

pages = shell.build_pages()
teacher = st.Page(str(ROOT / "app" / "views" / "teacher.py"), title="Teacher's panel",
                  icon=":material/admin_panel_settings:", url_path="teacher")
current = st.navigation({"Course": pages, "For teachers": [teacher]}, position="sidebar", expanded=True)
stale_polls.mark_page()
if current.url_path != teacher.url_path:  # the teacher's page is not a step of the course
    shell.stepper(pages, current)
    classroom.follow_ui(pages, current.url_path, live.session_job)  # the banner; a follower moves with the class
current.run()
if current.url_path != teacher.url_path:
    classroom.page_drawn(current.url_path)  # seen here; the presenting teacher's page becomes the class's
