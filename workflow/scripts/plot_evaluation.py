"""Figure: distance of each flow to its limit, one panel per problem."""

import math

from dln import evaluation_store, io


def main(*, evaluations: list[str], png: str, pdf: str, dpi: int = 150):
    from _helpers import new_figure, save_figure

    by_problem: dict[str, list] = {}
    for path in evaluations:
        ds = io.read_dataset(path)
        by_problem.setdefault(ds.attrs.get("problem", ""), []).append(ds)
    ncols = min(3, len(by_problem))
    fig, axes = new_figure(math.ceil(len(by_problem) / ncols), ncols)
    for ax, (problem, stores) in zip(axes.flat, by_problem.items(), strict=False):
        stores.sort(key=lambda e: float(e["log_inv_alpha"]))
        for ds in stores:
            evaluation_store.plot_evaluation(ds, ax, lw=0.8)
        ax.set_title(f"{problem}: distance to the limit", fontsize="medium")
        ax.legend(fontsize="xx-small", frameon=False)
    for ax in list(axes.flat)[len(by_problem) :]:
        ax.set_axis_off()
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
