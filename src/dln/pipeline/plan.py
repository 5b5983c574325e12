"""From a configuration to the resolved, immutable plan of the pipeline.

The Snakefile validates the configuration against its JSON schema (which also fills in the
defaults), then calls :func:`resolve` once; rules and their one-line input functions only read
the :class:`Plan` it returns. Every semantic check lives here and raises :class:`ConfigError`
naming the key, what is allowed and which option fixes it, before any job runs.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``). It is
configured, and carried in paths, by its base-10 exponent as a canonical decimal string
(``"-100"``, ``"-2.5"``): a float never round-trips through a path.

Checks that need a problem's data (the data file exists and parses, ``scales`` has one entry
per feature, the time grid ends after the last jump of Algorithm 1) run only when asked
(``check_data=True``: the main Snakemake process, not the cluster jobs that re-parse the
Snakefile). Algorithm 1 runs only when a grid could miss the last jump, and its jump times are
cached on disk (``cache_dir``), keyed by the problem's source and the data file's bytes, so a
second ``snakemake`` call rebuilds nothing. See docs/pipeline.md and docs/configuration.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dln.pipeline.paths import PLAN_CACHE, Paths, time_grid  # noqa: F401  (re-exported)
from dln.pipeline.sources import build_problem, read_options
from dln.units import UNITS

# Problem names and alpha exponents as they may appear in paths (wildcard_constraints).
PROBLEM_RE = "[A-Za-z][A-Za-z0-9_]*"
LOG10_ALPHA_RE = r"-(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?"
PART_RE = "[0-9]+"
# A problem is given by exactly one of these keys.
SOURCES = ("preset", "generate", "data")
# The robustness studies (config key `studies`), besides `baselines`.
STUDY_KINDS = ("label_noise", "initialisation", "step_size")
# Studies with one job per problem of their `problems` list.
PER_PROBLEM_STUDIES = ("sgd", "baselines")


class ConfigError(ValueError):
    """A configuration value that passes the schema but makes no sense."""


def _fail(key: str, message: str):
    raise ConfigError(f"config key '{key}': {message}")


# ---------------------------------------------------------------------------- immutability
def freeze(obj: Any) -> Any:
    """A read-only deep copy: mappings become ``MappingProxyType``, lists become tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in obj.items()})
    if isinstance(obj, list | tuple):
        return tuple(freeze(v) for v in obj)
    return obj


def plain(obj: Any) -> Any:
    """The plain ``dict``/``list`` form of a frozen value (for params, JSON and pickling)."""
    if isinstance(obj, Mapping):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


# ---------------------------------------------------------------------------- alphas
def canonical(value, key: str) -> str:
    """Canonical exponent string of one configured alpha; errors name ``key``."""
    from dln.alpha import canonical_log10_alpha

    try:
        return canonical_log10_alpha(value)
    except ValueError as exc:
        _fail(key, str(exc))


def _by_log_inv_alpha(alphas) -> list[str]:
    """Unique exponents sorted by increasing log(1/alpha) (decreasing alpha)."""
    return sorted(set(alphas), key=lambda a: -Decimal(a))


def log10_alpha_grid(*, min_log_inv_alpha, max_log_inv_alpha, num, significant_digits):
    """Exponents log10(alpha) log-spaced in log(1/alpha), each rounded once to a decimal.

    Returns canonical strings; the rounded decimal is the exact alpha exponent from then on.
    """
    from dln.alpha import canonical_log10_alpha

    lo, hi = math.log(min_log_inv_alpha), math.log(max_log_inv_alpha)
    out = []
    for i in range(num):
        lam = math.exp(lo + (hi - lo) * i / (num - 1)) if num > 1 else min_log_inv_alpha
        exponent = -lam / math.log(10.0)
        digits = significant_digits - 1 - math.floor(math.log10(abs(exponent)))
        rounded = round(Decimal(repr(exponent)), digits)
        out.append(canonical_log10_alpha(str(rounded)))
    return out


