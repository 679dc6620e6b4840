r"""# Hard to reach a Nash equilibrium

GAN training is a two-player game played with gradient steps, and gradient steps need not settle
at the game's equilibrium (Salimans et al., 2016; Weng §4.1, Fig. 3). The smallest example: player
one controls $x$ and minimises $f_1(x, y) = xy$; player two controls $y$ and minimises
$f_2(x, y) = -xy$. The only Nash equilibrium is $(0, 0)$.

**Simultaneous updates** (both players step from the same point, as in a GAN that updates both
networks from one batch):

$$x_{t+1} = x_t - \eta\, y_t, \qquad y_{t+1} = y_t + \eta\, x_t.$$

This is the linear map $\begin{pmatrix}1 & -\eta\\ \eta & 1\end{pmatrix}$, a rotation by
$\arctan\eta$ times a stretch by $\sqrt{1+\eta^2}$, so the radius grows geometrically:

$$r_t = \sqrt{x_t^2 + y_t^2} = (1 + \eta^2)^{t/2}\, r_0 .$$

Every step spirals *outward*, for every $\eta > 0$.

**Alternating updates** (player two sees player one's new move, as in Algorithm 1's inner loop
followed by a generator step): $x_{t+1} = x_t - \eta y_t$, then $y_{t+1} = y_t + \eta x_{t+1}$.
The map $\begin{pmatrix}1 & -\eta\\ \eta & 1-\eta^2\end{pmatrix}$ has determinant 1 and conserves
$Q(x, y) = x^2 + y^2 - \eta\, xy$ exactly, so for $\eta < 2$ the iterates circle forever on an ellipse:
they neither diverge nor converge.

**The continuous-time limit** $\dot x = -y,\ \dot y = x$ is a circle of radius $r_0$: the equilibrium
is a centre, never an attractor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lessons import Exercise, Slider, Toggle

TITLE = "Hard to reach a Nash equilibrium"
SUMMARY = ("Two players minimise xy and −xy with gradient steps: simultaneous updates spiral outward, "
           "alternating ones circle for ever — neither finds the equilibrium.")

CONTROLS = (
    Slider("eta", "Learning rate η", 0.01, 0.5, 0.1, step=0.01, help="Step size of both players."),
    Slider("steps", "Iterations", 10, 400, 150, step=10, integer=True),
    Slider("x0", "Start x₀", -2.0, 2.0, 1.0, step=0.1),
    Slider("y0", "Start y₀", -2.0, 2.0, 1.0, step=0.1),
    Toggle("alternating", "Alternating updates too", True,
           help="Player y moves after seeing player x's new position."),
)

INTRO = r"""
Training a GAN means two players improving *at the same time*. Each follows its own gradient, with no
regard for the other's next move. Does that find the game's **Nash equilibrium** — a point where
neither player can gain by moving alone? Take the smallest game there is: player $x$ minimises
$f_1 = xy$, player $y$ minimises $f_2 = -xy$. The equilibrium is $(0, 0)$. Since
$\partial f_1/\partial x = y$ and $\partial f_2/\partial y = -x$, one gradient step with learning
rate $\eta$ for both players is

$$x_{t+1} = x_t - \eta\, y_t, \qquad y_{t+1} = y_t + \eta\, x_t .$$
"""

DYNAMICS = r"""
**Why it spirals outward.** The step is the linear map $\begin{pmatrix}1 & -\eta\\ \eta & 1\end{pmatrix}$:
a rotation by $\arctan\eta$ combined with a stretch by $\sqrt{1+\eta^2}$. So

$$r_t = \sqrt{x_t^2 + y_t^2} = (1 + \eta^2)^{t/2}\, r_0,$$

a geometric blow-up for **every** $\eta > 0$. A smaller $\eta$ only slows it down. Once $x$ and $y$
have opposite signs each player "overshoots" and the oscillation grows.

