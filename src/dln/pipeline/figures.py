"""The figure table: every figure of the pipeline, one entry each; the figure rules come from it.

An entry names the figure's output stem (under ``results/figures/``), the workflow script that
draws it (``workflow/scripts/<script>.py``, whose ``main(...)`` takes the paths and parameters
as keyword arguments), the stores it reads, its parameters, its caption template
(``workflow/report/captions/<caption>.rst``, filled with numbers read from the stores), its
report category and the job that draws it. Figures that read the same stores share a job, so a
figure costs its drawing, not a Python start-up; ``workflow/rules/figures.smk`` turns each job
into one rule, as showyourwork does.

Which problem and alphas a report figure shows is configured under ``report_figures``; the
alphas it asks for are simulated by the problem's sweep even when the problem does not list
them (no evaluation for those).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from dln.pipeline.paths import SWEEP_STORE
from dln.pipeline.plan import Plan, freeze

# Report categories, numbered so that the report lists them in this order.
CATEGORY_PAPER = "1. Paper figures"
CATEGORY_CONVERGENCE = "2. Convergence in alpha"
CATEGORY_BEYOND = "3. Beyond the paper"
CATEGORY_STUDIES = "4. Practitioner studies"

# Keys of `report_figures` and how many alphas each takes (None: at least one, 0: none).
REPORT_KEYS = {
    "figure1_left": None,
    "figure1_right": None,
    "figure2_left": None,
    "figure2_right": None,
    "neurips_figure1": 1,
    "poster": None,
    "convergence_coordinates": None,
    "lasso": 0,
}


@dataclass(frozen=True)
class Figure:
    """One entry of the figure table.

    ``select(plan)`` returns the figure's instances: ``{stem_suffix: spec}`` (one entry, key
    ``""``, for a single figure; one per problem for per-problem figures), empty to skip it.
    ``inputs(plan, spec)`` returns the keyword arguments of the script's ``main`` that are
    store paths; ``params(plan, spec)`` the other keyword arguments. A figure with a caption
    names its problems (``problems(plan, spec)``): the caption ends with where their data come
    from, the target and the units of the coefficients (``_captions.source_paragraph``).
    """

    name: str
    stem: str
    script: str
    job: str
    select: Callable[[Plan], dict]
    inputs: Callable[[Plan, object], dict]
    params: Callable[[Plan, object], dict] = lambda plan, spec: {}
    caption: str | None = None
    category: str | None = None
    subcategory: str | None = None
    table: str | None = None
    problems: Callable[[Plan, object], list] = lambda plan, spec: []


@dataclass(frozen=True)
class FigurePlan:
    """A figure of the table resolved against a plan: what its job reads, writes and passes."""

    name: str
    stem: str
    script: str
    job: str
    kwargs: Mapping  # keyword arguments of the script's main(), outputs included, not template
    deps: tuple  # job outputs it reads (stores, sweep directories)
    outputs: Mapping  # png, pdf, and caption / table where it has them
    template: str | None
    category: str | None
    subcategory: str | None
    problems: tuple = ()  # problem stores the caption describes (data file, target, units)


# ---------------------------------------------------------------------------- input helpers
def _report(key: str) -> Callable[[Plan], dict]:
    return lambda plan: {"": plan.report[key]} if key in plan.report else {}


def _flows(plan: Plan, problem: str, alphas) -> dict:
    """Keyword arguments of a figure of one problem's flows at ``alphas``."""
    return {
        "problem": plan.problem_store(problem),
        "saddles": plan.saddles_store(problem),
        "flows": [plan.flow_store(problem, a) for a in alphas],
    }


def _report_flows(plan: Plan, spec) -> dict:
    return _flows(plan, spec["problem"], spec["alphas"])


def _report_setup(key: str) -> Callable[[Plan, object], dict]:
    def params(plan: Plan, spec) -> dict:
        return {"figure": key, "time_scale": plan.problems[spec["problem"]].time["spacing"]}

    return params


def _one_problem(plan: Plan, spec) -> list:
    return [spec["problem"]]