# ---------------------------------------------------------------------------- problems
@dataclass(frozen=True)
class ProblemPlan:
    """One configured problem, resolved.

    Attributes
    ----------
    name : str
    source : mapping
        ``preset``, ``seed``, ``generate``, ``data``: what builds the problem.
    scales : tuple of float or None
        Per-coordinate initialisation scales (``alpha^k_i`` at alpha).
    time : mapping
        The time grid: ``t_min``, ``num``, ``spacing`` and ``t_max`` or ``t_max_factor``.
    alphas : tuple of str
        The evaluated alphas (flow, evaluation, convergence), increasing log(1/alpha).
    plot_alphas : tuple of str
        The alphas of the problem's flow figure.
    flow_alphas : tuple of str
        Every alpha whose flow is simulated: ``alphas`` and those only figures ask for.
    parts : tuple of tuple of str
        The flow alphas of each job of the sweep: ``parts[0]`` is run by the job that builds
        the problem, ``parts[1:]`` by one job each (``flow.alphas_per_job``).
    """

    name: str
    source: Mapping
    scales: tuple | None
    time: Mapping
    alphas: tuple
    plot_alphas: tuple
    flow_alphas: tuple
    parts: tuple

    @property
    def data_path(self) -> str | None:
        data = self.source["data"]
        return None if data is None else data["path"]

    def part_of(self, log10_alpha: str) -> int:
        for i, part in enumerate(self.parts):
            if log10_alpha in part:
                return i
        raise KeyError(f"alpha 1e{log10_alpha} is not simulated for problem {self.name!r}")


@dataclass(frozen=True)
class Plan:
    """The resolved configuration: what every job computes and where it writes it.

    Built by :func:`resolve`; read-only (mappings are ``MappingProxyType``, sequences tuples).
    """

    config: Mapping
    problems: Mapping
    report: Mapping
    studies: Mapping
    convergence_problems: tuple
    figures: tuple = field(default=())
    paths: Paths = field(default=Paths())

    # ------------------------------------------------------------------ paths
    def problem_store(self, problem: str) -> str:
        return self.paths.problem.format(problem=problem)

    def saddles_store(self, problem: str) -> str:
        return self.paths.saddles.format(problem=problem)

    def flow_store(self, problem: str, log10_alpha: str) -> str:
        part = self.problems[problem].part_of(log10_alpha)
        return self.paths.flow.format(problem=problem, part=part, log10_alpha=log10_alpha)

    def evaluation_store(self, problem: str, log10_alpha: str) -> str:
        part = self.problems[problem].part_of(log10_alpha)
        return self.paths.evaluation.format(problem=problem, part=part, log10_alpha=log10_alpha)

    def evaluation_dirs(self, problem: str) -> list[str]:
        spec = self.problems[problem]
        parts = sorted({spec.part_of(a) for a in spec.alphas})
        return [self.paths.evaluation_dir.format(problem=problem, part=p) for p in parts]

    def convergence_store(self, problem: str) -> str:
        return self.paths.convergence.format(problem=problem)

    # ------------------------------------------------------------------ params
    def source_params(self, problem: str) -> dict:
        return plain(self.problems[problem].source)

    def saddle_params(self, problem: str) -> dict:
        return {
            "scales": plain(self.problems[problem].scales),
            "max_saddles": self.config["saddles"]["max_saddles"],
        }

    def flow_params(self, problem: str) -> dict:
        spec, flow = self.problems[problem], self.config["flow"]
        return {
            "scales": plain(spec.scales),
            "time": plain(spec.time),
            "method": flow["method"],
            "rtol": flow["rtol"],
            "max_step_count": flow["max_step_count"],
        }

    def evaluate_params(self, problem: str) -> dict:
        # The flow's settings too: when they change, the evaluation is outdated by its own
        # params, so a flow that failed under new settings is retried on the next run.
        return {
            "window_fraction": self.config["evaluate"]["window_fraction"],
            "flow_settings": self.flow_params(problem),
        }

    def sweep_params(self, problem: str, part: int) -> dict:
        """Params of one job of a problem's sweep: its flow alphas and which to evaluate."""
        spec = self.problems[problem]
        alphas = spec.parts[int(part)]
        return {
            "flow_alphas": list(alphas),
            "evaluate_alphas": [a for a in alphas if a in spec.alphas],
            "flow": self.flow_params(problem),
            "evaluate": self.evaluate_params(problem),
        }

    def lasso_params(self, problem: str) -> dict:
        return {"time": plain(self.problems[problem].time)}

    def study_params(self, kind: str, problem: str | None = None) -> dict:
        """Params of a study's job: its configuration (alphas as canonical strings)."""
        spec = plain(self.studies[kind])
        name = spec.pop("problem", None) or problem
        spec.pop("problems", None)
        return {
            **spec,
            "problem_name": name,
            "max_saddles": self.config["saddles"]["max_saddles"],
            "units": self.units,
        }

    @property
    def units(self) -> str:
        """Units of the coefficients in tables (``coefficient_units``, see dln.units)."""
        return self.config.get("coefficient_units", UNITS[0])

    def figure_params(self) -> dict:
        return {"dpi": self.config["figures"]["dpi"]}

    def time_scales(self) -> dict:
        return {name: spec.time["spacing"] for name, spec in self.problems.items()}

    # ------------------------------------------------------------------ targets
    def sweep_jobs(self) -> list[tuple[str, int]]:
        """(problem, part) of every flow job beyond part 0."""
        return [
            (name, part)
            for name, spec in self.problems.items()
            for part in range(1, len(spec.parts))
        ]


