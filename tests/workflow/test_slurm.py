"""Cluster execution: config/test.yaml through ``--profile profiles/slurm`` on a real SLURM.

The module fixture brings up a single-node SLURM from Debian's packages on loopback
(tests/workflow/slurm/cluster.py: munged, MariaDB, slurmdbd, slurmctld, slurmd, installed
with apt-get when missing) and always stops the daemons it started, by PID. The workflow is
submitted through the official executor plugin with the repository's profile, filled in as
a user does (account and partition of the test cluster) plus a short first status check; its
Zarr stores must be identical (xarray) to those of a local run of the same file. The cluster
run splits the alpha sweeps (``flow.alphas_per_job: ALPHAS_PER_JOB``), so that each chunk of
alphas is a simulate_flows job, submitted as its own SLURM job, while the local run keeps each
problem's sweep in its solve_problem job: splitting changes where the flows run (the sweep
directory ``part<k>`` and the ``provenance_rule`` attribute), not what they compute.

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
# Seconds for one Snakemake run on the 2-CPU test node (config/test.yaml takes ~1 minute
# there; a run that stalls, e.g. on status queries that never answer, is killed).
RUN_TIMEOUT = 900
# The first status check after a submission: 2 s instead of the plugin's 40 (a test-only
# setting; the cluster's MinJobAge of 300 s is far above three times it).
INIT_SECONDS = 2
# config/test.yaml's sweeps split into jobs of this many alphas (fig2_left's 3 flows: 2 jobs).
ALPHAS_PER_JOB = 2


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


def split_config(config_text: str) -> dict:
    """config/test.yaml (as text) with its sweeps split into jobs of ALPHAS_PER_JOB alphas."""
    config = yaml.safe_load(config_text)
    config.setdefault("flow", {})["alphas_per_job"] = ALPHAS_PER_JOB
    return config


def sweep_chunks(results: Path) -> dict[tuple[str, int], int]:
    """{(problem, part): number of flow stores} of every non-empty sweep directory."""
    chunks = {}
    for part in sorted((results / "flow").glob("*/part*")):
        n = len(list(part.glob("*.zarr")))
        if n:
            chunks[(part.parent.name, int(part.name.removeprefix("part")))] = n
    return chunks


def zarr_stores(results: Path) -> dict[str, Path]:
    """{name: path} of every store; a sweep's stores are named without their ``part<k>``."""
    stores = {}
    for path in sorted(p for p in results.rglob("*.zarr") if p.is_dir()):
        parts = path.relative_to(results).parts
        if parts[0] in ("flow", "evaluate"):  # <kind>/<problem>/part<k>/log10_alpha=<e>.zarr
            parts = parts[:2] + parts[3:]
        stores["/".join(parts)] = path
    return stores


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
    """config/test.yaml run locally, and on the cluster with its sweeps split: (local dir,
    cluster dir, output)."""
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
    config = write_config(on_slurm, split_config(config_text))
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
def test_profile_is_what_the_docs_promise():
    """The profile names the plugin, bounded submission and sacct status checks; no groups."""
    text = PROFILE.read_text()
    profile = yaml.safe_load(text)
    assert profile["executor"] == "slurm"
    assert profile["slurm-status-command"] in {"sacct", "squeue"}
    assert profile["latency-wait"] >= 5 and profile["jobs"] >= 1
    assert {"mem_mb", "runtime"} <= set(profile["default-resources"])
    # Big sweeps are split by the workflow (flow.alphas_per_job), not by job groups.
    assert not {"group-components", "groups", "resources", "set-resource-scopes"} & set(profile)
    assert "flow.alphas_per_job" in text and "docs/cluster.md" in text
    assert "README.md" not in text
    # Nothing of the workflow profile may shadow the cluster profile's defaults.
    workflow_profile = yaml.safe_load((REPO / "profiles" / "default" / "profile.yaml").read_text())
    assert not {"default-resources", "executor", "jobs"} & set(workflow_profile)


