"""The report's figures in the pipeline and `snakemake --report` on config/test.yaml.

Runs Snakemake in a temporary working directory (``--directory``) against the repository's
Snakefile, so nothing is written into the repository.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dln import io

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
TEST_CONFIG = REPO / "config" / "test.yaml"
# Report figures of the figure table (dln.pipeline.figures) that config/test.yaml draws, by
# report category (test.yaml has no studies, so the fourth category is absent).
EXPECTED = {
    "1. Paper figures": ["paper/figure2_left", "paper/neurips_figure1", "paper/poster_staircase"],
    "2. Convergence in alpha": [
        "alpha_convergence/jump_time_errors",
        "alpha_convergence/distance_metrics",
        "alpha_convergence/coordinates",
    ],
    "3. Beyond the paper": ["beyond/lasso_vs_saddles", "beyond/activation_timeline"],
}


def _env():
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {**os.environ, "DLN_GIT_COMMIT": commit or "unknown"}


ENV = _env()


def snakemake(workdir: Path, *args: str, configfile: Path | None = None, check=True):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir)]
    if configfile is not None:
        cmd += ["--configfile", str(configfile)]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, env=ENV)
    if check:
        assert out.returncode == 0, out.stdout + out.stderr
    return out


def _config(workdir: Path, cfg: dict | None = None) -> Path:
    path = workdir / "config" / "test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if cfg is None:
        shutil.copy(TEST_CONFIG, path)
    else:
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    """config/test.yaml run for real, then `snakemake --report results/report.html`."""
    workdir = tmp_path_factory.mktemp("report")
    config = _config(workdir)
    snakemake(workdir, "--cores", "2", configfile=config)
    out = snakemake(workdir, "--report", "results/report.html", configfile=config)
    return workdir, config, out.stdout + out.stderr


def _report_data(html: str) -> dict:
    """The report's embedded result records: {path: record} (captions, categories)."""
    records = {}
    for stem in [s for stems in EXPECTED.values() for s in stems]:
        key = f'"results/figures/{stem}.png": '
        start = html.index(key) + len(key)
        record, _ = json.JSONDecoder().raw_decode(html[start:])
        records[stem] = record
    return records


def test_report_contains_every_figure_with_its_caption(report_run):
    workdir, _, log = report_run
    assert "(ERROR/" not in log and "(WARNING/" not in log, log  # docutils messages
    html = (workdir / "results" / "report.html").read_text()
    records = _report_data(html)
    for category, stems in EXPECTED.items():
        assert category in html
        for stem in stems:
            caption = records[stem]["caption"]
            assert len(caption) > 200, (stem, caption)
            assert "$" not in caption, (stem, caption)  # every placeholder filled
            # the caption on disk is the one in the report (numbers from the stores)
            rst = (workdir / "results" / "figures" / f"{stem}.rst").read_text()
            first_words = re.sub(r"[*`]", "", rst.split("\n")[0])[:40]
            assert first_words.split()[0] in caption
    assert "activation_timeline.csv" in html


def test_captions_carry_the_numbers_of_the_stores(report_run):
    workdir, _, _ = report_run
    results = workdir / "results"
    sad = io.read_dataset(results / "saddles" / "fig2_left.zarr")
    conv = io.read_dataset(results / "convergence" / "fig2_left.zarr")
    panel = (results / "figures" / "paper" / "figure2_left.rst").read_text()
    for tk in sad["jump_time"].values[1:]:
        assert f"{tk:.4g}" in panel
    assert "n = 7, d = 2" in panel and "seed 5" in panel
    assert "1e-100" in panel and "1e-10" in panel
    errors = (results / "figures" / "alpha_convergence" / "jump_time_errors.rst").read_text()
    for k, slope in zip(conv["jump"].values, conv["jump_slope"].values, strict=True):
        assert f"k = {k}: {slope:.3g}" in errors


def test_figures_pdf_png_and_table(report_run):
    workdir, _, _ = report_run
    figures = workdir / "results" / "figures"
    for stem in [s for stems in EXPECTED.values() for s in stems]:
        for ext in ("png", "pdf"):
            data = (figures / f"{stem}.{ext}").read_bytes()
            assert len(data) > 1000, stem
        assert b"CreationDate" not in (figures / f"{stem}.pdf").read_bytes()
    with open(workdir / "results" / "tables" / "activation_timeline.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["problem"] for r in rows} == {"fig2_left", "tiny"}
    assert all(r["sign"] in ("1", "-1") for r in rows)
    lasso = io.read_dataset(workdir / "results" / "lasso" / "tiny.zarr")
    saddles = io.read_dataset(workdir / "results" / "saddles" / "tiny.zarr")
    assert float(lasso["knot_time"][0]) == pytest.approx(float(saddles["jump_time"][1]))
    assert lasso.attrs["provenance_rule"] == "write_lasso_path"


def test_nothing_to_do_after_the_run(report_run):
    workdir, config, _ = report_run
    out = snakemake(workdir, "-n", "--quiet", "rules", configfile=config)
    assert "Job stats" not in out.stdout + out.stderr


def test_report_figures_config_errors_name_the_key(tmp_path):
    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    cases = [
        ("poster", {"problem": "nope", "log10_alpha": [-10]}, "report_figures.poster.problem"),
        ("poster", {"problem": "tiny", "log10_alpha": []}, "report_figures.poster.log10_alpha"),
        (
            "neurips_figure1",
            {"problem": "tiny", "log10_alpha": [-10, -20]},
            "report_figures.neurips_figure1.log10_alpha",
        ),
        ("lasso", {"problem": "tiny", "log10_alpha": [-10]}, "report_figures.lasso.log10_alpha"),
        (
            "figure2_left",
            {"problem": "fig2_left", "log10_alpha": [-10, 3]},
            "report_figures.figure2_left.log10_alpha[1]",
        ),
        ("poster", {"log10_alpha": [-10]}, "problem"),  # schema: required
    ]
    for key, spec, message in cases:
        bad = {**cfg, "report_figures": {**cfg["report_figures"], key: spec}}
        out = snakemake(tmp_path, "-n", configfile=_config(tmp_path, bad), check=False)
        assert out.returncode != 0, (key, spec)
        assert message in out.stdout + out.stderr, (key, spec, out.stdout + out.stderr)
    assert not (tmp_path / "results").exists()


def test_null_entries_skip_their_figures(tmp_path):
    cfg = yaml.safe_load(TEST_CONFIG.read_text())
    cfg["report_figures"] = {"lasso": None}
    out = snakemake(tmp_path, "-n", configfile=_config(tmp_path, cfg))
    text = out.stdout + out.stderr
    # no paper figure and no Lasso comparison: their job and the Lasso path are not run
    for rule in ("plot_paper_figures", "write_lasso_path"):
        assert f"rule {rule}:" not in text, text
    for stem in ("paper/figure2_left", "paper/neurips_figure1", "beyond/lasso_vs_saddles"):
        assert f"results/figures/{stem}.png" not in text, text
    # the convergence figures and the timeline need no entry
    for rule in ("plot_convergence_figures", "plot_overview"):
        assert f"rule {rule}:" in text, text
    for stem in (
        "alpha_convergence/jump_time_errors",
        "alpha_convergence/distance_metrics",
        "beyond/activation_timeline",
    ):
        assert f"results/figures/{stem}.png" in text, text
    assert "results/figures/alpha_convergence/coordinates.png" not in text
