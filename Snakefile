# dln: Snakemake pipeline regenerating the figures of Pesme & Flammarion (NeurIPS 2023),
# "Saddle-to-Saddle Dynamics in Diagonal Linear Networks". The only entry point.
#
#   snakemake --cores 2                                  # the paper (config/config.yaml)
#   snakemake --cores 2 --configfile config/test.yaml    # the tiny test configuration
#
# problems -> saddles (Algorithm 1) -> flow per (problem, alpha) -> evaluation per
# (problem, alpha) -> convergence per problem -> figures. See README.md.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml", set_default=True)


# `snakemake --report results/report.html` after a run: the figures of workflow/rules/paper.smk
# grouped by category, each with its caption (numbers read from the stores).
report: "workflow/report/workflow.rst"


# `--config data=path/to/file.csv target=column`: study that file alone (rewrites the config).
include: "workflow/rules/user_data.smk"
include: "workflow/rules/common.smk"
include: "workflow/rules/problems.smk"
include: "workflow/rules/saddles.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/convergence.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/paper_common.smk"
include: "workflow/rules/paper.smk"
include: "workflow/rules/studies_common.smk"
include: "workflow/rules/studies.smk"


rule all:
    default_target: True
    input:
        all_targets(),
        report_targets(),
        study_targets(),
