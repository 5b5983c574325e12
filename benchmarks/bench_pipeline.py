"""Cost of the Snakemake pipeline, in units of one job's start-up (machine-independent ratios).

The unit is the wall time of a fresh interpreter importing what a job script imports::

    python -c "import snakemake.script, numpy, scipy.integrate, xarray, zarr, matplotlib.pyplot"

(best of 3, measured in the same run, before and after each configuration: its ratios use the
mean of the two, as the machine's load drifts). Then, each in its own temporary copy of the
repository (its git-tracked files; ``--worktree`` copies the working tree's versions,
uncommitted changes and untracked, non-ignored files included) and from an empty ``results/``:

- the default configuration (``config/config.yaml``, the paper) and the test configuration
  (``--configfile config/test.yaml``), run with ``snakemake --cores 2``: wall time and number
  of jobs, the wall time in start-ups, in total and per job. Targets: full reproduction <= 20
  start-ups, test configuration <= 6;
- ``snakemake -n`` on the default configuration, from empty and once its results exist: wall
  time in start-ups; and the part of it spent parsing the workflow (configuration checks, plan,
  rules, DAG): the best of 3 dry runs with results minus the best of 3 dry runs of a one-rule
  Snakefile (Snakemake's own start-up, which no workflow can avoid). Target <= 1 start-up. A
  workflow that also shortens Snakemake's exit (this one freezes the garbage collector's heap,
  dln.pipeline.hooks) can come out at or below zero: the whole dry run then bounds the parse;
- the share of job wall time spent before the work starts: every job script logs
  ``startup and imports: X s`` and, at exit, ``work: Y s`` (``workflow/scripts/_helpers.py``);
  share = sum(X) / sum(X + Y) over the jobs whose log has both lines, with a per-rule table
  (rule = first folder under ``logs/``).

Jobs are counted from Snakemake's output: the last ``N of M steps (P%) done`` line (M, the
steps of the run, the target rule ``all`` included), cross-checked against the ``rule X:`` /
``localrule X:`` job headers it prints.

Nothing here depends on the rules' names, so it measures any version of the pipeline:

    python benchmarks/bench_pipeline.py                     # this repository, HEAD
    python benchmarks/bench_pipeline.py --repo ../other --worktree --only test
    python benchmarks/bench_pipeline.py -- --forceall       # extra args after -- go to snakemake

Exits non-zero if a Snakemake run fails (the tail of its output is printed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

IMPORTS = "import snakemake.script, numpy, scipy.integrate, xarray, zarr, matplotlib.pyplot"
UNIT_REPEATS = 3
CORES = 2
TARGETS = {"default": 20.0, "test": 6.0}  # wall time of a run, in start-ups
DRYRUN_TARGET = 1.0
CONFIGS = {"default": [], "test": ["--configfile", "config/test.yaml"]}

STEPS = re.compile(r"(\d+) of (\d+) steps \((\d+)%\) done")
JOB_HEADER = re.compile(r"^\s*(?:local)?rule (\S+):\s*$", re.MULTILINE)
DRY_TOTAL = re.compile(r"^total\s+(\d+)\s*$", re.MULTILINE)
STARTUP = re.compile(r"startup and imports: ([0-9.eE+-]+) s")
WORK = re.compile(r"work: ([0-9.eE+-]+) s")


class RunFailed(RuntimeError):
    pass


def copy_repo(repo: Path, dest: Path, *, worktree: bool) -> None:
    """The git-tracked files of ``repo`` into ``dest``: HEAD's, or the working tree's."""
    if worktree:
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            check=True,
            capture_output=True,
        ).stdout.split(b"\0")
        for name in filter(None, (n.decode() for n in listed)):
            src = repo / name
            if not src.is_file():  # deleted in the working tree, or a submodule
                continue
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    else:
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", "HEAD"],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(dest, filter="data")


def measure_unit(python: str) -> tuple[float, list[float]]:
    """Best-of-3 wall time of a fresh interpreter doing the job scripts' imports."""
    times = []
    for _ in range(UNIT_REPEATS):
        start = time.perf_counter()
        subprocess.run([python, "-c", IMPORTS], check=True)
        times.append(time.perf_counter() - start)
    return min(times), times