def test_sweep_of_200_alphas_is_split(tmp_path):
    """200 alphas, flow.alphas_per_job: 10: one solve_problem job and 20 simulate_flows jobs
    (20 submissions, not 200), each of 10 consecutive alphas with the time of its chunk."""
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
        },
        "flow": {"alphas_per_job": 10},
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
    assert "Group job" not in text
    blocks = [b.split("\n\n", 1)[0] for b in text.split("\nrule ")[1:]]
    sweeps = [b for b in blocks if b.startswith("simulate_flows:")]
    assert len(sweeps) == math.ceil(200 / 10) == 20
    assert sum(b.startswith("solve_problem:") for b in blocks) == 1
    parts = sorted(int(b.split("part=")[1].split()[0].rstrip(",")) for b in sweeps)
    assert parts == list(range(1, 21))
    for block in sweeps:
        # one CPU; the time of 10 flows, more than the default 15 minutes of a job
        resources = block.split("resources:", 1)[1].split("\n", 1)[0]
        fields = dict(f.strip().split("=", 1) for f in resources.split(","))
        assert fields.get("_cores", "1") == "1", resources
        assert int(fields["runtime"]) >= 10, resources


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
    on_cluster = zarr_stores(on_slurm / "results")
    assert sorted(on_cluster) == sorted(stores)
    for name, path in stores.items():
        expected = io.read_dataset(path)
        actual = io.read_dataset(on_cluster[name])
        if name.startswith(("flow/", "evaluate/")):
            # the only difference the split makes: the rule that wrote the store
            assert expected.attrs["provenance_rule"] == "solve_problem", name
            assert actual.attrs["provenance_rule"] == "simulate_flows", name
            actual.attrs["provenance_rule"] = "solve_problem"
        xr.testing.assert_identical(actual, expected)
    # Figures: the same files (their bytes are compared run to run by test_workflow.py).
    figures = sorted(str(p.relative_to(local)) for p in (local / "results").rglob("*.p[nd][gf]"))
    assert figures
    assert (
        sorted(str(p.relative_to(on_slurm)) for p in (on_slurm / "results").rglob("*.p[nd][gf]"))
        == figures
    )


def test_jobs_ran_as_slurm_jobs_and_sweeps_split(runs, cluster):
    """Every submission completed; each chunk of a sweep ran as its own simulate_flows job."""
    local, on_slurm, output = runs
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
    assert all(job[3] == "1" for job in jobs)  # one CPU each
    rules = [job[2].split("_wildcards_")[0].removeprefix("rule_") for job in jobs]
    # the local run: each problem's whole sweep in part 0
    flows = {problem: n for (problem, _), n in sweep_chunks(local / "results").items()}
    assert flows and set(sweep_chunks(local / "results")) == {(p, 0) for p in flows}
    # on the cluster: parts 1, 2, ... of each problem, ALPHAS_PER_JOB alphas or fewer each
    chunks = sweep_chunks(on_slurm / "results")
    assert all(0 < n <= ALPHAS_PER_JOB for n in chunks.values())
    for problem, n in flows.items():
        assert sum(k for (p, _), k in chunks.items() if p == problem) == n, problem
    assert len(chunks) == sum(math.ceil(n / ALPHAS_PER_JOB) for n in flows.values())
    assert max(math.ceil(n / ALPHAS_PER_JOB) for n in flows.values()) > 1  # a split sweep
    assert all(part >= 1 for _, part in chunks)  # part 0 (solve_problem) holds no flow
    # one SLURM job per chunk (comment rule_simulate_flows_wildcards_<problem>_<part>), one
    # per problem for the problem and Algorithm 1
    assert rules.count("simulate_flows") == len(chunks)
    assert rules.count("solve_problem") == len(flows)
    submitted = {}
    for job, rule in zip(jobs, rules, strict=True):
        if rule == "simulate_flows":
            problem, part = job[2].split("_wildcards_", 1)[1].rsplit("_", 1)
            hours, minutes, _ = (job[4].split("-")[-1]).split(":")
            submitted[(problem, int(part))] = 60 * int(hours) + int(minutes)
    assert sorted(submitted) == sorted(chunks)
    for chunk, limit in submitted.items():
        assert limit >= chunks[chunk], chunk  # a time limit covering its flows (>= 1 min each)


def test_failed_job_ends_the_run(cluster, site_profile, tmp_path):
    """A job failing on the node (Algorithm 1 over its saddle guard) ends the run, exit 1,
    and leaves no store of the failed job (Snakemake removes its outputs)."""
    config = {
        "problems": {"fig2_left": {"preset": "fig2_left", "log10_alpha": [-10]}},
        "saddles": {"max_saddles": 1},  # fig2_left has two jumps
    }
    path = write_config(tmp_path, config)
    out = snakemake(
        tmp_path,
        "--profile",
        str(site_profile),
        "--configfile",
        str(path),
        "--until",
        "solve_problem",
        env=cluster.env,
        timeout=RUN_TIMEOUT,
    )
    text = out.stdout + out.stderr
    assert out.returncode == 1, f"exit {out.returncode} (124 = timed out)\n{text[-4000:]}"
    assert "SLURM status is: 'FAILED'" in text
    # The failed job's SLURM log is kept where docs/cluster.md says; it names the problem.
    kept = list((tmp_path / ".snakemake" / "slurm_logs" / "rule_solve_problem").rglob("*.log"))
    assert len(kept) == 1
    log = kept[0].read_text()
    assert "solve_problem failed for problem 'fig2_left'" in log and "SaddleLimitError" in log
    results = tmp_path / "results"
    assert not (results / "problems" / "fig2_left.zarr").exists()
    assert not (results / "saddles" / "fig2_left.zarr").exists()
    assert not [p for p in results.rglob("*") if ".partial-" in p.name]
