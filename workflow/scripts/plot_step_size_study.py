"""Figure: GD with each step size against the flow at one alpha."""

import numpy as np

from dln import io
from dln.studies import step_size

# The coordinates panel shows the largest step whose median relative jump-time error is at most
# this: its departure from the flow is visible; larger steps oscillate and hide the flow.
SHOWN_MAX_ERROR = 0.1


def main(*, study: str, png: str, pdf: str, caption: str, template: str, dpi: int = 150):
    from _captions import fmt, write_caption
    from _helpers import new_figure, save_figure

    ds = io.read_dataset(study)
    steps = ds["step"].values
    diverged = ds["diverged"].values.astype(bool)
    # the coordinates panel shows the largest step whose deviation is visible but not chaotic
    cross = ds["flow_crossing_time"].values
    with np.errstate(all="ignore"):
        error = np.nanmedian(np.abs(ds["gd_crossing_time"].values - cross) / cross, axis=1)
    ok = np.flatnonzero(~diverged & (error <= SHOWN_MAX_ERROR))
    shown = int(ok[-1]) if ok.size else int(np.nanargmin(np.where(diverged, np.inf, error)))
    fig, axes = new_figure(1, 3, width=3.8, height=3.4)
    step_size.plot_step_size_coordinates(ds, axes[0, 0], step_index=shown)
    step_size.plot_step_size_jumps(ds, axes[0, 1])
    step_size.plot_step_size_errors(ds, axes[0, 2])
    fig.suptitle(
        f"{ds.attrs['problem']}: gradient descent versus the flow at "
        f"$\\alpha = 10^{{{ds.attrs['log10_alpha']}}}$",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    cross = ds["flow_crossing_time"].values
    lines = []
    for i, step in enumerate(steps):
        if diverged[i]:
            lines.append(f"- step {fmt(step)}: diverged")
            continue
        gd = ds["gd_crossing_time"].values[i]
        reached = np.isfinite(gd)
        rel = np.abs(gd - cross) / cross
        depart = float(ds["departure_time"].values[i])
        lines.append(
            f"- step {fmt(step)}: largest deviation {fmt(ds['max_relative_error'].values[i], 3)} "
            f"of max \\|β\\|; "
            + (
                f"departs (> {fmt(ds.attrs['departure_rtol'])}) at t = {fmt(depart, 3)}; "
                if np.isfinite(depart)
                else "never departs; "
            )
            + f"{int(reached.sum())} of {cross.size} jumps reached, median relative jump-time "
            f"error {fmt(np.nanmedian(rel[reached]), 2) if reached.any() else 'n/a'}"
        )
    write_caption(
        template,
        caption,
        problem=str(ds.attrs["problem"]),
        alpha=f"1e{ds.attrs['log10_alpha']}",
        log_inv_alpha=fmt(float(ds["log_inv_alpha"])),
        shown_step=fmt(steps[shown]),
        step_list="\n".join(lines),
    )
