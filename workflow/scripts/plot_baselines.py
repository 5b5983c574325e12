"""Figure: entry orders of saddles, Lasso and OMP, and loss against l1 norm,
one row per problem."""

import numpy as np

from dln import io
from dln.baselines import comparison


def main(*, studies: list, png: str, pdf: str, caption: str, template: str, dpi: int = 150):
    from _captions import fmt, write_caption
    from _helpers import new_figure, save_figure

    stores = [io.read_dataset(s) for s in studies]
    # the entry-order panel grows with the number of positions shown (features entering)
    positions = max((comparison.entry_positions(ds) for ds in stores), default=1)
    left = 1.6 + 0.3 * positions
    fig, axes = new_figure(len(stores), 2, width=4.6, height=2.9)
    fig.set_size_inches(left + 4.6, 2.9 * len(stores))
    axes[0, 0].get_gridspec().set_width_ratios([left, 4.6])
    lines = []
    for i, ds in enumerate(stores):
        name = str(ds.attrs["problem"])
        comparison.plot_entry_orders(ds, axes[i, 0])
        axes[i, 0].set_title(f"{name}: entry order", fontsize="medium")
        comparison.plot_loss_versus_l1(ds, axes[i, 1])
        axes[i, 1].set_title(f"{name}: loss against the l1 norm", fontsize="medium")
        names = [str(n) for n in ds["feature_name"].values]

        def order(var, names=names, ds=ds):
            r = ds[var].values
            idx = [j for j in np.argsort(r) if r[j] > 0]
            text = ", ".join(names[j] for j in idx[:10])
            return f"``{text}``" + (" ..." if len(idx) > 10 else "")

        dep_lasso = int(ds.attrs["first_departure_lasso"])
        dep_omp = int(ds.attrs["first_departure_omp"])
        lp = float(ds["lp_l1"])
        lines.append(
            f"- **{name}** (d = {ds.sizes['feature']}). Saddles: {order('saddle_rank')}. "
            f"Lasso: {order('lasso_rank')}. OMP: {order('omp_rank')}. "
            f"Kendall τ_b with the saddle order: Lasso {fmt(float(ds['agreement_lasso']), 3)}, "
            f"OMP {fmt(float(ds['agreement_omp']), 3)}. The Lasso order "
            + (f"first differs at position {dep_lasso}" if dep_lasso else "is the same")
            + ", OMP's "
            + (f"first differs at position {dep_omp}" if dep_omp else "is the same")
            + f". l1 norms at the end: saddles {fmt(float(ds['saddle_l1']), 6)}, Lasso "
            f"{fmt(float(ds['lasso_l1']), 6)}, OMP {fmt(float(ds['omp_l1']), 6)}, minimum-l1 "
            f"(LP) {fmt(lp, 6)}: OMP "
            + (
                "reaches the minimum-l1 solution"
                if abs(float(ds["omp_l1"]) - lp) <= 1e-6 * lp
                else f"ends {fmt(float(ds['omp_l1']) / lp, 3)} times above it"
            )
            + "."
        )
    fig.suptitle("Saddles, Lasso path and OMP: the order features enter", fontsize="medium")
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    write_caption(template, caption, problem_list="\n".join(lines))
