# The practitioner's studies (config key `studies`, dln.studies): how robust the activation
# order is to label noise and to the initialisation, where gradient descent with a finite step
# departs from the flow, and how the saddles compare with the Lasso path and orthogonal matching
# pursuit. Each study reads the store of a configured problem, writes one Zarr store, a CSV
# table and one report figure (category "4. Practitioner studies"). A null study is skipped.
#
# This file: configuration checks, paths, input and params functions of the study rules
# (workflow/rules/studies.smk). Included after paper_common.smk, whose helpers it uses.

CATEGORY_STUDIES = "4. Practitioner studies"
STUDY_KINDS = ("label_noise", "initialisation", "step_size")
# Gradient descent works on alpha itself: alpha must be a normal float64 (dln.gd).
MIN_GD_LOG10_ALPHA = -307


def check_studies(cfg, problems):
    """The configured studies, null entries dropped; errors name the key."""
    studies = {}
    for key in (*STUDY_KINDS, "baselines"):
        spec = cfg["studies"][key]
        if spec is None:
            continue
        names = spec["problems"] if key == "baselines" else [spec["problem"]]
        for i, name in enumerate(names):
            where = (
                f"studies.{key}.problems[{i}]"
                if key == "baselines"
                else f"studies.{key}.problem"
            )
            if name not in problems:
                _fail(
                    where,
                    f"unknown problem {name!r}; configured problems: {', '.join(problems)}",
                )
        if key == "baselines" and len(set(names)) != len(names):
            _fail(f"studies.{key}.problems", "lists a problem twice")
        spec = dict(spec)
        if key == "initialisation":
            spec["log10_alpha"] = _study_alphas(key, spec["log10_alpha"])
            low, high = spec["scale_range"]
            if not 0 < low <= high:
                _fail(
                    f"studies.{key}.scale_range",
                    f"needs 0 < low <= high, got {spec['scale_range']!r}",
                )
        if key == "step_size":
            (alpha,) = _study_alphas(key, [spec["log10_alpha"]])
            if Decimal(alpha) < MIN_GD_LOG10_ALPHA:
                _fail(
                    f"studies.{key}.log10_alpha",
                    f"alpha = 1e{alpha} is below the float64 range of gradient descent "
                    f"(alpha >= 2.2e-308); allowed: log10_alpha >= {MIN_GD_LOG10_ALPHA}, "
                    "best a moderate alpha such as -3 ... -5 (see dln.gd)",
                )
            spec["log10_alpha"] = alpha
        studies[key] = spec
    return studies


def _study_alphas(key, values):
    alphas = []
    for i, value in enumerate(values):
        try:
            alphas.append(canonical_log10_alpha(value))
        except ValueError as exc:
            _fail(f"studies.{key}.log10_alpha[{i}]", str(exc))
    if len(set(alphas)) != len(alphas):
        _fail(f"studies.{key}.log10_alpha", "lists an alpha twice")
    return alphas


STUDIES = check_studies(config, PROBLEMS)
BASELINE_PROBLEMS = STUDIES["baselines"]["problems"] if "baselines" in STUDIES else []


def study_targets():
    """Every output of this file's rules, for rule all."""
    targets = []
    for key in STUDY_KINDS:
        if key in STUDIES:
            targets += [f"results/studies/{key}.zarr", f"results/tables/{key}.csv"]
            targets += figure_files(f"studies/{key}")
    if BASELINE_PROBLEMS:
        for name in BASELINE_PROBLEMS:
            targets += [
                f"results/studies/baselines/{name}.zarr",
                f"results/tables/baselines/{name}.csv",
                f"results/tables/saddles/{name}.csv",
            ]
        targets += figure_files("studies/baselines")
    return targets


def study_problem(key):
    """Input function: the problem store a study reads."""

    def inputs(wildcards):
        return problem_store(STUDIES[key]["problem"])

    return inputs


def study_params(key):
    """Params function: the study's configuration (alphas as canonical strings)."""

    def params(wildcards):
        spec = dict(STUDIES[key])
        spec.pop("problem")
        return {
            **spec,
            "problem_name": STUDIES[key]["problem"],
            "max_saddles": config["saddles"]["max_saddles"],
        }

    return params


def baseline_stores(wildcards):
    return [f"results/studies/baselines/{name}.zarr" for name in BASELINE_PROBLEMS]


def baseline_max_saddles(wildcards):
    return config["saddles"]["max_saddles"]
