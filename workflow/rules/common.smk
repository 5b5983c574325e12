# Wildcard constraints, the environment, and the one-line input, params and resource functions
# of the rules. Everything they return comes from PLAN (dln.pipeline.plan.resolve, called by
# the Snakefile); no configuration logic lives here.

from dln.pipeline import figures as figure_table
from dln.pipeline.code import code_hash
from dln.pipeline.plan import LOG10_ALPHA_RE, PART_RE, PROBLEM_RE, plain

# The pinned environment of the repository (relative to workflow/rules/). It documents the
# software of every rule and feeds Snakemake's software-env rerun trigger; run Snakemake inside
# it (`conda env create -f environment.yml`), see docs/pipeline.md.
CONDA_ENV = "../../environment.yml"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"


wildcard_constraints:
    problem=PROBLEM_RE,
    log10_alpha=LOG10_ALPHA_RE,
    part=PART_RE,


def code(*scripts):
    """Params entry: hash of the dln modules the scripts import (edits rerun their jobs)."""
    return {
        s: code_hash(SCRIPTS / f"{s}.py", include_self=s != scripts[0]) for s in scripts
    }


def all_targets():
    targets = [PLAN.problem_store(p) for p in PLAN.problems]
    targets += [
        PLAN.paths.flow_dir.format(problem=p, part=k) for p, k in PLAN.sweep_jobs()
    ]
    for fig in PLAN.figures:
        targets += list(fig.outputs.values())
    targets += study_targets()
    return targets


# ---------------------------------------------------------------------------- input functions
def data_file(wildcards):
    """The user data file of a problem read from disk (so edits to it trigger a rerun)."""
    path = PLAN.problems[wildcards.problem].data_path
    return [] if path is None else [path]


def problem_evaluations(wildcards):
    return PLAN.evaluation_dirs(wildcards.problem)


# ---------------------------------------------------------------------------- params functions
# Each job receives only the configuration it depends on, so that editing one problem (or
# adding one alpha) changes the params of, and reruns, only the jobs downstream of that edit.
def problem_source(wildcards):
    return PLAN.source_params(wildcards.problem)


def saddle_params(wildcards):
    return PLAN.saddle_params(wildcards.problem)


def sweep_params(wildcards):
    return PLAN.sweep_params(wildcards.problem, getattr(wildcards, "part", 0))


def lasso_params(wildcards):
    return PLAN.lasso_params(wildcards.problem)


def convergence_params(wildcards):
    spec = PLAN.problems[wildcards.problem]
    return {"evaluations": [PLAN.evaluation_store(spec.name, a) for a in spec.alphas]}


# ---------------------------------------------------------------------------- figure jobs
def report_caption(stem):
    """Absolute path of the caption a plotting job writes next to its figure.

    Snakemake resolves report captions against the rule file's directory, so the caption of a
    figure in the working directory's results/ is given by its absolute path.
    """
    return str(Path(PLAN.paths.figure.format(stem=stem, ext="rst")).resolve())


def figure_job_inputs(job):
    """Inputs of a figure job: the stores its figures read and their caption templates."""
    figs = figure_table.figures_of(PLAN, job)
    deps = list(dict.fromkeys(d for fig in figs for d in fig.deps))
    templates = {
        f"template{i}": fig.template for i, fig in enumerate(figs) if fig.template
    }
    return {"stores": deps, **templates}


def figure_job_outputs(job):
    """Outputs of a figure job, named f<i>_<kind>; report figures and tables are flagged."""
    outputs = {}
    for i, fig in enumerate(figure_table.figures_of(PLAN, job)):
        for kind, path in fig.outputs.items():
            if fig.category is not None and kind in ("png", "table"):
                path = report(
                    path,
                    caption=report_caption(fig.stem),
                    category=fig.category,
                    subcategory=fig.subcategory,
                )
            outputs[f"f{i}_{kind}"] = path
    return outputs


def figure_job_params(job):
    """The script, keyword arguments and template input of every figure of a job."""
    return [
        {
            "name": fig.name,
            "script": fig.script,
            "kwargs": plain(fig.kwargs),
            "template": f"template{i}" if fig.template else None,
            "problems": list(fig.problems),
            "units": PLAN.units,
        }
        for i, fig in enumerate(figure_table.figures_of(PLAN, job))
    ]


def figure_job_code(job):
    scripts = dict.fromkeys(fig.script for fig in figure_table.figures_of(PLAN, job))
    return code("plot_figures", *scripts)


# ---------------------------------------------------------------------------- studies
def study_targets():
    targets = []
    for kind in PLAN.studies:
        if kind == "baselines":
            for name in PLAN.studies["baselines"]["problems"]:
                targets += [
                    PLAN.paths.baselines.format(problem=name),
                    PLAN.paths.baselines_table.format(problem=name),
                    PLAN.paths.saddles_table.format(problem=name),
                ]
        elif kind == "sgd":
            for name in PLAN.studies["sgd"]["problems"]:
                targets += [
                    PLAN.paths.sgd_study.format(problem=name),
                    PLAN.paths.sgd_table.format(problem=name),
                ]
        else:
            targets += [
                PLAN.paths.study.format(kind=kind),
                PLAN.paths.table.format(stem=kind),
            ]
    return targets


def study_problem(kind):
    """Input function: the problem store a study reads."""
    return lambda wildcards: PLAN.problem_store(PLAN.studies[kind]["problem"])


def study_params(kind):
    """Params function: the study's configuration (alphas as canonical strings)."""
    return lambda wildcards: PLAN.study_params(kind)


def sgd_study_params(wildcards):
    return PLAN.study_params("sgd", wildcards.problem)


def sgd_runtime(wildcards):
    """Minutes of an (S)GD study job: its budget at ~1 s per million iterations, 10 at least."""
    return max(10, PLAN.studies["sgd"]["max_iterations"] // 1_000_000)


def baseline_max_saddles(wildcards):
    return PLAN.config["saddles"]["max_saddles"]


# ---------------------------------------------------------------------------- resources
# Measured on the paper's problems (docs/cluster.md): a problem job needs ~300 MB besides
# Snakemake's own ~300 MB on a cluster node, and at most ~3 minutes per flow.
def sweep_runtime(wildcards):
    """Minutes of one job of a sweep: 2 for the problem and Algorithm 1, 3 per flow."""
    return 2 + 3 * len(
        PLAN.sweep_params(wildcards.problem, getattr(wildcards, "part", 0))[
            "flow_alphas"
        ]
    )
