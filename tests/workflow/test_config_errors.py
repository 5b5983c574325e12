"""Malformed configurations are rejected by Snakemake before any job runs (end to end).

Every case of tests/config_cases.py is checked without Snakemake by tests/unit/test_plan.py
(schema validation and :func:`dln.pipeline.plan.resolve`, the code the Snakefile runs). Here a
few cases of each kind go through Snakemake itself: ``snakemake -n`` and a real run must fail,
print the message naming the key, and leave ``results/`` untouched (a sentinel file in it keeps
its bytes, nothing else appears, no job log is written).

Snakemake is called through its command-line entry point ``snakemake.cli.main`` in a forked
child of a process that has already imported Snakemake and dln: the same code path as the
``snakemake`` command, without paying ~2 s of interpreter start and imports per call. A few
cases also go through a genuine ``python -m snakemake`` subprocess
(:func:`test_real_subprocess_runs_reject_before_any_job`).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.config_cases import CASES, base_config, make_data_dir, write_case
from tests.unit.test_data_files import BAD_DATA_FILES, write_data_file

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
# A run of a rejected configuration parses the Snakefile and stops; 60 s is far above that.
TIMEOUT = 60.0


# ---------------------------------------------------------------------------- running Snakemake
def _preload() -> None:
    import snakemake.cli  # noqa: F401

    import dln.evaluate  # noqa: F401
    import dln.flow  # noqa: F401
    import dln.io  # noqa: F401
    import dln.pipeline.plan  # noqa: F401
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
    make_data_dir(root)
    (root / "results").mkdir()
    (root / "results" / "sentinel.txt").write_text("results of an earlier run\n")
    return root


def assert_untouched(workdir: Path, before: dict[str, str]) -> None:
    assert tree_digest(workdir / "results") == before
    assert not (workdir / "logs").exists(), "a job ran"


def test_base_config_is_accepted(tmp_path):
    workdir = make_workdir(tmp_path / "w")
    config = write_case(workdir, base_config())
    code, out = snakemake_cli(workdir, "-n", "--configfile", str(config))
    assert code == 0, out
    assert "solve_problem" in out and "plot_overview" in out


# One case of each kind (schema, semantic, alphas, data file, duplicate keys, numerics of the
# flow, time grid against Algorithm 1); each gets a dry run and a real run.
END_TO_END = {
    "type_rtol",
    "missing_source",
    "unknown_top_level",
    "alpha_one",
    "data_file_missing",
    "data_target_missing",
    "duplicate_problem",
    "rtol_below_float64",
    "t_max_before_last_jump",
}


def test_end_to_end_cases_exist():
    assert END_TO_END <= {case[0] for case in CASES}


@pytest.mark.parametrize(
    ("case_id", "config", "expected"),
    [case for case in CASES if case[0] in END_TO_END],
    ids=[case[0] for case in CASES if case[0] in END_TO_END],
)
def test_bad_config_is_rejected_before_any_job(tmp_path, case_id, config, expected):
    workdir = make_workdir(tmp_path / "w")
    path = write_case(workdir, config)
    before = tree_digest(workdir / "results")
    for mode in (["-n"], ["--cores", "1"]):
        code, out = snakemake_cli(workdir, *mode, "--configfile", str(path))
        assert code != 0, f"{case_id} {mode} was accepted:\n{out}"
        for text in expected:
            assert text in out, f"{case_id} {mode}: {text!r} not in\n{out}"
        assert "Traceback" not in out, out
        assert_untouched(workdir, before)


@pytest.mark.parametrize("name", ["ragged.csv", "nan.npz"])
def test_bad_data_file_is_rejected_before_any_job(tmp_path, name):
    """Every bad file is checked by tests/unit/test_plan.py; two go through Snakemake."""
    content, expected = next(case[1:3] for case in BAD_DATA_FILES if case[0] == name)
    workdir = make_workdir(tmp_path / "w")
    data = write_data_file(workdir / "data", name, content)
    cfg = base_config()
    cfg["problems"]["table"]["data"]["path"] = f"data/{data.name}"
    path = write_case(workdir, cfg)
    before = tree_digest(workdir / "results")
    code, out = snakemake_cli(workdir, "-n", "--configfile", str(path))
    assert code != 0, out
    assert "config key 'problems.table.data" in out and data.name in out, out
    assert expected in out, out
    assert_untouched(workdir, before)


# ---------------------------------------------------------------------------- genuine subprocesses
REAL_RUN_CASES = ["duplicate_problem", "t_max_before_last_jump", "zero_n_samples"]


def test_real_subprocess_runs_reject_before_any_job(tmp_path):
    """The command a user types (``python -m snakemake``) on a few cases, one run each."""
    cases = {case[0]: case for case in CASES}
    for case_id in REAL_RUN_CASES:
        _, config, expected = cases[case_id]
        workdir = make_workdir(tmp_path / case_id)
        path = write_case(workdir, config)
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
