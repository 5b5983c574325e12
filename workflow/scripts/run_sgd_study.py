"""Rule run_sgd_study: (S)GD with finite steps and mini-batches on one problem, against the
saddle path of Algorithm 1 (dln.sgd_study), at the configured alphas (alpha is the
initialisation scale, given by its base-10 exponent).

Per run (alpha x step x batch size x seed): the activation order (Kendall tau-b against
Algorithm 1), the jump times, the end point's l1 norm and support, its distance to the
minimum-l1 solution and to the mirror prediction with the run's effective scales. Writes the
store and a table with one row per run; logs progress with an estimate of the time left.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging
    import time

    from dln import io
    from dln.alpha import log_inv_alpha_from_log10
    from dln.sgd_study import sgd_study, sgd_study_table, sgd_study_to_dataset
    from dln.units import source_columns

log = logging.getLogger("dln.workflow.run_sgd_study")


def main(
    *,
    problem: str,
    output: str,
    table: str,
    problem_name: str,
    log10_alpha,
    steps,
    batch_sizes=None,
    n_seeds: int = 3,
    max_iterations: int | None = None,
    rule: str = "run_sgd_study",
) -> None:
    from _helpers import progress_logger

    prob = io.read_dataset(problem)
    start = time.perf_counter()
    study = sgd_study(
        prob["X"].values,
        prob["y"].values,
        log_inv_alphas=[log_inv_alpha_from_log10(a) for a in log10_alpha],
        steps=steps,
        batch_sizes=batch_sizes,
        seeds=range(n_seeds),
        max_iterations=max_iterations,
        problem=problem_name,
        progress=progress_logger(log, start),
    )
    log.info("done in %.1f s", time.perf_counter() - start)
    ds = sgd_study_to_dataset(study, feature_names=prob["feature_name"].values)
    ds.attrs["log10_alpha"] = io.to_json(list(log10_alpha))
    params = {
        "problem": problem_name,
        "log10_alpha": list(log10_alpha),
        "steps": list(steps),
        "batch_sizes": batch_sizes,
        "n_seeds": n_seeds,
        "max_iterations": max_iterations,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
    frame = sgd_study_table(study)
    # end_l1_norm is the l1 norm of the trained (possibly standardised) problem's coefficients
    for i, (key, value) in enumerate(source_columns(prob.attrs, "standardized").items()):
        frame.insert(i, key, value)
    frame.to_csv(table, index=False, float_format="%.6g")


if __name__ == "__main__":
    from _helpers import configure_logging, job_context

    configure_logging(snakemake.log[0])
    study = dict(snakemake.params.study)
    study.pop("max_saddles", None)
    study.pop("units", None)  # the table's l1 norms are of the problem as trained
    with job_context(snakemake.rule, problem=snakemake.wildcards.problem):
        main(
            problem=snakemake.input.problem,
            output=snakemake.output.study,
            table=snakemake.output.table,
            rule=snakemake.rule,
            **study,
        )
