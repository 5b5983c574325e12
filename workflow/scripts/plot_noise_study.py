"""Figure: rank agreement and jump times of Algorithm 1 under label noise."""

import numpy as np

from dln import io
from dln.studies import noise


def main(*, study: str, png: str, pdf: str, caption: str, template: str, dpi: int = 150):
    from _captions import fmt, fmt_list, write_caption
    from _helpers import new_figure, save_figure

    ds = io.read_dataset(study)
    fig, axes = new_figure(1, 2, width=4.4, height=3.4)
    noise.plot_noise_agreement(ds, axes[0, 0])
    noise.plot_noise_jump_times(ds, axes[0, 1])
    names = [str(n) for n in ds["feature_name"].values]
    clean = ds["clean_activation_time"].values
    order = [names[j] for j in np.argsort(clean) if np.isfinite(clean[j])]
    fig.suptitle(
        f"{ds.attrs['problem']}: activation order under label noise "
        f"({ds.sizes['seed']} seeds per level)",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    levels = ds["noise_level"].values
    agree = ds["agreement_clean"].values
    lines = [
        f"- noise {fmt(level)} × std(y): τ_b with the clean order {fmt(np.nanmean(agree[i]), 3)} "
        f"(min {fmt(np.nanmin(agree[i]), 3)}), "
        f"among seeds {fmt(ds['agreement_seeds'].values[i], 3)}, "
        f"{int(ds['n_jumps'].values[i].min())}-{int(ds['n_jumps'].values[i].max())} jumps, "
        f"end support Jaccard {fmt(np.mean(ds['support_jaccard'].values[i]), 3)}"
        for i, level in enumerate(levels)
    ]
    write_caption(
        template,
        caption,
        problem=str(ds.attrs["problem"]),
        n_seeds=int(ds.sizes["seed"]),
        y_std=fmt(float(ds["y_std"])),
        clean_order=f"``{', '.join(order[:12])}``" + (" ..." if len(order) > 12 else ""),
        clean_jump_times=fmt_list(ds["clean_jump_time"].values[:8], 3)
        + (" ..." if ds.sizes["clean_jump"] > 8 else ""),
        level_list="\n".join(lines),
    )
