"""Figure: the saddles of Algorithm 1 beside the Lasso path.

Left: the limit process ``beta°(t)`` (the saddles, piecewise constant, jump times dashed);
right: the Lasso solution at ``lam = 1/t`` (piecewise affine in ``lam``, knots dotted), on
the same time axis ``t = 1/lam`` and the same colours.
"""

import numpy as np

from dln import io, plotstyle, saddle_store
from dln.baselines.lasso import plot_lasso_path


def _faint() -> dict:
    return {"color": plotstyle.OTHER_STYLE["color"], "alpha": plotstyle.OTHER_STYLE["alpha"]}


def main(
    *,
    figure: str,
    problem: str,
    saddles: str,
    lasso: str,
    png: str,
    pdf: str,
    caption: str,
    template: str,
    time_scale: str = "linear",
    dpi: int = 150,
):
    from _captions import fmt, fmt_list, problem_setup, saddle_summary, sparse_vector, write_caption
    from _helpers import new_figure, save_figure

    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    las = io.read_dataset(lasso)
    t = las["time"].values
    features = sorted(
        set(saddle_store.active_features(sad).tolist())
        | set(np.flatnonzero(np.any(las["knot_beta"].values != 0, axis=0)).tolist())
    )
    fig, axes = new_figure(1, 2, width=4.3, height=3.6)
    ax_sad, ax_las = axes[0]
    ax_las.sharey(ax_sad)
    times, betas = saddle_store.limit_steps(sad, float(t[-1]))
    names = [str(n) for n in sad["feature_name"].values]
    d = sad.sizes["feature"]
    wide = len(features) > plotstyle.MAX_LABELLED or d > 100
    if wide:  # the key features coloured (the same in both panels), the others faint
        features = [int(j) for j in plotstyle.key_features(sad)]
        colors = plotstyle.key_colors(d, features)
        plotstyle.draw_others(
            ax_sad, times, betas[:, np.setdiff1d(np.arange(d), features)], step=True
        )
        for j in features:
            ax_sad.step(times, betas[:, j], where="post", color=colors[j], lw=1.5, label=names[j])
        ax_sad.plot([], [], lw=0.8, label=f"{d - len(features)} others", **_faint())
    else:
        colors = plotstyle.feature_colors(d)
        for j in range(betas.shape[1]):
            on = j in features
            ax_sad.step(
                times,
                betas[:, j],
                where="post",
                color=colors[j] if on else plotstyle.INACTIVE_COLOR,
                lw=1.5 if on else 0.8,
                label=names[j] if on else None,
            )
    many = sad.sizes["saddle"] > 2 * plotstyle.MAX_LABELLED
    for tk in sad["jump_time"].values[1:]:
        ax_sad.axvline(
            tk, color="0.6" if many else "0.4", lw=0.4 if many else 0.7, linestyle="--", zorder=1
        )
    ax_sad.axhline(0.0, color="0.8", lw=0.5, zorder=1)
    if time_scale == "log":
        ax_sad.set_xscale("log")
    ax_sad.set_xlim(float(t[0]), float(t[-1]))
    ax_sad.set_xlabel(plotstyle.label(las["time"]))
    ax_sad.set_ylabel(r"saddles: limit $\beta^\circ(t)$")
    ax_sad.set_title(f"Algorithm 1: {sad.sizes['saddle'] - 1} jumps (dashed)", fontsize="medium")
    plot_lasso_path(las, ax_las, time_scale=time_scale, features=features)
    ax_las.set_title(f"Lasso (LARS): {las.attrs['n_knots']} knots (dotted)", fontsize="medium")
    plotstyle.legend_outside(ax_las, handles=ax_sad.get_legend_handles_labels()[0])
    setup = problem_setup(prob)
    fig.suptitle(
        f"{setup['problem']} (n = {setup['n']}, d = {setup['d']}): saddles versus the Lasso "
        r"path on $t = 1/\lambda$",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    jumps = sad["jump_time"].values[1:]
    knots = las["knot_time"].values
    if jumps.size == knots.size:
        agreement = (
            "The knot times coincide with the jump times up to "
            f"{fmt(np.max(np.abs(knots - jumps) / jumps), 2)} (relative) on this problem."
        )
    else:
        agreement = (
            f"The counts differ ({jumps.size} jumps, {knots.size} knots), so the two "
            "sequences of times part ways."
        )
    lasso_lines = [
        f"- knot {k + 1} at t = {fmt(tk)} (λ = {fmt(1 / tk)}): "
        f"{sparse_vector(np.where(np.abs(b) > 1e-12 * np.abs(b).max(initial=1.0), b, 0), names)}"
        for k, (tk, b) in enumerate(zip(knots, las["knot_beta"].values, strict=True))
    ]
    write_caption(
        template,
        caption,
        **setup,
        **saddle_summary(sad),
        n_knots=int(knots.size),
        knot_times=fmt_list(knots),
        knot_list="\n".join(lasso_lines),
        agreement=agreement,
        end_beta=sparse_vector(
            np.where(np.abs(las["end_beta"].values) > 1e-9, las["end_beta"].values, 0), names
        ),
        t_max=f"{t[-1]:g}",
        lasso_at_t_max=sparse_vector(
            np.where(np.abs(las["beta"].values[-1]) > 1e-9, las["beta"].values[-1], 0), names
        ),
    )