def _all_problems(plan: Plan, spec) -> dict:
    names = list(plan.problems)
    return {
        "problems": [plan.problem_store(p) for p in names],
        "saddles": [plan.saddles_store(p) for p in names],
    }


def _convergence(plan: Plan, spec) -> dict:
    names = plan.convergence_problems
    return {
        "convergence": [plan.convergence_store(p) for p in names],
        "problems": [plan.problem_store(p) for p in names],
    }


def _always(plan: Plan) -> dict:
    return {"": None}


def _if_convergence(plan: Plan) -> dict:
    return {"": None} if plan.convergence_problems else {}


def _study(kind: str) -> Callable[[Plan], dict]:
    return lambda plan: {"": kind} if kind in plan.studies else {}


PAPER = "plot_paper_figures"
OVERVIEW = "plot_overview"
CONVERGENCE = "plot_convergence_figures"
STUDIES = "plot_study_figures"

# The order in which Snakemake starts ready jobs (its `priority:`, higher first; it otherwise
# breaks ties arbitrarily). Both cores of a laptop stay busy until the figure jobs, the longest
# jobs of a run (2-6 s each), so the order decides how long one core idles at the end: the
# sweeps first (every other job waits on them); then the overview, the longest figure job and
# the only one that needs nothing but the sweeps; then the jobs that other figure jobs wait on
# (the Lasso path, the convergence fits, the studies) and the convergence figures, the next
# longest; the paper and study figures last. On config/test.yaml the last job used to end
# ~1 s after the best order (the overview ran alone at the end); measured in the notes of
# docs/pipeline.md.
PRIORITY_SWEEP = 3
PRIORITY_FEEDS_FIGURES = 1
_FIGURE_JOB_PRIORITY = {OVERVIEW: 2, CONVERGENCE: PRIORITY_FEEDS_FIGURES}


def priority(job: str) -> int:
    """Snakemake priority of a figure job (see PRIORITY_SWEEP)."""
    return _FIGURE_JOB_PRIORITY.get(job, 0)


def _paper_panel(key: str) -> Figure:
    return Figure(
        name=key,
        stem=f"paper/{key}",
        script="plot_paper_panel",
        job=PAPER,
        select=_report(key),
        inputs=_report_flows,
        params=_report_setup(key),
        caption=key,
        problems=_one_problem,
        category=CATEGORY_PAPER,
        subcategory="arXiv Figures 1-2",
    )


def _study_figure(kind: str, script: str, caption: str) -> Figure:
    return Figure(
        name=f"{kind}_study",
        stem=f"studies/{kind}",
        script=script,
        job=STUDIES,
        select=_study(kind),
        inputs=lambda plan, spec: {"study": plan.paths.study.format(kind=spec)},
        caption=caption,
        problems=lambda plan, spec: [plan.studies[spec]["problem"]],
        category=CATEGORY_STUDIES,
        subcategory="robustness of the activation order"
        if kind != "step_size"
        else "gradient descent versus the flow",
    )


