"""Notebook cells of the lessons that compute in one go (no live training).

Each recipe mirrors its app view (``app/views/<slug>.py``): the same compute calls, the same figure
builders from :mod:`plots`, the lesson module's own text constants as markdown. A code cell prints the
numbers the lesson is about, so a reader (and the test suite) can check the lesson's claim in the output.
"""

from __future__ import annotations

from lessons.notebooks import Recipe, code, md

INTERACT = "from lessons.notebooks.widgets import control, explore\n"
MANUAL = "from lessons.notebooks.widgets import control, explore, progress_bar\n"


def _distances(m):
    return [
        md(m.MOTIVATION), md(m.DEFINITIONS), md(m.EARTH_MOVER),
        code("""
p, q = [P1, P2, P3, P4], [Q1, Q2, Q3, Q4]
result = lesson.earth_mover(p, q)
moves = lesson.plan_moves(result)
plots.piles(result, moves).show()
plots.plan_heatmap(result).show()
if result.equal_totals:
    print(f"W = {result.shovel_cost:.4g} shovel-units = sum of |running surplus| = {abs(result.deltas).sum():.4g}")
print(f"W per unit mass = {result.w:.4g}, TV = {result.tv:.4g}, JS = {result.js:.4g}")
print(f"KL(P||Q) = {plots.number(result.kl_pq)}, KL(Q||P) = {plots.number(result.kl_qp)} nats")
"""),
        md("Move the piles (both sides need some dirt):"),
        code("""
def piles(P1, P2, P3, P4, Q1, Q2, Q3, Q4):
    result = lesson.earth_mover([P1, P2, P3, P4], [Q1, Q2, Q3, Q4])
    return [plots.piles(result, lesson.plan_moves(result)),
            f"W per unit mass = {result.w:.4g}, TV = {result.tv:.4g}, JS = {result.js:.4g}"]


explore(piles, **{k: control(lesson, k, v) for k, v in dict(P1=P1, P2=P2, P3=P3, P4=P4,
                                                            Q1=Q1, Q2=Q2, Q3=Q3, Q4=Q4).items()})
"""),
        md(m.KL_ASYMMETRY),
        code("""
cmp = lesson.gaussian_kl(mu_p, sigma_p, mu_q, sigma_q)
plots.gaussians(cmp).show()
for row in plots.table_rows(cmp):
    print(row)
print(f"KL(P||Q) = {cmp.kl_pq:.6f}, KL(Q||P) = {cmp.kl_qp:.6f}")
"""),
    ]


def _parallel_lines(m):
    return [
        md(m.MOTIVATION), md(m.CLOSED_FORMS), md(f"$$\n{m.CLOSED_FORMS_LATEX.strip()}\n$$"), md(m.CLOSED_FORMS_AFTER),
        code("""
real, fake = lesson.sample_lines(theta)
value, slope = lesson.at_theta(theta)
plots.lines(real, fake, theta).show()
for name in lesson.NAMES:
    print(f"{lesson.LABELS[name]:>14} = {value[name]:.6f}")
print(f"W = {value['W']:.6f} and |theta| = {abs(theta):.6f};  JS = {value['JS']:.6f} and log 2 = {math.log(2):.6f}")
"""),
        md(m.ESTIMATES),
        code("""
closed = lesson.closed_form_curves(lesson.THETA_GRID)
divergence_base = plots.divergence_base(lesson.THETA_GRID, closed, lesson.estimate_curves(n), lesson.NAMES,
                                        lesson.LABELS)
plots.divergences(divergence_base, theta, value, lesson.NAMES).show()
"""),
        md(m.DERIVATIVES),
        code("""
derivative_base = plots.derivative_base(lesson.THETA_GRID, lesson.derivative_curves(lesson.THETA_GRID),
                                        lesson.NAMES, lesson.LABELS)
plots.derivatives(derivative_base, theta, len(lesson.NAMES)).show()
"""),
        md("Move θ: W follows it, the other four do not move until θ is exactly 0."),
        code("""
def at(theta):
    value, _ = lesson.at_theta(theta)
    return [plots.lines(*lesson.sample_lines(theta), theta),
            plots.divergences(divergence_base, theta, value, lesson.NAMES)]


explore(at, theta=control(lesson, "theta", theta))
"""),
        md(m.DESCENT),
        code("""
runs = {name: lesson.gradient_descent(name, theta, lr, decay=decay) for name in ("W", "JS")}
plots.descent(runs, step, lesson.LABELS).show()
print(f"start theta = {theta:.2f}; after {step} steps: theta = {runs['W'][step]:.3f} under W, "
      f"theta = {runs['JS'][step]:.3f} under JS")
"""),
        code("""
def descend(lr, decay, step):
    runs = {name: lesson.gradient_descent(name, theta, lr, decay=decay) for name in ("W", "JS")}
    return [plots.descent(runs, step, lesson.LABELS)]


explore(descend, lr=control(lesson, "lr", lr), decay=control(lesson, "decay", decay),
        step=control(lesson, "step", step))
"""),
    ]


