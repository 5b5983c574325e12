"""The ``dln path`` command: in process through ``dln.cli.main``, and once as a subprocess."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dln.cli import MAX_LABELLED, main
from dln.problems import load_data
from dln.saddles import saddle_jumps

REPO = Path(__file__).resolve().parents[2]
DIABETES = REPO / "examples" / "diabetes.csv"


def _rows(table: str) -> list[list[str]]:
    """The body rows of the printed table, split on runs of spaces."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("saddle k")) + 2
    body = []
    for line in lines[start:]:
        if not line.strip():
            break
        body.append(line.split())
    return body


def test_path_prints_the_activation_table(capsys):
    assert main(["path", str(DIABETES), "--target", "progression"]) == 0
    out = capsys.readouterr().out
    assert "442 samples, 10 features, target 'progression'" in out
    assert "original units of the columns" in out  # the default, as in the estimator
    problem = load_data(DIABETES, target="progression", standardize=True)
    result = saddle_jumps(problem.X, problem.y)
    rows = _rows(out)
    assert rows[0][:2] == ["0", "0"]  # the start, beta = 0
    entered = [r for r in rows[1:] if r[3] == "enters"]
    first = problem.feature_names[int(result.activated[1][0])]
    assert entered[0][2] == first == "bmi" and entered[0][4] == "+"
    # one row per event, the times and l1 norms of Algorithm 1
    n_events = sum(a.size for a in result.activated) + sum(d.size for d in result.deactivated)
    assert len(rows) == 1 + n_events
    last = rows[-1]
    assert int(last[0]) == result.n_saddles
    assert float(last[1]) == pytest.approx(result.times[-1], rel=1e-5)
    x_scale = np.asarray(problem.params["x_scale"])
    assert float(last[6]) == pytest.approx(np.abs(result.betas[-1] / x_scale).sum(), rel=1e-5)


def test_units_standardized_reports_the_fitted_coefficients(capsys):
    """--units standardized: the l1 norms of the standardised problem's saddles; they differ
    from the default original units (the diabetes columns have standard deviations far from 1)."""
    argv = ["path", str(DIABETES), "--target", "progression"]
    assert main([*argv, "--units", "standardized"]) == 0
    out = capsys.readouterr().out
    assert "standardised units" in out
    result = saddle_jumps(*_standardized_diabetes())
    assert float(_rows(out)[-1][6]) == pytest.approx(np.abs(result.betas[-1]).sum(), rel=1e-5)
    assert main(argv) == 0
    assert float(_rows(capsys.readouterr().out)[-1][6]) != pytest.approx(
        np.abs(result.betas[-1]).sum(), rel=1e-2
    )
    assert main([*argv, "--units", "raw"]) == 2
    assert "--units" in capsys.readouterr().err


def _standardized_diabetes():
    problem = load_data(DIABETES, target="progression")  # standardised by default
    assert problem.params["standardize"] is True
    return problem.X, problem.y


def test_path_writes_csv_and_figure(tmp_path, capsys):
    table, figure = tmp_path / "path.csv", tmp_path / "timeline.png"
    argv = ["path", str(DIABETES), "--target", "progression", "--no-standardize"]
    assert main([*argv, "--csv", str(table), "--plot", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "original units" in out and str(table) in out and str(figure) in out
    with table.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "data_file",
        "target",
        "coefficient_units",
        "saddle",
        "time",
        "feature",
        "event",
        "sign",
        "loss",
        "l1_norm",
    ]
    assert {(r["data_file"], r["target"], r["coefficient_units"]) for r in rows} == {
        ("diabetes.csv", "progression", "original")
    }
    problem = load_data(DIABETES, target="progression", standardize=False)
    result = saddle_jumps(problem.X, problem.y)
    assert float(rows[-1]["time"]) == result.times[-1]  # written in full precision
    assert {r["event"] for r in rows} <= {"enters", "leaves"}
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_timeline_of_many_features_stays_small(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 300))
    path = tmp_path / "wide.npz"
    np.savez(path, X=X, y=X[:, :60] @ rng.standard_normal(60))
    figure = tmp_path / "wide.png"
    assert main(["path", str(path), "--plot", str(figure)]) == 0
    assert "300 features" in capsys.readouterr().out
    width, height = Image.open(figure).size
    assert height <= 150 * 9.0 + 1 and width <= 150 * 7.0 + 1
    assert MAX_LABELLED == 15


