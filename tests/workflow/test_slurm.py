"""Cluster execution: config/test.yaml through ``--profile profiles/slurm`` on a real SLURM.

The module fixture brings up a single-node SLURM from Debian's packages on loopback
(tests/workflow/slurm/cluster.py: munged, MariaDB, slurmdbd, slurmctld, slurmd, installed
with apt-get when missing) and always stops the daemons it started, by PID. The workflow is
submitted through the official executor plugin with the repository's profile, filled in as
a user does (account and partition of the test cluster) plus a short first status check; its
Zarr stores must be identical (xarray) to those of a local run.

Skipped, with the reason, only where no cluster can exist: not Linux, not root, SLURM
missing and no apt-get, a host name that does not resolve to loopback, or an
/etc/slurm/slurm.conf that is not the test's. Once the cluster is up, a workflow that does
not complete fails the test (every Snakemake run is bounded by ``timeout -k``).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import xarray as xr
import yaml

from dln import io
from tests.workflow.slurm import cluster as slurm

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
PROFILE = REPO / "profiles" / "slurm" / "profile.yaml"
# Seconds for one Snakemake run on the 2-CPU test node (config/test.yaml takes ~3 minutes
# there; a run that stalls, e.g. on status queries that never answer, is killed).
RUN_TIMEOUT = 900
# The first status check after a submission: 2 s instead of the plugin's 40 (a test-only
# setting; the cluster's MinJobAge of 300 s is far above three times it).
INIT_SECONDS = 2


def _head_commit() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


# Stores record the git commit; other developers may commit while these tests run.
COMMIT = _head_commit()


def snakemake(workdir: Path, *args: str, env: dict, timeout: int = RUN_TIMEOUT):
    """Snakemake on the repository's Snakefile in ``workdir``, killed after ``timeout`` s."""
    cmd = ["timeout", "-k", "10", str(timeout), sys.executable, "-m", "snakemake"]
    cmd += ["-s", str(SNAKEFILE), "-d", str(workdir), *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, env={**env, "DLN_GIT_COMMIT": COMMIT}
    )


def slurm_logs(workdir: Path) -> str:
    """The kept per-job SLURM logs (those of failed jobs), for failure messages."""
    parts = []
    for path in sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log")):
        lines = path.read_text(errors="replace").splitlines()[-30:]
        parts.append(f"--- {path}\n" + "\n".join(lines))
    return "\n".join(parts)


def write_config(workdir: Path, config: dict | str) -> Path:
    """``config`` (a mapping, or YAML text) as ``workdir/config/test.yaml``."""
    path = workdir / "config" / "test.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return path


def zarr_stores(results: Path) -> list[str]:
    return sorted(str(p.relative_to(results)) for p in results.rglob("*.zarr") if p.is_dir())


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cluster(request):
    reason = slurm.unavailable_reason()
    if reason:
        pytest.skip(reason)
    # A short root: Unix socket paths (munge, MariaDB) must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="dln-slurm-"))
    try:
        slurm.install_packages(root / "apt.log")
    except slurm.ClusterError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not install SLURM from Debian's packages: {exc}")
    running = slurm.LocalSlurm(root)

    def stop():
        running.stop()
        shutil.rmtree(root, ignore_errors=True)

    request.addfinalizer(stop)  # before start(): a half-started cluster is stopped too
    running.start()
    return running


@pytest.fixture(scope="module")
def site_profile(tmp_path_factory) -> Path:
    """profiles/slurm as a user fills it in: the cluster's account and partition.

    Plus the test-only first status check after INIT_SECONDS; every other key is the
    repository's.
    """
    profile = yaml.safe_load(PROFILE.read_text())
    profile["default-resources"]["slurm_account"] = slurm.ACCOUNT
    profile["default-resources"]["slurm_partition"] = slurm.PARTITION
    profile["slurm-init-seconds-before-status-checks"] = INIT_SECONDS
    path = tmp_path_factory.mktemp("profile") / "profile.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path.parent


