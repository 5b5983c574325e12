# Shared helpers: semantic config checks, the alpha grid, input and params functions,
# wildcard constraints. No numerics here beyond turning config into canonical alpha strings.
#
# alpha is the initialisation scale of the network (u0 = sqrt(2) alpha); it is configured and
# carried in paths by its base-10 exponent, as a canonical decimal string ("-100", "-2.5").

import copy
import math
from decimal import Decimal
from pathlib import Path

from dln.io import canonical_log10_alpha

# Problem names and alpha exponents as they may appear in paths.
PROBLEM_RE = "[A-Za-z][A-Za-z0-9_]*"
LOG10_ALPHA_RE = r"-(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?"
SOURCES = ("preset", "generate", "data")
# The pinned environment of the repository (relative to workflow/rules/). It documents the
# software of every rule and feeds Snakemake's software-env rerun trigger; run Snakemake inside
# it (`conda env create -f environment.yml`), see README.md.
CONDA_ENV = "../../environment.yml"


wildcard_constraints:
    problem=PROBLEM_RE,
    log10_alpha=LOG10_ALPHA_RE,


class ConfigError(ValueError):
    """A configuration value that passes the schema but makes no sense."""


def _fail(key, message):
    raise ConfigError(f"config key '{key}': {message}")


def log10_alpha_grid(*, min_log_inv_alpha, max_log_inv_alpha, num, significant_digits):
    """Exponents log10(alpha) log-spaced in log(1/alpha), each rounded once to a decimal.

    Returns canonical strings; the rounded decimal is the exact alpha exponent from then on.
    """
    lo, hi = math.log(min_log_inv_alpha), math.log(max_log_inv_alpha)
    out = []
    for i in range(num):
        lam = math.exp(lo + (hi - lo) * i / (num - 1)) if num > 1 else min_log_inv_alpha
        exponent = -lam / math.log(10.0)
        digits = significant_digits - 1 - math.floor(math.log10(abs(exponent)))
        rounded = round(Decimal(repr(exponent)), digits)
        out.append(canonical_log10_alpha(str(rounded)))
    return out


def _problem_alphas(name, spec):
    """Canonical exponents of one problem, sorted by increasing log(1/alpha), no duplicates."""
    alphas = []
    for i, value in enumerate(spec["log10_alpha"]):
        try:
            alphas.append(canonical_log10_alpha(value))
        except ValueError as exc:
            _fail(f"problems.{name}.log10_alpha[{i}]", str(exc))
    grid = spec["log10_alpha_grid"]
    if grid is not None:
        if grid["min_log_inv_alpha"] > grid["max_log_inv_alpha"]:
            _fail(
                f"problems.{name}.log10_alpha_grid",
                "min_log_inv_alpha must not exceed max_log_inv_alpha",
            )
        alphas += log10_alpha_grid(**grid)
    if not alphas:
        _fail(f"problems.{name}", "no alphas: set log10_alpha and/or log10_alpha_grid")
    return sorted(set(alphas), key=lambda a: -Decimal(a))


def check_config(cfg):
    """Semantic checks after schema validation; returns the normalised problem table.

    Every problem gets 'alphas' (canonical exponent strings, increasing log(1/alpha)) and
    'plot_alphas' (the subset drawn in its flow figure).
    """
    problems = cfg["problems"]
    if not problems:
        _fail("problems", "no problem configured")
    table = {}
    for name, spec in problems.items():
        spec = copy.deepcopy(spec)
        given = [key for key in SOURCES if spec[key] is not None]
        if len(given) != 1:
            _fail(
                f"problems.{name}",
                f"give exactly one of {', '.join(SOURCES)} (got {given or 'none'})",
            )
        if spec["seed"] is not None and spec["preset"] is None:
            _fail(f"problems.{name}.seed", "only a preset takes a seed override")
        if spec["data"] is not None and not spec["data"]["path"]:
            _fail(f"problems.{name}.data.path", "the path of the data file is empty")
        gen = spec["generate"]
        if gen is not None:
            d = gen["n_features"]
            if gen["beta_star"] is not None and len(gen["beta_star"]) != d:
                _fail(
                    f"problems.{name}.generate.beta_star",
                    f"needs n_features = {d} entries",
                )
            if gen["support_size"] is not None and gen["support_size"] > d:
                _fail(
                    f"problems.{name}.generate.support_size",
                    f"exceeds n_features = {d}",
                )
            if spec["scales"] is not None and len(spec["scales"]) != d:
                _fail(f"problems.{name}.scales", f"needs n_features = {d} entries")
        time = spec["time"]
        if time["spacing"] == "log" and time["t_min"] <= 0:
            _fail(f"problems.{name}.time.t_min", "must be > 0 with spacing: log")
        if time["t_max"] is not None and time["t_max"] <= time["t_min"]:
            _fail(f"problems.{name}.time.t_max", "must exceed time.t_min")
        spec["alphas"] = _problem_alphas(name, spec)
        if spec["plot_log10_alpha"] is None:
            spec["plot_alphas"] = [
                canonical_log10_alpha(a)
                for a in (spec["log10_alpha"] or spec["alphas"])
            ][: cfg["figures"]["max_flow_alphas"]]
        else:
            spec["plot_alphas"] = []
            for i, value in enumerate(spec["plot_log10_alpha"]):
                key = f"problems.{name}.plot_log10_alpha[{i}]"
                try:
                    alpha = canonical_log10_alpha(value)
                except ValueError as exc:
                    _fail(key, str(exc))
                if alpha not in spec["alphas"]:
                    _fail(key, f"alpha 1e{alpha} is not one of the problem's alphas")
                spec["plot_alphas"].append(alpha)
        table[name] = spec
    return table


