"""Problems and data loading (dln.problems): generators, the paper's presets, CSV/NPZ input."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dln.problems import PRESETS, Problem, load_data, make_preset, make_problem

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# Relative threshold below which a saddle coordinate counts as zero (the last saddle of
# noiseless sparse data is degenerate and may carry rounding-level entries, docs/theory.md).
ZERO_RTOL = 1e-9


# --------------------------------------------------------------------------------------------
# make_problem
# --------------------------------------------------------------------------------------------


def test_shapes_names_and_params():
    p = make_problem(n_samples=9, n_features=4, support_size=2, seed=3, name="toy")
    assert isinstance(p, Problem)
    assert p.name == "toy"
    assert p.X.shape == (9, 4) and p.y.shape == (9,) and p.beta_star.shape == (4,)
    assert p.X.dtype == np.float64 and p.y.dtype == np.float64
    assert (p.n_samples, p.n_features) == (9, 4)
    assert p.feature_names == ("x1", "x2", "x3", "x4")
    assert p.target_name == "y"
    json.dumps(p.params)  # serialisable
    assert p.params["seed"] == 3 and p.params["support_size"] == 2
    assert p.params["support"] == np.flatnonzero(p.beta_star).tolist()
    np.testing.assert_array_equal(p.y, p.X @ p.beta_star)  # noiseless


def test_arrays_are_read_only():
    p = make_problem(n_samples=3, n_features=2, seed=0)
    for arr in (p.X, p.y, p.beta_star):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 1.0


def test_params_reproduce_the_problem():
    kwargs = dict(
        n_samples=7,
        n_features=5,
        covariance=np.diag([1.0, 2.0, 3.0, 4.0, 5.0]) + 0.1,
        support_size=3,
        amplitude=(0.5, 2.0),
        random_signs=False,
        noise_std=0.3,
        seed=11,
    )
    p = make_problem(**kwargs)
    params = json.loads(json.dumps(p.params))
    q = make_problem(**{k: v for k, v in params.items() if k not in ("generator", "support")})
    for a, b in ((p.X, q.X), (p.y, q.y), (p.beta_star, q.beta_star)):
        np.testing.assert_array_equal(a, b)
    given = make_problem(n_samples=4, n_features=3, beta_star=[1.0, 0.0, 2.0], seed=1)
    params = given.params
    again = make_problem(**{k: v for k, v in params.items() if k not in ("generator", "support")})
    np.testing.assert_array_equal(again.y, given.y)


def test_determinism():
    kw = dict(n_samples=6, n_features=8, support_size=3, noise_std=0.1)
    a, b, c = (make_problem(**kw, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    np.testing.assert_array_equal(a.beta_star, b.beta_star)
    assert not np.array_equal(a.X, c.X)
    assert not np.array_equal(a.y, c.y)
    assert not np.array_equal(a.beta_star, c.beta_star)


def test_design_stream_independent_of_beta_and_noise():
    a = make_problem(n_samples=5, n_features=6, support_size=1, seed=2)
    b = make_problem(n_samples=5, n_features=6, support_size=4, noise_std=1.0, seed=2)
    np.testing.assert_array_equal(a.X, b.X)


def test_no_hidden_global_state():
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(0)  # noqa: NPY002
        a = make_problem(n_samples=4, n_features=3, seed=9)
        np.random.seed(1)  # noqa: NPY002
        b = make_problem(n_samples=4, n_features=3, seed=9)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_array_equal(a.X, b.X)


def test_diagonal_covariance_is_used():
    h = np.array([0.5, 1.0, 4.0, 9.0])
    n = 20_000
    p = make_problem(n_samples=n, n_features=4, covariance=h, seed=0)
    emp = p.X.T @ p.X / n
    # Sample covariance entries have standard error ~ sqrt(2/n) * scale: 5 of them.
    scale = np.sqrt(np.outer(h, h))
    assert np.all(np.abs(emp - np.diag(h)) <= 5 * np.sqrt(2 / n) * scale)


def test_full_covariance_is_used():
    H = np.array([[2.0, 0.8, -0.3], [0.8, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    n = 20_000
    p = make_problem(n_samples=n, n_features=3, covariance=H, seed=1)
    emp = p.X.T @ p.X / n
    # Sample covariance entries have standard error <= sqrt(2/n) * sqrt(H_ii H_jj): allow 5.
    scale = np.sqrt(np.outer(np.diag(H), np.diag(H)))
    assert np.all(np.abs(emp - H) <= 5 * np.sqrt(2 / n) * scale)
    # and the off-diagonal structure is really there (a diagonal draw would fail this)
    assert np.all(np.abs(emp - np.diag(np.diag(H)))[~np.eye(3, dtype=bool)] > 0.1)


def test_diagonal_vector_and_matrix_agree():
    h = np.array([1.0, 10.0, 10.0])
    a = make_problem(n_samples=5, n_features=3, covariance=h, seed=4)
    b = make_problem(n_samples=5, n_features=3, covariance=np.diag(h), seed=4)
    np.testing.assert_allclose(a.X, b.X, rtol=1e-14, atol=0)


@pytest.mark.parametrize("k", [0, 1, 3, 6])
def test_support_size(k):
    p = make_problem(n_samples=10, n_features=6, support_size=k, amplitude=(2.0, 3.0), seed=k)
    nz = p.beta_star[p.beta_star != 0]
    assert nz.size == k
    assert np.all((np.abs(nz) >= 2.0) & (np.abs(nz) <= 3.0))


def test_default_support_size_and_signs():
    p = make_problem(n_samples=8, n_features=20, seed=0)
    assert np.count_nonzero(p.beta_star) == 4  # min(d, max(1, n // 2))
    q = make_problem(n_samples=100, n_features=100, support_size=100, amplitude=1.5, seed=0)
    np.testing.assert_array_equal(np.abs(q.beta_star), 1.5)
    assert np.any(q.beta_star > 0) and np.any(q.beta_star < 0)
    r = make_problem(
        n_samples=10, n_features=50, support_size=50, random_signs=False, amplitude=1.0, seed=0
    )
    np.testing.assert_array_equal(r.beta_star, 1.0)


def test_given_beta_star():
    beta = np.array([0.0, -2.0, 0.0, 3.0])
    p = make_problem(n_samples=5, n_features=4, beta_star=beta, seed=0)
    np.testing.assert_array_equal(p.beta_star, beta)
    assert p.params["beta_star"] == beta.tolist()
    assert p.params["support"] == [1, 3]


def test_noise_level():
    n = 20_000
    p = make_problem(n_samples=n, n_features=3, support_size=2, noise_std=0.7, seed=0)
    resid = p.y - p.X @ p.beta_star
    assert abs(resid.std() - 0.7) < 5 * 0.7 / np.sqrt(2 * n)
    assert abs(resid.mean()) < 5 * 0.7 / np.sqrt(n)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_samples=0), "n_samples"),
        (dict(n_samples=-2), "n_samples"),
        (dict(n_samples=2.5), "n_samples"),
        (dict(n_samples=True), "n_samples"),
        (dict(n_features=0), "n_features"),
        (dict(n_features="3"), "n_features"),
        (dict(support_size=-1), "support_size"),
        (dict(support_size=4), "support_size"),
        (dict(support_size=1.0), "support_size"),
        (dict(noise_std=-0.1), "noise_std"),
        (dict(noise_std=float("nan")), "noise_std"),
        (dict(seed=None), "seed"),
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
        (dict(seed="0"), "seed"),
        (dict(seed=True), "seed"),
        (dict(covariance=[1.0, 2.0]), "covariance.*shape"),
        (dict(covariance=np.ones((3, 2))), "covariance.*shape"),
        (dict(covariance=[1.0, 0.0, 2.0]), "covariance.*> 0"),
        (dict(covariance=[1.0, np.nan, 2.0]), "covariance.*non-finite"),
        (dict(covariance=[[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]), "covariance.*symmetric"),
        (dict(covariance=[[1, 2, 0], [2, 1, 0], [0, 0, 1]]), "covariance.*positive definite"),
        (dict(covariance=np.zeros((3, 3))), "covariance.*positive definite"),
        (dict(beta_star=[1.0, 2.0]), "beta_star.*shape"),
        (dict(beta_star=[1.0, np.inf, 2.0]), "beta_star.*non-finite"),
        (dict(beta_star=[1.0, 0.0, 2.0], support_size=2), "support_size"),
        (dict(amplitude=0.0), "amplitude"),
        (dict(amplitude=(3.0, 2.0)), "amplitude"),
        (dict(amplitude=(1.0, 2.0, 3.0)), "amplitude"),
        (dict(amplitude="big"), "amplitude"),
        (dict(random_signs=1), "random_signs"),
        (dict(name=""), "name"),
    ],
)
def test_make_problem_rejects(kwargs, match):
    base = dict(n_samples=4, n_features=3, seed=0)
    with pytest.raises(ValueError, match=match):
        make_problem(**{**base, **kwargs})


def test_seed_is_required():
    with pytest.raises(TypeError, match="seed"):
        make_problem(n_samples=3, n_features=2)


def test_problem_checks_shapes():
    with pytest.raises(ValueError, match="feature_names"):
        Problem("p", np.ones((2, 3)), np.ones(2), None, ("a", "b"), "y")
    with pytest.raises(ValueError, match="y"):
        Problem("p", np.ones((2, 3)), np.ones(3), None, ("a", "b", "c"), "y")
    with pytest.raises(ValueError, match="beta_star"):
        Problem("p", np.ones((2, 3)), np.ones(2), np.ones(2), ("a", "b", "c"), "y")


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------

_PRESET_EXPECTED = {
    "fig1_left": ((5, 7), [10, 20, 0, 0, 0, 0, 0], [-120], [0.0, 0.8]),
    "fig1_right": ((6, 6), [1, 0, 0, 0, 0, 0], [-10], [0.0, 15.0]),
    "fig2_left": ((7, 2), [10, 20], [-100, -10], [0.0, 0.15]),
    "fig2_right": ((3, 3), [1, 9, 10], [-100], [1e-2, 1e2]),
}


def test_presets_listed():
    assert PRESETS == ("fig1_left", "fig1_right", "fig2_left", "fig2_right")
    with pytest.raises(ValueError, match="name"):
        make_preset("fig3")


@pytest.mark.parametrize("name", PRESETS)
def test_preset_shapes_and_values(name):
    shape, beta, log10_alphas, time_range = _PRESET_EXPECTED[name]
    p = make_preset(name)
    assert p.name == name
    assert p.X.shape == shape and p.y.shape == (shape[0],)
    np.testing.assert_array_equal(p.beta_star, beta)
    np.testing.assert_allclose(p.y, p.X @ p.beta_star, rtol=1e-14, atol=1e-13)
    params = json.loads(json.dumps(p.params))
    assert params["preset"] == name
    assert params["log10_alphas"] == log10_alphas
    assert params["time_range"] == time_range
    assert params["seed"] == params["default_seed"]
    assert params["noise_std"] == 0.0


@pytest.mark.parametrize("name", ["fig1_left", "fig1_right", "fig2_left"])
def test_random_preset_seeds(name):
    a, b = make_preset(name), make_preset(name)
    np.testing.assert_array_equal(a.X, b.X)
    assert isinstance(a.params["seed"], int)
    other = make_preset(name, seed=a.params["seed"] + 1)
    assert other.params["seed"] == a.params["seed"] + 1
    assert not np.array_equal(a.X, other.X)
    np.testing.assert_array_equal(other.beta_star, a.beta_star)
    with pytest.raises(ValueError, match="seed"):
        make_preset(name, seed=-3)


def test_fig1_right_covariance():
    assert make_preset("fig1_right").params["covariance"] == [1.0] + [10.0] * 5


def test_fig2_right_is_the_symmetric_square_root():
    gram = np.array([[20, 6, -1.4], [6, 2, -0.4], [-1.4, -0.4, 0.12]])
    p = make_preset("fig2_right")
    np.testing.assert_array_equal(p.X, p.X.T)
    np.testing.assert_allclose(p.X.T @ p.X, gram, rtol=0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(p.X) > 0)  # the principal (SPD) root
    assert p.params["seed"] is None
    with pytest.raises(ValueError, match="seed"):
        make_preset("fig2_right", seed=0)


# The saddle-structure properties each preset was chosen for (need Algorithm 1).


def _support(beta):
    return np.abs(beta) > ZERO_RTOL * np.max(np.abs(beta))


def _saddles(name):
    saddles = pytest.importorskip("dln.saddles")
    p = make_preset(name)
    res = saddles.saddle_jumps(p.X, p.y)
    np.testing.assert_allclose(res.betas[-1], p.beta_star, rtol=0, atol=1e-9)
    lo, hi = p.params["time_range"]
    assert lo < res.times[1] and res.times[-1] < hi  # every jump inside the plotted range
    return p, res


def test_fig1_left_four_jumps_non_monotone():
    p, res = _saddles("fig1_left")
    assert res.n_saddles == 4
    steps = np.diff(res.betas, axis=0)
    non_monotone = np.any(steps > 1e-9, axis=0) & np.any(steps < -1e-9, axis=0)
    assert np.count_nonzero(non_monotone) >= 1
    before, last = _support(res.betas[-2]), _support(res.betas[-1])
    assert np.count_nonzero(before & ~last) == 2  # x4 and x5 leave at the last jump


def test_fig1_right_last_jump_deactivates_several():
    p, res = _saddles("fig1_right")
    assert res.n_saddles == 4
    before, last = _support(res.betas[-2]), _support(res.betas[-1])
    assert np.flatnonzero(before & ~last).tolist() == [1, 3, 4]  # x2, x4, x5 leave at once
    assert last.tolist() == [True, False, False, False, False, False]


@pytest.mark.parametrize("name", ["fig1_left", "fig1_right"])
def test_saddle_bookkeeping_matches_thresholded_support(name):
    # The last saddle of noiseless sparse data is degenerate: `deactivated` must not miss the
    # coordinates that drop out of it (rounding-level entries are zeros).
    p, res = _saddles(name)
    before, last = _support(res.betas[-2]), _support(res.betas[-1])
    assert res.deactivated[-1].tolist() == np.flatnonzero(before & ~last).tolist()


def test_fig2_left_first_coordinate_first():
    p, res = _saddles("fig2_left")
    assert res.n_saddles == 2
    assert res.activated[1].tolist() == [0]
    assert 15 < res.betas[1, 0] < 20  # "coordinate 1 jumps to ~18"


def test_fig2_right_two_coordinates_activate_together():
    p, res = _saddles("fig2_right")
    assert res.activated[-1].size == 2


# --------------------------------------------------------------------------------------------
# load_data
# --------------------------------------------------------------------------------------------


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_fixture():
    p = load_data(DATA_DIR / "small_regression.csv", standardize=False, target="yield")
    assert p.name == "small_regression"
    assert p.feature_names == ("temperature", "pressure", "humidity")
    assert p.target_name == "yield" and p.beta_star is None
    assert p.X.shape == (8, 3)
    np.testing.assert_allclose(p.y, p.X @ [2.0, 0.0, -1.5], atol=1e-12)
    assert p.params["format"] == "csv" and p.params["file_name"] == "small_regression.csv"
    assert len(p.params["sha256"]) == 64
    json.dumps(p.params)


def test_csv_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    df = pd.DataFrame(X, columns=["alpha one", "b", "c"])
    df.insert(1, "target", y)  # target in the middle: the other columns stay in order
    path = tmp_path / "round.csv"
    df.to_csv(path, index=False)
    p = load_data(path, standardize=False, target="target", name="rt")
    assert p.name == "rt"
    assert p.feature_names == ("alpha one", "b", "c")
    np.testing.assert_array_equal(p.X, X)
    np.testing.assert_array_equal(p.y, y)


def test_csv_default_target_y_and_whitespace(tmp_path):
    path = _write(tmp_path, " a , y ,b\n1, 2 ,3\n4,5,6\n\n")
    p = load_data(path, standardize=False)
    assert p.feature_names == ("a", "b") and p.target_name == "y"
    np.testing.assert_array_equal(p.X, [[1, 3], [4, 6]])
    np.testing.assert_array_equal(p.y, [2, 5])


def test_npz_round_trip(tmp_path):
    src = make_problem(n_samples=5, n_features=4, support_size=2, seed=1)
    path = tmp_path / "prob.npz"
    np.savez(
        path,
        X=src.X,
        y=src.y,
        feature_names=np.array(["u", "v", "w", "z"]),
        target_name=np.array("response"),
        beta_star=src.beta_star,
    )
    p = load_data(path, standardize=False)
    np.testing.assert_array_equal(p.X, src.X)
    np.testing.assert_array_equal(p.y, src.y)
    np.testing.assert_array_equal(p.beta_star, src.beta_star)
    assert p.feature_names == ("u", "v", "w", "z")
    assert p.target_name == "response" and p.name == "prob"
    assert p.params["format"] == "npz"
    # minimal file: default names
    np.savez(tmp_path / "min.npz", X=np.arange(6).reshape(3, 2), y=np.ones(3))
    q = load_data(tmp_path / "min.npz", standardize=False, target="t")
    assert q.feature_names == ("x1", "x2") and q.target_name == "t"
    assert q.X.dtype == np.float64


def test_standardize(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((10, 3)) * [1.0, 5.0, 0.1] + [2.0, -1.0, 7.0]
    beta = np.array([1.0, -2.0, 3.0])
    y = X @ beta + 4.0
    path = tmp_path / "s.npz"
    np.savez(path, X=X, y=y, beta_star=beta)
    p = load_data(path, standardize=True)
    np.testing.assert_allclose(p.X.mean(axis=0), 0, atol=1e-14)
    np.testing.assert_allclose(p.X.std(axis=0), 1, rtol=1e-14)
    assert abs(p.y.mean()) < 1e-13
    np.testing.assert_allclose(p.params["x_mean"], X.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(p.params["x_scale"], X.std(axis=0, ddof=0), rtol=1e-15)
    assert p.params["y_mean"] == pytest.approx(y.mean(), rel=1e-15)
    np.testing.assert_allclose(p.X * p.params["x_scale"] + p.params["x_mean"], X, atol=1e-13)
    # beta_star is expressed in the standardised features
    np.testing.assert_allclose(p.X @ p.beta_star, p.y, atol=1e-12)
    assert p.params["standardize"] is True
    assert load_data(path).params["x_mean"] == p.params["x_mean"]  # standardised by default
    assert "x_mean" not in load_data(path, standardize=False).params


def test_standardize_csv(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,10,1\n2,20,2\n3,60,6\n")
    p = load_data(path, standardize=True)
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p.X[:, 0], (a - 2) / np.sqrt(2 / 3))
    np.testing.assert_allclose(p.y, [-2, -1, 3])


def test_constant_column(tmp_path):
    path = _write(tmp_path, "a,c,y\n1,5,1\n2,5,2\n3,5,3\n")
    p = load_data(path, standardize=False)  # raw: the column as it is (it acts as an intercept)
    np.testing.assert_array_equal(p.X[:, 1], 5)
    s = load_data(path)  # standardised: zero after centring, scale 1, listed
    np.testing.assert_array_equal(s.X[:, 1], 0.0)
    assert s.params["constant_features"] == ["c"] and s.params["x_scale"][1] == 1.0
    np.testing.assert_allclose(s.X[:, 0].std(), 1.0)


def test_duplicate_feature_columns_are_allowed_and_recorded(tmp_path):
    path = _write(tmp_path, "a,b,c,y\n1,1,0,1\n2,2,1,2\n3,3,5,3\n")
    p = load_data(path)
    np.testing.assert_array_equal(p.X[:, 0], p.X[:, 1])
    assert p.params["duplicate_features"] == [["a", "b"]]
    s = load_data(path, standardize=True)
    np.testing.assert_array_equal(s.X[:, 0], s.X[:, 1])


def test_duplicate_feature_columns_run_through_algorithm_1(tmp_path):
    saddles = pytest.importorskip("dln.saddles")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 4))
    X[:, 2] = X[:, 0]
    np.savez(tmp_path / "dup.npz", X=X, y=X @ [2.0, 0.0, 0.0, 1.0])
    p = load_data(tmp_path / "dup.npz", standardize=False)
    assert p.params["duplicate_features"] == [["x1", "x3"]]
    res = saddles.saddle_jumps(p.X, p.y)
    beta = res.betas[-1]
    np.testing.assert_allclose(p.X @ beta, p.y, atol=1e-10)
    assert beta[0] + beta[2] == pytest.approx(2.0)  # the weight is split between the copies
    assert np.sum(np.abs(beta)) == pytest.approx(3.0)  # still minimum l1


@pytest.mark.parametrize(
    "text, kwargs, match",
    [
        ("a,b\n1,2\n", dict(target="t"), r"target.*'t'.*not found.*\['a', 'b'\]"),
        ("a,b\n1,2\n", {}, r"no column named 'y'.*\['a', 'b'\]"),
        ("a,b,y\n1,2,3\n4,x,6\n", {}, r"non-numeric value 'x' in column 'b', data row 2"),
        ("a,b,y\n1,2,3\n4,1_000,6\n", {}, r"non-numeric.*'1_000'.*column 'b'"),
        ("a,b,y\n1,2,3\n4,,6\n", {}, r"empty cell.*column 'b', data row 2"),
        ("a,b,y\n1,nan,3\n4,5,6\n", {}, r"non-finite.*column 'b'"),
        ("a,b,y\n1,2,3\n4,5,-inf\n", {}, r"non-finite.*column 'y'"),
        ("a,b,y\n1,2,3\n4,5\n", {}, r"ragged.*line 3"),
        ("a,b,y\n1,2,3\n4,5,6,7\n", {}, r"ragged.*line 3"),
        ("a,b,a,y\n1,2,3,4\n", {}, r"duplicate column names \['a'\]"),
        (",a,y\n0,1,2\n", {}, r"empty column name"),
        ("a,b,y\n", {}, r"no data rows"),
        ("y\n1\n2\n", {}, r"no feature column"),
        ("", {}, r"empty"),
        ("a,y\n1,2\n", dict(target=""), r"target"),
        ("a,y\n1,2\n", dict(standardize="yes"), r"standardize"),
        ("a,y\n1,2\n", dict(name=""), r"name"),
    ],
)
def test_load_csv_rejects(tmp_path, text, kwargs, match):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=match):
        load_data(path, **kwargs)


def test_load_rejects_path_and_extension(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_data(tmp_path / "missing.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(ValueError, match="does not exist or is not a file"):
        load_data(tmp_path / "dir.csv")
    path = _write(tmp_path, "a,y\n1,2\n", name="data.txt")
    with pytest.raises(ValueError, match=r"extension '\.txt'.*\.csv, \.npz"):
        load_data(path)


def test_csv_bom_crlf_and_encoding(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfa,y\r\n1,2\r\n3,4\r\n")
    p = load_data(path, standardize=False)
    assert p.feature_names == ("a",)
    np.testing.assert_array_equal(p.y, [2, 4])
    path.write_bytes(b"a,y\n1,\xff\n")
    with pytest.raises(ValueError, match="UTF-8"):
        load_data(path, standardize=False)
    with pytest.raises(ValueError, match="path"):
        load_data(None, standardize=False)


def test_load_data_extension_is_case_insensitive(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n", name="DATA.CSV")
    assert load_data(path).X.shape == (1, 1)


@pytest.mark.parametrize(
    "arrays, match",
    [
        (dict(X=np.ones((3, 2))), r"missing array.*'y'"),
        (dict(X=np.ones((3, 2)), y=np.ones(4)), r"shape mismatch"),
        (dict(X=np.ones(3), y=np.ones(3)), r"X must be 2-dimensional"),
        (dict(X=np.ones((3, 2)), y=np.ones((3, 1))), r"y must be 1-dimensional"),
        (dict(X=np.array([["a", "b"]]), y=np.ones(1)), r"X must be numeric"),
        (dict(X=np.ones((0, 2)), y=np.ones(0)), r"no rows"),
        (dict(X=np.ones((2, 0)), y=np.ones(2)), r"no feature"),
        (dict(X=[[1.0, np.nan], [2.0, 3.0]], y=np.ones(2)), r"non-finite.*column 'x2'"),
        (dict(X=np.ones((2, 2)), y=[1.0, np.inf]), r"non-finite.*target"),
        (dict(X=np.ones((2, 2)), y=np.ones(2), extra=np.ones(2)), r"unexpected.*'extra'"),
        (dict(X=np.ones((2, 2)), y=np.ones(2), feature_names=np.array(["a"])), "feature_names"),
        (
            dict(X=np.ones((2, 2)), y=np.ones(2), feature_names=np.array(["a", "a"])),
            r"duplicate column names.*'a'",
        ),
        (dict(X=np.ones((2, 2)), y=np.ones(2), beta_star=np.ones(3)), "beta_star"),
    ],
)
def test_load_npz_rejects(tmp_path, arrays, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=match):
        load_data(path)


def test_load_npz_rejects_pickles_and_garbage(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([[1, "a"]], dtype=object), y=np.ones(1))
    with pytest.raises(ValueError, match="pickle"):
        load_data(path)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="NPZ"):
        load_data(garbage)