# ---------------------------------------------------------------------------- config files
def duplicate_keys(path) -> list[tuple[str, int, int]]:
    """(key, first line, second line) of every mapping key defined twice in a YAML file.

    YAML loaders, Snakemake's included, keep the last of two equal keys without a word, so
    a second problem of the same name would silently replace the first.
    """
    import yaml

    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
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


def check_config_files(paths) -> None:
    """Reject a key defined twice in any configuration file (e.g. two problems of one name)."""
    for path in paths:
        for key, first, second in duplicate_keys(path):
            _fail(
                key,
                f"defined twice in {path} (lines {first} and {second}); YAML would keep only "
                "the last one without a warning. Each key, and each problem name, may appear "
                "once: rename or merge them",
            )


# ---------------------------------------------------------------------------- data shortcut
def _problem_name_from_path(path) -> str:
    """A problem name (letters, digits, underscores, starting with a letter) from a file stem."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(path).stem) or "data"
    return stem if stem[0].isalpha() else f"data_{stem}"


def apply_data_shortcut(cfg: dict, *, validate: Callable[[dict], Any] | None = None) -> dict:
    """The configuration of ``--config data=FILE target=COL``: that file alone.

    ``problems`` becomes one problem read by :func:`dln.problems.load_data` (standardised
    unless ``standardize=false``) with the alphas ``data_log10_alpha`` and a log-spaced time
    grid that starts before its first jump; the paper's report figures and the robustness
    studies are switched off, and the baseline comparison (saddles, Lasso, OMP) runs on it.
    Without ``data`` the configuration is returned unchanged (``target`` and ``data_name``
    then must not be set). ``validate`` fills in the schema defaults of the new entries.
    """
    path = cfg.get("data")
    options = read_options(cfg)
    if path is None:
        for key in ("target", "data_name", *options):
            if cfg.get(key) is not None:
                _fail(key, "only used with data=<file>; add data=path/to/file.csv")
        return cfg
    import numpy as np

    from dln.problems import load_data

    cfg = copy.deepcopy(cfg)
    path = str(path)
    name = cfg.get("data_name")
    name = _problem_name_from_path(path) if name is None else str(name)
    if not re.fullmatch(PROBLEM_RE, name):
        _fail(
            "data_name",
            f"{name!r} is not a problem name; allowed: letters, digits, underscores, "
            "starting with a letter",
        )
    target = cfg.get("target")
    target = None if target is None else str(target)  # `target=1` arrives as an int
    if not Path(path).is_file():
        _fail(
            "data",
            f"file {path!r} does not exist (relative paths are read from the working "
            f"directory {str(Path.cwd())!r}); allowed: an existing .csv or .npz file",
        )
    standardize = bool(cfg.get("standardize", True))
    try:
        problem = load_data(path, target=target, standardize=standardize, name=name, **options)
    except (ValueError, TypeError) as exc:
        _fail("target" if "target" in str(exc) else "data", str(exc))
    b = np.abs(problem.X.T @ problem.y) / problem.n_samples
    if not np.any(b > 0):
        _fail("data", "X^T y = 0: no feature is correlated with the target")
    t_1 = 1.0 / float(b.max())  # first jump time of Algorithm 1
    t_min = float(f"{t_1 / 5:.3g}")
    cfg["problems"] = {
        name: {
            "data": {"path": path, "target": target, "standardize": standardize, **options},
            "log10_alpha": list(cfg["data_log10_alpha"]),
            "time": {"t_min": t_min, "spacing": "log"},
        }
    }
    cfg["report_figures"] = {}
    cfg["studies"] = {"baselines": {"problems": [name]}}
    cfg["data_name"] = name
    if validate is not None:
        validate(cfg)
    return cfg


def data_run_paths(cfg: Mapping) -> Paths:
    """The roots of a run: ``results/``, ``logs/``, ``benchmarks/``; for a run on a user's file
    (``data=``) their ``data/<name>_<target>/`` subfolders, so that analyses of different files
    or targets, and the paper's results, never share a file (and may run at once)."""
    if cfg.get("data") is None:
        return Paths()
    key = cfg["data_name"]
    if cfg.get("target") is not None:
        key += "_" + re.sub(r"[^A-Za-z0-9_.-]", "_", str(cfg["target"]))
    return Paths(
        results=f"results/data/{key}", logs=f"logs/data/{key}", benchmarks=f"benchmarks/data/{key}"
    )


