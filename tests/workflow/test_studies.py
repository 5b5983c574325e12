"""The practitioner's studies in the pipeline, and the one-command run on a user's CSV.

Runs Snakemake in temporary working directories (``--directory``) against the repository's
Snakefile, so nothing is written into the repository.
"""

import csv
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
SMALL_CSV = REPO / "tests" / "data" / "small_regression.csv"
STUDY_FIGURES = ("label_noise", "initialisation", "step_size", "baselines")


def _env():
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {**os.environ, "DLN_GIT_COMMIT": commit or "unknown"}


ENV = _env()


def snakemake(workdir: Path, *args: str, check: bool = True):
    """Snakemake from ``workdir`` (as a user would run it), the repository's Snakefile."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir)]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, env=ENV, cwd=workdir)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------------------
# the studies of config/test_studies.yaml
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    """Only the study outputs of config/test_studies.yaml (and what they need), for real."""
    workdir = tmp_path_factory.mktemp("studies")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "test_studies.yaml", workdir / "config" / "test_studies.yaml")
    targets = [f"results/figures/studies/{name}.png" for name in STUDY_FIGURES]
    snakemake(workdir, "--cores", "2", *targets, "--configfile", "config/test_studies.yaml")
    return workdir


def test_study_stores_tables_and_figures(study_run):
    results = study_run / "results"
    cfg = yaml.safe_load((REPO / "config" / "test_studies.yaml").read_text())["studies"]
    for name in STUDY_FIGURES:
        for ext in ("png", "pdf", "rst"):
            assert (results / "figures" / "studies" / f"{name}.{ext}").stat().st_size > 0
        caption = (results / "figures" / "studies" / f"{name}.rst").read_text()
        assert "$" not in caption  # every placeholder filled
    noise = io.read_dataset(results / "studies" / "label_noise.zarr")
    assert noise.sizes["noise_level"] == len(cfg["label_noise"]["noise_levels"])
    assert noise.sizes["seed"] == cfg["label_noise"]["n_seeds"]
    # no added noise: every seed reproduces the clean order
    np.testing.assert_allclose(noise["agreement_clean"].values[0], 1.0)
    assert noise.attrs["provenance_rule"] == "run_noise_study"
    init = io.read_dataset(results / "studies" / "initialisation.zarr")
    assert np.all(init["weighted_lp_difference"].values < 1e-8)
    steps = io.read_dataset(results / "studies" / "step_size.zarr")
    np.testing.assert_allclose(steps["step"].values, cfg["step_size"]["steps"])
    assert np.all(np.diff(steps["max_relative_error"].values) > 0)  # larger step, larger error
    rows = _read_csv(results / "tables" / "step_size.csv")
    assert [float(r["step"]) for r in rows] == cfg["step_size"]["steps"]
    base = io.read_dataset(results / "studies" / "baselines" / "fig2_left.zarr")
    np.testing.assert_allclose(float(base["saddle_l1"]), float(base["lp_l1"]), rtol=1e-9)
    table = _read_csv(results / "tables" / "baselines" / "fig2_left.csv")
    assert {r["feature_name"] for r in table} == {"x1", "x2"}
    saddles = _read_csv(results / "tables" / "saddles" / "fig2_left.csv")
    assert [r["entering"] for r in saddles[1:]] == ["x1", "x2"]  # the paper's Figure 2 (left)
    for name in ("run_noise_study", "run_initialisation_study", "run_step_size_study"):
        assert (study_run / "logs" / name / f"{name}.log").is_file()
        assert (study_run / "benchmarks" / name / f"{name}.tsv").is_file()


def test_unknown_study_problem_is_rejected(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "test_studies.yaml").read_text())
    cfg["studies"]["step_size"]["problem"] = "nope"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake(tmp_path, "-n", "--configfile", "bad.yaml", check=False)
    assert out.returncode != 0
    assert "studies.step_size.problem" in out.stdout + out.stderr
    cfg["studies"]["step_size"]["problem"] = "fig2_left"
    cfg["studies"]["step_size"]["log10_alpha"] = 3  # alpha > 1
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    out = snakemake(tmp_path, "-n", "--configfile", "bad.yaml", check=False)
    assert out.returncode != 0 and "studies.step_size.log10_alpha" in out.stdout + out.stderr
    # gradient descent runs at any alpha (dual coordinates): 1e-400, below float64, is fine
    cfg["studies"]["step_size"]["log10_alpha"] = -400
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(cfg))
    snakemake(tmp_path, "-n", "--configfile", "ok.yaml")


# --------------------------------------------------------------------------------------------
# your own data in one command
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def own_data_run(tmp_path_factory):
    """`snakemake --cores 2 --config data=small_regression.csv target=yield`, as documented,
    from a directory holding the repository's config/config.yaml (the paper's configuration)."""
    workdir = tmp_path_factory.mktemp("own_data")
    (workdir / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config" / "config.yaml")
    shutil.copy(SMALL_CSV, workdir / "small_regression.csv")
    dry = snakemake(
        workdir, "-n", "--quiet", "rules", "--config", "data=small_regression.csv", "target=yield"
    )
    snakemake(workdir, "--cores", "2", "--config", "data=small_regression.csv", "target=yield")
    return workdir, dry.stdout + dry.stderr


# A data run writes under its own folder, keyed by the file's name and the target.
OWN = Path("data") / "small_regression_yield"


def test_own_data_runs_only_the_users_problem(own_data_run):
    workdir, dry = own_data_run
    assert sorted(p.name for p in (workdir / "results").iterdir()) == ["data"]  # nothing shared
    assert (workdir / "logs" / OWN).is_dir() and not (workdir / "logs" / "solve_problem").exists()
    results = workdir / "results" / OWN
    assert sorted(p.name for p in (results / "problems").iterdir()) == ["small_regression.zarr"]
    # the paper's problems, report figures and studies are not run
    for rule in ("plot_paper_figures", "run_noise_study", "write_lasso_path"):
        assert rule not in dry
    assert "solve_problem" in dry and "compare_baselines" in dry
    assert not (results / "figures" / "paper").exists()
    assert not (results / "studies" / "label_noise.zarr").exists()


def test_own_data_outputs_carry_the_header_names(own_data_run):
    workdir, _ = own_data_run
    results = workdir / "results" / OWN
    header = SMALL_CSV.read_text().splitlines()[0].split(",")
    features = [c for c in header if c != "yield"]
    prob = io.read_dataset(results / "problems" / "small_regression.zarr")
    assert list(prob["feature_name"].values) == features
    np.testing.assert_allclose(prob["X"].values.std(axis=0), 1.0)  # standardised by default
    saddles = _read_csv(results / "tables" / "saddles" / "small_regression.csv")
    entered = {name for r in saddles for name in r["entering"].split("; ") if name}
    assert entered and entered <= set(features)
    timeline = _read_csv(results / "tables" / "activation_timeline.csv")
    assert {r["problem"] for r in timeline} == {"small_regression"}
    assert {r["feature_name"] for r in timeline} <= set(features)
    baselines = _read_csv(results / "tables" / "baselines" / "small_regression.csv")
    assert {r["feature_name"] for r in baselines} == set(features)
    for stem in (
        "flow/small_regression",
        "beyond/activation_timeline",
        "studies/baselines",
        "evaluation",
    ):
        assert (results / "figures" / f"{stem}.png").stat().st_size > 0
    # every table names the file, the target and the units of its coefficients
    for table in (saddles, timeline, baselines):
        assert {(r["data_file"], r["target"], r["coefficient_units"]) for r in table} == {
            ("small_regression.csv", "yield", "original")
        }
    # ... and the coefficients are in the file's units: those of the scikit-learn estimator
    # fitted on the raw columns (same standardisation, coefficients divided by the scales)
    import pandas as pd

    from dln import SaddleRegressor

    frame = pd.read_csv(SMALL_CSV)
    model = SaddleRegressor().fit(frame[features], frame["yield"])
    end = {r["feature_name"]: float(r["saddle_end"]) for r in baselines}
    np.testing.assert_allclose([end[f] for f in features], model.coef_, rtol=1e-9, atol=1e-12)
    last = saddles[-1]
    assert float(last["l1_norm"]) == pytest.approx(np.abs(model.coef_).sum(), rel=1e-9)
    for stem in ("beyond/activation_timeline", "studies/baselines"):
        caption = (results / "figures" / f"{stem}.rst").read_text()
        assert "data small_regression.csv, target ``yield``" in caption
        assert "original units of the columns" in caption
    # the flows follow the limit: the first jump time is matched at the smallest alpha
    sad = io.read_dataset(results / "saddles" / "small_regression.zarr")
    flow = io.read_dataset(results / "flow" / "small_regression" / "part0" / "log10_alpha=-30.zarr")
    t_1 = float(sad["jump_time"].values[1])
    assert abs(float(flow["crossing_time"].values[0]) - t_1) < 0.1 * t_1
    # log time grid from before the first jump
    assert float(flow["time"].values[0]) < t_1


def test_own_data_report_holds_that_analysis_only(own_data_run):
    """The README's report command after a data run: it works without repeating anything but
    the same --config, and embeds this analysis only, with captions naming file and target."""
    workdir, _ = own_data_run
    report = workdir / "results" / OWN / "report.html"
    args = ("--config", "data=small_regression.csv", "target=yield", "--report", str(report))
    snakemake(workdir, *args)
    html = report.read_text()
    assert "activation_timeline.png" in html and "baselines.png" in html
    for other in ("figure1_left", "neurips_figure1", "label_noise", "diabetes_interactions"):
        assert other not in html, other
    assert "small_regression.csv" in html and "yield" in html
    assert "original units of the columns" in html


def test_own_data_errors_name_the_key(tmp_path):
    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    shutil.copy(SMALL_CSV, tmp_path / "small_regression.csv")
    out = snakemake(tmp_path, "-n", "--config", "data=missing.csv", check=False)
    assert out.returncode != 0 and "config key 'data'" in out.stdout + out.stderr
    out = snakemake(
        tmp_path, "-n", "--config", "data=small_regression.csv", "target=nope", check=False
    )
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "config key 'target'" in text and "temperature" in text
    out = snakemake(tmp_path, "-n", "--config", "target=yield", check=False)
    assert out.returncode != 0 and "config key 'target'" in out.stdout + out.stderr
