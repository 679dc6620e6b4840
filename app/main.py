"""Entry point: ``streamlit run app/main.py``.

Routes with ``st.navigation``: the home page, then every lesson of :data:`lessons.COURSE` whose
lesson module and view both exist, in course order.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so `app`, `lessons` and `wgan_core` import without an install
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import shell  # noqa: E402

st.set_page_config(page_title="WGAN classroom", page_icon=":material/school:", layout="wide")

pages = shell.build_pages()
current = st.navigation(pages, position="sidebar")
shell.stepper(pages, current)
current.run()
