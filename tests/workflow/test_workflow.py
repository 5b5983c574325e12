"""The Snakemake pipeline: lint, dry runs, a real run of config/test.yaml, reruns, determinism.

Runs Snakemake in temporary working directories (``--directory``) against the repository's
Snakefile, so nothing is written into the repository.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from dln import io

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
# Jump time errors are ~ C_k / log(1/alpha) with |C_k| up to ~1.2 t_p on the paper's problems
# (measured for this project); 5 t_p / log(1/alpha) leaves room without hiding a wrong jump.
JUMP_ERROR_CONSTANT = 5.0


def _head_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


# Stores record the git commit; other developers may commit while these tests run, so every
# Snakemake call of this module records the commit seen at import (dln.io honours this variable).
ENV = {**os.environ, "DLN_GIT_COMMIT": _head_commit()}


def snakemake(workdir: Path, *args: str, configfile: Path | None = None) -> str:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir)]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, check=False, env=ENV)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def dry_run_jobs(workdir: Path, configfile: Path) -> dict[str, int]:
    """Job counts per rule of a dry run (the 'Job stats' table)."""
    text = snakemake(workdir, "-n", "--quiet", "rules", configfile=configfile)
    counts = {}
    lines = text.splitlines()
    if "Job stats:" not in lines:
        return counts  # nothing to be done
    for line in lines[lines.index("Job stats:") + 3 :]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        if parts[0] != "total":
            counts[parts[0]] = int(parts[1])
    return counts


def write_config(path: Path, cfg: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_lint():
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("name", ["config.yaml", "test.yaml"])
def test_dry_run(tmp_path, name):
    jobs = dry_run_jobs(tmp_path, REPO / "config" / name)
    cfg = yaml.safe_load((REPO / "config" / name).read_text())
    assert jobs["make_problem"] == len(cfg["problems"]) == jobs["find_saddles"]
    # every configured alpha is evaluated; figure-only flows (poster, NeurIPS figure) add more
    assert jobs["simulate_flow"] >= jobs["evaluate_flow"] >= len(cfg["problems"])
    assert jobs["plot_flow"] == len(cfg["problems"])


def test_paper_config_has_the_study():
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    presets = {spec.get("preset") for spec in cfg["problems"].values()}
    assert {"fig1_left", "fig1_right", "fig2_left", "fig2_right"} <= presets
    alphas = [
        io.canonical_log10_alpha(a)
        for s in cfg["problems"].values()
        for a in s.get("log10_alpha", [])
    ]
    assert "-1000" in alphas


def test_invalid_config_is_rejected_before_any_job(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    cfg["problems"]["fig2_left"]["log10_alpha"] = [-10, 5]
    path = write_config(tmp_path / "bad.yaml", cfg)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(tmp_path)]
    out = subprocess.run([*cmd, "-n", "--configfile", str(path)], capture_output=True, text=True)
    assert out.returncode != 0
    assert "problems.fig2_left.log10_alpha[1]" in out.stdout + out.stderr
    cfg["problems"]["fig2_left"]["colour"] = "red"  # schema: additionalProperties false
    path = write_config(tmp_path / "bad2.yaml", cfg)
    out = subprocess.run([*cmd, "-n", "--configfile", str(path)], capture_output=True, text=True)
    assert out.returncode != 0 and "colour" in out.stdout + out.stderr
    assert not (tmp_path / "results").exists()


@pytest.fixture(scope="module")
def test_run(tmp_path_factory):
    """config/test.yaml run for real in a temporary working directory."""
    workdir = tmp_path_factory.mktemp("run")
    config = workdir / "config" / "test.yaml"
    config.parent.mkdir()
    shutil.copy(REPO / "config" / "test.yaml", config)
    snakemake(workdir, "--cores", "2", configfile=config)
    return workdir, config


def test_stores_layout_and_attrs(test_run):
    workdir, config = test_run
    results = workdir / "results"
    # results/studies/ (workflow/rules/studies.smk) is checked by tests/workflow/test_studies.py
    stores = sorted(
        p
        for p in results.rglob("*.zarr")
        if p.is_dir() and p.relative_to(results).parts[0] != "studies"
    )
    kinds = {p.relative_to(results).parts[0] for p in stores}
    assert kinds == {"problems", "saddles", "flow", "evaluate", "convergence", "lasso"}
    dims = {
        "problems": {"sample", "feature"},
        "saddles": {"saddle", "feature", "sample"},
        "flow": {"time", "feature", "jump"},
        "evaluate": {"time", "jump"},
        "convergence": {"log_inv_alpha", "jump", "metric"},
        "lasso": {"knot", "feature", "time"},
    }
    for path in stores:
        ds = io.read_dataset(path)
        kind = path.relative_to(results).parts[0]
        assert set(ds.dims) == dims[kind], path
        for name, var in ds.variables.items():
            assert var.attrs.get("long_name") and var.attrs.get("units"), (path, name)
        for key in ("title", "source", "references", "provenance_git_commit"):
            assert ds.attrs.get(key), (path, key)
        assert ds.attrs["provenance_rule"] in {
            "make_problem",
            "find_saddles",
            "simulate_flow",
            "evaluate_flow",
            "fit_convergence",
            "write_lasso_path",
        }
        if kind in ("flow", "evaluate"):
            exponent = path.name.removeprefix("log10_alpha=").removesuffix(".zarr")
            assert ds.attrs["log10_alpha"] == exponent
            lam = io.log_inv_alpha_from_log10(exponent)
            assert float(ds["log_inv_alpha"]) == pytest.approx(lam)
    for stem in ("problems", "saddles", "evaluation", "convergence", "flow/fig2_left"):
        for ext in ("png", "pdf"):
            assert (results / "figures" / f"{stem}.{ext}").stat().st_size > 0
    assert (workdir / "logs" / "simulate_flow").is_dir()
    assert any((workdir / "benchmarks" / "simulate_flow").rglob("*.tsv"))


def test_flow_jumps_match_algorithm_1(test_run):
    """Each measured jump time is within C t_p / log(1/alpha) of Algorithm 1's t_k."""
    workdir, _ = test_run
    results = workdir / "results"
    checked = 0
    for path in sorted((results / "flow").glob("*/log10_alpha=*.zarr")):
        flow = io.read_dataset(path)
        saddles = io.read_dataset(results / "saddles" / f"{path.parent.name}.zarr")
        t_k = saddles["jump_time"].values[1:]
        lam = float(flow["log_inv_alpha"])
        crossing = flow["crossing_time"].values
        assert np.all(np.isfinite(crossing)), path
        err = np.abs(crossing - t_k)
        assert np.all(err <= JUMP_ERROR_CONSTANT * t_k[-1] / lam), (path, err * lam)
        np.testing.assert_allclose(saddles["lp_beta"], saddles["beta"][-1], atol=1e-6)
        checked += 1
    assert checked >= 4


