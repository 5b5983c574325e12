"""Bad and borderline data files: a clear error, or a documented and tested outcome.

The tables here are shared with tests/workflow/test_config_errors.py, which points a
``data:`` problem at each file and checks that the pipeline stops before any job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dln.lp import min_l1_solution
from dln.problems import load_data
from dln.saddles import saddle_jumps

_X = np.array([[1.0, 0.5, -1.0], [0.0, 1.5, 2.0], [2.0, -1.0, 0.5], [-1.0, 2.0, 1.0]])
_Y = np.array([3.0, 1.0, -2.0, 0.5])


def _npz(**arrays):
    return {"X": _X, "y": _Y, **arrays}


# (file name, content: CSV text or NPZ arrays, substring of the error message)
BAD_DATA_FILES = [
    ("nan.csv", "a,b,y\n1,2,3\nnan,1,2\n", "non-finite value (NaN or inf) in column 'a'"),
    ("inf.csv", "a,b,y\n1,2,3\n4,-inf,2\n", "non-finite value (NaN or inf) in column 'b'"),
    ("nan_target.csv", "a,b,y\n1,2,3\n4,1,NaN\n", "non-finite value (NaN or inf) in column 'y'"),
    ("text_cell.csv", "a,b,y\n1,2,3\n4,abc,2\n", "non-numeric value 'abc' in column 'b'"),
    ("empty_cell.csv", "a,b,y\n1,2,3\n4,,2\n", "empty cell (missing value) in column 'b'"),
    ("ragged.csv", "a,b,y\n1,2,3\n4,1,2,7\n", "ragged rows"),
    ("short_row.csv", "a,b,y\n1,2,3\n4,1\n", "ragged rows"),
    ("no_rows.csv", "a,b,y\n", "no data rows"),
    ("empty.csv", "", "the file is empty"),
    ("single_column.csv", "y\n1\n2\n", "no feature column"),
    ("duplicate_names.csv", "a,a,y\n1,2,3\n4,1,2\n", "duplicate column names ['a']"),
    ("nan.npz", _npz(X=np.where(_X > 1.5, np.nan, _X)), "non-finite value (NaN or inf)"),
    ("inf_target.npz", _npz(y=np.array([1.0, np.inf, 0.0, 2.0])), "in target column 'y'"),
    ("text.npz", _npz(X=np.array([["1", "2"], ["3", "x"]])), "X must be numeric"),
    ("no_rows.npz", _npz(X=np.zeros((0, 3)), y=np.zeros(0)), "X has no rows"),
    ("no_columns.npz", _npz(X=np.zeros((4, 0))), "X has no feature column"),
    ("ragged.npz", _npz(y=np.ones(3)), "X has 4 rows but y has 3"),
    ("one_dim.npz", _npz(X=np.ones(4)), "X must be 2-dimensional"),
    ("extra_array.npz", _npz(w=np.ones(3)), "unexpected array(s) ['w']"),
]

# (file name, content, what holds: documented in dln.problems.load_data's Notes)
ACCEPTED_DATA_FILES = [
    ("constant_column.csv", "a,c,y\n1,5,3\n2,5,1\n-1,5,2\n", "constant"),
    ("zero_column.csv", "a,z,b,y\n1,0,2,3\n2,0,-1,1\n-1,0,1,2\n", "zero"),
    ("duplicate_columns.csv", "a,b,a2,y\n1,2,1,3\n2,-1,2,1\n-1,1,-1,2\n", "duplicate"),
    ("one_feature.csv", "a,y\n1,2\n2,4.5\n-1,-1\n", "one feature"),
    ("constant_column.npz", _npz(X=np.c_[_X, np.full(4, 2.0)]), "constant"),
    ("duplicate_columns.npz", _npz(X=np.c_[_X, _X[:, :1]]), "duplicate"),
]


def write_data_file(directory: Path, name: str, content) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        np.savez(path, **content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "expected"), BAD_DATA_FILES, ids=[c[0] for c in BAD_DATA_FILES]
)
def test_bad_file_raises_a_clear_error(tmp_path, name, content, expected):
    path = write_data_file(tmp_path, name, content)
    with pytest.raises(ValueError) as err:
        load_data(path)
    assert expected in str(err.value)
    assert name in str(err.value)  # the message names the file


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "ragged_objects.npz"
    np.savez(path, X=np.array([[1.0, 2.0], [3.0]], dtype=object), y=np.ones(2))
    with pytest.raises(ValueError, match="without pickles"):
        load_data(path)


@pytest.mark.parametrize(
    ("name", "content", "kind"), ACCEPTED_DATA_FILES, ids=[c[0] for c in ACCEPTED_DATA_FILES]
)
def test_accepted_file_has_the_documented_outcome(tmp_path, name, content, kind):
    path = write_data_file(tmp_path, name, content)
    problem = load_data(path)
    X, y = problem.X, problem.y
    result = saddle_jumps(X, y)
    lp = min_l1_solution(X, y)
    # every accepted file runs through Algorithm 1 to the minimum-l1 value, without NaN
    assert np.all(np.isfinite(result.betas)) and np.all(np.isfinite(result.times))
    assert result.primal_objective == pytest.approx(lp.objective, rel=1e-9)
    if kind == "zero":
        zero = problem.feature_names.index("z")
        assert np.all(result.betas[:, zero] == 0)  # an all-zero column never enters
    if kind == "duplicate":
        groups = problem.params["duplicate_features"]
        assert len(groups) == 1 and len(groups[0]) == 2
        first, second = (problem.feature_names.index(g) for g in groups[0])
        # the copies share s at all times; at most one of them carries weight
        np.testing.assert_array_equal(result.s[:, first], result.s[:, second])
        assert np.all((result.betas[:, first] == 0) | (result.betas[:, second] == 0))
    if kind == "constant":
        with pytest.raises(ValueError, match="constant feature column"):
            load_data(path, standardize=True)
    if kind == "one feature":
        assert X.shape[1] == 1
        # d = 1: one jump, to the least-squares coefficient
        assert result.n_saddles == 1
        assert result.betas[-1, 0] == pytest.approx(float(X[:, 0] @ y / (X[:, 0] @ X[:, 0])))
