"""Figure: beta* (or X^T y / n) and the min-l1 endpoint of every problem."""

import math

from dln import io
from dln.problems import store as problem_store


def main(*, problems: list[str], saddles: list[str], png: str, pdf: str, dpi: int = 150):
    from _helpers import new_figure, save_figure

    ncols = min(3, len(problems))
    fig, axes = new_figure(math.ceil(len(problems) / ncols), ncols)
    for ax, p, s in zip(axes.flat, problems, saddles, strict=False):
        problem_store.plot_problem(io.read_dataset(p), ax, saddles=io.read_dataset(s))
    for ax in list(axes.flat)[len(problems) :]:
        ax.set_axis_off()
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
