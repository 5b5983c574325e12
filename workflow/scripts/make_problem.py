"""Sweep step: build one regression problem and write its store."""

import logging

from dln import io
from dln.pipeline.sources import build_problem
from dln.problems import store as problem_store

log = logging.getLogger("dln.workflow.make_problem")


def main(*, name: str, source: dict, output: str, rule: str = "make_problem") -> None:
    problem = build_problem(name, source)
    log.info("problem %s: n=%d, d=%d", name, *problem.X.shape)
    ds = problem_store.to_dataset(problem)
    io.write_dataset(ds, output, rule=rule, params={"problem": name, "source": source})
