"""dln.units: coefficients of a standardised problem back in the columns' original units."""

from __future__ import annotations

import numpy as np
import pytest

from dln import SaddleRegressor, load_data
from dln.saddles import saddle_jumps
from dln.units import (
    UNITS,
    coefficient_scale,
    data_source,
    source_columns,
    source_sentence,
    to_units,
    units_label,
)


@pytest.fixture
def raw_file(tmp_path):
    """Columns on very different scales, so a units mix-up changes the numbers a lot."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((30, 5)) * [1.0, 100.0, 0.01, 5.0, 1e3] + [3.0, -50.0, 0.2, 0, 1e4]
    y = X @ [0.5, 0.02, 80.0, 0.0, -0.001] + 7.0 + 0.1 * rng.standard_normal(30)
    path = tmp_path / "scales.npz"
    np.savez(path, X=X, y=y, target_name="price")
    return path, X, y


def test_original_units_match_the_estimator_on_the_raw_columns(raw_file):
    """load_data (standardised by default) + Algorithm 1 + to_units = SaddleRegressor's path:
    one standardisation default, one way back to the original units."""
    path, X, y = raw_file
    problem = load_data(path)
    result = saddle_jumps(problem.X, problem.y)
    coefs = to_units(result.betas, problem.params)
    model = SaddleRegressor().fit(X, y)
    np.testing.assert_allclose(coefs, model.path_, rtol=1e-9, atol=1e-12)
    # and the intercept the centring implies
    intercept = problem.params["y_mean"] - coefs[-1] @ np.asarray(problem.params["x_mean"])
    assert intercept == pytest.approx(model.intercept_, rel=1e-9)
    # standardised on request: the problem's own coefficients
    np.testing.assert_array_equal(
        to_units(result.betas, problem.params, "standardized"), result.betas
    )


def test_unstandardised_problems_have_one_set_of_units(raw_file):
    path, X, _ = raw_file
    params = load_data(path, standardize=False).params
    for units in UNITS:
        assert coefficient_scale(params, units) is None
        assert units_label(params, units) == "original"
    beta = np.arange(5.0)
    np.testing.assert_array_equal(to_units(beta, params), beta)


def test_labels_sources_and_bad_units(raw_file):
    path, _, _ = raw_file
    params = load_data(path).params
    assert (
        units_label(params) == "original" and units_label(params, "standardized") == "standardized"
    )
    with pytest.raises(ValueError, match=r"units must be one of \['original', 'standardized'\]"):
        coefficient_scale(params, "raw")
    assert data_source(params) == "scales.npz"
    assert data_source({"generator": "make_problem"}) == "synthetic (make_problem)"
    attrs = {
        "problem": "scales",
        "target_name": "price",
        "n_samples": 30,
        "n_features": 5,
        "generator_params": __import__("json").dumps(params),
    }
    assert source_columns(attrs) == {
        "data_file": "scales.npz",
        "target": "price",
        "coefficient_units": "original",
    }
    text = source_sentence(attrs, "standardized")
    assert "scales.npz" in text and "``price``" in text and "standardised coefficients" in text
