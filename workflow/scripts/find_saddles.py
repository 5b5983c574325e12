"""Sweep step: Algorithm 1 (saddles and jump times) plus the LP endpoint check."""

import logging

from dln import io, saddle_store
from dln.lp import min_l1_solution
from dln.saddles import saddle_jumps

log = logging.getLogger("dln.workflow.find_saddles")


def main(
    *,
    problem: str,
    output: str,
    scales=None,
    max_saddles: int | None = None,
    rule: str = "find_saddles",
) -> None:
    ds = io.read_dataset(problem)
    X, y = ds["X"].values, ds["y"].values
    result = saddle_jumps(X, y, scales=scales, max_saddles=max_saddles)
    lp = min_l1_solution(X, y, weights=scales)
    log.info("%d saddles, jump times %s", result.n_saddles, result.times)
    out = saddle_store.to_dataset(
        result,
        feature_names=ds["feature_name"].values,
        lp=lp,
        problem=ds.attrs.get("problem", ""),
    )
    log.info("LP relative difference %.3g", float(out["lp_relative_difference"]))
    params = {"problem": ds.attrs.get("problem", ""), "scales": scales, "max_saddles": max_saddles}
    io.write_dataset(out, output, rule=rule, params=params)
