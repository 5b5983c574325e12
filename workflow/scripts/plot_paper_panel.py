"""Figures figure1_left, figure1_right, figure2_left, figure2_right of the figure table.

The paper's coordinate panels (arXiv v1, Figures 1 and 2): each coordinate of the flow
``beta~(t)`` in colour over the limit process of Algorithm 1 in black, in accelerated time;
with two alphas (Figure 2 left) the first is solid, the second dashed.
"""

from dln import flow_store, io, plotstyle

# Title of each panel, as the paper numbers them.
TITLES = {
    "figure1_left": "Figure 1 (left)",
    "figure1_right": "Figure 1 (right)",
    "figure2_left": "Figure 2 (left)",
    "figure2_right": "Figure 2 (right)",
}


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
    from _captions import flow_summary, problem_setup, saddle_summary, write_caption
    from _helpers import new_figure, save_figure

    if figure not in TITLES:
        raise ValueError(f"figure must be one of {sorted(TITLES)}, got {figure!r}")
    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    stores = [io.read_dataset(f) for f in flows]
    fig, axes = new_figure(1, 1, width=6.4, height=3.8)
    ax = axes[0, 0]
    flow_store.plot_paper_panel(stores, sad, ax, time_scale=time_scale)
    setup = problem_setup(prob)
    alphas = ", ".join(plotstyle.alpha_label(f) for f in stores)
    ax.set_title(
        f"{TITLES[figure]}: n = {setup['n']}, d = {setup['d']}, {alphas}", fontsize="medium"
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    t = stores[0]["time"].values
    write_caption(
        template,
        caption,
        **setup,
        **saddle_summary(sad),
        **flow_summary(stores),
        t_min=f"{t[0]:g}",
        t_max=f"{t[-1]:g}",
        time_scale=time_scale,
    )
