"""Malformed configurations and what the pipeline must say about each (shared table).

Every case edits a small valid configuration (or is raw YAML) and lists substrings that the
error must contain: the key and what is allowed. tests/unit/test_plan.py runs every case
through the schema validation and :func:`dln.pipeline.plan.resolve` (no Snakemake);
tests/workflow/test_config_errors.py runs a few of each kind through Snakemake itself.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

GOOD_CSV = "x1,x2,x3,x4,y\n1,0.5,-1,2,3\n0,1.5,2,-1,1\n2,-1,0.5,1,-2\n-1,2,1,0,0.5\n"


def base_config() -> dict:
    """A small valid configuration with all three sources (preset, generate, data)."""
    return {
        "problems": {
            "fig2_left": {
                "preset": "fig2_left",
                "log10_alpha": [-10, -30],
                "time": {"t_max": 0.15, "num": 51},
            },
            "tiny": {
                "generate": {"n_samples": 4, "n_features": 6, "support_size": 2, "seed": 1},
                "log10_alpha": [-1000],
            },
            "table": {"data": {"path": "data/good.csv", "target": "y"}, "log10_alpha": [-20]},
        },
        "flow": {"rtol": 1.0e-6},
    }


# ---------------------------------------------------------------------------- the cases
def _set(cfg: dict, dotted: str, value) -> dict:
    cfg = copy.deepcopy(cfg)
    *parents, last = dotted.split(".")
    node = cfg
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return cfg


def _del(cfg: dict, dotted: str) -> dict:
    cfg = copy.deepcopy(cfg)
    *parents, last = dotted.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    del node[last]
    return cfg


def _schema_path(dotted: str) -> str:
    """How Snakemake's schema validation names a key: On instance['a']['b']."""
    return "On instance" + "".join(f"[{k!r}]" for k in dotted.split("."))


DUPLICATE_PROBLEM = """\
problems:
  fig2_left:
    preset: fig2_left
    log10_alpha: [-10]
    time: {t_max: 0.15, num: 51}
  fig2_left:
    preset: fig2_right
    log10_alpha: [-100]
flow:
  rtol: 1.0e-6
"""

DUPLICATE_NESTED = """\
problems:
  tiny:
    generate: {n_samples: 4, n_features: 6, seed: 1}
    log10_alpha: [-10]
flow:
  rtol: 1.0e-6
  rtol: 1.0e-4
"""