def run_snakemake(cmd: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    """Wall time and combined output of ``cmd`` in ``cwd``; :class:`RunFailed` if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    (cwd / "bench_snakemake.log").write_text(f"$ {' '.join(cmd)}\n{output}")
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-40:])
        raise RunFailed(
            f"`{' '.join(cmd)}` failed (exit {proc.returncode}) in {cwd}:\n--- stdout+stderr tail\n"
            f"{tail}"
        )
    return wall, output


def count_jobs(output: str) -> tuple[int | None, int]:
    """Jobs of a run: M of the last ``N of M steps`` line, and the number of job headers."""
    steps = STEPS.findall(output)
    total = int(steps[-1][1]) if steps else None
    return total, len(JOB_HEADER.findall(output))


def read_logs(logs: Path) -> dict[str, list[tuple[float | None, float | None]]]:
    """Per rule (first folder under ``logs/``): (startup, work) of each log file, None if absent."""
    by_rule: dict[str, list[tuple[float | None, float | None]]] = {}
    if not logs.is_dir():
        return by_rule
    for path in sorted(p for p in logs.rglob("*") if p.is_file()):
        rel = path.relative_to(logs)
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        startup, work = STARTUP.findall(text), WORK.findall(text)
        by_rule.setdefault(rule, []).append(
            (float(startup[-1]) if startup else None, float(work[-1]) if work else None)
        )
    return by_rule


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):8.2f}" if values else f"{'-':>8}"


def report_logs(by_rule: dict) -> None:
    """Start-up share over all jobs with both lines, and the per-rule table."""
    complete = [
        (s, w) for jobs in by_rule.values() for s, w in jobs if s is not None and w is not None
    ]
    n_logs = sum(len(jobs) for jobs in by_rule.values())
    if complete:
        startup = sum(s for s, _ in complete)
        total = startup + sum(w for _, w in complete)
        share = startup / total if total else float("nan")
        print(
            f"  start-up share of job wall time: {share:6.1%}  "
            f"(sum startup {startup:.1f} s / sum startup+work {total:.1f} s, "
            f"{len(complete)} of {n_logs} logs with both lines)"
        )
    else:
        print(f"  start-up share: no log with both timing lines ({n_logs} logs)")
    print(f"  {'rule':<34} {'jobs':>5} {'timed':>5} {'startup s':>9} {'work s':>8}")
    for rule, jobs in sorted(by_rule.items()):
        starts = [s for s, _ in jobs if s is not None]
        works = [w for _, w in jobs if w is not None]
        timed = sum(1 for s, w in jobs if s is not None and w is not None)
        print(f"  {rule:<34} {len(jobs):>5} {timed:>5} {_mean(starts):>9} {_mean(works)}")


TRIVIAL_SNAKEFILE = (
    'rule all:\n    output:\n        "done.txt",\n    shell:\n        "touch {output}"\n'
)


def best_dry_run(cmd: list[str], cwd: Path, env: dict, repeats: int = 3) -> float:
    return min(run_snakemake(cmd, cwd, env)[0] for _ in range(repeats))


def snakemake_own_startup(opts, env: dict, tmp_root) -> float:
    """Best of 3 ``snakemake -n`` on a one-rule Snakefile: Snakemake's fixed cost."""
    trivial = Path(tempfile.mkdtemp(prefix="bench_trivial_", dir=tmp_root))
    (trivial / "Snakefile").write_text(TRIVIAL_SNAKEFILE)
    try:
        return best_dry_run([*opts.snakemake, "--cores", "1", "-n"], trivial, env)
    finally:
        shutil.rmtree(trivial, ignore_errors=True)


def bench_config(name, args, opts, repo, unit_before, env_base, tmp_root):
    """Run one configuration in its own copy and print its numbers, in start-ups of the mean of
    the unit measured before and after it (the machine's load drifts). Returns (ok, unit after).
    """
    copy = Path(tempfile.mkdtemp(prefix=f"bench_{name}_", dir=tmp_root))
    copy_repo(repo, copy, worktree=opts.worktree)
    shutil.rmtree(copy / "results", ignore_errors=True)
    shutil.rmtree(copy / "logs", ignore_errors=True)
    env = dict(env_base, PYTHONPATH=str(copy / "src"))
    base = [*opts.snakemake, "--cores", str(CORES), *args]
    print(f"\n== {name} configuration  ({' '.join(base[len(opts.snakemake) :])})", flush=True)
    print(f"  copy: {copy}")
    try:
        dry_empty = dry_full = planned = None
        if name == "default":
            dry_empty, out = run_snakemake([*base, "-n"], copy, env)
            found = DRY_TOTAL.findall(out)
            planned = found[-1] if found else "?"
        wall, out = run_snakemake([*base, *opts.extra], copy, env)
        if name == "default":
            dry_full = best_dry_run([*base, "-n"], copy, env)
            own = snakemake_own_startup(opts, env, copy.parent)
    except RunFailed as exc:
        print(f"  FAILED: {exc}")
        if not opts.keep:
            shutil.rmtree(copy, ignore_errors=True)
        return False, unit_before
    unit_after, _ = measure_unit(opts.python)
    unit = (unit_before + unit_after) / 2
    print(
        f"  unit: {unit:.2f} s (mean of {unit_before:.2f} s before and {unit_after:.2f} s after; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    if dry_empty is not None:
        print(
            f"  snakemake -n, empty results/:  {dry_empty:7.2f} s = {dry_empty / unit:5.2f} "
            f"start-ups (target <= {DRYRUN_TARGET:g}); jobs planned: {planned}"
        )
    steps, headers = count_jobs(out)
    jobs = steps if steps is not None else headers
    verdict = "ok" if wall / unit <= TARGETS[name] else "over"
    print(
        f"  snakemake run:  {wall:7.1f} s = {wall / unit:6.1f} start-ups "
        f"(target <= {TARGETS[name]:g}: {verdict})"
    )
    print(
        f"  jobs:           {jobs:7d}     wall per job {wall / max(jobs, 1):5.2f} s = "
        f"{wall / max(jobs, 1) / unit:5.2f} start-ups "
        f"(steps line: {steps}, job headers: {headers})"
    )
    if dry_full is not None:
        parse = dry_full - own
        verdict = "ok" if parse / unit <= DRYRUN_TARGET else "over"
        print(
            f"  snakemake -n, results exist:  {dry_full:7.2f} s = {dry_full / unit:5.2f} "
            f"start-ups (best of 3)\n"
            f"  snakemake -n, one-rule workflow: {own:5.2f} s = {own / unit:5.2f} start-ups "
            f"(Snakemake's own start-up)\n"
            f"  parsing this workflow:  {parse:7.2f} s = {parse / unit:5.2f} start-ups "
            f"(target <= {DRYRUN_TARGET:g}: {verdict})"
        )
        if parse <= 0:
            # The workflow also shortened Snakemake's exit (dln.pipeline.hooks freezes the
            # garbage collector's heap), which the one-rule workflow does not.
            print(
                "  (the dry run ends sooner than the one-rule workflow's: the difference no longer "
                "isolates the parse; the whole dry run above bounds it)"
            )
    report_logs(read_logs(copy / "logs"))
    if not opts.keep:
        shutil.rmtree(copy, ignore_errors=True)
    return True, unit_after


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=here, help="repository to measure")
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="copy the working tree's files (uncommitted changes, untracked non-ignored files) "
        "instead of HEAD",
    )
    parser.add_argument("--only", choices=sorted(CONFIGS), help="run one configuration only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the unit")
    parser.add_argument(
        "--snakemake",
        default=None,
        help="Snakemake command (default: the `snakemake` on PATH, else python -m snakemake)",
    )
    parser.add_argument("extra", nargs="*", help="extra arguments for the runs (after --)")
    opts = parser.parse_args(argv)

    repo = Path(
        subprocess.run(
            ["git", "-C", str(opts.repo), "rev-parse", "--show-toplevel"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    if opts.snakemake:
        opts.snakemake = opts.snakemake.split()
    elif shutil.which("snakemake"):
        opts.snakemake = [shutil.which("snakemake")]
    else:
        opts.snakemake = [opts.python, "-m", "snakemake"]
    head = subprocess.run(
        ["git", "-C", str(repo), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"repository: {repo} @ {head} ({'working tree' if opts.worktree else 'HEAD'})")
    print(f"cores: {CORES}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    unit, times = measure_unit(opts.python)
    print(
        f"unit = start-up of one job: {unit:.2f} s (best of {UNIT_REPEATS}: "
        f'{", ".join(f"{t:.2f}" for t in times)})\n  {opts.python} -c "{IMPORTS}"'
    )

    env_base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as tmp:
        tmp_root = tmp if not opts.keep else tempfile.mkdtemp(prefix="bench_pipeline_")
        for name, args in CONFIGS.items():
            if opts.only and name != opts.only:
                continue
            passed, unit = bench_config(name, args, opts, repo, unit, env_base, tmp_root)
            ok &= passed
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
