"""Sweep step: the finite-alpha flow of one (problem, alpha) in accelerated time."""

import logging

from dln import flow_store, io
from dln.evaluate import plateau_midpoints
from dln.flow import simulate_flow
from dln.pipeline.paths import time_grid

log = logging.getLogger("dln.workflow.simulate_flow")


def main(
    *,
    problem: str,
    saddles: str,
    output: str,
    log10_alpha: str,
    time: dict,
    scales=None,
    method: str = "Radau",
    rtol: float = 1e-8,
    max_step_count: int = 100_000,
    rule: str = "simulate_flow",
) -> None:
    prob = io.read_dataset(problem)
    sad = io.read_dataset(saddles)
    lam = io.log_inv_alpha_from_log10(log10_alpha)
    last_jump = float(sad["jump_time"].values[-1])
    t = time_grid(time, last_jump)
    if t[-1] <= last_jump:  # common.smk rejects such a config; never integrate a cut-off flow
        raise ValueError(
            f"time.t_max = {t[-1]!r} ends before the last jump t_p = {last_jump!r} of "
            "Algorithm 1: the flow would miss the last saddle"
        )
    levels = plateau_midpoints(sad["loss"].values) if sad.sizes["saddle"] > 1 else None
    result = simulate_flow(
        prob["X"].values,
        prob["y"].values,
        log_inv_alpha=lam,
        t=t,
        scales=scales,
        rtol=rtol,
        loss_levels=levels,
        method=method,
        max_step_count=max_step_count,
    )
    log.info(
        "alpha=1e%s Lam=%.6g: %d steps, nfev=%d, status %d",
        log10_alpha,
        lam,
        result.n_steps,
        result.nfev,
        result.status,
    )
    solver = {"method": method, "rtol": rtol, "max_step_count": max_step_count}
    ds = flow_store.to_dataset(
        result,
        log10_alpha=log10_alpha,
        feature_names=prob["feature_name"].values,
        problem=prob.attrs.get("problem", ""),
        solver=solver,
    )
    params = {
        "problem": prob.attrs.get("problem", ""),
        "log10_alpha": log10_alpha,
        "time": time,
        "scales": scales,
        **solver,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
