"""Rule fit_convergence: all alphas of one problem along log(1/alpha), log-log fits."""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging

    import numpy as np

    from dln import convergence_store, io
    from dln.evaluate import METRICS, fit_convergence

log = logging.getLogger("dln.workflow.fit_convergence")


def main(*, evaluations: list[str], output: str, problem: str, rule: str = "fit_convergence"):
    evs = sorted((io.read_dataset(p) for p in evaluations), key=lambda e: float(e["log_inv_alpha"]))
    lam = np.array([float(e["log_inv_alpha"]) for e in evs])
    n_jumps = max(e.sizes["jump"] for e in evs)
    jumps = np.full((lam.size, n_jumps), np.nan)
    for i, e in enumerate(evs):
        jumps[i, : e.sizes["jump"]] = e["jump_time_error"].values
    metrics = np.array([[float(e[m]) for m in sorted(METRICS)] for e in evs])
    fit = fit_convergence(lam, jumps, metrics)
    log.info("jump slopes %s, constants %s", fit.jumps.slope, fit.jumps.constant)
    ds = convergence_store.to_dataset(evs, fit, problem=problem)
    alphas = [e.attrs["log10_alpha"] for e in evs]
    io.write_dataset(ds, output, rule=rule, params={"problem": problem, "log10_alpha": alphas})


if __name__ == "__main__":
    from _helpers import configure_logging, job_context

    configure_logging(snakemake.log[0])
    with job_context(snakemake.rule, problem=snakemake.wildcards.problem):
        main(
            evaluations=snakemake.params.convergence["evaluations"],
            output=snakemake.output.convergence,
            problem=snakemake.wildcards.problem,
            rule=snakemake.rule,
        )
