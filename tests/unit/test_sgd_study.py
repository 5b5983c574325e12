"""Tests of the (S)GD study's numerical core (dln.sgd_study), on a tiny configuration."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

from dln import io
from dln.problems import make_preset, make_problem
from dln.saddles import saddle_jumps
from dln.sgd_study import (
    SGDStudy,
    plot_sgd_study,
    sgd_study,
    sgd_study_cost,
    sgd_study_table,
    sgd_study_to_dataset,
)

matplotlib.use("Agg")

LAM = math.log(1e10)


@pytest.fixture(scope="module")
def tiny():
    p = make_preset("fig2_left")  # n = 7, d = 2: two jumps
    study = sgd_study(
        p.X,
        p.y,
        log_inv_alphas=[LAM],
        steps=[2e-3, 8e-3, 0.2],  # the last one diverges
        batch_sizes=[1, 7],
        seeds=[0, 1],
        t_max=0.5,
        problem="fig2_left",
    )
    return p, study


def test_study_fields(tiny):
    p, study = tiny
    assert isinstance(study, SGDStudy)
    shape = (1, 3, 2, 2)
    assert study.diverged.shape == study.kendall_tau.shape == shape
    assert study.activation_time.shape == study.effective_scales.shape == (*shape, 2)
    lim = saddle_jumps(p.X, p.y)
    np.testing.assert_allclose(study.limit_jump_times, lim.times[1:])
    assert study.t_max == 0.5
    # the step of 0.2 diverges for every batch size and seed, the others never do
    assert study.diverged[0, 2].all() and not study.diverged[0, :2].any()
    assert np.all(np.isnan(study.end_beta[0, 2])) and np.all(study.end_support[0, 2] == -1)
    ok = ~study.diverged
    # the activation order is Algorithm 1's; every jump is reached near Algorithm 1's time
    np.testing.assert_array_equal(study.kendall_tau[ok], 1.0)
    assert np.all(np.abs(study.jump_time_shift[ok]) < 0.2)
    np.testing.assert_allclose(study.jump_time_shift, study.jump_time - lim.times[1:])
    # n >= d: the end point is least squares, as are the minimum-l1 solution and prediction
    assert np.all(study.distance_to_l1[ok] < 1e-3)
    assert np.all(study.distance_to_prediction[ok] < 1e-3)
    np.testing.assert_allclose(
        study.end_l1_norm[ok], np.abs(study.end_beta[ok]).sum(axis=-1), rtol=1e-12
    )
    # effective scales = 1 + Gain / (2 Lam) >= 1, larger for larger steps and for SGD
    kappa = study.effective_scales
    assert np.all(kappa[ok] >= 1)
    assert np.all(kappa[0, 1].max(-1) > kappa[0, 0].max(-1))
    assert np.all(study.max_gain[0, :2, 0] > study.max_gain[0, :2, 1])
    # full batch: the same run for every seed; SGD: the seeds differ
    np.testing.assert_array_equal(study.end_beta[0, 0, 1, 0], study.end_beta[0, 0, 1, 1])
    assert study.max_gain[0, 0, 0, 0] != study.max_gain[0, 0, 0, 1]


def test_study_iterations_and_cost(tiny):
    _, study = tiny
    for s, step in enumerate(study.steps[:2]):
        assert np.all(study.n_iterations[0, s] == math.ceil(study.t_max * LAM / step))
    cost = sgd_study_cost(
        n_samples=7,
        t_max=study.t_max,
        log_inv_alphas=[LAM],
        steps=study.steps,
        batch_sizes=[1, 7],
        n_seeds=2,
    )
    per_run = sum(math.ceil(study.t_max * LAM / s) for s in study.steps)
    assert cost == per_run * 3  # batch 1: two seeds; full batch: once


def test_cost_refuses_before_running(monkeypatch):
    import dln.gd

    def no_run(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(dln.gd, "gradient_descent", no_run)
    p = make_preset("fig2_left")
    with pytest.raises(ValueError, match="max_iterations"):
        sgd_study(p.X, p.y, log_inv_alphas=[LAM], steps=[1e-3], seeds=[0], max_iterations=1000)


def test_default_batch_sizes_and_sparse_problem():
    p = make_problem(n_samples=8, n_features=16, support_size=2, seed=3)
    study = sgd_study(p.X, p.y, log_inv_alphas=[LAM], steps=[1e-2], seeds=[0])
    np.testing.assert_array_equal(study.batch_sizes, [1, 2, 8])
    assert study.t_max == pytest.approx(1.5 * saddle_jumps(p.X, p.y).times[-1])
    ok = ~study.diverged
    assert ok.all()
    # noiseless sparse data: the end point's support is beta*'s (up to the finite alpha)
    assert np.all(study.end_residual < 0.05)


def test_dataset_table_and_plot(tiny, tmp_path):
    import matplotlib.pyplot as plt

    p, study = tiny
    ds = sgd_study_to_dataset(study, feature_names=p.feature_names)
    io.check_attrs(ds)
    assert set(ds["kendall_tau"].dims) == {"log_inv_alpha", "step", "batch_size", "seed"}
    assert ds["activation_time"].dims[-1] == "feature" and ds["jump_time"].dims[-1] == "jump"
    assert ds.attrs["study"] == "sgd" and ds.attrs["problem"] == "fig2_left"
    io.write_dataset(ds, tmp_path / "sgd.zarr", rule="test")
    back = io.read_dataset(tmp_path / "sgd.zarr")
    np.testing.assert_array_equal(back["end_beta"].values, ds["end_beta"].values)
    table = sgd_study_table(study)
    assert len(table) == 12
    assert {"kendall_tau", "distance_to_l1", "distance_to_prediction", "end_l1_norm"} <= set(
        table.columns
    )
    assert table["diverged"].sum() == 4
    fig, axes = plt.subplots(1, 3)
    plot_sgd_study(ds, axes)
    assert axes[0].get_xscale() == "log" and "jump time" in axes[0].get_ylabel()
    assert len(axes[0].lines) >= 2  # Algorithm 1's reference lines at least
    assert "effective scale" in axes[2].get_ylabel()
    with pytest.raises(ValueError, match="3 Axes"):
        plot_sgd_study(ds, axes[:2])
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"steps": [0.0]}, "steps"),
        ({"steps": [1e-3, 1e-3]}, "steps"),
        ({"log_inv_alphas": [-1.0]}, "log_inv_alphas"),
        ({"batch_sizes": [0]}, "batch_sizes"),
        ({"batch_sizes": [8]}, "batch_sizes"),
        ({"seeds": [1.5]}, "seeds"),
        ({"t_max": -1.0}, "t_max"),
        ({"problem": 3}, "problem"),
    ],
)
def test_bad_arguments(kwargs, name):
    p = make_preset("fig2_left")
    args = {"log_inv_alphas": [LAM], "steps": [1e-3], "seeds": [0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        sgd_study(p.X, p.y, **args)