@pytest.fixture(scope="module")
def runs(cluster, site_profile, tmp_path_factory):
    """config/test.yaml run locally and on the cluster: (local dir, cluster dir, output)."""
    # Read once: both runs must see the same configuration, even if the file is edited meanwhile.
    config_text = (REPO / "config" / "test.yaml").read_text()
    local = tmp_path_factory.mktemp("local")
    out = snakemake(
        local,
        "--cores",
        "2",
        "--configfile",
        str(write_config(local, config_text)),
        env=dict(os.environ),
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]

    on_slurm = tmp_path_factory.mktemp("slurm")
    config = write_config(on_slurm, config_text)
    out = snakemake(
        on_slurm, "--profile", str(site_profile), "--configfile", str(config), env=cluster.env
    )
    if out.returncode != 0:
        pytest.fail(
            f"the workflow did not complete on SLURM (exit {out.returncode}; 124 = timed "
            f"out after {RUN_TIMEOUT} s)\n{out.stderr[-6000:]}\n{slurm_logs(on_slurm)}"
        )
    return local, on_slurm, out.stdout + out.stderr


# ---------------------------------------------------------------------------- tests
def test_profile_is_what_the_readme_promises():
    """The profile names the plugin, bounded submission and sacct status checks; groups."""
    profile = yaml.safe_load(PROFILE.read_text())
    assert profile["executor"] == "slurm"
    assert profile["slurm-status-command"] in {"sacct", "squeue"}
    assert profile["latency-wait"] >= 5 and profile["jobs"] >= 1
    assert {"mem_mb", "runtime"} <= set(profile["default-resources"])
    assert profile["group-components"]["per_alpha"] > 1
    assert profile["set-resource-scopes"]["group_slot"] == "local"
    # Nothing of the workflow profile may shadow the cluster profile's defaults.
    workflow_profile = yaml.safe_load((REPO / "profiles" / "default" / "profile.yaml").read_text())
    assert not {"default-resources", "executor", "jobs"} & set(workflow_profile)


