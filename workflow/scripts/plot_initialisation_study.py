"""Figure: random directions (jump-time errors, rank agreement against
log(1/alpha)) and per-coordinate scales (weighted endpoints against the weighted LP)."""

import numpy as np

from dln import io
from dln.studies import initialisation


def main(*, study: str, png: str, pdf: str, caption: str, template: str, dpi: int = 150):
    from _captions import fmt, fmt_list, write_caption
    from _helpers import new_figure, save_figure

    ds = io.read_dataset(study)
    n_scales = int(ds.sizes.get("scale_set", 0))
    fig, axes = new_figure(1, 3 if n_scales else 2, width=3.6, height=3.3)
    initialisation.plot_direction_jump_errors(ds, axes[0, 0])
    initialisation.plot_initialisation_agreement(ds, axes[0, 1])
    if n_scales:
        initialisation.plot_weighted_endpoints(ds, axes[0, 2])
    fig.suptitle(
        f"{ds.attrs['problem']}: initialisation $u_0 = \\sqrt{{2}}\\,\\alpha c$ "
        r"(random $c > 0$) and $\alpha^{k_i}$ (random scales)",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    lam = ds["log_inv_alpha"].values
    t_k = ds["limit_jump_time"].values
    rel = np.abs(ds["crossing_time"].values - t_k) / t_k
    direction_lines = [
        f"- α = 1e{fmt(ds['log10_alpha'].values[a])} (log(1/α) = {fmt(lam[a])}): median "
        f"relative jump-time error {fmt(np.nanmedian(rel[a]), 2)}, Kendall τ_b with the limit "
        f"order {fmt_list(ds['agreement'].values[a], 3)}"
        for a in range(lam.size)
    ]
    scale_lines = [
        f"- scales {j}: k in [{fmt(ds['scales'].values[j].min(), 3)}, "
        f"{fmt(ds['scales'].values[j].max(), 3)}]; Algorithm 1 vs weighted LP "
        f"{fmt(ds['weighted_lp_difference'].values[j], 2)} (relative), flow end vs weighted "
        f"limit {fmt(ds['weighted_flow_distance'].values[j], 2)}; τ_b with the unit-scale "
        f"order {fmt(ds['weighted_agreement'].values[j], 3)}"
        for j in range(n_scales)
    ]
    write_caption(
        template,
        caption,
        problem=str(ds.attrs["problem"]),
        n_directions=int(ds.sizes["direction"]),
        n_jumps=int(t_k.size),
        direction_list="\n".join(direction_lines),
        scale_list="\n".join(scale_lines) if scale_lines else "- (no scale vectors configured)",
    )
