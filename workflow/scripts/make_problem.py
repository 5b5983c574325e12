"""Rule make_problem: build one regression problem and write its store."""

import dataclasses
import logging

from dln import io
from dln.problems import load_data, make_preset, make_problem
from dln.problems import store as problem_store

log = logging.getLogger("dln.workflow.make_problem")


def build_problem(name: str, source: dict):
    """The :class:`dln.problems.Problem` described by one ``problems.<name>`` config entry."""
    if source.get("preset") is not None:
        seed = source.get("seed")
        problem = make_preset(source["preset"], **({} if seed is None else {"seed": seed}))
    elif source.get("generate") is not None:
        kwargs = {k: v for k, v in source["generate"].items() if v is not None}
        if isinstance(kwargs.get("amplitude"), list):
            kwargs["amplitude"] = tuple(kwargs["amplitude"])
        problem = make_problem(name=name, **kwargs)
    elif source.get("data") is not None:
        data = source["data"]
        problem = load_data(
            data["path"], target=data.get("target"), standardize=data["standardize"], name=name
        )
    else:
        raise ValueError(f"problem {name!r}: no preset, generate or data given")
    return dataclasses.replace(problem, name=name)


def main(*, name: str, source: dict, output: str, rule: str = "make_problem") -> None:
    problem = build_problem(name, source)
    log.info("problem %s: n=%d, d=%d", name, *problem.X.shape)
    ds = problem_store.to_dataset(problem)
    io.write_dataset(ds, output, rule=rule, params={"problem": name, "source": source})


if __name__ == "__main__":
    from _helpers import configure_logging, job_context

    configure_logging(snakemake.log[0])
    with job_context(snakemake.rule, problem=snakemake.wildcards.problem):
        main(
            name=snakemake.wildcards.problem,
            source=snakemake.params.source,
            output=snakemake.output.problem,
            rule=snakemake.rule,
        )