def test_sweep_of_200_alphas_is_grouped(tmp_path):
    """200 alphas: 400 per-alpha jobs in 20 submissions of 10 (problem, alpha) pairs."""
    config = {
        "problems": {
            "tiny": {
                "generate": {"n_samples": 4, "n_features": 6, "support_size": 2, "seed": 1},
                "log10_alpha_grid": {
                    "min_log_inv_alpha": 10,
                    "max_log_inv_alpha": 10000,
                    "num": 200,
                    "significant_digits": 6,
                },
            }
        }
    }
    path = write_config(tmp_path, config)
    env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
    out = snakemake(
        tmp_path,
        "-n",
        "--profile",
        str(PROFILE.parent),
        "--configfile",
        str(path),
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout + out.stderr
    per_group = yaml.safe_load(PROFILE.read_text())["group-components"]["per_alpha"]
    blocks = text.split("Group job per_alpha")[1:]
    assert len(blocks) == math.ceil(200 / per_group) == 20
    # Each group holds per_group (simulate_flow, evaluate_flow) pairs and nothing else.
    for block in blocks:
        body = block.split("\n[", 1)[0]  # up to the next top-level job
        rules = [
            line.split()[1].rstrip(":")
            for line in body.splitlines()
            if line.strip().startswith("rule ")
        ]
        assert sorted(set(rules)) == ["evaluate_flow", "simulate_flow"]
        assert rules.count("simulate_flow") == rules.count("evaluate_flow") == per_group


def test_daemons_listen_on_loopback_only(cluster):
    found = slurm.listening_addresses(cluster.pids.values())
    tcp = {name: found[pid] for name, pid in cluster.pids.items()}
    for name in ("slurmctld", "slurmd", "slurmdbd"):
        assert tcp[name], f"{name} listens on no TCP port"
    for name in ("munged", "mariadbd"):
        assert tcp[name] == [], f"{name} must use its Unix socket only, got {tcp[name]}"
    for name, addresses in tcp.items():
        for address in addresses:
            assert address.startswith("127."), f"{name} listens on {address}"


def test_slurm_run_matches_local_run(runs):
    local, on_slurm, _ = runs
    stores = zarr_stores(local / "results")
    assert len(stores) >= 10
    assert zarr_stores(on_slurm / "results") == stores
    for rel in stores:
        expected = io.read_dataset(local / "results" / rel)
        actual = io.read_dataset(on_slurm / "results" / rel)
        xr.testing.assert_identical(actual, expected)
    # Figures: the same files (their bytes are compared run to run by test_workflow.py).
    figures = sorted(str(p.relative_to(local)) for p in (local / "results").rglob("*.p[nd][gf]"))
    assert figures
    assert (
        sorted(str(p.relative_to(on_slurm)) for p in (on_slurm / "results").rglob("*.p[nd][gf]"))
        == figures
    )


def test_jobs_ran_as_slurm_jobs_and_per_alpha_jobs_grouped(runs, cluster):
    """Every submission completed; simulate/evaluate ran only inside per_alpha groups."""
    local, _, output = runs
    run_ids = [
        line.split("SLURM run ID:")[1].strip()
        for line in output.splitlines()
        if "SLURM run ID:" in line
    ]
    assert len(run_ids) == 1, output[-2000:]
    out = cluster.run(
        "sacct",
        "-X",
        "-n",
        "-P",
        f"--name={run_ids[0]}",
        "--starttime=now-1days",
        "--format=JobID,State,Comment,AllocCPUS,Timelimit,Account,Partition",
    )
    jobs = [line.split("|") for line in out.stdout.splitlines() if line]
    assert jobs
    assert {job[1] for job in jobs} == {"COMPLETED"}
    assert {(job[5], job[6]) for job in jobs} == {(slurm.ACCOUNT, slurm.PARTITION)}
    comments = [job[2] for job in jobs]
    assert not [c for c in comments if c.startswith(("rule_simulate_flow", "rule_evaluate_flow"))]
    groups = [job for job in jobs if job[2].startswith("rule_per_alpha")]
    n_flows = len(list((local / "results" / "flow").glob("*/*.zarr")))
    per_group = yaml.safe_load(PROFILE.read_text())["group-components"]["per_alpha"]
    assert len(groups) == math.ceil(n_flows / per_group)
    for job in groups:
        # One CPU, and a time limit covering its members one after another (>= 1 min each).
        assert job[3] == "1"
        hours, minutes, _ = (job[4].split("-")[-1]).split(":")
        assert 60 * int(hours) + int(minutes) >= min(n_flows, per_group)


def test_failed_job_ends_the_run(cluster, site_profile, runs, tmp_path):
    """A job failing on the node (Algorithm 1 over its saddle guard) ends the run, exit 1."""
    config = {
        "problems": {"fig2_left": {"preset": "fig2_left", "log10_alpha": [-10]}},
        "saddles": {"max_saddles": 1},  # fig2_left has two jumps
    }
    path = write_config(tmp_path, config)
    # The local run's problem store, if it has one, spares one SLURM job (make_problem).
    problem = runs[0] / "results" / "problems" / "fig2_left.zarr"
    if problem.is_dir():
        shutil.copytree(problem, tmp_path / "results" / "problems" / "fig2_left.zarr")
    out = snakemake(
        tmp_path,
        "--profile",
        str(site_profile),
        "--configfile",
        str(path),
        "--until",
        "find_saddles",
        env=cluster.env,
        timeout=RUN_TIMEOUT,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 1, f"exit {out.returncode} (124 = timed out)\n{text[-4000:]}"
    assert "SLURM status is: 'FAILED'" in text
    # The failed job's SLURM log is kept where README.md says.
    kept = list((tmp_path / ".snakemake" / "slurm_logs" / "rule_find_saddles").rglob("*.log"))
    assert len(kept) == 1 and "SaddleLimitError" in kept[0].read_text()
    assert (tmp_path / "results" / "problems" / "fig2_left.zarr").is_dir()
    assert not (tmp_path / "results" / "saddles" / "fig2_left.zarr").exists()