def check_data_run(cfg: Mapping, paths: Paths) -> None:
    """Refuse a data run whose folder holds the analysis of another file (same name)."""
    if cfg.get("data") is None:
        return
    name = cfg["data_name"]
    meta = Path(paths.problem.format(problem=name)) / "zarr.json"
    try:
        attrs = json.loads(meta.read_text())["attributes"]
        source = json.loads(attrs["provenance_params"])["source"]["data"]["path"]
    except (OSError, ValueError, KeyError, TypeError):
        return  # no earlier analysis there (or not readable: the job will rewrite it)
    if Path(source).resolve() != Path(cfg["data"]).resolve():
        _fail(
            "data_name",
            f"{paths.results}/ holds the analysis of another file, {source!r}; set "
            f"data_name=<another name> to keep both, or remove {paths.results}/ to replace it",
        )


# ---------------------------------------------------------------------------- resolution
def _problem_table(cfg: Mapping) -> dict[str, dict]:
    """Checks of each problem entry that need no data; the normalised entries."""
    problems = cfg["problems"]
    if not problems:
        _fail("problems", "no problem configured")
    table = {}
    for name, spec in problems.items():
        spec = copy.deepcopy(dict(spec))
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
                _fail(f"problems.{name}.generate.beta_star", f"needs n_features = {d} entries")
            if gen["support_size"] is not None and gen["support_size"] > d:
                _fail(f"problems.{name}.generate.support_size", f"exceeds n_features = {d}")
            if spec["scales"] is not None and len(spec["scales"]) != d:
                _fail(f"problems.{name}.scales", f"needs n_features = {d} entries")
        time = spec["time"]
        if time["spacing"] == "log" and time["t_min"] <= 0:
            _fail(f"problems.{name}.time.t_min", "must be > 0 with spacing: log")
        if time["t_max"] is not None and time["t_max"] <= time["t_min"]:
            _fail(f"problems.{name}.time.t_max", "must exceed time.t_min")
        listed = [
            canonical(v, f"problems.{name}.log10_alpha[{i}]")
            for i, v in enumerate(spec["log10_alpha"])
        ]
        alphas = list(listed)
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
        spec["alphas"] = _by_log_inv_alpha(alphas)
        if spec["plot_log10_alpha"] is None:
            spec["plot_alphas"] = (listed or spec["alphas"])[: cfg["figures"]["max_flow_alphas"]]
        else:
            spec["plot_alphas"] = []
            for i, value in enumerate(spec["plot_log10_alpha"]):
                key = f"problems.{name}.plot_log10_alpha[{i}]"
                alpha = canonical(value, key)
                if alpha not in spec["alphas"]:
                    _fail(key, f"alpha 1e{alpha} is not one of the problem's alphas")
                spec["plot_alphas"].append(alpha)
        time = dict(time)
        if time["num"] is None:
            time["num"] = cfg["flow"]["num_times"]
        if time["t_max"] is None:
            time["t_max_factor"] = cfg["flow"]["t_max_factor"]
        spec["resolved_time"] = time
        table[name] = spec
    return table