**Alternating updates.** Let $y$ respond to the *new* $x$: $x_{t+1} = x_t - \eta y_t$, then
$y_{t+1} = y_t + \eta x_{t+1}$. This map has determinant 1 and keeps $Q = x^2 + y^2 - \eta\,xy$ exactly
constant, so for $\eta < 2$ the iterates stay on an ellipse for ever: bounded, but still no
convergence. The gradient flow ($\eta \to 0$) is the dotted circle: the equilibrium is a centre that
nothing is pulled into.
"""

WHAT_TO_NOTICE = [
    r"The simultaneous-update radius is a straight line on the log scale: it is multiplied by "
    r"$\sqrt{1+\eta^2}$ every step, exactly as predicted (the dashed theory line lies on it).",
    r"Lowering $\eta$ does not fix it; it only slows the spiral. Per unit of 'time' $\eta t$ the growth "
    r"is $e^{\eta^2 t/2} = e^{(\eta t)\,\eta/2}$, which vanishes only in the limit $\eta \to 0$.",
    r"Alternating updates stay bounded ($Q = x^2 + y^2 - \eta xy$ is conserved) but circle for ever: "
    r"neither scheme converges to the equilibrium $(0, 0)$.",
    r"Individually each player is doing the right thing — following its own gradient. The instability "
    r"comes from the game, not from either player.",
]

EXERCISES = (
    Exercise(
        question=r"With $\eta = 0.1$ and start $(1, 1)$, how far from the origin are the simultaneous "
                 r"iterates after 100 steps?",
        answer=r"$r_{100} = (1.01)^{50}\, r_0 \approx 1.645 \times \sqrt 2 \approx 2.33$. Set the sliders "
               r"to check: the last point of the radius plot sits there.",
    ),
    Exercise(
        question=r"Start exactly at the equilibrium $(0, 0)$. What do both schemes do?",
        answer=r"Nothing: both gradients are zero there, so $(0, 0)$ is a fixed point. It is just not an "
               r"*attracting* one — any nudge away from it starts the spiral (simultaneous) or the orbit "
               r"(alternating).",
        choices=("Both stay at (0, 0)", "Both spiral outward", "Only alternating moves"),
        correct="Both stay at (0, 0)",
    ),
    Exercise(
        question=r"Halve $\eta$ from 0.2 to 0.1 and double the iterations from 100 to 200, so the players "
                 r"travel the same total 'time' $\eta t = 20$. Does the final radius stay the same?",
        answer=r"No, it shrinks: $(1+\eta^2)^{t/2}$ gives $1.04^{50} \approx 7.1$ at $\eta = 0.2$ but "
               r"$1.01^{100} \approx 2.7$ at $\eta = 0.1$. Smaller steps track the circular gradient flow "
               r"more closely, yet any $\eta > 0$ still diverges eventually.",
    ),
)


# ----------------------------------------------------------------------------------------------
# Compute
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Trajectory:
    """Iterates of the $xy$ game. Arrays have shape (steps + 1,), index 0 is the start."""

    scheme: str          # 'simultaneous' | 'alternating'
    x: np.ndarray
    y: np.ndarray

    @property
    def radius(self) -> np.ndarray:
        return np.hypot(self.x, self.y)

    @property
    def value(self) -> np.ndarray:
        """The game's value $xy$ at every iterate."""
        return self.x * self.y


def _check(eta: float, steps: int) -> None:
    if not (math.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a positive number, got {eta}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")


def simultaneous(x0: float, y0: float, eta: float, steps: int) -> Trajectory:
    r"""Both players step from the same point: $x \leftarrow x - \eta y$, $y \leftarrow y + \eta x$."""
    _check(eta, steps)
    x, y = np.empty(steps + 1), np.empty(steps + 1)
    x[0], y[0] = x0, y0
    for t in range(steps):
        # (1) x descends f_1 = xy (gradient y); (2) y descends f_2 = -xy (gradient -x), both from (x_t, y_t)
        x[t + 1] = x[t] - eta * y[t]
        y[t + 1] = y[t] + eta * x[t]
    return Trajectory("simultaneous", x, y)


def alternating(x0: float, y0: float, eta: float, steps: int) -> Trajectory:
    r"""Player $y$ answers player $x$'s new move: $x \leftarrow x - \eta y$, then $y \leftarrow y + \eta x_{new}$."""
    _check(eta, steps)
    x, y = np.empty(steps + 1), np.empty(steps + 1)
    x[0], y[0] = x0, y0
    for t in range(steps):
        x[t + 1] = x[t] - eta * y[t]
        y[t + 1] = y[t] + eta * x[t + 1]  # uses the updated x
    return Trajectory("alternating", x, y)


def radius_theory(r0: float, eta: float, steps: int) -> np.ndarray:
    r"""$r_t = (1+\eta^2)^{t/2} r_0$ for $t = 0..steps$ — the exact radius of the simultaneous scheme."""
    _check(eta, steps)
    return r0 * (1.0 + eta**2) ** (np.arange(steps + 1) / 2.0)


def alternating_invariant(traj: Trajectory, eta: float) -> np.ndarray:
    r"""$Q = x^2 + y^2 - \eta\,xy$ along a trajectory: constant for the alternating scheme."""
    return traj.x**2 + traj.y**2 - eta * traj.x * traj.y


def gradient_flow(x0: float, y0: float, n: int = 361) -> tuple[np.ndarray, np.ndarray]:
    r"""The $\eta \to 0$ limit $\dot x = -y, \dot y = x$: the circle through $(x_0, y_0)$, ``n`` points."""
    angle = np.linspace(0.0, 2 * math.pi, n)
    return x0 * np.cos(angle) - y0 * np.sin(angle), x0 * np.sin(angle) + y0 * np.cos(angle)


def play(values: dict) -> dict:
    """Everything the lesson draws for the slider ``values`` (keys of :data:`CONTROLS`)."""
    eta, steps = float(values["eta"]), int(values["steps"])
    x0, y0 = float(values["x0"]), float(values["y0"])
    sim = simultaneous(x0, y0, eta, steps)
    out = {
        "simultaneous": sim,
        "theory_radius": radius_theory(math.hypot(x0, y0), eta, steps),
        "growth_per_step": math.sqrt(1.0 + eta**2),
        "flow": gradient_flow(x0, y0),
    }
    if values.get("alternating", True):
        alt = alternating(x0, y0, eta, steps)
        out["alternating"] = alt
        out["invariant"] = alternating_invariant(alt, eta)
    return out
