"""Lesson 1 view: KL, JS, TV and the earth mover's distance (dirt piles, KL's asymmetry).

The results and their figures are built once per setting of the sliders and shared by every session
(``st.cache_resource``: nothing mutates them): a class that follows the teacher onto this page draws
them without building them again.
"""

from __future__ import annotations

import streamlit as st

from app import shell
from lessons import distances as lesson
from plots import distances as plots

SLUG = "distances"


@st.cache_resource(show_spinner=False, max_entries=64)
def pile_transport(p: tuple[int, ...], q: tuple[int, ...]):
    """(result, moves, piles figure, plan figure); ValueError for piles without dirt (never cached)."""
    result = lesson.earth_mover(list(p), list(q))
    moves = lesson.plan_moves(result)
    return result, moves, plots.piles(result, moves), plots.plan_heatmap(result)


@st.cache_resource(show_spinner=False, max_entries=64)
def gaussian_comparison(mu_p: float, sigma_p: float, mu_q: float, sigma_q: float):
    """(comparison, its figure, its table's rows)."""
    cmp = lesson.gaussian_kl(mu_p, sigma_p, mu_q, sigma_q)
    return cmp, plots.gaussians(cmp), plots.table_rows(cmp)


st.title(lesson.TITLE)
st.markdown(lesson.MOTIVATION)
st.markdown(lesson.DEFINITIONS)

# --- The earth mover with dirt piles ----------------------------------------------------------
st.markdown(lesson.EARTH_MOVER)
piles = shell.controls_ui(SLUG, lesson.PILE_CONTROLS, columns=4)
p = tuple(piles[f"P{i}"] for i in range(1, 5))
q = tuple(piles[f"Q{i}"] for i in range(1, 5))
try:
    result, moves, piles_figure, plan_figure = pile_transport(p, q)
except ValueError as exc:
    st.warning(f"{exc}.")
    result = None

if result is not None:
    if not result.equal_totals:
        st.info(f"P holds {result.p.sum():g} shovelfuls and Q {result.q.sum():g}: a transport plan must move "
                "all of P onto all of Q, so both are rescaled to probability distributions (total 1). The plan "
                "below shows fractions of the mass and W is the distance per unit of mass.")
    left, right = st.columns([3, 2])
    left.plotly_chart(piles_figure, key="piles_chart")
    right.plotly_chart(plan_figure, key="plan_chart")

    cols = st.columns(4)
    if result.equal_totals:
        terms = " + ".join(f"{amount:.3g} \\times {abs(dst - src)}" for src, dst, amount in moves if src != dst)
        st.latex(rf"\sum_{{ij}} \gamma_{{ij}} |x_i - y_j| = {terms or '0'} = {result.shovel_cost:.4g}"
                 rf"\qquad \sum_i |\delta_i| = {' + '.join(f'{abs(d):g}' for d in result.deltas)}"
                 rf" = {abs(result.deltas).sum():g}")
        cols[0].metric("W (shovel-units)", f"{result.shovel_cost:.4g}",
                       help="Total shovel-distance of the optimal plan: Σ amount × distance.")
    else:
        cols[0].metric("W (shovel-units)", "—", help="Only defined when P and Q hold the same amount of dirt.")
    cols[1].metric("W per unit mass", f"{result.w:.4g}", help="W1 between the normalised distributions.")
    cols[2].metric("TV δ", f"{result.tv:.4g}")
    cols[3].metric("JS", f"{result.js:.4g}")
    st.caption(f"KL(P‖Q) = {plots.number(result.kl_pq)}, KL(Q‖P) = {plots.number(result.kl_qp)} nats "
               "(∞ when a pile is empty on one side only). KL, JS and TV compare pile heights at the same "
               "position and ignore distances.")

# --- KL's asymmetry on two Gaussians ------------------------------------------------------------
st.markdown(lesson.KL_ASYMMETRY)
g = shell.controls_ui(SLUG, lesson.GAUSS_CONTROLS, columns=4)
cmp, gauss_figure, rows = gaussian_comparison(g["mu_p"], g["sigma_p"], g["mu_q"], g["sigma_q"])
st.plotly_chart(gauss_figure, key="gauss_chart")
st.table(rows)

shell.footer(SLUG, lesson)