def _gan_objective(m):
    values = ("values = dict(real_mean_a=real_mean_a, real_mean_b=real_mean_b, real_width=real_width, "
              "real_weight=real_weight,\n              gen_mean=gen_mean, gen_width=gen_width)")
    return [
        md(m.INTRO),
        code(values + """
result = lesson.analyse_controls(values)
plots.densities_and_d_star(result.x, result.p_r, result.p_g, result.d_star).show()
"""),
        md(m.OPTIMAL_D), md(m.IDENTITY),
        code("""
print(f"L(G, D*) by quadrature = {result.value:.9f}")
print(f"2 JS - 2 log 2         = {result.identity_rhs:.9f}")
print(f"|difference|           = {result.identity_gap:.2e}")
print(f"JS = {result.js:.6f}, log 2 = {lesson.LOG_2:.6f}, minimum of L = -2 log 2 = {-2 * lesson.LOG_2:.6f}")
"""),
        md(m.PERFECT),
        code("""
plots.js_sweep(lesson.sweep_controls(values), gen_mean, result.js, lesson.LOG_2).show()
"""),
        md("Move the generator: D* follows the ratio of the densities, and JS climbs to log 2 once they separate."),
        code("""
def shape(gen_mean, gen_width):
    r = lesson.analyse_controls({**values, "gen_mean": gen_mean, "gen_width": gen_width})
    return [plots.densities_and_d_star(r.x, r.p_r, r.p_g, r.d_star),
            f"JS = {r.js:.4f} (log 2 = {lesson.LOG_2:.4f}); identity gap {r.identity_gap:.1e}"]


explore(shape, gen_mean=control(lesson, "gen_mean", gen_mean), gen_width=control(lesson, "gen_width", gen_width))
"""),
    ]


def _nash(m):
    return [
        md(m.INTRO),
        code("""
game = lesson.play(dict(eta=eta, steps=steps, x0=x0, y0=y0, alternating=alternating))
sim, alt = game["simultaneous"], game.get("alternating")
plots.phase_portrait(sim, alt, game["flow"]).show()
plots.radius(sim, game["theory_radius"], alt).show()
print(f"simultaneous: radius {sim.radius[0]:.4f} -> {sim.radius[-1]:.4f} after {len(sim.x) - 1} steps "
      f"(x {game['growth_per_step']:.5f} per step)")
if alt is not None:
    spread = float(game["invariant"].max() - game["invariant"].min())
    print(f"alternating: radius {alt.radius[0]:.4f} -> {alt.radius[-1]:.4f}; "
          f"spread of Q = x^2+y^2-eta*x*y: {spread:.1e}")
"""),
        md(m.DYNAMICS),
        code("""
plots.coordinates(sim).show()
if alt is not None:
    plots.coordinates(alt).show()
"""),
        md("Change the step size: the spiral opens faster, by √(1+η²) per step."),
        code("""
def spiral(eta, steps):
    g = lesson.play(dict(eta=eta, steps=steps, x0=x0, y0=y0, alternating=alternating))
    return [plots.phase_portrait(g["simultaneous"], g.get("alternating"), g["flow"])]


explore(spiral, eta=control(lesson, "eta", eta), steps=control(lesson, "steps", steps))
"""),
    ]


def _vanishing_gradients(m):
    return [
        md(m.INTRO),
        code("""
bar, progress = progress_bar("discriminator iterations")
result = lesson.run_controls(dict(setting=setting, theta=theta, iters=iters, lr=lr, seed=seed), progress=progress)
bar.close()
plots.grad_norms(result.iters, result.curves).show()
gan, wgan = result.curves["gan-minimax"]["grad_norm"], result.curves["wgan"]["grad_norm"]
print(f"GAN gradient: peak {gan.max():.2e} -> final {gan[-1]:.2e}, "
      f"fell {result.orders_fallen('gan-minimax'):.1f} orders of magnitude")
print(f"WGAN gradient: peak {wgan.max():.2e} -> final {wgan[-1]:.2e}, "
      f"fell {result.orders_fallen('wgan'):.1f} orders of magnitude")
"""),
        md(m.WHY),
        code("""
plots.discriminator_state(result.iters, result.curves["gan-minimax"], lesson.LOG_2).show()
plots.fields(result.fields, result.real, result.fake).show()
"""),
        md(m.EXPERIMENT),
        md("Move θ or the learning rate and press **Run** to train both again (a few seconds):"),
        code("""
def rerun(theta, lr):
    again = lesson.run_controls(dict(setting=setting, theta=theta, iters=iters, lr=lr, seed=seed))
    return [plots.grad_norms(again.iters, again.curves)]


explore(rerun, run_button=True, theta=control(lesson, "theta", theta), lr=control(lesson, "lr", lr))
"""),
    ]


