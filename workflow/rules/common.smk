# Shared helpers: semantic config checks, the alpha grid, input and params functions,
# wildcard constraints. No numerics of its own beyond turning config into canonical alpha
# strings; the checks that need data (check_problems) call dln's problems, Algorithm 1 and the
# flow's argument checks.
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


# ---------------------------------------------------------------------------- checks on files
# These read the configuration files and build every problem, so that a bad data file, a
# duplicated key or a time grid that misses the last jump stops the run before any job
# starts. They run in the main Snakemake process only (a cluster job re-parses this file).
def _duplicate_keys(path):
    """(key, first line, second line) of every mapping key defined twice in a YAML file.

    YAML loaders, Snakemake's included, keep the last of two equal keys without a word, so
    a second problem of the same name would silently replace the first.
    """
    import yaml

    try:
        root = yaml.compose(
            Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # Snakemake itself reports unreadable configuration files
    found = []

    def walk(node, prefix):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, value_node in node.value:
                key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    found.append((key, seen[key], line))
                seen.setdefault(key, line)
                walk(value_node, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{prefix}[{i}]")

    walk(root, "")
    return found


def check_config_files(paths):
    """Reject a key defined twice in any configuration file (e.g. two problems of one name)."""
    for path in paths:
        for key, first, second in _duplicate_keys(path):
            _fail(
                key,
                f"defined twice in {path} (lines {first} and {second}); YAML would keep only "
                "the last one without a warning. Each key, and each problem name, may appear "
                "once: rename or merge them",
            )


def _make_problem_script():
    """The make_problem rule's script as a module: problems are built exactly as it does."""
    import importlib.util

    path = Path(workflow.basedir) / "workflow" / "scripts" / "make_problem.py"
    spec = importlib.util.spec_from_file_location("_dln_make_problem_script", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def _check_data_file(name, data):
    path = Path(data["path"])
    if not path.is_file():
        _fail(
            f"problems.{name}.data.path",
            f"file {str(path)!r} does not exist (relative paths are read from the working "
            f"directory {str(Path.cwd())!r}); allowed: an existing .csv or .npz file",
        )


def check_problems(table, cfg):
    """Checks that need each problem's data, Algorithm 1 or the flow's argument checks.

    - the problem can be built (data file exists and passes ``dln.problems.load_data``'s
      checks: target column, NaN/inf, ragged rows, ...; generator arguments are consistent);
    - ``scales`` has one entry per feature;
    - ``flow.rtol`` is reachable in float64 at the problem's smallest alpha (the flow's own
      check, run on a 1 x 1 stand-in problem);
    - the time grid ends after the last jump t_p of Algorithm 1, and after the evaluation
      window [t_p - delta, t_p + delta] around it (delta = evaluate.window_fraction times the
      smallest gap between jump times). Algorithm 1 runs here only when the grid could miss
      either: time.t_max or time.t_min is set, or flow.t_max_factor - 1 < window_fraction
      (otherwise t_max = factor * t_p >= t_p + delta holds for every problem).
    """
    import numpy as np

    from dln.evaluate import window_half_width
    from dln.flow import simulate_flow
    from dln.io import log_inv_alpha_from_log10
    from dln.saddles import saddle_jumps

    build_problem = _make_problem_script().build_problem
    flow, fraction = cfg["flow"], cfg["evaluate"]["window_fraction"]
    for name, spec in table.items():
        source = next(key for key in SOURCES if spec[key] is not None)
        if source == "data":
            _check_data_file(name, spec["data"])
        try:
            problem = build_problem(
                name, {key: spec[key] for key in (*SOURCES, "seed")}
            )
        except (ValueError, TypeError) as exc:
            key = f"problems.{name}.{source}"
            if (
                source == "data"
                and spec["data"]["target"] is not None
                and "target" in str(exc)
            ):
                key += ".target"
            _fail(key, str(exc))
        d = problem.X.shape[1]
        if spec["scales"] is not None and len(spec["scales"]) != d:
            _fail(f"problems.{name}.scales", f"needs one entry per feature ({d})")
        smallest = spec["alphas"][-1]
        lam = log_inv_alpha_from_log10(smallest)
        if not math.isfinite(lam):
            _fail(
                f"problems.{name}.log10_alpha",
                f"alpha = 1e{smallest} is too small: log(1/alpha) overflows float64",
            )
        try:  # t = [0]: only the arguments are checked, nothing is integrated
            simulate_flow(
                np.ones((1, 1)),
                np.ones(1),
                log_inv_alpha=lam,
                t=np.zeros(1),
                scales=max(spec["scales"] or [1.0]),
                rtol=flow["rtol"],
                method=flow["method"],
                max_step_count=flow["max_step_count"],
            )
        except ValueError as exc:
            key = "flow.rtol" if str(exc).startswith("rtol") else "flow"
            _fail(key, f"{exc} (problem {name!r}, alpha = 1e{smallest})")
        time = spec["time"]
        if (
            time["t_max"] is None
            and time["t_min"] == 0
            and flow["t_max_factor"] - 1 >= fraction
        ):
            continue
        try:
            result = saddle_jumps(
                problem.X,
                problem.y,
                scales=spec["scales"],
                max_saddles=cfg["saddles"]["max_saddles"],
            )
        except (ValueError, RuntimeError) as exc:
            _fail(f"problems.{name}", f"Algorithm 1 fails on this problem: {exc}")
        t_p = float(result.times[-1])
        if result.n_saddles == 0:
            continue  # no jump: the flow stays at beta = 0, any grid will do
        t_max = time["t_max"]
        if t_max is None:
            t_max = flow["t_max_factor"] * t_p
            if time["t_min"] >= t_max:
                _fail(
                    f"problems.{name}.time.t_min",
                    f"{time['t_min']!r} is not below the end of the grid, flow.t_max_factor * "
                    f"t_p = {t_max:.6g} (t_p = {t_p:.6g} is the last jump time of Algorithm 1)",
                )
        if t_max <= t_p:
            _fail(
                f"problems.{name}.time.t_max",
                f"{t_max!r} ends before the last jump of Algorithm 1, t_p = {t_p:.6g}, so the "
                f"flow would never reach the last saddle; allowed: t_max > {t_p:.6g} (e.g. "
                f"{1.5 * t_p:.3g}), or null for flow.t_max_factor * t_p",
            )
        delta = window_half_width(result.times[1:], fraction)
        if t_max < t_p + delta:
            _fail(
                "evaluate.window_fraction",
                f"{fraction!r} makes the evaluation window around the last jump of problem "
                f"{name!r}, [t_p - delta, t_p + delta] = [{t_p - delta:.6g}, {t_p + delta:.6g}], "
                f"end after its time.t_max = {t_max!r}; allowed: window_fraction <= "
                f"{fraction * (t_max - t_p) / delta:.3g}, or raise problems.{name}.time.t_max "
                f"to at least {t_p + delta:.6g}",
            )


if workflow.is_main_process:
    check_config_files(workflow.configfiles)
PROBLEMS = check_config(config)
if workflow.is_main_process:
    check_problems(PROBLEMS, config)
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
    # The flow's settings too: when they change, the evaluation is outdated by its own params,
    # so a flow that failed under the new settings (its store removed) is retried on the next
    # run instead of its old evaluation being kept as up to date.
    return {
        "window_fraction": config["evaluate"]["window_fraction"],
        "flow_settings": flow_params(wildcards),
    }


def figure_params(wildcards):
    return {"dpi": config["figures"]["dpi"]}