def test_reading_options_reach_load_data(tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(
        "id;city;a;b;y\n"
        "p1;Paris;1,5;2;3,5\n"
        "p2;Rome;2;NA;1\n"
        "p3;Oslo;-1;0,5;2\n"
        "p4;Paris;0,5;1;-1\n"
        "p5;Rome;3;-2;0,25\n"
    )
    argv = ["path", str(path), "--drop", "id", "--categorical", "city"]
    assert main([*argv, "--missing", "drop_rows", "--sep", ";", "--decimal", ","]) == 0
    out = capsys.readouterr().out
    assert "4 samples, 4 features" in out
    assert "left out 1 row with a missing value (file lines 3;" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["path"], "the following arguments are required: FILE"),
        (["walk", "x.csv"], "invalid choice: 'walk'"),
        (["path", "x.csv", "--missing", "skip"], "argument --missing: invalid choice"),
        (["path", "x.csv", "--sep", ";;"], "argument --sep: expected one character"),
        (["path", "x.csv", "--plot", "out.jpeg2"], "must end in .png, .pdf, .svg"),
        (["path", "x.csv", "--csv", "out.txt"], "must end in .csv"),
        (["path", "x.csv", "--drop", "a,,b"], "expected column names separated by commas"),
        (["path", "x.csv", "--max-saddles", "0"], "--max-saddles must be >= 1"),
        (["path", "missing.csv"], "does not exist"),
        (["path", str(DIABETES), "--target", "nope"], "target column 'nope' not found"),
        (["path", str(DIABETES)], "no column named 'y'; pass --target one of"),
        (["path", str(DIABETES), "--target", "progression", "--drop", "zz"], "'zz' not found"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.startswith("dln")
    assert "Traceback" not in captured.err


def test_data_errors_are_given_in_command_line_words(tmp_path, capsys):
    path = tmp_path / "cities.csv"
    path.write_text("id,city,a,y\np1,Paris,1,2\np2,Rome,2,3\np3,Paris,4,NA\n")
    assert main(["path", str(path)]) == 2
    assert "use --drop id or --index-col id" in capsys.readouterr().err
    assert main(["path", str(path), "--drop", "id"]) == 2
    assert "use --categorical city to one-hot encode it, or --drop city" in capsys.readouterr().err
    assert main(["path", str(path), "--drop", "id", "--categorical", "city"]) == 2
    assert "use --missing drop_rows" in capsys.readouterr().err
    argv = ["path", str(path), "--drop", "id", "--categorical", "city", "--missing", "drop_rows"]
    assert main(argv) == 0


def test_help_and_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dln ")
    assert main(["path", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--target", "--drop", "--sep", "--decimal", "--index-col", "--missing"):
        assert option in out
    for option in ("--categorical", "--no-standardize", "--plot", "--csv"):
        assert option in out


def test_python_dash_m_dln_in_a_subprocess(tmp_path):
    """The command a user types; it imports neither Snakemake nor xarray."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    code = (
        "import sys, runpy; sys.argv = ['dln', 'path', sys.argv[1], '--target', 'progression'];"
        "\ntry:\n    runpy.run_module('dln', run_name='__main__')\nexcept SystemExit as e:\n"
        "    bad = [m for m in ('snakemake', 'xarray', 'zarr') if m in sys.modules]\n"
        "    print('IMPORTED', bad); raise"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(DIABETES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "bmi" in out.stdout and "IMPORTED []" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "dln", "path", "missing.csv"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    assert "Traceback" not in bad.stderr
