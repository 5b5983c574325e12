"""Bad and borderline data files: a clear error, or a documented and tested outcome.

The tables here are shared with tests/workflow/test_config_errors.py, which points a
``data:`` problem at each file and checks that the pipeline stops before any job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
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
    # the refusals of real-world files say which option fixes them
    ("to_csv_index.csv", ",a,y\n0,1,2\n1,3,1\n", "use index_col=0"),
    ("id_column.csv", "id,a,y\np1,1,2\np2,2,3\np3,4,1\n", "use drop=['id']"),
    ("category.csv", "city,a,y\nParis,1,2\nRome,2,3\nParis,4,1\n", "categorical=['city']"),
    ("na_marker.csv", "a,b,y\n1,2,3\n4,NA,2\n", "use missing='drop_rows'"),
    ("unknown_marker.csv", "a,b,y\n1,2,3\n4,?,2\n", "na_values=['?']"),
    ("decimal_point_in_comma_file.csv", "a;y\n1,5;2\n0.5;3\n", "use decimal='.'"),
]

# (file name, content, what holds: documented in dln.problems.load_data's Notes)
ACCEPTED_DATA_FILES = [
    ("constant_column.csv", "a,c,y\n1,5,3\n2,5,1\n-1,5,2\n", "constant"),
    ("zero_column.csv", "a,z,b,y\n1,0,2,3\n2,0,-1,1\n-1,0,1,2\n", "zero"),
    ("duplicate_columns.csv", "a,b,a2,y\n1,2,1,3\n2,-1,2,1\n-1,1,-1,2\n", "duplicate"),
    ("one_feature.csv", "a,y\n1,2\n2,4.5\n-1,-1\n", "one feature"),
    # one table (_TABLE_X, _TABLE_Y) in the dialects people have
    ("semicolon.csv", "a;b;y\n1;0.5;3\n2;-1;1\n-1.5;2;2\n", "same table"),
    ("decimal_comma.csv", "a;b;y\n1;0,5;3\n2;-1;1\n-1,5;2;2\n", "same table"),
    ("tab.csv", "a\tb\ty\n1\t0.5\t3\n2\t-1\t1\n-1.5\t2\t2\n", "same table"),
    ("bom_crlf.csv", "\ufeffa,b,y\r\n1,0.5,3\r\n2,-1,1\r\n-1.5,2,2\r\n", "same table"),
    ("quoted.csv", '"a","b","y"\n"1","0.5",3\n2,"-1",1\n"-1.5",2,"2"\n', "same table"),
    ("blank_lines.csv", "\na,b,y\n\n1,0.5,3\n2,-1,1\n\n-1.5,2,2\n\n", "same table"),
    ("constant_column.npz", _npz(X=np.c_[_X, np.full(4, 2.0)]), "constant"),
    ("duplicate_columns.npz", _npz(X=np.c_[_X, _X[:, :1]]), "duplicate"),
]


_TABLE_X = np.array([[1.0, 0.5], [2.0, -1.0], [-1.5, 2.0]])
_TABLE_Y = np.array([3.0, 1.0, 2.0])


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
    problem = load_data(path, standardize=False)
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
        # standardised (the default), a constant column is zero after centring: never active
        std = load_data(path)
        constant = std.feature_names.index(std.params["constant_features"][0])
        assert std.params["constant_features"] == [std.feature_names[constant]]
        assert np.all(std.X[:, constant] == 0)
        assert np.all(saddle_jumps(std.X, std.y).betas[:, constant] == 0)
        # raw (this test's problem), it acts as an intercept and enters the support
        assert np.any(result.betas[:, constant] != 0)
    if kind == "same table":
        assert problem.feature_names == ("a", "b") and problem.target_name == "y"
        np.testing.assert_array_equal(X, _TABLE_X)
        np.testing.assert_array_equal(y, _TABLE_Y)
    if kind == "one feature":
        assert X.shape[1] == 1
        # d = 1: one jump, to the least-squares coefficient
        assert result.n_saddles == 1
        assert result.betas[-1, 0] == pytest.approx(float(X[:, 0] @ y / (X[:, 0] @ X[:, 0])))


# ------------------------------------------------------------------------ options for real files
def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_semicolon_and_decimal_comma_given_or_sniffed(tmp_path):
    path = _csv(tmp_path, "a;b;y\n1,5;2;3\n4;-0,25;6,0\n")
    for kwargs in ({}, {"sep": ";", "decimal": ","}):
        p = load_data(path, standardize=False, **kwargs)
        np.testing.assert_array_equal(p.X, [[1.5, 2.0], [4.0, -0.25]])
        np.testing.assert_array_equal(p.y, [3.0, 6.0])
        assert (p.params["sep"], p.params["decimal"]) == (";", ",")
    with pytest.raises(ValueError, match=r"'1,5'.*column 'a'.*use decimal=','"):
        load_data(path, standardize=False, sep=";", decimal=".")
    with pytest.raises(ValueError, match=r"ragged rows.*line 2.*split on ','"):
        load_data(path, standardize=False, sep=",")


def test_bom_is_skipped_and_other_encodings_are_an_option(tmp_path):
    path = _csv(tmp_path, b"\xef\xbb\xbfa;y\r\n1;2\r\n3;4\r\n")
    assert load_data(path).feature_names == ("a",)
    path = _csv(tmp_path, "caf\xe9,y\n1,2\n2,1\n".encode("latin-1"), name="latin.csv")
    with pytest.raises(ValueError, match=r"not UTF-8 text.*encoding='latin-1'"):
        load_data(path)
    assert load_data(path, encoding="latin-1").feature_names == ("caf\xe9",)


def test_to_csv_index_column(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, -1.0], "b": [0.5, 0.0, 2.0], "y": [3.0, 1.0, 2.0]})
    path = tmp_path / "frame.csv"
    df.to_csv(path)  # writes the index as an unnamed first column
    with pytest.raises(ValueError, match=r"empty column name.*DataFrame.to_csv.*index_col=0"):
        load_data(path, standardize=False)
    for kwargs in ({"index_col": 0}, {"index_col": "Unnamed: 0"}, {"drop": ["Unnamed: 0"]}):
        p = load_data(path, standardize=False, **kwargs)
        assert p.feature_names == ("a", "b")
        np.testing.assert_array_equal(p.X, df[["a", "b"]].to_numpy())
    # read back by pandas without index_col and written again: a literal 'Unnamed: 0' column
    pd.read_csv(path).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"'Unnamed: 0' looks like a DataFrame index"):
        load_data(path, standardize=False)
    assert load_data(path, standardize=False, index_col="Unnamed: 0").feature_names == ("a", "b")


def test_id_column_is_dropped_or_used_as_index(tmp_path):
    path = _csv(tmp_path, "id,a,b,y\np1,1,0.5,2\np2,2,1,3\np3,4,-1,1\n")
    with pytest.raises(ValueError, match=r"'p1' in column 'id', data row 1 \(file line 2\)"):
        load_data(path)
    for kwargs in ({"drop": ["id"]}, {"drop": "id"}, {"index_col": "id"}):
        p = load_data(path, **kwargs)
        assert p.feature_names == ("a", "b")
    assert load_data(path, drop=["id", "b"]).feature_names == ("a",)
    assert load_data(path, drop=["id"]).params["drop"] == ["id"]


def test_categorical_column_is_one_hot_encoded_without_its_first_level(tmp_path):
    text = "city,a,y\nParis,1,2\nRome,2,3\nParis,4,1\nOslo,1,1\nRome,0,2\n"
    path = _csv(tmp_path, text)
    with pytest.raises(ValueError, match=r"'Paris' in column 'city'.*categorical=\['city'\]"):
        load_data(path, standardize=False)
    p = load_data(path, standardize=False, categorical=["city"])
    # Oslo (first in sorted order) is the reference level: no column, as pandas' drop_first
    assert p.feature_names == ("city_Paris", "city_Rome", "a")
    expected = pd.get_dummies(pd.read_csv(path)["city"], drop_first=True, dtype=float)
    np.testing.assert_array_equal(p.X[:, :2], expected.to_numpy())
    assert p.params["categories"] == {
        "city": {"levels": ["Oslo", "Paris", "Rome"], "reference": "Oslo"}
    }
    # standardised (centred: an intercept) the indicators are not collinear; Algorithm 1 runs
    s = load_data(path, categorical=["city"], standardize=True)
    result = saddle_jumps(s.X, s.y)
    assert result.status == 0 and np.all(np.isfinite(result.betas))
    assert np.linalg.matrix_rank(s.X) == 3


def test_numeric_codes_can_be_categorical(tmp_path):
    path = _csv(tmp_path, "zone,y\n10,1\n9,2\n10,3\n")
    p = load_data(path, standardize=False, categorical=["zone"])
    assert p.feature_names == ("zone_9",)  # levels are texts: '10' < '9'
    np.testing.assert_array_equal(p.X[:, 0], [0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a,b,y\n1,2,3\n4,NA,2\n", r"missing value 'NA' in column 'b', data row 2 \(file line 3\)"),
        ("a,b,y\n1,2,3\n\n4,,2\n", r"empty cell.*column 'b', data row 2 \(file line 4\)"),
        ("a,b,y\n1,2,3\n4,5,nan\n", r"non-finite.*column 'y', data row 2.*missing value"),
        ("a,b,y\n1,2,3\n4,5,null\n", r"missing value 'null' in column 'y'"),
    ],
)
def test_missing_cells_name_column_row_and_option(tmp_path, text, match):
    path = _csv(tmp_path, text)
    with pytest.raises(ValueError, match=match) as err:
        load_data(path)
    assert "use missing='drop_rows'" in str(err.value)


def test_missing_drop_rows(tmp_path):
    text = "id,a,b,y\np1,1,2,3\np2,4,NA,2\np3,5,,1\n\np4,7,8,9\np5,N/A,1,1\np6,2,3,NaN\np7,1,0,2\n"
    path = _csv(tmp_path, text)
    p = load_data(path, standardize=False, drop=["id"], missing="drop_rows")
    np.testing.assert_array_equal(p.X, [[1, 2], [7, 8], [1, 0]])
    np.testing.assert_array_equal(p.y, [3, 9, 2])
    assert p.params["dropped_lines"] == [3, 4, 7, 8]
    # missing cells in a dropped column do not count
    path = _csv(tmp_path, "note,a,y\n,1,2\nNA,2,3\n", name="notes.csv")
    assert load_data(path, standardize=False, drop=["note"]).n_samples == 2
    # extra markers; every row missing is refused
    path = _csv(tmp_path, "a,b,y\n1,?,3\n4,-999,6\n5,6,7\n", name="markers.csv")
    p = load_data(path, standardize=False, na_values=["?", "-999"], missing="drop_rows")
    assert p.n_samples == 1 and p.params["dropped_lines"] == [2, 3]
    path = _csv(tmp_path, "a,y\n1,\nNA,2\n", name="all_missing.csv")
    with pytest.raises(ValueError, match="no data rows left"):
        load_data(path, standardize=False, missing="drop_rows")


def test_infinite_values_are_refused_even_with_drop_rows(tmp_path):
    path = _csv(tmp_path, "a,b,y\n1,2,3\n4,inf,2\n")
    with pytest.raises(ValueError, match=r"non-finite.*'b', data row 2.*drop=\['b'\]"):
        load_data(path, missing="drop_rows")


def test_quoted_fields_with_separators_and_line_breaks(tmp_path):
    text = 'name,a,y\n"Smith, J.",1,2\n"two\nlines",2,3\n"say ""hi""",3,4\n"x;y",4,x\n'
    path = _csv(tmp_path, text)
    # the bad cell is on line 6: the quoted line break in row 2 takes a line
    with pytest.raises(ValueError, match=r"'x' in column 'y', data row 4 \(file line 6\)"):
        load_data(path, standardize=False, drop=["name"])
    path = _csv(tmp_path, text.replace(",x\n", ",5\n"))
    p = load_data(path, standardize=False, drop=["name"])
    assert p.params["sep"] == "," and p.feature_names == ("a",)
    np.testing.assert_array_equal(p.y, [2, 3, 4, 5])
    path = _csv(tmp_path, '"a;1";b;y\n"2,5";1;3\n1;"0,5";4\n', name="semi.csv")
    p = load_data(path, standardize=False)
    assert p.feature_names == ("a;1", "b") and p.params["decimal"] == ","
    np.testing.assert_array_equal(p.X, [[2.5, 1.0], [1.0, 0.5]])