def _optimal_critic(m):
    return [
        md(m.INTRO), md(m.EQUATIONS), md("## The experiment"),
        code("""
bar, progress = progress_bar("training")
result = lesson.fig3(fake_mean, iters, clip_value, progress=progress, fake_std=fake_std)
bar.close()
plots.functions(result).show()
"""),
        md(m.FAIRNESS),
        code("""
plots.slopes(result).show()
print(f"normalised |grad D| at fake samples (median) = {result.disc_at_fake:.2e}")
print(f"normalised |grad f| at fake samples (median) = {result.critic_at_fake:.2f}")
print(f"ratio |grad D| / |grad f| = {result.ratio:.1e}")
"""),
        md(m.NON_SATURATING),
        md("Change the clip c or the fake width and press **Run** to train both functions again:"),
        code("""
def rerun(clip_value, fake_std):
    again = lesson.fig3(fake_mean, iters, clip_value, fake_std=fake_std)
    return [plots.functions(again)]


explore(rerun, run_button=True, clip_value=control(lesson, "clip_value", clip_value),
        fake_std=control(lesson, "fake_std", fake_std))
"""),
    ]


def _meaningful_loss(m):
    return [
        md(m.INTRO), md(m.EQUATIONS), md("## Three runs, one seed"),
        code("""
bar, progress = progress_bar("training")
result = lesson.loss_curves(dataset, steps, failed_lr, progress=progress)
bar.close()
for run in result.runs:
    print(f"{run.name}: Spearman rho(loss, exact W1) = {run.rho:+.2f} over {len(run.steps)} reads")
wgan, gan, failed = result.runs
for run in (wgan, gan):
    plots.curve(run, lesson.smooth(run, median_window)).show()
    plots.snapshots(run, result.real, result.extent).show()
"""),
        md(m.FAILED),
        code("""
plots.curve(failed, lesson.smooth(failed, median_window)).show()
plots.snapshots(failed, result.real, result.extent).show()
"""),
        md("Smooth the curves with a wider median window (no retraining):"),
        code("""
def smoothed(median_window):
    return [plots.curve(wgan, lesson.smooth(wgan, median_window))]


explore(smoothed, median_window=control(lesson, "median_window", median_window))
"""),
    ]


def _optimizers(m):
    return [
        md(m.INTRO), md(m.UPDATES), md("## The same WGAN, two optimizers"),
        code("""
bar, progress = progress_bar("training")
rms, adam = lesson.compare(beta1, lr, steps, progress=progress)
bar.close()
plots.cosine_and_w1((rms, adam)).show()
for run in (rms, adam):
    print(f"{run.name}: negative-cosine critic steps {run.negative_share:.2%}, final exact W1 {run.final_w1:.3f}")
"""),
        md(m.WHY_NONSTATIONARY),
        code("plots.estimates((rms, adam)).show()"),
        md("Change Adam's β₁ or the learning rate and press **Run** to train both again:"),
        code("""
def rerun(beta1, lr):
    again = lesson.compare(beta1, lr, steps)
    return [plots.cosine_and_w1(again)]


explore(rerun, run_button=True, beta1=control(lesson, "beta1", beta1), lr=control(lesson, "lr", lr))
"""),
    ]


RECIPES = {
    "distances": Recipe(INTERACT + "from plots import distances as plots", _distances),
    "parallel_lines": Recipe("import math\n\n" + INTERACT + "from plots import parallel_lines as plots",
                             _parallel_lines),
    "gan_objective": Recipe(INTERACT + "from plots import gan_objective as plots", _gan_objective),
    "nash": Recipe(INTERACT + "from plots import nash as plots", _nash),
    "vanishing_gradients": Recipe(MANUAL + "from plots import vanishing_gradients as plots", _vanishing_gradients,
                                  quick=dict(iters=200)),
    "optimal_critic": Recipe(MANUAL + "from plots import optimal_critic as plots", _optimal_critic,
                             quick=dict(iters=100)),
    "meaningful_loss": Recipe(MANUAL + "from plots import meaningful_loss as plots", _meaningful_loss,
                              # at 400 steps rho is still noise (+0.13 on one CPU, +0.5 on another)
                              quick=dict(steps=800)),
    "optimizers": Recipe(MANUAL + "from plots import optimizers as plots", _optimizers, quick=dict(steps=300)),
}
