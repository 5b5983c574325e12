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


def _simd() -> dict[str, bool]:
    try:  # numpy's runtime CPU dispatch (no public accessor)
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - another numpy layout
        return {}
    return dict(__cpu_features__)


def _machine() -> dict[str, str]:
    """What, besides the library versions, decides the last bits of the pipeline's numbers.

    OpenBLAS picks its kernels for the CPU, and their products differ in the last bits (the
    test configuration's figures differ between its SkylakeX kernels, on Intel with AVX-512,
    and its Haswell ones, on AMD Zen 4). The runs of this module pin the Haswell kernels (AVX2
    and FMA: every x86-64 CPU since 2013), with which the reference was recorded; numpy's own
    loops (exp, log, ...) dispatch on the CPU too, so its widest instruction set is recorded.
    """
    simd = _simd()
    numpy_simd = next((f for f in ("AVX512_SKX", "AVX2") if simd.get(f)), "baseline")
    blas = "Haswell" if simd.get("AVX2") and simd.get("FMA3") else "unpinned"
    return {"openblas": blas, "numpy_simd": numpy_simd}


if _machine()["openblas"] == "Haswell":
    ENV["OPENBLAS_CORETYPE"] = "Haswell"


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
    # one job per problem runs its whole sweep; the figures of one job of the figure table
    # share a job: a handful of jobs, not one per (problem, alpha) and per figure
    assert jobs["solve_problem"] == len(cfg["problems"])
    assert "simulate_flows" not in jobs  # flow.alphas_per_job is null
    assert jobs["plot_overview"] == jobs["plot_paper_figures"] == 1
    assert sum(jobs.values()) - jobs["all"] <= 2 * len(cfg["problems"]) + 10


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
            "solve_problem",
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
    assert (workdir / "logs" / "solve_problem").is_dir()
    assert any((workdir / "benchmarks" / "solve_problem").rglob("*.tsv"))


def test_flow_jumps_match_algorithm_1(test_run):
    """Each measured jump time is within C t_p / log(1/alpha) of Algorithm 1's t_k."""
    workdir, _ = test_run
    results = workdir / "results"
    checked = 0
    for path in sorted((results / "flow").glob("*/part*/log10_alpha=*.zarr")):
        flow = io.read_dataset(path)
        saddles = io.read_dataset(results / "saddles" / f"{path.parent.parent.name}.zarr")
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


def test_adding_an_alpha_reruns_only_that_problems_sweep(test_run, tmp_path):
    """fig2_left's sweep and what reads it; tiny's sweep and its Lasso path stay."""
    workdir, config = test_run
    cfg = yaml.safe_load(config.read_text())
    cfg["problems"]["fig2_left"]["log10_alpha"].append(-1000)
    jobs = dry_run_jobs(workdir, write_config(tmp_path / "more.yaml", cfg))
    assert jobs == {
        "solve_problem": 1,
        "fit_convergence": 1,
        "plot_overview": 1,
        "plot_paper_figures": 1,
        "plot_convergence_figures": 1,
        "all": 1,
    }


def test_editing_one_problem_reruns_only_its_jobs(test_run, tmp_path):
    workdir, config = test_run
    cfg = yaml.safe_load(config.read_text())
    cfg["problems"]["tiny"]["generate"]["seed"] = 2
    jobs = dry_run_jobs(workdir, write_config(tmp_path / "edit.yaml", cfg))
    # fig2_left's sweep and its convergence fit stay
    assert jobs == {
        "solve_problem": 1,
        "write_lasso_path": 1,
        "plot_overview": 1,
        "plot_paper_figures": 1,
        "plot_convergence_figures": 1,
        "all": 1,
    }


def _manifest(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(versions and machine, {relative path: sha256}) of a sha256 manifest with '# versions:'
    and '# machine:' lines."""
    versions, hashes = {}, {}
    for line in path.read_text().splitlines():
        if line.startswith(("# versions:", "# machine:")):
            versions.update(item.split("=") for item in line.split(":", 1)[1].split())
        elif line and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            hashes[name] = digest
    return versions, hashes


def test_outputs_are_byte_identical_to_the_reference(test_run):
    """Every figure, caption and table of config/test.yaml has the bytes it had before the
    pipeline was restructured into batched jobs: only the glue changed, not what it draws."""
    import matplotlib
    import scipy

    workdir, _ = test_run
    versions, reference = _manifest(REPO / "tests" / "data" / "test_config_outputs.sha256")
    installed = {
        "matplotlib": matplotlib.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        **_machine(),
    }
    if installed != versions:
        pytest.skip(f"reference recorded with {versions}, installed {installed}")
    differ = [
        name
        for name, digest in reference.items()
        if hashlib.sha256((workdir / name).read_bytes()).hexdigest() != digest
    ]
    assert not differ, differ
    assert sum(name.endswith(".png") for name in reference) >= 14


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


def _repo_copy(dest: Path) -> Path:
    """A copy of the repository's files (tracked and new, as git lists them) at ``dest``."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_library_edits_rerun_the_jobs_that_use_them(test_run, tmp_path):
    """An edit to a module of src/dln reruns the jobs whose scripts import it, and no other
    (each rule's `code` params entry hashes the modules its script imports)."""
    workdir, config = test_run
    repo = _repo_copy(tmp_path / "repo")
    env = {**ENV, "PYTHONPATH": str(repo / "src")}

    def run(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile")]
        cmd += ["-d", str(workdir), "--configfile", str(config), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=repo)

    def dry_run() -> dict[str, int]:
        out = run("-n", "--quiet", "rules")
        assert out.returncode == 0, out.stdout + out.stderr
        lines = out.stdout.splitlines()
        if "Job stats:" not in lines:
            return {}
        counts = {}
        for line in lines[lines.index("Job stats:") + 3 :]:
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                break
            counts[parts[0]] = int(parts[1])
        counts.pop("total", None)
        return counts

    # The figure jobs read their caption templates from the copy now (a new input path), so
    # they run once; then nothing is left to do.
    out = run("--cores", "2")
    assert out.returncode == 0, out.stdout + out.stderr
    assert dry_run() == {}
    edits = {
        # the Lasso path's store and figure: its own job and the figure job that draws it
        "baselines/lasso.py": {"write_lasso_path": 1, "plot_paper_figures": 1, "all": 1},
        # the convergence store and figures: no flow, no problem job
        "convergence_store.py": {
            "fit_convergence": 1,
            "plot_convergence_figures": 1,
            "all": 1,
        },
    }
    for module, expected in edits.items():
        path = repo / "src" / "dln" / module
        original = path.read_text()
        path.write_text(original + "\n# an edit\n")
        assert dry_run() == expected, module
        path.write_text(original)
    path = repo / "src" / "dln" / "flow.py"
    path.write_text(path.read_text() + "\n# an edit\n")
    jobs = dry_run()
    assert jobs["solve_problem"] == 2 and jobs["fit_convergence"] == 1, jobs