def test_ragged_rows_name_the_file_line(tmp_path):
    path = _csv(tmp_path, 'a,b,y\n"q\nq",1,2\n\n4,1,2,7\n')
    with pytest.raises(ValueError, match=r"ragged rows: the header has 3 fields but file line 5"):
        load_data(path)
    path = _csv(tmp_path, "a,b,y\n\n1,2,3\n4,5\n", name="short.csv")
    with pytest.raises(ValueError, match=r"file line 4 has 2 \(fields split on ','"):
        load_data(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"drop": ["nope"]}, r"drop: column 'nope' not found; available: \['a', 'b', 'y'\]"),
        ({"categorical": ["nope"]}, r"categorical: column 'nope' not found"),
        ({"index_col": 7}, r"index_col=7 is past the last column"),
        ({"index_col": -1}, r"index_col must be"),
        ({"drop": ["y"]}, r"drop names the column to predict, 'y'"),
        ({"categorical": ["y"]}, r"categorical names the column to predict"),
        ({"drop": ["a"], "categorical": ["a"]}, r"both in drop and in categorical"),
        ({"drop": ["a", "b"]}, r"no feature column"),
        ({"drop": [1]}, r"drop must be a list of non-empty strings"),
        ({"missing": "ignore"}, r"missing must be one of \['error', 'drop_rows'\]"),
        ({"sep": ";;"}, r"sep must be one character"),
        ({"decimal": ";"}, r"decimal must be '\.' or ','"),
        ({"sep": ",", "decimal": ","}, r"decimal=',' needs another separator"),
        ({"encoding": "klingon"}, r"encoding 'klingon' is not a known"),
    ],
)
def test_bad_options_are_refused(tmp_path, kwargs, match):
    path = _csv(tmp_path, "a,b,y\n1,2,3\n4,5,7\n")
    with pytest.raises(ValueError, match=match):
        load_data(path, **kwargs)


def test_npz_drop_and_missing(tmp_path):
    path = tmp_path / "m.npz"
    X = _X.copy()
    X[1, 2] = np.nan
    np.savez(path, X=X, y=_Y, feature_names=np.array(["a", "b", "c"]), beta_star=[1.0, 2, 3])
    with pytest.raises(ValueError, match=r"column 'c'.*missing='drop_rows'"):
        load_data(path, standardize=False)
    p = load_data(path, standardize=False, missing="drop_rows")
    assert p.n_samples == 3 and p.params["dropped_rows"] == [2]
    p = load_data(path, standardize=False, drop=["c"])
    assert p.feature_names == ("a", "b") and p.n_samples == 4
    np.testing.assert_array_equal(p.beta_star, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"drop: feature\(s\) \['z'\] not found"):
        load_data(path, standardize=False, drop=["z"])
    with pytest.raises(ValueError, match="sep applies to CSV files only"):
        load_data(path, standardize=False, sep=";")
