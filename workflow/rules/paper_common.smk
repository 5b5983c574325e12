# Configuration checks, paths, input and params functions of the report's figures
# (workflow/rules/paper.smk). Included after common.smk, whose helpers it uses.

from pathlib import Path

REPORT_FIGURES = (
    "figure1_left",
    "figure1_right",
    "figure2_left",
    "figure2_right",
    "neurips_figure1",
    "poster",
    "convergence_coordinates",
    "lasso",
)
# Figures drawn from flows, and how many alphas each needs (None: at least one).
FLOW_FIGURES = {key: None for key in REPORT_FIGURES if key != "lasso"}
FLOW_FIGURES["neurips_figure1"] = 1
# Report categories, numbered so that the report lists them in this order.
CATEGORY_PAPER = "1. Paper figures"
CATEGORY_CONVERGENCE = "2. Convergence in alpha"
CATEGORY_BEYOND = "3. Beyond the paper"
# Caption templates (string.Template, see workflow/scripts/_captions.py).
CAPTIONS = Path(workflow.basedir) / "workflow" / "report" / "captions"


def check_report_figures(cfg, problems):
    """The configured report figures: {figure: {"problem", "alphas"}}, null entries dropped."""
    table = {}
    for key in REPORT_FIGURES:
        spec = cfg["report_figures"][key]
        if spec is None:
            continue
        name = spec["problem"]
        if name not in problems:
            _fail(
                f"report_figures.{key}.problem",
                f"unknown problem {name!r}; configured problems: {', '.join(problems)}",
            )
        alphas = []
        for i, value in enumerate(spec["log10_alpha"]):
            try:
                alphas.append(canonical_log10_alpha(value))
            except ValueError as exc:
                _fail(f"report_figures.{key}.log10_alpha[{i}]", str(exc))
        if key in FLOW_FIGURES:
            need = FLOW_FIGURES[key]
            if not alphas or (need is not None and len(alphas) != need):
                what = f"exactly {need}" if need is not None else "at least one"
                _fail(f"report_figures.{key}.log10_alpha", f"needs {what} alpha")
            if len(set(alphas)) != len(alphas):
                _fail(f"report_figures.{key}.log10_alpha", "lists an alpha twice")
        elif alphas:
            _fail(
                f"report_figures.{key}.log10_alpha", "takes no alphas (leave it empty)"
            )
        table[key] = {"problem": name, "alphas": alphas}
    return table


REPORT = check_report_figures(config, PROBLEMS)


def report_caption(stem):
    """Absolute path of the caption a plotting job writes next to its figure.

    Snakemake resolves report captions against the rule file's directory, so the caption of a
    figure in the working directory's results/ is given by its absolute path.
    """
    return str(Path(f"results/figures/{stem}.rst").resolve())


def report_figure(stem, *, category, subcategory):
    """Outputs of a plotting rule: PNG (in the report), PDF and the caption file."""
    return {
        "png": report(
            f"results/figures/{stem}.png",
            caption=report_caption(stem),
            category=category,
            subcategory=subcategory,
        ),
        "pdf": f"results/figures/{stem}.pdf",
        "caption": f"results/figures/{stem}.rst",
    }


def report_targets():
    """Every output of this file's rules, for rule all."""
    stems = [f"paper/{key}" for key in REPORT if key.startswith("figure")]
    if "neurips_figure1" in REPORT:
        stems.append("paper/neurips_figure1")
    if "poster" in REPORT:
        stems.append("paper/poster_staircase")
    if CONVERGENCE_PROBLEMS:
        stems += [
            "alpha_convergence/jump_time_errors",
            "alpha_convergence/distance_metrics",
        ]
    if "convergence_coordinates" in REPORT:
        stems.append("alpha_convergence/coordinates")
    if "lasso" in REPORT:
        stems.append("beyond/lasso_vs_saddles")
    stems.append("beyond/activation_timeline")
    targets = [
        f"results/figures/{stem}.{ext}" for stem in stems for ext in ("png", "pdf")
    ]
    targets.append("results/tables/activation_timeline.csv")
    return targets


# ---------------------------------------------------------------------------- input functions
def report_problem(key):
    """Input function: the problem, saddles and flow stores a report figure draws."""

    def inputs(wildcards):
        spec = REPORT[key]
        name = spec["problem"]
        return {
            "problem": problem_store(name),
            "saddles": saddles_store(name),
            "flows": [flow_store(name, a) for a in spec["alphas"]],
        }

    return inputs


def report_params(key):
    """Params function: the figure's problem, alphas and time axis."""

    def params(wildcards):
        spec = REPORT[key]
        return {
            "figure": key,
            "time_scale": PROBLEMS[spec["problem"]]["time"]["spacing"],
        }

    return params


def convergence_inputs(wildcards):
    return {
        "convergence": [convergence_store(p) for p in CONVERGENCE_PROBLEMS],
        "problems": [problem_store(p) for p in CONVERGENCE_PROBLEMS],
    }


def lasso_inputs(wildcards):
    name = REPORT["lasso"]["problem"]
    return {
        "problem": problem_store(name),
        "saddles": saddles_store(name),
        "lasso": f"results/lasso/{name}.zarr",
    }


def lasso_params(wildcards):
    return {"time": flow_params(wildcards)["time"]}


def time_scales(wildcards):
    return {name: spec["time"]["spacing"] for name, spec in PROBLEMS.items()}
