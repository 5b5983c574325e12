"""Figure: one problem's coordinates for several alphas.

One panel per coordinate that is active in the limit: the flow for every configured alpha
(light to dark as alpha shrinks) over the limit process in black, so that the convergence
``beta~_alpha -> beta°`` is visible.
"""

from dln import flow_store, io, plotstyle, saddle_store

# At most this many coordinates (panels) are drawn, the ones that move the most.
MAX_PANELS = 4


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
    import numpy as np
    from _captions import flow_summary, problem_setup, saddle_summary, write_caption
    from _helpers import new_figure, read_flows_by_alpha, save_figure

    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    stores = read_flows_by_alpha(flows)
    active = saddle_store.active_features(sad)
    if active.size > MAX_PANELS:
        active = saddle_store.moving_features(sad, MAX_PANELS)
    if active.size == 0:
        raise ValueError(f"problem {prob.attrs.get('problem')!r} has no active coordinate")
    t0 = float(stores[0]["time"].values[0])
    if time_scale == "linear" and t0 > 0 and plotstyle.spans_decades(sad["jump_time"].values[1:]):
        time_scale = "log"  # a grid from t > 0 and jumps over decades: early ones not squashed
    fig, axes = new_figure(1, active.size, width=3.6, height=3.3)
    for ax, j in zip(axes[0], active, strict=True):
        flow_store.plot_coordinate_over_alpha(stores, sad, ax, feature=int(j))
        if time_scale == "log":
            ax.set_xscale("log")
    axes[0, -1].legend(
        fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0)
    )
    setup = problem_setup(prob)
    fig.suptitle(
        f"{setup['problem']} (n = {setup['n']}, d = {setup['d']}): the flow approaches the "
        r"limit as $\alpha \to 0$",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    names = [str(n) for n in sad["feature_name"].values]
    write_caption(
        template,
        caption,
        **setup,
        **saddle_summary(sad),
        **flow_summary(stores),
        features=", ".join(names[j] for j in np.asarray(active)),
    )
