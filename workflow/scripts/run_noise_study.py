"""Rule run_noise_study: Algorithm 1 under added label noise (dln.studies.noise_study).

For every noise level (a fraction of std(y)) and seed, the saddles, jump times and activation
order of ``y + level * std(y) * eps_seed``; the rank agreement (Kendall's tau-b) with the clean
order and among the seeds. Writes the store and a table with one row per noise level.
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging
    import time

    import numpy as np

    from dln import io
    from dln.studies import noise, noise_study
    from dln.units import source_columns

log = logging.getLogger("dln.workflow.run_noise_study")

COLUMNS = (
    "noise_level",
    "n_seeds",
    "agreement_clean_mean",
    "agreement_clean_min",
    "agreement_seeds_mean",
    "same_first_feature",
    "n_jumps_min",
    "n_jumps_max",
    "support_jaccard_mean",
)


def main(
    *,
    problem: str,
    output: str,
    table: str,
    problem_name: str,
    noise_levels,
    n_seeds: int,
    seed: int = 0,
    max_saddles=None,
    units: str = "original",
    rule: str = "run_noise_study",
) -> None:
    from _helpers import progress_logger
    from _tables import write_csv

    prob = io.read_dataset(problem)
    study = noise_study(
        prob["X"].values,
        prob["y"].values,
        noise_levels=noise_levels,
        n_seeds=n_seeds,
        seed=seed,
        max_saddles=max_saddles,
        progress=progress_logger(log, time.perf_counter(), unit="runs of Algorithm 1"),
    )
    ds = noise.to_dataset(study, feature_names=prob["feature_name"].values, problem=problem_name)
    params = {
        "problem": problem_name,
        "noise_levels": list(noise_levels),
        "n_seeds": n_seeds,
        "seed": seed,
        "max_saddles": max_saddles,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
    clean_first = int(np.argmin(study.clean_activation_time))
    rows = []
    for i, level in enumerate(study.noise_levels):
        act = study.activation_time[i]
        rows.append(
            {
                "noise_level": float(level),
                "n_seeds": int(act.shape[0]),
                "agreement_clean_mean": float(np.nanmean(study.agreement_clean[i])),
                "agreement_clean_min": float(np.nanmin(study.agreement_clean[i])),
                "agreement_seeds_mean": float(study.agreement_seeds[i]),
                "same_first_feature": float(np.mean(np.argmin(act, axis=1) == clean_first)),
                "n_jumps_min": int(study.n_jumps[i].min()),
                "n_jumps_max": int(study.n_jumps[i].max()),
                "support_jaccard_mean": float(np.mean(study.support_jaccard[i])),
            }
        )
        log.info("noise %g: %s", level, rows[-1])
    write_csv(table, COLUMNS, rows, source=source_columns(prob.attrs, units))


if __name__ == "__main__":
    from _helpers import run_study_job

    run_study_job(snakemake, main)