def _report_table(cfg: Mapping, problems: Mapping) -> dict[str, dict]:
    """The configured report figures: {key: {"problem", "alphas"}}, null entries dropped."""
    from dln.pipeline.figures import REPORT_KEYS

    table = {}
    for key, need in REPORT_KEYS.items():
        spec = cfg["report_figures"].get(key)
        if spec is None:
            continue
        name = spec["problem"]
        if name not in problems:
            _fail(
                f"report_figures.{key}.problem",
                f"unknown problem {name!r}; configured problems: {', '.join(problems)}",
            )
        alphas = [
            canonical(v, f"report_figures.{key}.log10_alpha[{i}]")
            for i, v in enumerate(spec["log10_alpha"])
        ]
        if need == 0:
            if alphas:
                _fail(f"report_figures.{key}.log10_alpha", "takes no alphas (leave it empty)")
        else:
            if not alphas or (need is not None and len(alphas) != need):
                what = f"exactly {need}" if need is not None else "at least one"
                _fail(f"report_figures.{key}.log10_alpha", f"needs {what} alpha")
            if len(set(alphas)) != len(alphas):
                _fail(f"report_figures.{key}.log10_alpha", "lists an alpha twice")
        table[key] = {"problem": name, "alphas": alphas}
    return table


def _study_table(cfg: Mapping, problems: Mapping) -> dict[str, dict]:
    """The configured studies, null entries dropped; errors name the key."""

    def study_alphas(key, values):
        alphas = [canonical(v, f"studies.{key}.log10_alpha[{i}]") for i, v in enumerate(values)]
        if len(set(alphas)) != len(alphas):
            _fail(f"studies.{key}.log10_alpha", "lists an alpha twice")
        return alphas

    studies = {}
    for key in (*STUDY_KINDS, *PER_PROBLEM_STUDIES):
        spec = cfg["studies"].get(key)
        if spec is None:
            continue
        many = key in PER_PROBLEM_STUDIES
        names = spec["problems"] if many else [spec["problem"]]
        for i, name in enumerate(names):
            where = f"studies.{key}." + (f"problems[{i}]" if many else "problem")
            if name not in problems:
                _fail(
                    where, f"unknown problem {name!r}; configured problems: {', '.join(problems)}"
                )
        if many and len(set(names)) != len(names):
            _fail(f"studies.{key}.problems", "lists a problem twice")
        spec = dict(spec)
        if key == "initialisation":
            spec["log10_alpha"] = study_alphas(key, spec["log10_alpha"])
            low, high = spec["scale_range"]
            if not 0 < low <= high:
                _fail(
                    f"studies.{key}.scale_range",
                    f"needs 0 < low <= high, got {spec['scale_range']!r}",
                )
        if key == "step_size":
            (spec["log10_alpha"],) = study_alphas(key, [spec["log10_alpha"]])
        if key == "sgd":
            spec["log10_alpha"] = _by_log_inv_alpha(study_alphas(key, spec["log10_alpha"]))
            if len(set(spec["steps"])) != len(spec["steps"]):
                _fail(f"studies.{key}.steps", "lists a step twice")
            spec["steps"] = sorted(spec["steps"])
            if spec["batch_sizes"] is not None:
                if len(set(spec["batch_sizes"])) != len(spec["batch_sizes"]):
                    _fail(f"studies.{key}.batch_sizes", "lists a batch size twice")
                spec["batch_sizes"] = sorted(spec["batch_sizes"])
        studies[key] = spec
    return studies


def _split(alphas: list[str], per_job: int | None) -> tuple[tuple[str, ...], ...]:
    """Part 0 holds every alpha unless ``per_job`` is set; then parts 1.. hold chunks."""
    if per_job is None:
        return (tuple(alphas),)
    chunks = [tuple(alphas[i : i + per_job]) for i in range(0, len(alphas), per_job)]
    return ((), *chunks)


