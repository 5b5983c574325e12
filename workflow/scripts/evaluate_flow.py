"""Sweep step: one flow against the limit process of Algorithm 1."""

import logging

import numpy as np

from dln import evaluation_store, io, saddle_store
from dln.evaluate import evaluate_flow, window_half_width
from dln.saddles import limit_process

log = logging.getLogger("dln.workflow.evaluate_flow")


def main(
    *,
    saddles: str,
    flow: str,
    output: str,
    window_fraction: float,
    rule: str = "evaluate_flow",
    flow_settings: dict | None = None,
):
    """Compare one flow store with the limit process of its saddles store.

    ``flow_settings`` (the settings the flow was made with, from the rule's params) only go
    into the provenance attrs: they make the evaluation depend on them.
    """
    sad = io.read_dataset(saddles)
    fl = io.read_dataset(flow)
    t = fl["time"].values
    beta_limit, s_limit = limit_process(saddle_store.from_dataset(sad), t)
    jump_times = sad["jump_time"].values[1:]
    window = window_half_width(jump_times, window_fraction)
    ev = evaluate_flow(
        t,
        fl["beta"].values,
        fl["s"].values,
        crossing_times=fl["crossing_time"].values,
        jump_times=jump_times,
        beta_limit=beta_limit,
        s_limit=s_limit,
        beta_l1=sad["lp_beta"].values,
        window=window,
    )
    log.info("jump time errors %s", ev.jump_time_errors)
    if np.isnan(ev.crossing_times).any():
        log.warning(
            "the flow's loss does not cross the midpoint of jump(s) %s by t_max = %g: their "
            "jump time errors are NaN (raise time.t_max for this problem)",
            (np.flatnonzero(np.isnan(ev.crossing_times)) + 1).tolist(),
            t[-1],
        )
    log10_alpha = fl.attrs["log10_alpha"]
    problem = fl.attrs.get("problem", "")
    ds = evaluation_store.to_dataset(ev, t=t, log10_alpha=log10_alpha, problem=problem)
    params = {
        "problem": problem,
        "log10_alpha": log10_alpha,
        "window_fraction": window_fraction,
        "flow_settings": flow_settings,
    }
    io.write_dataset(ds, output, rule=rule, params=params)
