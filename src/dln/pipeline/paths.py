"""Every path pattern of the pipeline and the flows' time grid: the one home of each.

Rules (through :mod:`dln.pipeline.plan`) and workflow scripts import these; the module
imports nothing heavy, so a script that needs a path pays nothing for it and an edit of the
configuration logic does not rerun the numerical jobs (see :mod:`dln.pipeline.code`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The name of one alpha's store inside a sweep directory (flows, evaluations).
SWEEP_STORE = "log10_alpha={log10_alpha}.zarr"
# Where the configuration checks cache what they computed (Algorithm 1's jump times, ...).
PLAN_CACHE = ".snakemake/dln-plan-cache"


@dataclass(frozen=True)
class Paths:
    """Every path pattern of the pipeline: the one home of each (rules and plan use these).

    All outputs live under ``results``, logs under ``logs`` and timings under ``benchmarks``;
    a run on a user's file (``--config data=...``) gets its own three roots, so two analyses
    never write the same file. ``{part}`` numbers the jobs of a problem's alpha sweep: part 0
    is the job that builds the problem (all its flows unless ``flow.alphas_per_job`` splits
    the sweep), parts 1, 2, ... the further chunks of alphas.
    """

    results: str = "results"
    logs: str = "logs"
    benchmarks: str = "benchmarks"

    def __getattr__(self, name: str) -> str:
        pattern = _PATTERNS.get(name)
        if pattern is None:
            raise AttributeError(f"no path pattern {name!r}")
        return pattern.format(results=self.results)

    def log(self, rule: str, name: str) -> str:
        return f"{self.logs}/{rule}/{name}.log"

    def benchmark(self, rule: str, name: str) -> str:
        return f"{self.benchmarks}/{rule}/{name}.tsv"


_PATTERNS = {
    "problem": "{results}/problems/{{problem}}.zarr",
    "saddles": "{results}/saddles/{{problem}}.zarr",
    "flow_dir": "{results}/flow/{{problem}}/part{{part}}",
    "flow": "{results}/flow/{{problem}}/part{{part}}/"
    + SWEEP_STORE.replace("{", "{{").replace("}", "}}"),
    "evaluation_dir": "{results}/evaluate/{{problem}}/part{{part}}",
    "evaluation": "{results}/evaluate/{{problem}}/part{{part}}/"
    + SWEEP_STORE.replace("{", "{{").replace("}", "}}"),
    "convergence": "{results}/convergence/{{problem}}.zarr",
    "lasso": "{results}/lasso/{{problem}}.zarr",
    "figure": "{results}/figures/{{stem}}.{{ext}}",
    "table": "{results}/tables/{{stem}}.csv",
    "study": "{results}/studies/{{kind}}.zarr",
    "baselines": "{results}/studies/baselines/{{problem}}.zarr",
    "baselines_table": "{results}/tables/baselines/{{problem}}.csv",
    "sgd_study": "{results}/studies/sgd/{{problem}}.zarr",
    "sgd_table": "{results}/tables/sgd/{{problem}}.csv",
    "saddles_table": "{results}/tables/saddles/{{problem}}.csv",
    "report": "{results}/report.html",
}


def time_grid(time: Mapping, last_jump: float):
    """The accelerated-time grid of a resolved ``problems.<name>.time`` entry.

    ``time`` has ``t_min``, ``num``, ``spacing`` and either ``t_max`` or ``t_max_factor`` (the
    grid then ends at ``t_max_factor * last_jump``, or at 1 when there is no jump).
    """
    import numpy as np

    t_max = time.get("t_max")
    if t_max is None:
        t_max = time["t_max_factor"] * last_jump if last_jump > 0 else 1.0
    if time["spacing"] == "log":
        return np.geomspace(time["t_min"], t_max, time["num"])
    return np.linspace(time["t_min"], t_max, time["num"])