def test_convergence_rate(test_run):
    workdir, _ = test_run
    conv = io.read_dataset(workdir / "results" / "convergence" / "fig2_left.zarr")
    assert conv.sizes["log_inv_alpha"] == 3
    np.testing.assert_allclose(conv["jump_slope"].values, -1.0, atol=0.1)
    errors = np.abs(conv["jump_time_error"].values)
    assert np.all(np.diff(errors, axis=0) < 0)  # smaller alpha, smaller error


def test_nothing_to_do_after_a_run(test_run):
    workdir, config = test_run
    assert dry_run_jobs(workdir, config) == {}


def test_adding_an_alpha_reruns_only_its_jobs(test_run, tmp_path):
    workdir, config = test_run
    cfg = yaml.safe_load(config.read_text())
    cfg["problems"]["fig2_left"]["log10_alpha"].append(-1000)
    jobs = dry_run_jobs(workdir, write_config(tmp_path / "more.yaml", cfg))
    assert jobs == {
        "simulate_flow": 1,
        "evaluate_flow": 1,
        "fit_convergence": 1,
        "plot_evaluation": 1,
        "plot_convergence": 1,
        "plot_jump_time_errors": 1,
        "plot_distance_metrics": 1,
        "all": 1,
    }


def test_editing_one_problem_reruns_only_its_jobs(test_run, tmp_path):
    workdir, config = test_run
    cfg = yaml.safe_load(config.read_text())
    cfg["problems"]["tiny"]["generate"]["seed"] = 2
    jobs = dry_run_jobs(workdir, write_config(tmp_path / "edit.yaml", cfg))
    n_tiny = len(cfg["problems"]["tiny"]["log10_alpha"])
    assert jobs == {
        "make_problem": 1,
        "find_saddles": 1,
        "simulate_flow": n_tiny,
        "evaluate_flow": n_tiny,
        "plot_problems": 1,
        "plot_saddles": 1,
        "plot_flow": 1,
        "plot_evaluation": 1,
        "plot_neurips_figure1": 1,
        "write_lasso_path": 1,
        "plot_lasso_comparison": 1,
        "plot_activation_timeline": 1,
        "all": 1,
    }


@pytest.mark.slow
def test_same_config_gives_identical_bytes(test_run, tmp_path):
    workdir, config = test_run
    other = tmp_path / "again"
    (other / "config").mkdir(parents=True)
    shutil.copy(config, other / "config" / "test.yaml")
    snakemake(other, "--cores", "2", configfile=other / "config" / "test.yaml")
    first, second = tree_digest(workdir / "results"), tree_digest(other / "results")
    assert first.keys() == second.keys()
    differ = sorted(k for k in first if first[k] != second[k])
    assert not differ, differ
    assert sum(k.endswith(".png") for k in first) >= 10  # the figures were compared too
