"""Rule write_lasso_path: the LARS-Lasso path of one problem, on the time axis t = 1/lam.

scikit-learn's ``lars_path(method="lasso")`` minimises ``||y - X b||^2 / (2 n) + lam ||b||_1``
(its ``alpha`` is ``lam``, not the network's initialisation scale), the network's loss plus
``lam ||b||_1``: its first knot is at ``t = 1 / ||X^T y / n||_inf``, the first jump time ``t_1``
of Algorithm 1, which this script checks. The path is stored at its knots and on the
problem's time grid (the grid of its flows).
"""

from _helpers import imports_without_gc

with imports_without_gc():
    import logging

    import numpy as np

    from dln import io
    from dln.baselines import lasso, lasso_coefficients, lasso_path
    from dln.pipeline.paths import time_grid

log = logging.getLogger("dln.workflow.write_lasso_path")

# The first knot and the first jump time are both 1 / ||X^T y / n||_inf, computed by two
# different codes; they agree to rounding.
FIRST_KNOT_RTOL = 1e-9


def main(*, problem: str, saddles: str, output: str, time: dict, rule: str = "write_lasso_path"):
    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    path = lasso_path(prob["X"].values, prob["y"].values)
    jump_times = sad["jump_time"].values
    if jump_times.size > 1:
        t1 = float(jump_times[1])
        if abs(path.times[0] - t1) > FIRST_KNOT_RTOL * t1:
            raise RuntimeError(
                f"first Lasso knot t = {path.times[0]!r} differs from the first jump time "
                f"t_1 = {t1!r}: the loss scalings of lars_path and of the network disagree"
            )
    t = time_grid(time, float(jump_times[-1]))
    log.info(
        "%d knots at t = %s; %d jumps at t = %s; %s",
        path.n_knots,
        np.array2string(path.times, precision=4),
        jump_times.size - 1,
        np.array2string(jump_times[1:], precision=4),
        path.message,
    )
    name = prob.attrs.get("problem", "")
    ds = lasso.to_dataset(
        path,
        t=t,
        coefs=lasso_coefficients(path, t),
        feature_names=prob["feature_name"].values,
        problem=name,
    )
    io.write_dataset(ds, output, rule=rule, params={"problem": name, "time": time})


if __name__ == "__main__":
    from _helpers import configure_logging

    configure_logging(snakemake.log[0])
    main(
        problem=snakemake.input.problem,
        saddles=snakemake.input.saddles,
        output=snakemake.output.lasso,
        rule=snakemake.rule,
        **snakemake.params.lasso,
    )