def resolve(
    config: Mapping,
    *,
    config_files=(),
    check_data: bool = False,
    cache_dir: str | Path | None = None,
    validate: Callable[[dict], Any] | None = None,
    workflow_dir: str | Path = ".",
) -> Plan:
    """Resolve a schema-validated configuration into the :class:`Plan` of the pipeline.

    Parameters
    ----------
    config : mapping
        The configuration after JSON-schema validation with defaults filled in.
    config_files : sequence of path, optional
        The configuration files, checked for keys defined twice.
    check_data : bool, default False
        Run the checks that build problems (data files, scales, time grids against the last
        jump of Algorithm 1); Snakemake's main process does, cluster jobs do not.
    cache_dir : path, optional
        Where the results of those checks are cached (one small JSON per problem source).
    validate : callable, optional
        Fills in the schema defaults of the entries the ``data=`` shortcut writes.
    workflow_dir : path, default "."
        The repository's root (Snakemake's ``workflow.basedir``): caption templates live there.

    Raises
    ------
    ConfigError
        On any configuration that makes no sense; the message names the key.
    """
    check_config_files(config_files)
    cfg = apply_data_shortcut(plain(config), validate=validate)
    paths = data_run_paths(cfg)
    table = _problem_table(cfg)
    report = _report_table(cfg, table)
    studies = _study_table(cfg, table)
    figure_alphas: dict[str, list[str]] = {name: [] for name in table}
    for spec in report.values():
        figure_alphas[spec["problem"]] += spec["alphas"]
    per_job = cfg["flow"].get("alphas_per_job")
    problems = {}
    for name, spec in table.items():
        flow_alphas = _by_log_inv_alpha([*spec["alphas"], *figure_alphas[name]])
        problems[name] = ProblemPlan(
            name=name,
            source=freeze({key: spec[key] for key in ("preset", "seed", "generate", "data")}),
            scales=None if spec["scales"] is None else tuple(spec["scales"]),
            time=freeze(spec["resolved_time"]),
            alphas=tuple(spec["alphas"]),
            plot_alphas=tuple(spec["plot_alphas"]),
            flow_alphas=tuple(flow_alphas),
            parts=_split(flow_alphas, per_job),
        )
    if check_data:
        check_data_run(cfg, paths)
        check_problems(table, cfg, cache_dir=cache_dir)
        check_study_costs(table, studies, cfg, cache_dir=cache_dir)
    min_alphas = cfg["convergence"]["min_alphas"]
    plan = Plan(
        config=freeze(cfg),
        problems=MappingProxyType(problems),
        report=freeze(report),
        studies=freeze(studies),
        convergence_problems=tuple(
            name for name, spec in problems.items() if len(spec.alphas) >= min_alphas
        ),
        paths=paths,
    )
    from dln.pipeline.figures import resolve_figures

    return Plan(**{**plan.__dict__, "figures": resolve_figures(plan, workflow_dir=workflow_dir)})


# ---------------------------------------------------------------------------- data checks
def _source_digest(name: str, spec: Mapping, cfg: Mapping) -> str:
    """Cache key of a problem's data checks: its source, scales and the data file's bytes."""
    digest = hashlib.sha256()
    source = {key: spec[key] for key in (*SOURCES, "seed", "scales")}
    payload = {"name": name, "source": source, "max_saddles": cfg["saddles"]["max_saddles"]}
    digest.update(json.dumps(payload, sort_keys=True, default=str).encode())
    if spec["data"] is not None:
        digest.update(Path(spec["data"]["path"]).read_bytes())
    from dln._version import __version__

    digest.update(__version__.encode())
    return digest.hexdigest()


