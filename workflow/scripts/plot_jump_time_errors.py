"""Figure: jump time errors against log(1/alpha), one panel per problem.

Log-log: the measured ``|t_k^alpha - t_k|`` of every jump ``k``, the fitted lines of the
convergence stores (slopes in the legend) and a ``C / log(1/alpha)`` reference line.
"""

from dln import convergence_store, io


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
    from _captions import fmt, fmt_list, problem_setup, write_caption
    from _helpers import new_figure, save_figure

    if not convergence or len(convergence) != len(problems):
        raise ValueError("need one problem store per convergence store (and at least one)")
    stores = [io.read_dataset(p) for p in convergence]
    fig, axes = new_figure(1, len(stores), width=4.6, height=3.4)
    lines = []
    for ax, ds, path in zip(axes[0], stores, problems, strict=True):
        convergence_store.plot_jump_time_errors(ds, ax)
        setup = problem_setup(io.read_dataset(path))
        ax.set_title(f"{setup['problem']} (n = {setup['n']}, d = {setup['d']})", fontsize="medium")
        lam = ds["log_inv_alpha"].values
        slopes = ", ".join(
            f"k = {k}: {fmt(s, 3)} ± {fmt(e, 2)}"
            for k, s, e in zip(
                ds["jump"].values, ds["jump_slope"].values, ds["jump_stderr"].values, strict=True
            )
        )
        lines.append(
            f"- {setup['problem']} (n = {setup['n']}, d = {setup['d']}, seed {setup['seed']}): "
            f"{lam.size} alphas, log(1/α) from {fmt(lam[0])} to {fmt(lam[-1])}; jump times "
            f"t_k = {fmt_list(ds['jump_time'].values)}; fitted slopes {slopes}; constants "
            f"C_k = median of error × log(1/α) = {fmt_list(ds['jump_constant'].values, 3)}"
        )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    write_caption(template, caption, problem_list="\n".join(lines))
