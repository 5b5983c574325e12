"""Malformed configurations are rejected before any job runs, with a message naming the key.

Table-driven: every case edits a small valid configuration (or writes raw YAML), runs
``snakemake -n`` on it (one case of each kind also a real run, ``--cores 1``), and asserts that
it fails, that the output names the key and what is allowed, and that ``results/`` is
untouched (a sentinel file in it keeps its bytes, nothing else appears, no job log is written).
The same is checked for a ``data:`` problem pointing to each bad file of
tests/unit/test_data_files.py.

Snakemake is called through its command-line entry point ``snakemake.cli.main`` in a forked
child of a process that has already imported Snakemake and dln: the same code path as the
``snakemake`` command, without paying ~2 s of interpreter start and imports per call. A few
cases also go through a genuine ``python -m snakemake`` subprocess
(:func:`test_real_subprocess_runs_reject_before_any_job`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.unit.test_data_files import ACCEPTED_DATA_FILES, BAD_DATA_FILES, write_data_file

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
# A run of a rejected configuration parses the Snakefile and stops; 60 s is far above that.
TIMEOUT = 60.0

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


# ---------------------------------------------------------------------------- running Snakemake
def _preload() -> None:
    import snakemake.cli  # noqa: F401

    import dln.evaluate  # noqa: F401
    import dln.flow  # noqa: F401
    import dln.io  # noqa: F401
    import dln.problems.data  # noqa: F401
    import dln.problems.presets  # noqa: F401
    import dln.saddles  # noqa: F401


def snakemake_cli(workdir: Path, *args: str, timeout: float = TIMEOUT) -> tuple[int, str]:
    """``snakemake -s Snakefile -d workdir *args`` in a forked child; (exit code, output).

    The child starts its own session so that it is killed with everything it started if it
    outlives ``timeout``.
    """
    _preload()
    argv = ["-s", str(SNAKEFILE), "-d", str(workdir), *args]
    with tempfile.TemporaryFile(mode="w+b") as out:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            code = 1
            try:
                os.setsid()
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                sys.stdout = sys.stderr = open(1, "w", buffering=1, closefd=False)
                os.chdir(REPO)
                import snakemake.cli

                snakemake.cli.main(argv)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:  # report anything, then leave the child
                import traceback

                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                finally:
                    os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"snakemake {' '.join(args)} did not finish in {timeout} s")
            time.sleep(0.02)
        out.seek(0)
        return os.waitstatus_to_exitcode(status), out.read().decode(errors="replace")


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def make_workdir(root: Path) -> Path:
    """A working directory with the data file of base_config and a sentinel in results/."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "good.csv").write_text(GOOD_CSV)
    (root / "results").mkdir()
    (root / "results" / "sentinel.txt").write_text("results of an earlier run\n")
    return root


def assert_untouched(workdir: Path, before: dict[str, str]) -> None:
    assert tree_digest(workdir / "results") == before
    assert not (workdir / "logs").exists(), "a job ran"


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


def _write_case(workdir: Path, config) -> Path:
    path = workdir / "config" / "case.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    path.write_text(text)
    return path


def test_cases_are_many_and_distinct():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 25 and len(set(ids)) == len(ids)
    assert REAL_RUN_SUBSET <= set(ids)


def test_base_config_is_accepted(tmp_path):
    workdir = make_workdir(tmp_path / "w")
    config = _write_case(workdir, base_config())
    code, out = snakemake_cli(workdir, "-n", "--configfile", str(config))
    assert code == 0, out
    assert "make_problem" in out and "simulate_flow" in out


# One case of each kind also gets a real run (the rejection happens while the Snakefile is
# parsed, so -n and a real run take the same path; this checks that they do).
REAL_RUN_SUBSET = {
    "type_rtol",
    "missing_source",
    "unknown_top_level",
    "zero_n_samples",
    "alpha_one",
    "empty_alphas",
    "unknown_preset",
    "data_file_missing",
    "data_target_missing",
    "duplicate_problem",
    "rtol_below_float64",
    "window_past_t_max",
    "t_max_before_last_jump",
    "covariance_shape",
}


@pytest.mark.parametrize(("case_id", "config", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_config_is_rejected_before_any_job(tmp_path, case_id, config, expected):
    workdir = make_workdir(tmp_path / "w")
    path = _write_case(workdir, config)
    before = tree_digest(workdir / "results")
    modes = [["-n"], ["--cores", "1"]] if case_id in REAL_RUN_SUBSET else [["-n"]]
    for mode in modes:
        code, out = snakemake_cli(workdir, *mode, "--configfile", str(path))
        assert code != 0, f"{case_id} {mode} was accepted:\n{out}"
        for text in expected:
            assert text in out, f"{case_id} {mode}: {text!r} not in\n{out}"
        assert "Traceback" not in out, out
        assert_untouched(workdir, before)


# ---------------------------------------------------------------------------- bad data files
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [case[:3] for case in BAD_DATA_FILES],
    ids=[case[0] for case in BAD_DATA_FILES],
)
def test_bad_data_file_is_rejected_before_any_job(tmp_path, name, content, expected):
    workdir = make_workdir(tmp_path / "w")
    data = write_data_file(workdir / "data", name, content)
    cfg = _set(base_config(), "problems.table.data.path", f"data/{data.name}")
    path = _write_case(workdir, cfg)
    before = tree_digest(workdir / "results")
    code, out = snakemake_cli(workdir, "-n", "--configfile", str(path))
    assert code != 0, out
    assert "config key 'problems.table.data" in out and data.name in out, out
    assert expected in out, out
    assert_untouched(workdir, before)


@pytest.mark.parametrize(
    ("name", "content"),
    [case[:2] for case in ACCEPTED_DATA_FILES],
    ids=[case[0] for case in ACCEPTED_DATA_FILES],
)
def test_accepted_data_file_passes_the_checks(tmp_path, name, content):
    workdir = make_workdir(tmp_path / "w")
    data = write_data_file(workdir / "data", name, content)
    cfg = _set(base_config(), "problems.table.data.path", f"data/{data.name}")
    code, out = snakemake_cli(workdir, "-n", "--configfile", str(_write_case(workdir, cfg)))
    assert code == 0, out


# ---------------------------------------------------------------------------- genuine subprocesses
REAL_RUN_CASES = ["duplicate_problem", "t_max_before_last_jump", "zero_n_samples"]


def test_real_subprocess_runs_reject_before_any_job(tmp_path):
    """The command a user types (``python -m snakemake``) on a few cases, one run each."""
    cases = {case[0]: case for case in CASES}
    for case_id in REAL_RUN_CASES:
        _, config, expected = cases[case_id]
        workdir = make_workdir(tmp_path / case_id)
        path = _write_case(workdir, config)
        before = tree_digest(workdir / "results")
        cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir)]
        out = subprocess.run(
            [*cmd, "--cores", "1", "--configfile", str(path)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=REPO,
        )
        text = out.stdout + out.stderr
        assert out.returncode != 0, text
        assert all(e in text for e in expected), text
        assert_untouched(workdir, before)
