"""Figure: log-log errors against log(1/alpha) with fitted slopes."""

from dln import convergence_store, io


def main(*, convergence: list[str], png: str, pdf: str, dpi: int = 150):
    from _helpers import new_figure, save_figure

    fig, axes = new_figure(max(len(convergence), 1), 2, width=4.5)
    for row, path in zip(axes, convergence, strict=False):
        ds = io.read_dataset(path)
        convergence_store.plot_convergence(ds, row[0])
        convergence_store.plot_convergence_metrics(ds, row[1])
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