B = base_config()
# (id, configuration dict or raw YAML text, substrings the output must contain)
CASES = [
    # wrong types
    ("type_rtol", _set(B, "flow.rtol", "small"), [_schema_path("flow.rtol"), "not of type"]),
    (
        "type_n_samples",
        _set(B, "problems.tiny.generate.n_samples", 4.5),
        [_schema_path("problems.tiny.generate.n_samples"), "is not of type 'integer'"],
    ),
    ("type_problems", _set(B, "problems", ["fig2_left"]), ["is not of type 'object'"]),
    (
        "type_alpha_string",
        _set(B, "problems.tiny.log10_alpha", ["-1e"]),
        ["config key 'problems.tiny.log10_alpha[0]'", "must be a decimal number"],
    ),
    ("type_dpi", _set(B, "figures.dpi", "high"), [_schema_path("figures.dpi"), "not of type"]),
    (
        "type_standardize",
        _set(B, "problems.table.data.standardize", "yes"),
        [_schema_path("problems.table.data.standardize"), "is not of type 'boolean'"],
    ),
    (
        "enum_coefficient_units",
        _set(B, "coefficient_units", "raw"),
        [_schema_path("coefficient_units"), "is not one of ['original', 'standardized']"],
    ),
    # missing required keys
    (
        "missing_source",
        _del(B, "problems.tiny.generate"),
        ["config key 'problems.tiny'", "give exactly one of preset, generate, data"],
    ),
    (
        "missing_data_path",
        _del(B, "problems.table.data.path"),
        ["'path' is a required property", _schema_path("problems.table.data")],
    ),
    ("missing_problems", _del(B, "problems"), ["config key 'problems'", "no problem configured"]),
    # unknown keys
    ("unknown_top_level", _set(B, "flwo", {}), ["'flwo' was unexpected"]),
    (
        "unknown_problem_key",
        _set(B, "problems.tiny.colour", "red"),
        ["'colour' was unexpected", _schema_path("problems.tiny")],
    ),
    ("unknown_flow_key", _set(B, "flow.rtoll", 1e-6), ["'rtoll' was unexpected"]),
    (
        "unknown_generate_key",
        _set(B, "problems.tiny.generate.n_sample", 4),
        ["'n_sample' was unexpected", _schema_path("problems.tiny.generate")],
    ),
    # negative or zero sizes
    (
        "zero_n_samples",
        _set(B, "problems.tiny.generate.n_samples", 0),
        [_schema_path("problems.tiny.generate.n_samples"), "less than the minimum of 1"],
    ),
    (
        "negative_n_features",
        _set(B, "problems.tiny.generate.n_features", -3),
        [_schema_path("problems.tiny.generate.n_features"), "less than the minimum of 1"],
    ),
    (
        "time_num_one",
        _set(B, "problems.tiny.time", {"num": 1}),
        [_schema_path("problems.tiny.time.num"), "less than the minimum of 2"],
    ),
    (
        "zero_num_times",
        _set(B, "flow.num_times", 0),
        [_schema_path("flow.num_times"), "less than the minimum of 2"],
    ),
    (
        "zero_grid_num",
        _set(B, "problems.tiny.log10_alpha_grid", {"num": 0}),
        [_schema_path("problems.tiny.log10_alpha_grid.num"), "less than the minimum of 1"],
    ),
    (
        "support_too_large",
        _set(B, "problems.tiny.generate.support_size", 7),
        ["config key 'problems.tiny.generate.support_size'", "exceeds n_features = 6"],
    ),
    # alpha >= 1
    (
        "alpha_one",
        _set(B, "problems.tiny.log10_alpha", [-10, 0]),
        ["config key 'problems.tiny.log10_alpha[1]'", "must be < 0 (alpha < 1)"],
    ),
    (
        "alpha_above_one",
        _set(B, "problems.tiny.log10_alpha", ["3"]),
        ["config key 'problems.tiny.log10_alpha[0]'", "must be < 0 (alpha < 1)"],
    ),
    (
        "grid_alpha_one",
        _set(B, "problems.tiny.log10_alpha_grid", {"min_log_inv_alpha": 0}),
        [
            _schema_path("problems.tiny.log10_alpha_grid.min_log_inv_alpha"),
            "less than or equal to the minimum of 0",
        ],
    ),
    # an empty alpha list
    (
        "empty_alphas",
        _set(B, "problems.tiny.log10_alpha", []),
        ["config key 'problems.tiny'", "no alphas: set log10_alpha and/or log10_alpha_grid"],
    ),
    # unknown preset
    (
        "unknown_preset",
        _set(B, "problems.fig2_left.preset", "fig3_left"),
        [_schema_path("problems.fig2_left.preset"), "is not one of ['fig1_left'"],
    ),
    # data files
    (
        "data_file_missing",
        _set(B, "problems.table.data.path", "data/nope.csv"),
        ["config key 'problems.table.data.path'", "'data/nope.csv' does not exist", ".csv"],
    ),
    (
        "data_target_missing",
        _set(B, "problems.table.data.target", "z"),
        ["config key 'problems.table.data.target'", "'z' not found", "available columns"],
    ),
    (
        "data_bad_extension",
        _set(B, "problems.table.data.path", "data/good.txt"),
        ["config key 'problems.table.data.path'", "does not exist"],
    ),
    # duplicate keys (YAML keeps the last one silently)
    (
        "duplicate_problem",
        DUPLICATE_PROBLEM,
        ["config key 'problems.fig2_left'", "defined twice", "lines 2 and 6"],
    ),
    ("duplicate_nested", DUPLICATE_NESTED, ["config key 'flow.rtol'", "lines 6 and 7"]),
    # tolerances out of range
    (
        "rtol_too_large",
        _set(B, "flow.rtol", 0.5),
        [_schema_path("flow.rtol"), "greater than the maximum of 0.1"],
    ),
    (
        "rtol_zero",
        _set(B, "flow.rtol", 0),
        [_schema_path("flow.rtol"), "less than or equal to the minimum of 0"],
    ),
    (
        "rtol_below_float64",
        _set(B, "flow.rtol", 1e-11),
        ["config key 'flow.rtol'", "below the relative accuracy", "'tiny', alpha = 1e-1000"],
    ),
    (
        "window_fraction_half",
        _set(B, "evaluate.window_fraction", 0.5),
        [_schema_path("evaluate.window_fraction"), "greater than or equal to the maximum"],
    ),
    ("method_bdf", _set(B, "flow.method", "BDF"), [_schema_path("flow.method"), "'Radau'"]),
    # evaluation windows wider than the time horizon
    (
        "window_past_t_max",
        _set(_set(B, "evaluate.window_fraction", 0.45), "problems.fig2_left.time.t_max", 0.09),
        ["config key 'evaluate.window_fraction'", "'fig2_left'", "window_fraction <="],
    ),
    # a time horizon that ends before the last jump
    (
        "t_max_before_last_jump",
        _set(B, "problems.fig2_left.time.t_max", 0.05),
        ["config key 'problems.fig2_left.time.t_max'", "ends before the last jump", "0.0812"],
    ),
    (
        "t_max_factor_one",
        _set(B, "flow.t_max_factor", 1),
        [_schema_path("flow.t_max_factor"), "less than or equal to the minimum of 1"],
    ),
    (
        "t_min_after_default_t_max",
        _set(B, "problems.tiny.time", {"t_min": 100.0}),
        ["config key 'problems.tiny.time.t_min'", "not below the end of the grid"],
    ),
    (
        "t_max_below_t_min",
        _set(B, "problems.tiny.time", {"t_min": 1.0, "t_max": 0.5}),
        ["config key 'problems.tiny.time.t_max'", "must exceed time.t_min"],
    ),
    # other semantic checks
    (
        "bad_problem_name",
        _set(B, "problems.1tiny", B["problems"]["tiny"]),
        ["'1tiny' does not match"],
    ),
    (
        "plot_alpha_not_configured",
        _set(B, "problems.tiny.plot_log10_alpha", [-5]),
        ["config key 'problems.tiny.plot_log10_alpha[0]'", "not one of the problem's alphas"],
    ),
    (
        "covariance_shape",
        _set(B, "problems.tiny.generate.covariance", [1, 2]),
        ["config key 'problems.tiny.generate'", "covariance must have shape (6,)"],
    ),
    (
        "amplitude_order",
        _set(B, "problems.tiny.generate.amplitude", [10, 1]),
        ["config key 'problems.tiny.generate'", "0 < low <= high"],
    ),
    (
        "scales_length_data",
        _set(B, "problems.table.scales", [1, 1]),
        ["config key 'problems.table.scales'", "one entry per feature (4)"],
    ),
]