# ---------------------------------------------------------------------------- the table
FIGURES: tuple[Figure, ...] = (
    # the overview of every problem
    Figure(
        name="problems",
        stem="problems",
        script="plot_problems",
        job=OVERVIEW,
        select=_always,
        inputs=_all_problems,
    ),
    Figure(
        name="saddles",
        stem="saddles",
        script="plot_saddles",
        job=OVERVIEW,
        select=_always,
        inputs=lambda plan, spec: {"saddles": [plan.saddles_store(p) for p in plan.problems]},
    ),
    Figure(
        name="flow",
        stem="flow/{problem}",
        script="plot_flow",
        job=OVERVIEW,
        select=lambda plan: {name: name for name in plan.problems},
        inputs=lambda plan, name: {
            k: v
            for k, v in _flows(plan, name, plan.problems[name].plot_alphas).items()
            if k != "problem"
        },
        params=lambda plan, name: {"time_spacing": plan.problems[name].time["spacing"]},
    ),
    Figure(
        name="activation_timeline",
        stem="beyond/activation_timeline",
        script="plot_activation_timeline",
        job=OVERVIEW,
        select=_always,
        inputs=_all_problems,
        params=lambda plan, spec: {"time_scales": plan.time_scales(), "units": plan.units},
        caption="activation_timeline",
        problems=lambda plan, spec: list(plan.problems),
        category=CATEGORY_BEYOND,
        subcategory="support of the limit",
        table="activation_timeline",
    ),
    # the paper
    _paper_panel("figure1_left"),
    _paper_panel("figure1_right"),
    _paper_panel("figure2_left"),
    _paper_panel("figure2_right"),
    Figure(
        name="neurips_figure1",
        stem="paper/neurips_figure1",
        script="plot_neurips_figure1",
        job=PAPER,
        select=_report("neurips_figure1"),
        inputs=_report_flows,
        params=_report_setup("neurips_figure1"),
        caption="neurips_figure1",
        problems=_one_problem,
        category=CATEGORY_PAPER,
        subcategory="NeurIPS Figure 1 and the poster",
    ),
    Figure(
        name="poster",
        stem="paper/poster_staircase",
        script="plot_poster_staircase",
        job=PAPER,
        select=_report("poster"),
        inputs=_report_flows,
        params=_report_setup("poster"),
        caption="poster_staircase",
        problems=_one_problem,
        category=CATEGORY_PAPER,
        subcategory="NeurIPS Figure 1 and the poster",
    ),
    Figure(
        name="lasso",
        stem="beyond/lasso_vs_saddles",
        script="plot_lasso_comparison",
        job=PAPER,
        select=_report("lasso"),
        inputs=lambda plan, spec: {
            "problem": plan.problem_store(spec["problem"]),
            "saddles": plan.saddles_store(spec["problem"]),
            "lasso": plan.paths.lasso.format(problem=spec["problem"]),
        },
        params=_report_setup("lasso"),
        caption="lasso_vs_saddles",
        problems=_one_problem,
        category=CATEGORY_BEYOND,
        subcategory="saddles and the Lasso path",
    ),
    # convergence in alpha
    Figure(
        name="evaluation",
        stem="evaluation",
        script="plot_evaluation",
        job=CONVERGENCE,
        select=_always,
        inputs=lambda plan, spec: {
            "evaluations": [
                plan.evaluation_store(p, a) for p, s in plan.problems.items() for a in s.alphas
            ]
        },
    ),
    Figure(
        name="convergence",
        stem="convergence",
        script="plot_convergence",
        job=CONVERGENCE,
        select=_if_convergence,
        inputs=lambda plan, spec: {"convergence": _convergence(plan, spec)["convergence"]},
    ),
    Figure(
        name="jump_time_errors",
        stem="alpha_convergence/jump_time_errors",
        script="plot_jump_time_errors",
        job=CONVERGENCE,
        select=_if_convergence,
        inputs=_convergence,
        caption="jump_time_errors",
        problems=lambda plan, spec: list(plan.convergence_problems),
        category=CATEGORY_CONVERGENCE,
        subcategory="rates in log(1/alpha)",
    ),
    Figure(
        name="distance_metrics",
        stem="alpha_convergence/distance_metrics",
        script="plot_distance_metrics",
        job=CONVERGENCE,
        select=_if_convergence,
        inputs=_convergence,
        caption="distance_metrics",
        problems=lambda plan, spec: list(plan.convergence_problems),
        category=CATEGORY_CONVERGENCE,
        subcategory="rates in log(1/alpha)",
    ),
    Figure(
        name="convergence_coordinates",
        stem="alpha_convergence/coordinates",
        script="plot_convergence_coordinates",
        job=CONVERGENCE,
        select=_report("convergence_coordinates"),
        inputs=_report_flows,
        params=_report_setup("convergence_coordinates"),
        caption="convergence_coordinates",
        problems=_one_problem,
        category=CATEGORY_CONVERGENCE,
        subcategory="the flow approaching the limit",
    ),
    # the practitioner's studies
    _study_figure("label_noise", "plot_noise_study", "noise_study"),
    _study_figure("initialisation", "plot_initialisation_study", "initialisation_study"),
    _study_figure("step_size", "plot_step_size_study", "step_size_study"),
    Figure(
        name="sgd_study",
        stem="studies/sgd/{problem}",
        script="plot_sgd_study",
        job=STUDIES,
        select=lambda plan: {p: p for p in plan.studies.get("sgd", {}).get("problems", ())},
        inputs=lambda plan, name: {"study": plan.paths.sgd_study.format(problem=name)},
        caption="sgd_study",
        problems=lambda plan, name: [name],
        category=CATEGORY_STUDIES,
        subcategory="gradient descent and SGD with finite steps",
    ),
    Figure(
        name="baselines",
        stem="studies/baselines",
        script="plot_baselines",
        job=STUDIES,
        select=lambda plan: {"": None} if "baselines" in plan.studies else {},
        inputs=lambda plan, spec: {
            "studies": [
                plan.paths.baselines.format(problem=name)
                for name in plan.studies["baselines"]["problems"]
            ]
        },
        caption="baselines",
        problems=lambda plan, spec: list(plan.studies["baselines"]["problems"]),
        category=CATEGORY_STUDIES,
        subcategory="saddles, Lasso and OMP",
    ),
)

