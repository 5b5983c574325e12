"""Rule compare_baselines: the saddles of Algorithm 1 beside the Lasso path (LARS) and
orthogonal matching pursuit (scikit-learn) on one problem (dln.studies.baseline_comparison).

Writes the store, the baseline table (one row per feature: entry position and time for each
method, end coefficients, the minimum-l1 LP solution) and the saddle table (one row per saddle:
jump time, loss, support size, l1 norm, the features entering and leaving, by name). Both
tables name the data file and the target, and give coefficients in ``units`` (dln.units: the
original units of a standardised problem's columns by default); the store keeps the
coefficients of the problem as fitted.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging

    import numpy as np

    from dln import io
    from dln.activation import ACTIVE_RTOL
    from dln.baselines import comparison
    from dln.baselines.comparison import baseline_comparison
    from dln.saddles import saddle_jumps
    from dln.units import problem_params, source_columns, to_units

log = logging.getLogger("dln.workflow.compare_baselines")

COLUMNS = (
    "feature",
    "feature_name",
    "saddle_rank",
    "saddle_enter_time",
    "saddle_leaves",
    "lasso_rank",
    "lasso_enter_time",
    "lasso_leaves",
    "omp_rank",
    "saddle_end",
    "lasso_end",
    "omp_end",
    "min_l1_lp",
)
SADDLE_COLUMNS = (
    "saddle",
    "jump_time",
    "loss",
    "support_size",
    "l1_norm",
    "entering",
    "leaving",
)


def _rank(value):
    return int(value) if value > 0 else None


def main(
    *,
    problem: str,
    output: str,
    table: str,
    saddle_table: str,
    max_saddles=None,
    units: str = "original",
    rule: str = "compare_baselines",
) -> None:
    from _tables import write_csv

    prob = io.read_dataset(problem)
    name = str(prob.attrs.get("problem", ""))
    X, y = prob["X"].values, prob["y"].values
    names = [str(n) for n in prob["feature_name"].values]
    cmp = baseline_comparison(X, y, max_saddles=max_saddles)
    ds = comparison.to_dataset(cmp, feature_names=names, problem=name)
    for key in ("saddle_l1", "lasso_l1", "omp_l1", "lp_l1"):
        log.info("%s = %.10g", key, float(ds[key]))
    io.write_dataset(ds, output, rule=rule, params={"problem": name, "max_saddles": max_saddles})
    params = problem_params(prob.attrs)
    end = {
        key: to_units(values, params, units)
        for key, values in (
            ("saddle_end", cmp.saddle_end),
            ("lasso_end", cmp.lasso_end),
            ("omp_end", cmp.omp_end),
            ("min_l1_lp", cmp.lp_beta),
        )
    }
    rows = [
        {
            "feature": j,
            "feature_name": names[j],
            "saddle_rank": _rank(cmp.saddle_rank[j]),
            "saddle_enter_time": float(cmp.saddle_time[j]),
            "saddle_leaves": bool(cmp.saddle_leaves[j]),
            "lasso_rank": _rank(cmp.lasso_rank[j]),
            "lasso_enter_time": float(cmp.lasso_time[j]),
            "lasso_leaves": bool(cmp.lasso_leaves[j]),
            "omp_rank": _rank(cmp.omp_rank[j]),
            **{key: float(values[j]) for key, values in end.items()},
        }
        for j in np.argsort(np.where(cmp.saddle_rank > 0, cmp.saddle_rank, len(names) + 1))
    ]
    source = source_columns(prob.attrs, units)
    write_csv(table, COLUMNS, rows, source=source)
    sad = saddle_jumps(X, y, max_saddles=max_saddles)
    betas = to_units(sad.betas, params, units)
    top = float(np.abs(sad.betas).max()) or 1.0
    saddle_rows = [
        {
            "saddle": k,
            "jump_time": float(sad.times[k]),
            "loss": float(sad.losses[k]),
            "support_size": int(np.count_nonzero(np.abs(sad.betas[k]) > ACTIVE_RTOL * top)),
            "l1_norm": float(np.abs(betas[k]).sum()),
            "entering": "; ".join(names[i] for i in sad.activated[k]),
            "leaving": "; ".join(names[i] for i in sad.deactivated[k]),
        }
        for k in range(sad.n_saddles + 1)
    ]
    write_csv(saddle_table, SADDLE_COLUMNS, saddle_rows, source=source)


if __name__ == "__main__":
    from _helpers import configure_logging, job_context

    configure_logging(snakemake.log[0])
    with job_context(snakemake.rule, problem=snakemake.wildcards.problem):
        main(
            problem=snakemake.input.problem,
            output=snakemake.output.study,
            table=snakemake.output.table,
            saddle_table=snakemake.output.saddle_table,
            max_saddles=snakemake.params.max_saddles,
            units=snakemake.params.units,
            rule=snakemake.rule,
        )