# Semantic checks of the report figures and the studies (tests/unit/test_plan.py runs these).
R = _set(B, "report_figures", {"figure2_left": {"problem": "fig2_left", "log10_alpha": [-10]}})
S = _set(B, "studies", {"label_noise": {"problem": "tiny"}})
CASES += [
    (
        "report_unknown_problem",
        _set(R, "report_figures.figure2_left.problem", "fig9"),
        ["config key 'report_figures.figure2_left.problem'", "unknown problem 'fig9'", "tiny"],
    ),
    (
        "report_alpha_twice",
        _set(R, "report_figures.figure2_left.log10_alpha", [-10, "-10.0"]),
        ["config key 'report_figures.figure2_left.log10_alpha'", "lists an alpha twice"],
    ),
    (
        "report_no_alpha",
        _set(R, "report_figures.figure2_left.log10_alpha", []),
        ["config key 'report_figures.figure2_left.log10_alpha'", "needs at least one alpha"],
    ),
    (
        "report_neurips_two_alphas",
        _set(R, "report_figures.neurips_figure1", {"problem": "tiny", "log10_alpha": [-5, -9]}),
        ["config key 'report_figures.neurips_figure1.log10_alpha'", "needs exactly 1 alpha"],
    ),
    (
        "report_lasso_alpha",
        _set(R, "report_figures.lasso", {"problem": "tiny", "log10_alpha": [-5]}),
        ["config key 'report_figures.lasso.log10_alpha'", "takes no alphas"],
    ),
    (
        "report_alpha_positive",
        _set(R, "report_figures.figure2_left.log10_alpha", [2]),
        ["config key 'report_figures.figure2_left.log10_alpha[0]'", "must be < 0"],
    ),
    (
        "study_unknown_problem",
        _set(S, "studies.label_noise.problem", "nope"),
        ["config key 'studies.label_noise.problem'", "unknown problem 'nope'"],
    ),
    (
        "baselines_problem_twice",
        _set(S, "studies.baselines", {"problems": ["tiny", "tiny"]}),
        ["config key 'studies.baselines.problems'", "lists a problem twice"],
    ),
    (
        "baselines_unknown_problem",
        _set(S, "studies.baselines", {"problems": ["tiny", "nope"]}),
        ["config key 'studies.baselines.problems[1]'", "unknown problem 'nope'"],
    ),
    (
        "initialisation_scale_range",
        _set(S, "studies.initialisation", {"problem": "tiny", "scale_range": [2.0, 1.0]}),
        ["config key 'studies.initialisation.scale_range'", "0 < low <= high"],
    ),
    (
        "initialisation_alpha_twice",
        _set(S, "studies.initialisation", {"problem": "tiny", "log10_alpha": [-5, -5]}),
        ["config key 'studies.initialisation.log10_alpha'", "lists an alpha twice"],
    ),
    (
        "sgd_over_budget",
        _set(
            S, "studies.sgd", {"problems": ["fig2_left"], "steps": [1e-5], "max_iterations": 1000}
        ),
        ["config key 'studies.sgd.max_iterations'", "needs about", "more than the budget 1e+03"],
    ),
    (
        "sgd_batch_too_large",
        _set(S, "studies.sgd", {"problems": ["fig2_left"], "steps": [0.01], "batch_sizes": [50]}),
        ["config key 'studies.sgd.batch_sizes'", "exceeds the 7 samples of problem 'fig2_left'"],
    ),
    (
        "sgd_step_twice",
        _set(S, "studies.sgd", {"problems": ["tiny"], "steps": [0.01, 0.01]}),
        ["config key 'studies.sgd.steps'", "lists a step twice"],
    ),
    (
        "sgd_unknown_problem",
        _set(S, "studies.sgd", {"problems": ["tiny", "x"], "steps": [0.01]}),
        ["config key 'studies.sgd.problems[1]'", "unknown problem 'x'"],
    ),
    (
        "step_size_over_budget",
        _set(
            S,
            "studies.step_size",
            {"problem": "fig2_left", "steps": [1e-6, 1e-3], "max_iterations": 10000},
        ),
        ["config key 'studies.step_size.max_iterations'", "needs about", "budget 1e+04"],
    ),
    # problem entries
    (
        "seed_without_preset",
        _set(B, "problems.tiny.seed", 3),
        ["config key 'problems.tiny.seed'", "only a preset takes a seed"],
    ),
    (
        "grid_min_above_max",
        _set(
            B,
            "problems.tiny.log10_alpha_grid",
            {"min_log_inv_alpha": 100, "max_log_inv_alpha": 10},
        ),
        ["config key 'problems.tiny.log10_alpha_grid'", "must not exceed max_log_inv_alpha"],
    ),
    (
        "beta_star_length",
        _set(B, "problems.tiny.generate.beta_star", [1, 2]),
        ["config key 'problems.tiny.generate.beta_star'", "needs n_features = 6 entries"],
    ),
    (
        "scales_length_generate",
        _set(B, "problems.tiny.scales", [1, 2]),
        ["config key 'problems.tiny.scales'", "needs n_features = 6 entries"],
    ),
    (
        "log_spacing_from_zero",
        _set(B, "problems.tiny.time", {"spacing": "log"}),
        ["config key 'problems.tiny.time.t_min'", "must be > 0 with spacing: log"],
    ),
    (
        "data_path_empty",
        _set(B, "problems.table.data.path", ""),
        ["config key 'problems.table.data.path'", "empty"],
    ),
]


def make_data_dir(root: Path) -> Path:
    """A working directory with the data file of base_config."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "good.csv").write_text(GOOD_CSV)
    return root


def write_case(workdir: Path, config) -> Path:
    path = workdir / "config" / "case.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    path.write_text(text)
    return path