def _problem_facts(
    name: str, spec: Mapping, cfg: Mapping, *, need_jumps: bool, cache_dir, digest=None
):
    """``{"n_features": d, "jump_times": [...] or None}`` of one problem, cached on disk.

    Builds the problem (so a bad data file stops the run here) and, when ``need_jumps``, runs
    Algorithm 1 for its jump times. ``digest``: :func:`_source_digest`, if the caller has it.
    Raises :class:`ConfigError` naming the key.
    """
    source = next(key for key in SOURCES if spec[key] is not None)
    if source == "data":
        path = Path(spec["data"]["path"])
        if not path.is_file():
            _fail(
                f"problems.{name}.data.path",
                f"file {str(path)!r} does not exist (relative paths are read from the working "
                f"directory {str(Path.cwd())!r}); allowed: an existing .csv or .npz file",
            )
    cache_file = None
    if cache_dir is not None:
        digest = digest or _source_digest(name, spec, cfg)
        cache_file = Path(cache_dir) / f"{digest}.json"
        if cache_file.is_file():
            try:
                facts = json.loads(cache_file.read_text())
            except (OSError, ValueError):
                facts = None
            complete = facts is not None and "n_samples" in facts
            if complete and (facts["jump_times"] is not None or not need_jumps):
                return facts
    try:
        problem = build_problem(name, {key: spec[key] for key in (*SOURCES, "seed")})
    except (ValueError, TypeError) as exc:
        key = f"problems.{name}.{source}"
        if source == "data" and spec["data"]["target"] is not None and "target" in str(exc):
            key += ".target"
        _fail(key, str(exc))
    n, d = problem.X.shape
    facts = {"n_samples": int(n), "n_features": int(d), "jump_times": None}
    if need_jumps and not (
        spec["scales"] is not None and len(spec["scales"]) != problem.X.shape[1]
    ):
        from dln.saddles import saddle_jumps

        try:
            result = saddle_jumps(
                problem.X,
                problem.y,
                scales=spec["scales"],
                max_saddles=cfg["saddles"]["max_saddles"],
            )
        except (ValueError, RuntimeError) as exc:
            _fail(f"problems.{name}", f"Algorithm 1 fails on this problem: {exc}")
        facts["jump_times"] = [float(t) for t in result.times]
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_suffix(".partial")
        partial.write_text(json.dumps(facts))
        partial.replace(cache_file)
    return facts


def check_problems(table: Mapping, cfg: Mapping, *, cache_dir=None) -> None:
    """Checks that need each problem's data, Algorithm 1 or the flow's argument checks.

    - the problem can be built (data file exists and passes ``dln.problems.load_data``'s
      checks; generator arguments are consistent);
    - ``scales`` has one entry per feature;
    - ``flow.rtol`` is reachable in float64 at the problem's smallest alpha (the flow's own
      check, run on a 1 x 1 stand-in problem: nothing is integrated);
    - the time grid ends after the last jump t_p of Algorithm 1, and after the evaluation
      window [t_p - delta, t_p + delta] around it (delta = evaluate.window_fraction times the
      smallest gap between jump times). Algorithm 1 runs only when the grid could miss
      either: time.t_max or time.t_min is set, or flow.t_max_factor - 1 < window_fraction
      (otherwise t_max = factor * t_p >= t_p + delta holds for every problem).
    """
    flow, fraction = cfg["flow"], cfg["evaluate"]["window_fraction"]
    for name, spec in table.items():
        passed = digest = None
        readable = spec["data"] is None or Path(spec["data"]["path"]).is_file()
        if cache_dir is not None and readable:  # checks passed before with these settings
            digest = _source_digest(name, spec, cfg)  # reads the data file: once per problem
            settings = {"flow": flow, "fraction": fraction, "time": spec["time"]}
            settings["alpha"] = spec["alphas"][-1]
            key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
            passed = Path(cache_dir) / f"passed-{digest[:32]}-{key.hexdigest()[:32]}"
            if passed.is_file():
                continue
        _check_problem(name, spec, cfg, cache_dir=cache_dir, digest=digest)
        if passed is not None:
            passed.parent.mkdir(parents=True, exist_ok=True)
            passed.touch()