PROBLEMS = check_config(config)
CONVERGENCE_PROBLEMS = [
    name
    for name, spec in PROBLEMS.items()
    if len(spec["alphas"]) >= config["convergence"]["min_alphas"]
]


# ---------------------------------------------------------------------------- paths
def problem_store(problem):
    return f"results/problems/{problem}.zarr"


def saddles_store(problem):
    return f"results/saddles/{problem}.zarr"


def flow_store(problem, log10_alpha):
    return f"results/flow/{problem}/log10_alpha={log10_alpha}.zarr"


def evaluation_store(problem, log10_alpha):
    return f"results/evaluate/{problem}/log10_alpha={log10_alpha}.zarr"


def convergence_store(problem):
    return f"results/convergence/{problem}.zarr"


def figure_files(stem):
    return [f"results/figures/{stem}.png", f"results/figures/{stem}.pdf"]


def all_targets():
    targets = figure_files("problems") + figure_files("saddles")
    targets += figure_files("evaluation")
    for problem in PROBLEMS:
        targets += figure_files(f"flow/{problem}")
    if CONVERGENCE_PROBLEMS:
        targets += figure_files("convergence")
    return targets


# ---------------------------------------------------------------------------- input functions
def data_file(wildcards):
    """The user data file of a problem read from disk (so edits to it trigger a rerun)."""
    spec = PROBLEMS[wildcards.problem]
    return [spec["data"]["path"]] if spec["data"] is not None else []


def problem_evaluations(wildcards):
    problem = wildcards.problem
    return [evaluation_store(problem, a) for a in PROBLEMS[problem]["alphas"]]


def plotted_flows(wildcards):
    problem = wildcards.problem
    return [flow_store(problem, a) for a in PROBLEMS[problem]["plot_alphas"]]


def all_problem_stores(wildcards):
    return [problem_store(p) for p in PROBLEMS]


def all_saddles_stores(wildcards):
    return [saddles_store(p) for p in PROBLEMS]


def all_evaluation_stores(wildcards):
    return [
        evaluation_store(p, a) for p, spec in PROBLEMS.items() for a in spec["alphas"]
    ]


def all_convergence_stores(wildcards):
    return [convergence_store(p) for p in CONVERGENCE_PROBLEMS]


# ---------------------------------------------------------------------------- params functions
# Each rule receives only the configuration it depends on, so that editing one problem (or
# adding one alpha) changes the params of, and reruns, only the jobs downstream of that edit.
def problem_source(wildcards):
    spec = PROBLEMS[wildcards.problem]
    return {key: spec[key] for key in ("preset", "seed", "generate", "data")}


def saddle_params(wildcards):
    return {
        "scales": PROBLEMS[wildcards.problem]["scales"],
        "max_saddles": config["saddles"]["max_saddles"],
    }


def flow_params(wildcards):
    spec = PROBLEMS[wildcards.problem]
    flow = config["flow"]
    time = dict(spec["time"])
    if time["num"] is None:
        time["num"] = flow["num_times"]
    if time["t_max"] is None:
        time["t_max_factor"] = flow["t_max_factor"]
    return {
        "scales": spec["scales"],
        "time": time,
        "method": flow["method"],
        "rtol": flow["rtol"],
        "max_step_count": flow["max_step_count"],
    }


def evaluate_params(wildcards):
    return {"window_fraction": config["evaluate"]["window_fraction"]}


def figure_params(wildcards):
    return {"dpi": config["figures"]["dpi"]}
