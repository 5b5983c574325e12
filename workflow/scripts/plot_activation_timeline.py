"""Figure: when each feature enters and leaves the support, and its sign.

One panel per problem (features ever active in the limit of Algorithm 1, bars coloured by
sign) and the same information as a CSV table, one row per support interval of a feature,
with the problem's data file, target and the units of ``max_abs_beta`` (dln.units).
"""

from pathlib import Path

from dln import io, plotstyle, saddle_store
from dln.units import coefficient_scale, problem_params, source_columns

# Columns of the CSV table, in order.
COLUMNS = (
    "problem",
    "data_file",
    "target",
    "coefficient_units",
    "feature",
    "feature_name",
    "sign",
    "enter_jump",
    "enter_time",
    "leave_jump",
    "leave_time",
    "max_abs_beta",
)


# Height cap of the timeline figure, in inches.
MAX_HEIGHT = 12.0


def _panel_height(n_rows: int) -> float:
    """Inches for a panel of ``n_rows`` feature rows: 0.28 per (named) row, plus the title and
    the time axis; beyond ``MAX_NAMED_ROWS`` rows (only the key ones named) 0.05 per row."""
    if n_rows > saddle_store.MAX_NAMED_ROWS:
        return 4.0 + 0.05 * n_rows + 0.75
    return 0.28 * max(n_rows, 1) + 0.75


def _time_scale(configured: str, sad) -> str:
    """The problem's time spacing, or log when its jump times span decades (the timeline is
    drawn from the saddles alone, so early jumps need not be squashed on a linear axis)."""
    if configured == "log" or plotstyle.spans_decades(sad["jump_time"].values[1:]):
        return "log"
    return configured


def main(
    *,
    problems: list[str],
    saddles: list[str],
    png: str,
    pdf: str,
    table: str,
    caption: str,
    template: str,
    time_scales: dict | None = None,
    units: str = "original",
    dpi: int = 150,
):
    from _captions import fmt, problem_setup, write_caption
    from _helpers import new_figure, save_figure
    from _tables import write_csv

    if not saddles or len(problems) != len(saddles):
        raise ValueError("need one problem store per saddles store (and at least one)")
    time_scales = time_scales or {}
    pairs = [
        (io.read_dataset(p), io.read_dataset(s)) for p, s in zip(problems, saddles, strict=True)
    ]
    # panel heights: 0.28 in per feature row plus room for the title and the time axis, the
    # rows thinner beyond MAX_NAMED_ROWS (then unnamed), the whole figure at most MAX_HEIGHT
    ratios = [_panel_height(len(saddle_store.active_features(sad))) for _, sad in pairs]
    height = 0.4 + sum(ratios)
    if height > MAX_HEIGHT:
        ratios = [r * (MAX_HEIGHT - 0.4) / (height - 0.4) for r in ratios]
        height = MAX_HEIGHT
    fig, axes = new_figure(len(pairs), 1, width=6.4, height=1.0)
    fig.set_size_inches(6.4, height)
    axes[0, 0].get_gridspec().set_height_ratios(ratios)
    rows, lines = [], []
    for i, (prob, sad) in enumerate(pairs):
        name = str(prob.attrs.get("problem", ""))
        ax = axes[i, 0]
        saddle_store.plot_activation_timeline(
            sad,
            ax,
            time_scale=_time_scale(time_scales.get(name, "linear"), sad),
            feature_names=prob["feature_name"].values,
            legend=i == 0,
        )
        if i < len(pairs) - 1:
            ax.set_xlabel("")
        intervals = saddle_store.support_intervals(sad, feature_names=prob["feature_name"].values)
        source = source_columns(prob.attrs, units)
        scale = coefficient_scale(problem_params(prob.attrs), units)
        for r in intervals:
            if scale is not None:
                r = {**r, "max_abs_beta": r["max_abs_beta"] / float(scale[r["feature"]])}
            rows.append({"problem": name, **source, **r})
        setup = problem_setup(prob)
        events = "; ".join(
            f"{r['feature_name']} ({'+' if r['sign'] > 0 else '−'}) "
            f"[{fmt(r['enter_time'])}, {fmt(r['leave_time'])})"
            for r in intervals
        )
        lines.append(
            f"- {name} (n = {setup['n']}, d = {setup['d']}, seed {setup['seed']}): "
            f"{sad.sizes['saddle'] - 1} jumps; {events}"
        )
    save_figure(fig, png=png, pdf=pdf, dpi=dpi)
    write_csv(table, COLUMNS, rows)
    write_caption(
        template, caption, problem_list="\n".join(lines), n_rows=len(rows), table=Path(table).name
    )
