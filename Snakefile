# dln: Snakemake pipeline regenerating the figures of Pesme & Flammarion (NeurIPS 2023),
# "Saddle-to-Saddle Dynamics in Diagonal Linear Networks". The only entry point.
#
#   snakemake --cores 2                                  # the paper (config/config.yaml)
#   snakemake --cores 2 --configfile config/test.yaml    # the tiny test configuration
#
# One job per problem builds it, runs Algorithm 1 and its whole alpha sweep (flows and their
# evaluations); then the convergence fits, the figures (one job per group of figures that
# read the same stores) and the studies. The configuration is checked and resolved by
# dln.pipeline.plan.resolve into PLAN, which the rules read. See docs/pipeline.md.

from dln.pipeline import hooks

# No garbage-collector passes over the objects of the parse (dln.pipeline.hooks).
hooks.parse_started()

from pathlib import Path

from snakemake.utils import min_version, validate

from dln.pipeline.paths import PLAN_CACHE
from dln.pipeline.plan import resolve

min_version("9.0")


configfile: "config/config.yaml"


SCHEMA = str(Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")


validate(config, SCHEMA, set_default=True)

# The checks that read data files or run Algorithm 1 run in the main process only (a cluster
# job re-parses this file); their results are cached under .snakemake/.
PLAN = resolve(
    config,
    config_files=workflow.configfiles if workflow.is_main_process else (),
    check_data=workflow.is_main_process,
    cache_dir=PLAN_CACHE,
    validate=lambda cfg: validate(cfg, SCHEMA, set_default=True),
    workflow_dir=workflow.basedir,
)


# `snakemake --report results/report.html` after a run: the figures of the figure table
# (dln.pipeline.figures) grouped by category, each with its caption (numbers from the stores).
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/problems.smk"
include: "workflow/rules/convergence.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/studies.smk"


rule all:
    default_target: True
    input:
        all_targets(),


hooks.parse_finished()


# Snakemake's scheduler leaves a 1 s timer thread behind that delays the exit of every run, and
# the interpreter's last collector passes took 0.45-0.6 s (dln.pipeline.hooks): both are skipped
# once the run is over.
onsuccess:
    hooks.run_finished()


onerror:
    hooks.run_finished()
