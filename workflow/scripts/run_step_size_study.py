"""Rule run_step_size_study: gradient descent on (u, v) with a grid of step sizes against the
flow at one moderate alpha (dln.studies.step_size_study); alpha is the initialisation scale.

Writes the store and a table with one row per step size.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging
    import time

    import numpy as np

    from dln import io
    from dln.studies import DEPARTURE_RTOL, step_size, step_size_study
    from dln.units import source_columns

log = logging.getLogger("dln.workflow.run_step_size_study")

COLUMNS = (
    "step",
    "log10_alpha",
    "diverged",
    "max_relative_error",
    "departure_time",
    "median_relative_jump_time_error",
    "max_relative_jump_time_error",
    "jumps_reached",
    "n_jumps",
)


def main(
    *,
    problem: str,
    output: str,
    table: str,
    problem_name: str,
    log10_alpha: str,
    steps,
    num_times: int = 300,
    rtol: float = 1e-8,
    max_saddles=None,
    max_iterations: int | None = None,
    units: str = "original",
    rule: str = "run_step_size_study",
) -> None:
    # max_iterations: the budget the plan checked against the estimate before any job ran.
    from _helpers import progress_logger
    from _tables import write_csv

    prob = io.read_dataset(problem)
    study = step_size_study(
        prob["X"].values,
        prob["y"].values,
        log_inv_alpha=io.log_inv_alpha_from_log10(log10_alpha),
        steps=steps,
        num_times=num_times,
        rtol=rtol,
        max_saddles=max_saddles,
        progress=progress_logger(log, time.perf_counter()),
    )
    ds = step_size.to_dataset(
        study, feature_names=prob["feature_name"].values, problem=problem_name
    )
    ds.attrs["log10_alpha"] = log10_alpha
    ds.attrs["departure_rtol"] = DEPARTURE_RTOL
    params = {
        "problem": problem_name,
        "log10_alpha": log10_alpha,
        "steps": list(steps),
        "num_times": num_times,
        "rtol": rtol,
        "max_saddles": max_saddles,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
    rows = []
    flow_cross = study.flow_crossing_time
    for i, step in enumerate(study.steps):
        rel = np.abs(study.gd_crossing_time[i] - flow_cross) / flow_cross
        reached = int(np.count_nonzero(np.isfinite(study.gd_crossing_time[i])))
        rows.append(
            {
                "step": float(step),
                "log10_alpha": log10_alpha,
                "diverged": bool(study.diverged[i]),
                "max_relative_error": float(study.max_relative_error[i]),
                "departure_time": float(study.departure_time[i]),
                "median_relative_jump_time_error": float(np.nanmedian(rel)) if reached else None,
                "max_relative_jump_time_error": float(np.nanmax(rel)) if reached else None,
                "jumps_reached": reached,
                "n_jumps": int(flow_cross.size),
            }
        )
        log.info("%s", rows[-1])
    write_csv(table, COLUMNS, rows, source=source_columns(prob.attrs, units))


if __name__ == "__main__":
    from _helpers import run_study_job

    run_study_job(snakemake, main)
