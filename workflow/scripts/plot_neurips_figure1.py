"""Figure: the NeurIPS version's Figure 1, three panels.

Training loss against time (a staircase, with the limit's plateau levels), the coordinates
against time, and the trajectory in the space of the three coordinates that move, with the
saddles of Algorithm 1 marked.
"""

import numpy as np

from dln import flow_store, io, plotstyle, saddle_store


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
    from _captions import fmt, fmt_list, problem_setup, saddle_summary, write_caption
    from _helpers import new_figure, save_figure

    if len(flows) != 1:
        raise ValueError(f"{figure} draws exactly one flow, got {len(flows)}")
    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    flow = io.read_dataset(flows[0])
    features = saddle_store.moving_features(sad)
    fig, axes = new_figure(1, 3, width=3.9, height=3.6)
    ax_loss, ax_beta, ax_3d = axes[0]
    ax_3d.remove()
    ax_3d = fig.add_subplot(1, 3, 3, projection="3d")
    flow_store.plot_loss_plateaus(flow, sad, ax_loss, time_scale=time_scale)
    ax_loss.set_title("training loss", fontsize="medium")
    flow_store.plot_paper_panel([flow], sad, ax_beta, time_scale=time_scale)
    legend = ax_beta.get_legend()
    handles = legend.legend_handles
    legend.remove()
    handles += ax_loss.get_legend_handles_labels()[0]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(len(handles), 6),
        fontsize="small",
        frameon=False,
    )
    ax_beta.set_title(r"coordinates $\tilde\beta_i(t)$", fontsize="medium")
    flow_store.plot_trajectory_3d(flow, sad, ax_3d, features=features)
    ax_3d.set_title("trajectory (saddles in black)", fontsize="medium")
    setup = problem_setup(prob)
    fig.suptitle(
        f"{setup['problem']}: n = {setup['n']}, d = {setup['d']}, {plotstyle.alpha_label(flow)}",
        fontsize="medium",
    )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    names = [str(n) for n in sad["feature_name"].values]
    others = np.setdiff1d(saddle_store.active_features(sad), features)
    write_caption(
        template,
        caption,
        **setup,
        **saddle_summary(sad),
        alpha=f"1e{flow.attrs['log10_alpha']}",
        log_inv_alpha=fmt(float(flow["log_inv_alpha"])),
        crossing_times=fmt_list(flow["crossing_time"].values),
        plateau_losses=fmt_list(sad["loss"].values),
        features=", ".join(names[j] for j in features),
        other_features=(
            "No other coordinate is ever active."
            if others.size == 0
            else "Also active at some saddle (not drawn in 3-D): "
            + ", ".join(names[j] for j in others)
            + "."
        ),
    )
