"""Reliability of the pipeline: interruption, atomic stores, solver failure, corrupted inputs.

One clean run of a small configuration (module fixture ``clean_run``) is the reference for
the interrupted run and the starting point (copied) of the failure tests. All Snakemake runs
use the README's command, in temporary working directories.

Determinism of two clean runs of config/test.yaml (byte-identical stores and figures) is
tested in tests/workflow/test_workflow.py::test_same_config_gives_identical_bytes; the
interruption test below extends it: a run killed with SIGKILL and resumed gives the same
bytes as a clean run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import xarray as xr
import yaml

from dln import io
from tests.workflow.test_config_errors import tree_digest

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
TIMEOUT = 600  # seconds for one Snakemake run; a clean run takes well under a minute

# Two problems, five flows: fig2_left has four alphas, so that a run can be killed while its
# solve_problem job has written some of its flow stores and not the others. No convergence
# store (min_alphas > 4) keeps the run short: 5 jobs (solve_problem twice, the overview, the
# convergence figures, all).
CONFIG = {
    "problems": {
        "fig2_left": {
            "preset": "fig2_left",
            "log10_alpha": [-10, -30, -100, -300],
            "time": {"t_max": 0.15, "num": 101},
        },
        "tiny": {
            "generate": {"n_samples": 4, "n_features": 6, "support_size": 2, "seed": 1},
            "log10_alpha": [-1000],
            "time": {"num": 101},
        },
    },
    "flow": {"rtol": 1.0e-6},
    "convergence": {"min_alphas": 5},
    "figures": {"dpi": 50},
}
N_FLOWS = 5
# Accepted Radau steps of these flows (logged by the sweep): fig2_left <= 151,
# tiny = 312. A bound between the two makes exactly the tiny flow fail.
STEP_LIMIT = 220


def _head_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


# Stores record the git commit; other developers may commit while these tests run.
ENV = {**os.environ, "DLN_GIT_COMMIT": _head_commit()}


def readme_command(workdir: Path, *extra: str) -> list[str]:
    """``snakemake --cores 2 --configfile config/reliability.yaml`` run in ``workdir``."""
    config = workdir / "config" / "reliability.yaml"
    return [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(SNAKEFILE),
        "-d",
        str(workdir),
        "--cores",
        "2",
        "--configfile",
        str(config),
        *extra,
    ]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=REPO, timeout=TIMEOUT)


def new_workdir(root: Path, cfg: dict = CONFIG) -> Path:
    (root / "config").mkdir(parents=True)
    (root / "config" / "reliability.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return root


def stores(workdir: Path) -> list[Path]:
    return sorted(p for p in (workdir / "results").rglob("*.zarr") if p.is_dir())


def flow_stores(workdir: Path, problem: str = "*") -> list[Path]:
    """The flow stores of ``problem``: results/flow/<problem>/part<k>/log10_alpha=<e>.zarr."""
    return sorted((workdir / "results" / "flow").glob(f"{problem}/part*/*.zarr"))


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    workdir = new_workdir(tmp_path_factory.mktemp("clean"))
    out = run(readme_command(workdir))
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(flow_stores(workdir)) == N_FLOWS
    return workdir


# ---------------------------------------------------------------------------- interruption
def test_killed_run_resumes_to_the_clean_run_s_bytes(clean_run, tmp_path):
    workdir = new_workdir(tmp_path / "killed")
    proc = subprocess.Popen(
        readme_command(workdir),
        cwd=REPO,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes its jobs too
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not flow_stores(workdir) and proc.poll() is None:
            assert time.monotonic() < deadline, "no flow store appeared"
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = flow_stores(workdir)
    assert 0 < len(finished) < N_FLOWS, "the kill did not land in the middle of the sweeps"
    # whatever store exists after the kill is complete: writes are atomic
    for path in stores(workdir):
        io.read_dataset(path)

    # The rerun after an interruption (docs/reliability.md): unlock, then the same command.
    # The workflow profile sets rerun-incomplete, so the jobs that were running, i.e. the
    # solve_problem jobs with their partly written sweeps, are redone.
    out = run(readme_command(workdir, "--unlock"))
    assert out.returncode == 0, out.stdout + out.stderr
    out = run(readme_command(workdir))
    assert out.returncode == 0, out.stdout + out.stderr

    assert [p.relative_to(workdir) for p in stores(workdir)] == [
        p.relative_to(clean_run) for p in stores(clean_run)
    ]
    for path in stores(clean_run):
        xr.testing.assert_identical(
            io.read_dataset(workdir / path.relative_to(clean_run)), io.read_dataset(path)
        )
    # stronger: every file of results/ (stores and figures) has the clean run's bytes, and no
    # partial store or figure of a killed job is left behind
    assert tree_digest(workdir / "results") == tree_digest(clean_run / "results")
    assert not [p for p in (workdir / "results").rglob("*") if ".partial-" in p.name]


_KILLED_WRITER = textwrap.dedent(
    """
    import shutil, sys, time
    from pathlib import Path
    import numpy as np, xarray as xr
    from dln import io

    mode, target, ready = sys.argv[1:]
    original = io._to_zarr

    def stalled_to_zarr(ds, directory, encoding):
        original(ds, directory, encoding)
        if mode == "metadata":  # as if killed after the metadata, before any chunk
            for chunk in Path(directory).glob("*/c"):
                shutil.rmtree(chunk)
        # else: everything written, not yet renamed into place
        open(ready, "w").close()
        time.sleep(60)

    io._to_zarr = stalled_to_zarr
    attrs = {"long_name": "v", "units": "1"}
    ds = xr.Dataset(
        {"v": (("x",), np.arange(1000.0), attrs)},
        coords={"x": ("x", np.arange(1000), attrs)},
        attrs={"title": "t", "source": "s", "references": "r"},
    )
    io.write_dataset(ds, target, rule="test")
    """
)


@pytest.mark.parametrize("stage", ["metadata", "complete"])
def test_a_write_killed_midway_leaves_no_store(tmp_path, stage):
    target = tmp_path / "out" / "v.zarr"
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, stage, str(target), str(ready)], env=ENV
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, "the writer died before the kill"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    partial = list(target.parent.glob(".v.zarr.partial-*"))
    assert len(partial) == 1 and (partial[0] / "zarr.json").is_file()
    assert not target.exists()  # the store exists complete or not at all
    with pytest.raises(io.StoreError, match="does not exist"):
        io.read_dataset(target)
    # the next write of the same store succeeds and clears what the killed one left
    ds = xr.Dataset(
        {"v": (("x",), [1.0, 2.0], {"long_name": "v", "units": "1"})},
        attrs={"title": "t", "source": "s", "references": "r"},
    )
    io.write_dataset(ds, target, rule="test")
    assert io.read_dataset(target)["v"].values.tolist() == [1.0, 2.0]
    assert sorted(p.name for p in target.parent.iterdir()) == ["v.zarr"]


def test_a_write_that_fails_leaves_the_old_store_and_no_partial(tmp_path, monkeypatch):
    target = tmp_path / "v.zarr"
    attrs = {"long_name": "v", "units": "1"}
    glob = {"title": "t", "source": "s", "references": "r"}
    io.write_dataset(xr.Dataset({"v": (("x",), [1.0], attrs)}, attrs=glob), target, rule="r")

    def broken(ds, directory, encoding):  # the store's writer, failing midway
        Path(directory, "zarr.json").parent.mkdir(parents=True, exist_ok=True)
        Path(directory, "zarr.json").write_text("{")
        raise OSError("disk full")

    monkeypatch.setattr(io, "_to_zarr", broken)
    with pytest.raises(OSError, match="disk full"):
        io.write_dataset(xr.Dataset({"v": (("x",), [2.0], attrs)}, attrs=glob), target, rule="r")
    assert io.read_dataset(target)["v"].values.tolist() == [1.0]
    assert [p.name for p in tmp_path.iterdir()] == ["v.zarr"]


def _small_store(path: Path) -> Path:
    """A store with an all-NaN, an all-zero and a 0-d array (chunks Zarr would skip)."""
    attrs = {"long_name": "v", "units": "1"}
    ds = xr.Dataset(
        {
            "nan": (("x",), [float("nan")] * 3, attrs),
            "zero": (("x",), [0, 0, 0], attrs),
            "scalar": ((), 0.0, attrs),
            "v": (("x",), [1.0, 2.0, 3.0], attrs),
        },
        coords={"x": ("x", [0, 1, 2], attrs)},
        attrs={"title": "t", "source": "s", "references": "r"},
    )
    return io.write_dataset(ds, path, rule="test")


def _garbage_chunk(store: Path) -> None:
    (store / "v" / "c" / "0").write_bytes(b"not a chunk")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda s: (s / "v" / "c" / "0").unlink(), "array 'v' has 0 of its 1 chunk(s)"),
        (lambda s: (s / "nan" / "c" / "0").unlink(), "array 'nan' has 0 of its 1 chunk(s)"),
        (lambda s: (s / "scalar" / "c").unlink(), "array 'scalar' has 0 of its 1 chunk(s)"),
        (lambda s: shutil.rmtree(s / "zero"), "array(s) ['zero'] missing"),
        (lambda s: (s / "v" / "zarr.json").write_text("{"), "cannot be read (JSONDecodeError"),
        (lambda s: (s / "zarr.json").write_text("[]"), "cannot be read"),
        (lambda s: (s / "zarr.json").unlink(), "has no zarr.json"),
        (_garbage_chunk, "cannot be read"),
        (lambda s: shutil.rmtree(s), "does not exist"),
    ],
    ids=[
        "chunk",
        "all-fill chunk",
        "0-d chunk",
        "array",
        "array metadata",
        "group metadata",
        "no zarr.json",
        "garbage chunk",
        "no store",
    ],
)
def test_reading_a_damaged_store_names_it(tmp_path, damage, expected):
    store = _small_store(tmp_path / "s.zarr")
    back = io.read_dataset(store)  # intact, including the all-fill chunks
    assert int(back["zero"].sum()) == 0 and bool(back["nan"].isnull().all())
    damage(store)
    with pytest.raises(io.StoreError) as err:
        io.read_dataset(store)
    assert str(store) in str(err.value) and expected in str(err.value)
    assert err.value.__context__ is None  # no Zarr traceback chained to it


# ---------------------------------------------------------------------------- solver failure
def test_solver_failure_names_problem_and_alpha_and_the_rest_completes(clean_run, tmp_path):
    workdir = copy_run(clean_run, tmp_path / "failing")
    cfg = {**CONFIG, "flow": {**CONFIG["flow"], "max_step_count": STEP_LIMIT}}
    (workdir / "config" / "reliability.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = run(readme_command(workdir, "--keep-going"))
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert (
        "solve_problem failed for problem 'tiny', log10_alpha=-1000 (alpha = 1e-1000): "
        "FlowSolverError: Radau failed to integrate the flow" in text
    ), text
    assert f"exceeded max_step_count={STEP_LIMIT} accepted steps" in text
    # the failed job wrote no store, and the one of the earlier run is gone with it (Snakemake
    # removes every output of the failed job: tiny's problem, saddles and sweep directories)
    results = workdir / "results"
    assert not (results / "flow" / "tiny" / "part0" / "log10_alpha=-1000.zarr").exists()
    assert not flow_stores(workdir, "tiny")
    assert not (results / "evaluate" / "tiny").exists() or not any(
        (results / "evaluate" / "tiny").rglob("*.zarr")
    )
    assert not [p for p in results.rglob("*") if ".partial-" in p.name]
    # with --keep-going everything that does not need that flow was redone with the new
    # setting: fig2_left's solve_problem job, i.e. its flows and their evaluations
    flows = flow_stores(workdir, "fig2_left")
    evaluations = sorted((results / "evaluate" / "fig2_left").glob("part*/*.zarr"))
    assert len(flows) == len(evaluations) == 4
    for path in flows:
        params = json.loads(io.read_dataset(path).attrs["provenance_params"])
        assert params["max_step_count"] == STEP_LIMIT, path
    for path in evaluations:
        params = json.loads(io.read_dataset(path).attrs["provenance_params"])
        assert params["flow_settings"]["max_step_count"] == STEP_LIMIT, path
    # what is left to do is the failed job and what depends on it (the figure jobs read
    # every problem's flows): the next run tries tiny again instead of keeping the old one,
    # and does not redo fig2_left's sweep
    out = run(readme_command(workdir, "-n", "--quiet", "rules"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert _job_count(out.stdout, "solve_problem") == 1, out.stdout
    assert _job_count(out.stdout, "plot_overview") == 1, out.stdout
    assert _job_count(out.stdout, "plot_convergence_figures") == 1, out.stdout
    assert _job_count(out.stdout, "total") == 4, out.stdout  # and `all`
    out = run(readme_command(workdir, "-n"))
    assert "wildcards: problem=tiny" in out.stdout, out.stdout
    assert "wildcards: problem=fig2_left" not in out.stdout, out.stdout


def _job_count(text: str, rule: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == rule and parts[1].isdigit():
            return int(parts[1])
    return 0


# ---------------------------------------------------------------------------- corrupted inputs
def _remove_a_chunk(store: Path) -> None:
    chunks = sorted((store / "beta" / "c").rglob("*"))
    next(p for p in chunks if p.is_file()).unlink()


def _break_metadata(store: Path) -> None:
    (store / "beta" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "arr')


@pytest.mark.parametrize("damage", [_remove_a_chunk, _break_metadata], ids=["chunk", "metadata"])
def test_a_corrupted_input_store_fails_the_next_rule_naming_it(clean_run, tmp_path, damage):
    # The flow stores are read by the next rule, plot_overview (each problem's flow figure).
    workdir = copy_run(clean_run, tmp_path / "corrupt")
    flow = "results/flow/fig2_left/part0/log10_alpha=-10.zarr"
    figure = "results/figures/flow/fig2_left.png"
    damage(workdir / flow)
    # mtime only: the stores upstream are up to date (their copies keep their mtimes) and must
    # not be redone, even if a dln module changed since the clean run (code params)
    out = run(readme_command(workdir, "--force", figure, "--rerun-triggers", "mtime"))
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert f"store '{flow}' is corrupt or incomplete" in text, text
    assert "Error in rule plot_overview" in text, text
    assert "delete it and rerun the rule that makes it" in text
    log = (workdir / "logs" / "plot_overview" / "plot_overview.log").read_text()
    assert f"store '{flow}' is corrupt or incomplete" in log, log
    assert "site-packages/zarr" not in log, log  # no traceback from deep inside Zarr
    assert not (workdir / figure).exists()
