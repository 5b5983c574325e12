"""The scikit-learn estimators (dln.estimator): API contract, path invariants, CV, errors."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import dln
from dln import SaddleRegressor, SaddleRegressorCV, min_l1_solution, saddle_jumps
from tests.helpers import random_problem


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True, as_frame=True)


def _standardised(X, y):
    """Centred, unit-variance X and centred y, computed independently of the estimator."""
    scaler = StandardScaler().fit(X)
    return scaler.transform(X), y - y.mean(), scaler


@parametrize_with_checks(
    [SaddleRegressor(), SaddleRegressor(saddle=50), SaddleRegressorCV(cv=3)],
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_lazy_public_names():
    assert dln.SaddleRegressor is SaddleRegressor
    assert dln.SaddleRegressorCV is SaddleRegressorCV


@pytest.mark.parametrize(("n", "d", "seed"), [(442, 10, None), (30, 60, 1), (40, 8, 2)])
def test_end_of_path_is_the_min_l1_solution_in_original_units(diabetes, n, d, seed):
    if seed is None:
        X, y = (a.to_numpy() for a in diabetes)
    else:
        X, y, _ = random_problem(n, d, seed=seed, noise=0.5)
        X = 3.0 * X + np.linspace(-5, 5, d)  # columns in other units and offsets
    model = SaddleRegressor().fit(X, y)
    Xs, ys, scaler = _standardised(X, y)
    beta = min_l1_solution(Xs, ys).beta / scaler.scale_
    scale = np.abs(beta).max()
    np.testing.assert_allclose(model.coef_, beta, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(model.path_[-1], model.coef_, rtol=0, atol=0)
    assert model.intercept_ == pytest.approx(y.mean() - scaler.mean_ @ model.coef_, rel=1e-12)
    assert model.saddle_ == model.n_saddles_
    # the jump times are those of Algorithm 1 on the standardised problem
    res = saddle_jumps(Xs, ys)
    np.testing.assert_allclose(model.jump_times_, res.times, rtol=1e-10)
    np.testing.assert_allclose(model.path_ * scaler.scale_, res.betas, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.losses_, res.losses, rtol=1e-10)


def test_path_is_in_original_units_and_times_do_not_depend_on_them(diabetes):
    X, y = (a.to_numpy() for a in diabetes)
    units = np.array([1.0, 1e3, 1e-2, 7.0, 1.0, 1.0, 1.0, 1.0, 5e4, 1.0])
    a = SaddleRegressor().fit(X, y)
    b = SaddleRegressor().fit(X * units + 100.0, y)
    np.testing.assert_allclose(b.jump_times_, a.jump_times_, rtol=1e-9)
    np.testing.assert_allclose(b.path_ * units, a.path_, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(b.activation_order_, a.activation_order_)
    np.testing.assert_allclose(b.predict(X * units + 100.0), a.predict(X), rtol=1e-9)


def test_predict_is_the_linear_model(diabetes):
    X, y = diabetes
    model = SaddleRegressor(saddle=4).fit(X, y)
    Xa = X.to_numpy()
    np.testing.assert_allclose(model.predict(X), Xa @ model.coef_ + model.intercept_, rtol=1e-12)
    path_pred = model.predict_path(X)
    assert path_pred.shape == (len(y), model.n_saddles_ + 1)
    np.testing.assert_allclose(path_pred[:, 4], model.predict(X), rtol=1e-12)
    np.testing.assert_allclose(path_pred[:, 0], y.mean())  # beta_0 = 0: the mean
    # training loss of every saddle, in the units of y
    np.testing.assert_allclose(
        ((path_pred - y.to_numpy()[:, None]) ** 2).mean(axis=0) / 2, model.losses_, rtol=1e-9
    )


def test_saddle_and_time_agree_with_the_path():
    X, y, _ = random_problem(25, 40, seed=3, noise=0.1, support=4)
    full = SaddleRegressor().fit(X, y)
    t, p = full.jump_times_, full.n_saddles_
    assert p >= 5
    for k in range(p + 1):
        by_saddle = SaddleRegressor(saddle=k).fit(X, y)
        np.testing.assert_array_equal(by_saddle.coef_, full.path_[k])
        assert by_saddle.intercept_ == full.intercepts_[k]
        # beta(t) = beta_k on [t_k, t_{k+1}): the left end, the middle and just before the end
        end = t[k + 1] if k < p else 2 * t[k] + 1
        for time in (t[k], 0.5 * (t[k] + end), end * (1 - 1e-9)):
            by_time = SaddleRegressor(time=time).fit(X, y)
            assert by_time.saddle_ == k
            np.testing.assert_array_equal(by_time.coef_, full.path_[k])
    assert SaddleRegressor(time=np.inf).fit(X, y).saddle_ == p
    assert SaddleRegressor(saddle=p + 10).fit(X, y).saddle_ == p  # fewer jumps: the end
    null = SaddleRegressor(saddle=0).fit(X, y)
    assert np.all(null.coef_ == 0) and null.intercept_ == pytest.approx(y.mean())


def test_activation_order_and_times():
    X, y, _ = random_problem(30, 12, seed=4, noise=0.3)
    model = SaddleRegressor().fit(X, y)
    res = model.saddle_result_
    order = model.activation_order_
    assert len(set(order.tolist())) == len(order)
    # the first entrant is the largest |correlation| with the centred target
    Xs, ys, _ = _standardised(X, y)
    assert order[0] == np.argmax(np.abs(Xs.T @ ys))
    assert np.all(np.diff(model.activation_times_[order]) >= 0)
    assert np.all(np.isinf(np.delete(model.activation_times_, order)))
    entered = set().union(*(set(a.tolist()) for a in res.activated))
    assert entered == set(order.tolist())


def test_no_intercept_no_standardisation_is_plain_algorithm_1():
    X, y, _ = random_problem(20, 30, seed=5, noise=0.2)
    model = SaddleRegressor(fit_intercept=False, standardize=False).fit(X, y)
    res = saddle_jumps(X, y)
    np.testing.assert_array_equal(model.path_, res.betas)
    np.testing.assert_array_equal(model.jump_times_, res.times)
    assert model.intercept_ == 0.0 and np.all(model.intercepts_ == 0.0)


def test_constant_column_never_enters():
    X, y, _ = random_problem(30, 5, seed=6, noise=0.3)
    X = np.column_stack([X, np.full(30, 0.1)])  # 0.1 is not exact in binary
    model = SaddleRegressor().fit(X, y)
    assert 5 not in model.activation_order_
    assert np.all(model.path_[:, 5] == 0) and model.x_scale_[5] == 1.0


def test_dataframe_feature_names(diabetes):
    X, y = diabetes
    model = SaddleRegressor().fit(X, y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    assert model.n_features_in_ == 10
    names = model.feature_names_in_[model.activation_order_]
    assert names[0] == "bmi"  # the feature most correlated with the target enters first
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[X.columns[::-1]])
    assert not hasattr(SaddleRegressor().fit(X.to_numpy(), y), "feature_names_in_")


def test_cv_picks_a_better_than_null_model_on_diabetes(diabetes):
    X, y = diabetes
    cv = KFold(5, shuffle=True, random_state=0)
    model = SaddleRegressorCV(cv=cv).fit(X, y)
    assert model.cv_times_[0] == 0.0 and np.all(np.diff(model.cv_times_) > 0)
    assert model.mse_path_.shape == (len(model.cv_times_), 5)
    np.testing.assert_allclose(model.cv_scores_, model.mse_path_.mean(axis=1))
    # the null model (t = 0) predicts the training mean: its held-out MSE is about var(y)
    assert model.cv_scores_[0] == pytest.approx(y.var(), rel=0.05)
    assert model.cv_scores_.min() < 0.6 * model.cv_scores_[0]
    assert 0 < model.time_ and 0 < model.saddle_
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    # the refit is the full-data path read at time_
    at_time = SaddleRegressor(time=model.time_).fit(X, y)
    np.testing.assert_array_equal(model.coef_, at_time.coef_)
    assert model.saddle_ == at_time.saddle_
    # and it generalises: nested CV beats predicting the mean
    outer = KFold(4, shuffle=True, random_state=1)
    mse = -cross_val_score(model, X, y, cv=outer, scoring="neg_mean_squared_error")
    null = -cross_val_score(DummyRegressor(), X, y, cv=outer, scoring="neg_mean_squared_error")
    assert mse.mean() < 0.6 * null.mean()


def test_cv_scores_are_the_folds_held_out_errors():
    X, y, _ = random_problem(40, 15, seed=7, noise=2.0, support=3)
    folds = list(KFold(4).split(X))
    model = SaddleRegressorCV(cv=4).fit(X, y)
    for f, (train, test) in enumerate(folds):
        for i in (0, len(model.cv_times_) // 2, len(model.cv_times_) - 1):
            fold = SaddleRegressor(time=model.cv_times_[i]).fit(X[train], y[train])
            mse = np.mean((fold.predict(X[test]) - y[test]) ** 2)
            assert model.mse_path_[i, f] == pytest.approx(mse, rel=1e-9)
    best = np.argmin(model.cv_scores_)
    assert model.cv_scores_[best] == model.cv_scores_.min()


def test_cv_grid_is_capped():
    X, y, _ = random_problem(30, 60, seed=8, noise=0.5)
    model = SaddleRegressorCV(cv=3, max_n_times=5).fit(X, y)
    assert len(model.cv_times_) <= 5 and model.cv_times_[0] == 0.0


def test_cv_in_a_pipeline_with_parallel_folds(diabetes):
    X, y = diabetes
    a = make_pipeline(StandardScaler(), SaddleRegressorCV(cv=3, n_jobs=2)).fit(X, y)
    b = SaddleRegressorCV(cv=3).fit(X, y)
    np.testing.assert_allclose(a[-1].cv_scores_, b.cv_scores_, rtol=1e-8)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-8)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"saddle": -1}, ValueError, "saddle must be None or an integer >= 0"),
        ({"saddle": 1.5}, TypeError, "saddle must be None or an integer"),
        ({"saddle": True}, TypeError, "saddle must be"),
        ({"time": -0.1}, ValueError, "time must be None or a real number >= 0"),
        ({"time": np.nan}, ValueError, "time must be"),
        ({"time": "end"}, TypeError, "time must be"),
        ({"saddle": 2, "time": 1.0}, ValueError, "at most one of saddle= and time="),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept must be a bool"),
        ({"standardize": 1}, TypeError, "standardize must be a bool"),
        ({"max_saddles": 0}, ValueError, "max_saddles must be None or an integer >= 1"),
    ],
)
def test_bad_arguments_are_refused_by_name(params, error, match):
    X, y, _ = random_problem(10, 4, seed=9)
    model = SaddleRegressor(**params)  # construction never validates (scikit-learn rule)
    with pytest.raises(error, match=match):
        model.fit(X, y)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"cv": 1}, ValueError, "n_splits"),
        ({"cv": "five"}, ValueError, "cv"),
        ({"max_n_times": 1}, ValueError, "max_n_times must be .*>= 2"),
        ({"max_n_times": None}, TypeError, "max_n_times must be an integer"),
        ({"standardize": None}, TypeError, "standardize must be a bool"),
    ],
)
def test_cv_bad_arguments_are_refused_by_name(params, error, match):
    X, y, _ = random_problem(12, 4, seed=10)
    with pytest.raises(error, match=match):
        SaddleRegressorCV(**params).fit(X, y)


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        SaddleRegressor().fit([[1.0, np.nan], [2.0, 3.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SaddleRegressor().fit(np.ones((3, 2)), np.ones(4))
    model = SaddleRegressor().fit(np.eye(3), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="3 features"):
        model.predict(np.ones((2, 4)))
