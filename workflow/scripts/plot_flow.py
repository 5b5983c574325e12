"""Figure: one problem's flows over the limit process (the paper's Figures 1-2)."""

from dln import flow_store, io, plotstyle, saddle_store


def main(
    *,
    saddles: str,
    flows: list[str],
    png: str,
    pdf: str,
    time_spacing: str = "linear",
    dpi: int = 150,
):
    from _helpers import new_figure, save_figure

    sad = io.read_dataset(saddles)
    stores = [io.read_dataset(f) for f in flows]
    fig, axes = new_figure(1, 2, width=4.5, height=3.4)
    ax_beta, ax_loss = axes[0]
    t_max = max(float(f["time"].values[-1]) for f in stores)
    # wide problems: the key features coloured and in the legend, the others faint
    wide = sad.sizes["feature"] > plotstyle.MAX_LABELLED
    key = plotstyle.key_features(sad) if wide else None
    for i, flow in enumerate(stores):
        style = plotstyle.LINESTYLES[i % len(plotstyle.LINESTYLES)]
        flow_store.plot_flow_coordinates(
            flow, ax_beta, linestyle=style, legend=i == 0, features=key
        )
        flow_store.plot_flow_loss(flow, ax_loss, linestyle=style, color=f"C{i}")
    saddle_store.plot_limit_process(sad, ax_beta, t_max=t_max, features=key, lw=0.8, linestyle="--")
    saddle_store.plot_saddle_staircase(sad, ax_loss, t_max=t_max)
    ax_loss.set_xlabel(plotstyle.label(stores[0]["time"]))
    alphas = ", ".join(plotstyle.alpha_label(f) for f in stores)
    ax_beta.set_title(f"{sad.attrs.get('problem', '')}: {alphas}", fontsize="medium")
    ax_loss.set_title("loss, limit staircase in black", fontsize="medium")
    if wide:
        n_other = sad.sizes["feature"] - len(key)
        ax_beta.set_title(
            f"{sad.attrs.get('problem', '')}: {alphas}\n{len(key)} key features labelled, "
            f"{n_other} others faint",
            fontsize="medium",
        )
        plotstyle.legend_outside(ax_beta, fontsize="x-small")
    else:
        ax_beta.legend(fontsize="x-small", frameon=False, ncols=2)
    ax_loss.legend(fontsize="x-small", frameon=False, **({"loc": "upper right"} if wide else {}))
    if time_spacing == "log":
        for ax in (ax_beta, ax_loss):
            ax.set_xscale("log")
            ax.set_xlim(float(stores[0]["time"].values[0]), t_max)
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
