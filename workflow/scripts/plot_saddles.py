"""Figure: the loss staircase of Algorithm 1 for every problem."""

import math

from dln import io, saddle_store


def main(*, saddles: list[str], png: str, pdf: str, dpi: int = 150):
    from _helpers import new_figure, save_figure

    ncols = min(3, len(saddles))
    fig, axes = new_figure(math.ceil(len(saddles) / ncols), ncols)
    for ax, path in zip(axes.flat, saddles, strict=False):
        saddle_store.plot_saddle_staircase(io.read_dataset(path), ax, time_scale="auto")
    for ax in list(axes.flat)[len(saddles) :]:
        ax.set_axis_off()
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
