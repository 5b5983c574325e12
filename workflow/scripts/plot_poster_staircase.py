"""Figure: the poster's picture, loss curves from large to tiny alpha.

The training loss of the flow for every configured alpha on one axis, light (large alpha) to
dark (small alpha), over the limit staircase of Algorithm 1: the staircase emerges as
``alpha -> 0``.
"""

from dln import flow_store, io, plotstyle


def main(
    *,
    figure: str,
    problem: str,
    saddles: str,
    flows: list[str],
    png: str,
    pdf: str,
    caption: str,
    template: str,
    time_scale: str = "linear",
    dpi: int = 150,
):
    from _captions import flow_summary, fmt_list, problem_setup, saddle_summary, write_caption
    from _helpers import new_figure, read_flows_by_alpha, save_figure

    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    stores = read_flows_by_alpha(flows)
    fig, axes = new_figure(1, 1, width=7.2, height=3.8)
    ax = axes[0, 0]
    t0 = float(stores[0]["time"].values[0])
    if time_scale == "linear" and t0 > 0 and plotstyle.spans_decades(sad["jump_time"].values[1:]):
        time_scale = "log"  # a grid from t > 0 and jumps over decades: early ones not squashed
    flow_store.plot_losses_over_alpha(stores, sad, ax, time_scale=time_scale)
    setup = problem_setup(prob)
    ax.set_title(
        f"{setup['problem']}: training loss from large to small "
        r"$\alpha$ (n = " + f"{setup['n']}, d = {setup['d']})",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    write_caption(
        template,
        caption,
        **setup,
        **saddle_summary(sad),
        **flow_summary(stores),
        plateau_losses=fmt_list(sad["loss"].values),
        n_alphas=len(stores),
    )
