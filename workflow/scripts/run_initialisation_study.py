"""Rule run_initialisation_study: flows from random positive directions ``u0 = sqrt(2) alpha c``
at several alphas, and limits with per-coordinate scales ``alpha^{k_i}`` checked against the
weighted minimum-l1 LP (dln.studies.initialisation_study). alpha is the initialisation scale.

Writes the store and a table: one row per (alpha, direction), then one per scale vector.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging
    import time

    import numpy as np

    from dln import io
    from dln.studies import initialisation, initialisation_study
    from dln.units import source_columns

log = logging.getLogger("dln.workflow.run_initialisation_study")

COLUMNS = (
    "kind",
    "log10_alpha",
    "index",
    "agreement_with_limit",
    "median_relative_jump_time_error",
    "max_relative_jump_time_error",
    "weighted_lp_relative_difference",
    "flow_end_relative_distance",
)


def main(
    *,
    problem: str,
    output: str,
    table: str,
    problem_name: str,
    log10_alpha,
    n_directions: int,
    n_scales: int,
    scale_range,
    seed: int = 0,
    num_times: int = 400,
    rtol: float = 1e-6,
    max_saddles=None,
    units: str = "original",
    rule: str = "run_initialisation_study",
) -> None:
    from _helpers import progress_logger
    from _tables import write_csv

    prob = io.read_dataset(problem)
    lams = [io.log_inv_alpha_from_log10(a) for a in log10_alpha]
    study = initialisation_study(
        prob["X"].values,
        prob["y"].values,
        log_inv_alphas=lams,
        n_directions=n_directions,
        n_scales=n_scales,
        scale_range=tuple(scale_range),
        seed=seed,
        num_times=num_times,
        rtol=rtol,
        max_saddles=max_saddles,
        progress=progress_logger(log, time.perf_counter(), unit="flows and runs of Algorithm 1"),
    )
    ds = initialisation.to_dataset(
        study,
        feature_names=prob["feature_name"].values,
        problem=problem_name,
    )
    ds = ds.assign(
        log10_alpha=(
            ("log_inv_alpha",),
            np.array([float(a) for a in log10_alpha]),
            {"long_name": "log10 of the initialisation scale alpha", "units": "1"},
        )
    )
    params = {
        "problem": problem_name,
        "log10_alpha": list(log10_alpha),
        "n_directions": n_directions,
        "n_scales": n_scales,
        "scale_range": list(scale_range),
        "seed": seed,
        "num_times": num_times,
        "rtol": rtol,
        "max_saddles": max_saddles,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
    t_k = study.limit_jump_times
    rows = []
    for a, alpha in enumerate(log10_alpha):
        for c in range(study.directions.shape[0]):
            rel = np.abs(study.crossing_time[a, c] - t_k) / t_k
            rows.append(
                {
                    "kind": "direction",
                    "log10_alpha": alpha,
                    "index": c,
                    "agreement_with_limit": float(study.agreement[a, c]),
                    "median_relative_jump_time_error": float(np.nanmedian(rel)),
                    "max_relative_jump_time_error": float(np.nanmax(rel)),
                    "weighted_lp_relative_difference": None,
                    "flow_end_relative_distance": None,
                }
            )
    for j in range(study.scales.shape[0]):
        rows.append(
            {
                "kind": "scales",
                "log10_alpha": log10_alpha[int(np.argmax(lams))],
                "index": j,
                "agreement_with_limit": float(study.weighted_agreement[j]),
                "median_relative_jump_time_error": None,
                "max_relative_jump_time_error": None,
                "weighted_lp_relative_difference": float(study.weighted_lp_difference[j]),
                "flow_end_relative_distance": float(study.weighted_flow_distance[j]),
            }
        )
    for row in rows:
        log.info("%s", row)
    write_csv(table, COLUMNS, rows, source=source_columns(prob.attrs, units))


if __name__ == "__main__":
    from _helpers import run_study_job

    run_study_job(snakemake, main)