def _check_problem(name: str, spec: Mapping, cfg: Mapping, *, cache_dir, digest=None) -> None:
    """The checks of :func:`check_problems` for one problem."""
    import numpy as np

    from dln.alpha import log_inv_alpha_from_log10
    from dln.evaluate import window_half_width

    flow, fraction = cfg["flow"], cfg["evaluate"]["window_fraction"]
    time = spec["time"]
    need_jumps = not (
        time["t_max"] is None and time["t_min"] == 0 and flow["t_max_factor"] - 1 >= fraction
    )
    facts = _problem_facts(
        name, spec, cfg, need_jumps=need_jumps, cache_dir=cache_dir, digest=digest
    )
    d = facts["n_features"]
    if spec["scales"] is not None and len(spec["scales"]) != d:
        _fail(f"problems.{name}.scales", f"needs one entry per feature ({d})")
    smallest = spec["alphas"][-1]
    lam = log_inv_alpha_from_log10(smallest)
    if not math.isfinite(lam):
        _fail(
            f"problems.{name}.log10_alpha",
            f"alpha = 1e{smallest} is too small: log(1/alpha) overflows float64",
        )
    from dln.flow import simulate_flow

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
    if not need_jumps or facts["jump_times"] is None:
        return
    times = np.asarray(facts["jump_times"])
    if times.size <= 1:
        return  # no jump: the flow stays at beta = 0, any grid will do
    t_p = float(times[-1])
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
    delta = window_half_width(times[1:], fraction)
    if t_max < t_p + delta:
        _fail(
            "evaluate.window_fraction",
            f"{fraction!r} makes the evaluation window around the last jump of problem "
            f"{name!r}, [t_p - delta, t_p + delta] = [{t_p - delta:.6g}, {t_p + delta:.6g}], "
            f"end after its time.t_max = {t_max!r}; allowed: window_fraction <= "
            f"{fraction * (t_max - t_p) / delta:.3g}, or raise problems.{name}.time.t_max "
            f"to at least {t_p + delta:.6g}",
        )


def check_study_costs(table: Mapping, studies: Mapping, cfg: Mapping, *, cache_dir=None) -> None:
    """Refuse, before any job, a study whose estimated iterations exceed its budget.

    The estimate is :func:`dln.sgd_study.sgd_study_cost`: ``t_max * log(1/alpha) / step``
    summed over the runs, ``t_max`` the study's default horizon after the last jump of
    Algorithm 1 (cached like the other data checks).
    """
    from dln.alpha import log_inv_alpha_from_log10

    step = studies.get("step_size")
    if step is not None:
        from dln.studies.step_size import step_size_study_cost

        name = step["problem"]
        facts = _problem_facts(name, table[name], cfg, need_jumps=True, cache_dir=cache_dir)
        if facts["jump_times"] and len(facts["jump_times"]) > 1:
            lam = log_inv_alpha_from_log10(step["log10_alpha"])
            cost = step_size_study_cost(facts["jump_times"], log_inv_alpha=lam, steps=step["steps"])
            if cost > step["max_iterations"]:
                _fail(
                    "studies.step_size.max_iterations",
                    f"the step-size study of problem {name!r} needs about {cost:.3g} iterations "
                    f"of gradient descent (t_max * log(1/alpha) / step over its steps), more "
                    f"than the budget {step['max_iterations']:.3g}; raise "
                    "studies.step_size.max_iterations, or use larger or fewer steps",
                )
    spec = studies.get("sgd")
    if spec is None:
        return
    from dln.sgd_study import DEFAULT_T_MAX_FACTOR, default_batch_sizes, sgd_study_cost

    for i, name in enumerate(spec["problems"]):
        facts = _problem_facts(name, table[name], cfg, need_jumps=True, cache_dir=cache_dir)
        n = facts["n_samples"]
        batches = spec["batch_sizes"] or default_batch_sizes(n)
        if max(batches) > n:
            _fail(
                "studies.sgd.batch_sizes",
                f"{max(batches)} exceeds the {n} samples of problem {name!r}; allowed: 1 to "
                f"{n}, or null for (1, n/4, n)",
            )
        times = facts["jump_times"] or [0.0]
        if len(times) <= 1:
            _fail(f"studies.sgd.problems[{i}]", f"Algorithm 1 makes no jump on {name!r}")
        t_max = DEFAULT_T_MAX_FACTOR * times[-1]
        cost = sgd_study_cost(
            n_samples=n,
            t_max=t_max,
            log_inv_alphas=[log_inv_alpha_from_log10(a) for a in spec["log10_alpha"]],
            steps=spec["steps"],
            batch_sizes=batches,
            n_seeds=spec["n_seeds"],
        )
        if cost > spec["max_iterations"]:
            _fail(
                "studies.sgd.max_iterations",
                f"the study of problem {name!r} needs about {cost:.3g} iterations (t_max * "
                f"log(1/alpha) / step over its runs, t_max = {t_max:.3g}), more than the "
                f"budget {spec['max_iterations']:.3g}; raise studies.sgd.max_iterations, or "
                "use larger or fewer steps, fewer alphas, batch sizes or seeds",
            )