# The figures' jobs (rules), in the order of the table.
JOBS = tuple(dict.fromkeys(f.job for f in FIGURES))
CAPTIONS_DIR = "workflow/report/captions"


def _deps(kwargs: Mapping) -> list[str]:
    """The job outputs behind the store paths of ``kwargs``: a sweep's store lives in the
    directory its job writes (part<k>), every other store is a job output itself."""
    prefix = SWEEP_STORE.split("{")[0]
    deps = []
    for value in kwargs.values():
        for path in value if isinstance(value, list) else [value]:
            deps.append(str(Path(path).parent) if Path(path).name.startswith(prefix) else path)
    return list(dict.fromkeys(deps))


def resolve_figures(plan: Plan, *, workflow_dir: str | Path = ".") -> tuple[FigurePlan, ...]:
    """Every figure of :data:`FIGURES` that the plan draws, with its paths and arguments.

    Caption templates are given relative to ``workflow_dir`` (the repository's root).
    """
    figures = []
    dpi = plan.figure_params()
    for fig in FIGURES:
        for suffix, spec in fig.select(plan).items():
            stem = fig.stem.format(problem=suffix) if suffix else fig.stem
            inputs = fig.inputs(plan, spec)
            outputs = {
                "png": plan.paths.figure.format(stem=stem, ext="png"),
                "pdf": plan.paths.figure.format(stem=stem, ext="pdf"),
            }
            template = None
            if fig.caption is not None:
                outputs["caption"] = plan.paths.figure.format(stem=stem, ext="rst")
                template = str(Path(workflow_dir) / CAPTIONS_DIR / f"{fig.caption}.rst")
            if fig.table is not None:
                outputs["table"] = plan.paths.table.format(stem=fig.table)
            kwargs = {**inputs, **outputs, **fig.params(plan, spec), **dpi}
            problems = tuple(plan.problem_store(p) for p in fig.problems(plan, spec))
            figures.append(
                FigurePlan(
                    name=fig.name if not suffix else f"{fig.name}_{suffix}",
                    stem=stem,
                    script=fig.script,
                    job=fig.job,
                    kwargs=freeze(kwargs),
                    deps=tuple(dict.fromkeys([*_deps(inputs), *problems])),
                    outputs=MappingProxyType(outputs),
                    template=template,
                    category=fig.category,
                    subcategory=fig.subcategory,
                    problems=problems,
                )
            )
    return tuple(figures)


def figures_of(plan: Plan, job: str) -> list[FigurePlan]:
    return [f for f in plan.figures if f.job == job]


def jobs(plan: Plan) -> list[str]:
    """The figure jobs that draw at least one figure."""
    return [job for job in JOBS if figures_of(plan, job)]
