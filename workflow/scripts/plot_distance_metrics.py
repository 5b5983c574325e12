"""Figure: distances of the flow to the limit against log(1/alpha).

Three log-log panels: the sup distance outside windows around the jumps, the time-integrated
distance and the sup error in the dual variable ``s``; one series per problem, with the
fitted slope in the legend and a ``C / log(1/alpha)`` reference line.
"""

from dln import convergence_store, io

# The metrics drawn, in panel order (dln.evaluate.METRICS names), and their axis labels.
METRICS = {
    "sup_distance_outside_windows": r"$\sup_{t \notin W}"
    r" \|\tilde\beta(t) - \beta^\circ(t)\|_\infty$",
    "integrated_distance": r"$\int \|\tilde\beta(t) - \beta^\circ(t)\|_\infty \, dt$",
    "sup_s_error": r"$\sup_t \|s(t) - s^\circ(t)\|_\infty$",
}


def main(
    *,
    convergence: list[str],
    problems: list[str],
    png: str,
    pdf: str,
    caption: str,
    template: str,
    dpi: int = 150,
):
    from _captions import fmt, problem_setup, write_caption
    from _helpers import new_figure, save_figure

    if not convergence or len(convergence) != len(problems):
        raise ValueError("need one problem store per convergence store (and at least one)")
    stores = [io.read_dataset(p) for p in convergence]
    fig, axes = new_figure(1, len(METRICS), width=3.6, height=3.4)
    for ax, (metric, ylabel) in zip(axes[0], METRICS.items(), strict=True):
        convergence_store.plot_metric_over_alpha(stores, ax, metric=metric)
        ax.set_ylabel(ylabel)
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    lines = []
    for ds, path in zip(stores, problems, strict=True):
        setup = problem_setup(io.read_dataset(path))
        names = [str(m) for m in ds["metric"].values]
        parts = []
        for metric in METRICS:
            j = names.index(metric)
            values = ds["metric_value"].values[:, j]
            parts.append(
                f"{metric}: from {fmt(values[0], 3)} to {fmt(values[-1], 3)}, "
                f"slope {fmt(ds['metric_slope'].values[j], 3)}"
            )
        lam = ds["log_inv_alpha"].values
        lines.append(
            f"- {setup['problem']} (n = {setup['n']}, d = {setup['d']}, seed {setup['seed']}, "
            f"log(1/α) from {fmt(lam[0])} to {fmt(lam[-1])}): " + "; ".join(parts)
        )
    write_caption(template, caption, problem_list="\n".join(lines))
