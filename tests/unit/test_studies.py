"""The practitioner's studies (dln.studies), the diabetes loader and interaction features."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import kendalltau

from dln import io
from dln.activation import (
    activation_order,
    activation_times,
    flow_activation_times,
    mean_pairwise_agreement,
    rank_agreement,
)
from dln.baselines import comparison
from dln.baselines.comparison import baseline_comparison
from dln.baselines.omp import omp_path
from dln.problems import DATA_PRESETS, PRESETS, load_diabetes, make_preset, pairwise_interactions
from dln.saddles import saddle_jumps
from dln.studies import noise, step_size
from dln.studies.initialisation import initialisation_study
from dln.studies.noise import noise_study
from dln.studies.step_size import DEPARTURE_RTOL, step_size_study
from tests.helpers import random_problem

INF = math.inf


# --------------------------------------------------------------------------------------------
# rank agreement
# --------------------------------------------------------------------------------------------
def test_rank_agreement_on_known_orders():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert rank_agreement(a, a) == pytest.approx(1.0)
    assert rank_agreement(a, a[::-1]) == pytest.approx(-1.0)
    # one adjacent swap among 4 features: 5 concordant, 1 discordant pair of 6
    assert rank_agreement(a, np.array([2.0, 1.0, 3.0, 4.0])) == pytest.approx(4 / 6)
    # only the order matters, not the times
    assert rank_agreement(a, np.array([0.1, 5.0, 7.0, 100.0])) == pytest.approx(1.0)


@pytest.mark.parametrize("pairwise_max", [1000, 0])
def test_kendall_tau_b_is_scipys_bit_for_bit(monkeypatch, pairwise_max):
    """The tau-b counted from pair signs is scipy.stats.kendalltau's statistic exactly, with and
    without ties (and scipy's own count beyond _PAIRWISE_MAX features)."""
    from scipy.stats import kendalltau

    from dln import activation

    monkeypatch.setattr(activation, "_PAIRWISE_MAX", pairwise_max)
    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(400):
        m = int(rng.integers(2, 60))
        levels = int(rng.integers(2, 10))
        a = rng.integers(0, levels, m).astype(float) if trial % 2 else rng.standard_normal(m)
        b = rng.integers(0, levels, m).astype(float) if trial % 3 else a + rng.standard_normal(m)
        if np.all(a == a[0]) or np.all(b == b[0]):
            continue
        expected = float(kendalltau(a, b, variant="b").statistic)
        assert activation._kendall_tau_b(a, b) == expected
        checked += 1
    assert checked > 300
    perfect = np.arange(12.0)
    assert activation._kendall_tau_b(perfect, perfect) == pytest.approx(1.0, abs=1e-15)
    assert activation._kendall_tau_b(perfect, -perfect) == pytest.approx(-1.0, abs=1e-15)


def test_rank_agreement_does_not_import_scipy_stats():
    """The studies' rank agreements leave scipy.stats unimported (its import takes ~0.55 s)."""
    code = (
        "import sys; import numpy as np; from dln.activation import rank_agreement; "
        "rank_agreement(np.array([1.0, 2.0, np.inf, 3.0]), np.array([2.0, 1.0, 4.0, np.inf])); "
        "assert 'scipy.stats' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_rank_agreement_never_active_features():
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 3.0, 2.0])
    tau = rank_agreement(a, b)
    # features never active in both runs carry no order information: no effect
    assert rank_agreement(np.r_[a, INF, INF], np.r_[b, INF, INF]) == pytest.approx(tau)
    # a feature active in one run only counts as entering after all in the other
    got = rank_agreement(np.r_[a, 4.0], np.r_[b, INF])
    expected = kendalltau(np.r_[a, 4.0], np.r_[b, 4.0], variant="b").statistic
    assert got == pytest.approx(expected)
    assert math.isnan(rank_agreement(np.array([1.0, INF]), np.array([1.0, INF])))
    with pytest.raises(ValueError, match="NaN"):
        rank_agreement(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="same shape"):
        rank_agreement(np.ones(3), np.ones(2))


def test_mean_pairwise_agreement():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    runs = np.vstack([a, a, a[::-1]])
    # pairs: (a, a) = 1, (a, rev) = -1 twice
    assert mean_pairwise_agreement(runs) == pytest.approx(-1 / 3)


def test_activation_times_and_order():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    coefs = np.array([[0, 0, 0], [0, 5, 0], [1, 4, 0], [0, 4, 0]], dtype=float)
    np.testing.assert_array_equal(activation_times(times, coefs), [2.0, 1.0, INF])
    # Lasso convention: a feature moves from the knot before the first non-zero one
    np.testing.assert_array_equal(activation_times(times, coefs, entry_offset=1), [1.0, 0.0, INF])
    np.testing.assert_array_equal(activation_order([2.0, 1.0, INF, 1.0]), [1, 3, 0])
    t = np.linspace(0, 1, 11)
    beta = np.outer(t, [1.0, -2.0, 0.0])
    np.testing.assert_allclose(flow_activation_times(t, beta, threshold=0.5), [0.5, 0.3, INF])


# --------------------------------------------------------------------------------------------
# OMP
# --------------------------------------------------------------------------------------------
def _orthogonal_problem(n=12, d=5, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    X = Q * np.sqrt(n)  # orthogonal columns of equal norm: X^T X / n = I
    beta = np.array([3.0, -7.0, 1.0, 5.0, -2.0])[:d]
    return X, X @ beta, beta


def test_omp_order_on_an_orthogonal_design():
    X, y, beta = _orthogonal_problem()
    path = omp_path(X, y)
    # correlations x_j^T r / n = beta_j: largest |beta_j| first, each coefficient exact at once
    np.testing.assert_array_equal(path.order, np.argsort(-np.abs(beta)))
    for k in range(1, path.n_steps + 1):
        expected = np.where(np.isin(np.arange(beta.size), path.order[:k]), beta, 0.0)
        np.testing.assert_allclose(path.coefs[k], expected, atol=1e-12)
    assert np.all(np.diff(path.losses) < 0)
    assert path.losses[-1] <= 1e-20 * path.losses[0]
    assert path.status == 0


def test_baselines_agree_on_an_orthogonal_design():
    X, y, beta = _orthogonal_problem()
    cmp = baseline_comparison(X, y)
    # orthogonal design: saddles, Lasso and OMP all enter by decreasing |beta_j|, nobody leaves
    rank = np.empty(beta.size, dtype=int)
    rank[np.argsort(-np.abs(beta))] = np.arange(1, beta.size + 1)
    for got in (cmp.saddle_rank, cmp.lasso_rank, cmp.omp_rank):
        np.testing.assert_array_equal(got, rank)
    assert cmp.agreement_lasso == pytest.approx(1.0) and cmp.agreement_omp == pytest.approx(1.0)
    assert cmp.first_departure_lasso == 0 and cmp.first_departure_omp == 0
    np.testing.assert_allclose(cmp.saddle_time, 1 / np.abs(beta), rtol=1e-12)  # t = 1/|b_j|
    assert not cmp.saddle_leaves.any() and not cmp.lasso_leaves.any()
    for end in (cmp.saddle_end, cmp.lasso_end, cmp.omp_end, cmp.lp_beta):
        np.testing.assert_allclose(end, beta, atol=1e-9)


def test_omp_does_not_reach_the_minimum_l1_solution_when_n_lt_d():
    X, y, _ = random_problem(8, 20, seed=3, support=6)
    cmp = baseline_comparison(X, y)
    np.testing.assert_allclose(cmp.saddle_l1, cmp.lp_l1, rtol=1e-9)
    np.testing.assert_allclose(cmp.lasso_l1, cmp.lp_l1, rtol=1e-6)
    # OMP interpolates too, but its l1 norm can only be larger
    assert cmp.omp_loss_end <= 1e-18 * cmp.saddle_path_loss[0]
    assert cmp.omp_l1 >= cmp.lp_l1 * (1 - 1e-9)
    assert cmp.omp_path_size[-1] <= X.shape[0]


def test_omp_rejects_bad_input():
    with pytest.raises(ValueError, match="X\\^T y is zero"):
        omp_path(np.eye(3), np.zeros(3))
    with pytest.raises(ValueError, match="max_features"):
        omp_path(np.eye(3), np.ones(3), max_features=0)


# --------------------------------------------------------------------------------------------
# diabetes data and interaction features
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("files_found", [True, False])
def test_raw_diabetes_is_sklearns_data_bit_for_bit(monkeypatch, files_found):
    """The diabetes files read without scikit-learn's loader (or, when they are not where
    expected, through it) are load_diabetes(scaled=False)'s arrays and names, exactly."""
    from sklearn.datasets import load_diabetes as sk

    from dln.problems import presets

    if not files_found:
        monkeypatch.setattr(presets, "_DIABETES_FILES", ("no/such/file.csv.gz",))
    X, y, names = presets._raw_diabetes()
    raw = sk(scaled=False)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X, raw.data)
    np.testing.assert_array_equal(y, raw.target)
    assert names == tuple(raw.feature_names)


def test_diabetes_presets_do_not_import_sklearn():
    """Building the diabetes presets (the workflow's configuration check does) leaves
    scikit-learn unimported: its import costs ~0.9 s, the read ~3 ms."""
    code = (
        "import sys; from dln.problems import make_preset; "
        "make_preset('diabetes'); make_preset('diabetes_interactions'); "
        "assert 'sklearn' not in sys.modules, sorted(m for m in sys.modules if 'sklearn' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_diabetes_loader_shapes_and_standardisation():
    from sklearn.datasets import load_diabetes as sk

    p = load_diabetes()
    assert p.X.shape == (442, 10) and p.y.shape == (442,)
    assert p.feature_names == ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
    np.testing.assert_allclose(p.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(p.X.std(axis=0), 1.0, rtol=1e-12)
    raw = sk(scaled=False)
    assert abs(p.y.mean()) < 1e-10
    np.testing.assert_allclose(p.y + p.params["y_mean"], raw.target, rtol=1e-12)
    np.testing.assert_allclose(p.X * p.params["x_scale"] + p.params["x_mean"], raw.data)
    assert p.beta_star is None and p.target_name == "disease_progression"
    # the classic LARS example: bmi enters first, then s5
    res = saddle_jumps(p.X, p.y)
    assert [p.feature_names[j] for j in activation_order(activation_times(res.times, res.betas))][
        :2
    ] == ["bmi", "s5"]


def test_diabetes_subset_and_interactions():
    p = load_diabetes(interactions=True, n_samples=30, seed=4)
    assert p.X.shape == (30, 55) and p.n_samples < p.n_features
    assert p.feature_names[10] == "age*sex" and p.feature_names[-1] == "s5*s6"
    rows = p.params["rows"]
    assert rows == sorted(rows) and len(set(rows)) == 30
    np.testing.assert_allclose(p.X.std(axis=0), 1.0, rtol=1e-12)
    base = load_diabetes(n_samples=30, seed=4)
    # column age*sex is the standardised product of the standardised age and sex columns
    prod = base.X[:, 0] * base.X[:, 1]
    np.testing.assert_allclose(p.X[:, 10], (prod - prod.mean()) / prod.std(), atol=1e-12)
    np.testing.assert_array_equal(load_diabetes(n_samples=30, seed=4).X, base.X)
    assert not np.array_equal(load_diabetes(n_samples=30, seed=5).X, base.X)
    with pytest.raises(ValueError, match="n_samples must be <= 442"):
        load_diabetes(n_samples=443)
    with pytest.raises(ValueError, match="seed"):
        load_diabetes(n_samples=10, seed=-1)


def test_diabetes_presets():
    assert PRESETS == ("fig1_left", "fig1_right", "fig2_left", "fig2_right")  # unchanged
    assert DATA_PRESETS == ("diabetes", "diabetes_interactions")
    p = make_preset("diabetes")
    np.testing.assert_array_equal(p.X, load_diabetes().X)
    q = make_preset("diabetes_interactions")
    assert q.X.shape == (24, 55) and q.params["preset"] == "diabetes_interactions"
    assert not np.array_equal(make_preset("diabetes_interactions", seed=1).X, q.X)
    with pytest.raises(ValueError, match="seed must be None"):
        make_preset("diabetes", seed=1)
    with pytest.raises(ValueError, match="diabetes_interactions"):
        make_preset("nope")


def test_pairwise_interactions():
    X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, names = pairwise_interactions(X, ["a", "b", "c"])
    assert names == ("a", "b", "c", "a*b", "a*c", "b*c")
    np.testing.assert_array_equal(out, [[1, 2, 3, 2, 3, 6], [4, 5, 6, 20, 24, 30]])
    assert pairwise_interactions(X)[1][3] == "x1*x2"
    with pytest.raises(ValueError, match="feature_names"):
        pairwise_interactions(X, ["a"])


# --------------------------------------------------------------------------------------------
# studies
# --------------------------------------------------------------------------------------------
def test_noise_study_invariants():
    X, y, _ = random_problem(15, 8, seed=2, support=4)
    study = noise_study(X, y, noise_levels=[0.0, 0.05, 2.0], n_seeds=4, seed=1)
    assert study.activation_time.shape == (3, 4, 8)
    # no added noise: every seed is the clean run
    np.testing.assert_array_equal(
        study.activation_time[0], np.tile(study.clean_activation_time, (4, 1))
    )
    np.testing.assert_allclose(study.agreement_clean[0], 1.0)
    assert study.agreement_seeds[0] == pytest.approx(1.0)
    np.testing.assert_array_equal(study.support_jaccard[0], 1.0)
    # a lot of noise scrambles the order more than a little
    assert np.nanmean(study.agreement_clean[2]) < np.nanmean(study.agreement_clean[1])
    assert np.all(study.n_jumps >= 1)
    for i in range(3):
        for s in range(4):
            k = study.n_jumps[i, s]
            assert np.all(np.isfinite(study.jump_times[i, s, :k]))
            assert np.all(np.isnan(study.jump_times[i, s, k:]))
    again = noise_study(X, y, noise_levels=[0.0, 0.05, 2.0], n_seeds=4, seed=1)
    np.testing.assert_array_equal(again.activation_time, study.activation_time)
    with pytest.raises(ValueError, match="noise_levels"):
        noise_study(X, y, noise_levels=[-0.1], n_seeds=2)


def test_initialisation_study_weighted_endpoints_and_directions():
    X, y, _ = random_problem(6, 9, seed=5, support=3)
    lams = [np.log(1e5), np.log(1e40)]
    study = initialisation_study(
        X, y, log_inv_alphas=lams, n_directions=3, n_scales=2, num_times=200, seed=2
    )
    # Algorithm 1 with scales ends at the weighted min-l1 solution of the LP
    assert np.all(study.weighted_lp_difference < 1e-8)
    # the weighted flow at the smallest alpha heads for the weighted endpoint, not the plain one
    assert np.all(study.weighted_flow_distance < 5e-2)
    for j in range(2):
        to_weighted = np.abs(study.weighted_flow_end_beta[j] - study.weighted_end_beta[j]).max()
        to_plain = np.abs(study.weighted_flow_end_beta[j] - study.limit_end_beta).max()
        assert to_weighted <= to_plain
    assert np.all((study.scales >= 0.5) & (study.scales <= 2.0))
    assert np.all(study.directions > 0)
    # smaller alpha: the flows from random directions are closer to the limit's jump times
    rel = np.abs(study.crossing_time - study.limit_jump_times) / study.limit_jump_times
    assert np.nanmedian(rel[1]) < np.nanmedian(rel[0])
    assert np.nanmedian(rel[1]) < 0.05


def test_step_size_study_error_grows_with_the_step():
    p = make_preset("fig2_left")
    study = step_size_study(
        p.X, p.y, log_inv_alpha=np.log(1e4), steps=[0.00025, 0.001, 0.004], num_times=100
    )
    assert not study.diverged.any()
    assert np.all(np.diff(study.max_relative_error) > 0)
    assert study.max_relative_error[0] < DEPARTURE_RTOL
    # first order: four times the step, about four times the error
    ratio = study.max_relative_error[1] / study.max_relative_error[0]
    assert 2.5 < ratio < 6
    assert study.time_rounding.max() <= 0.5 * 0.004 / np.log(1e4) * (1 + 1e-9)
    # a step far too large: GD leaves the flow at once (its weights collapse or oscillate)
    big = step_size_study(p.X, p.y, log_inv_alpha=np.log(1e4), steps=[0.2], num_times=20)
    assert big.max_relative_error[0] > 0.9 and big.departure_time[0] < big.limit_jump_times[1]


def test_step_size_study_records_divergence(monkeypatch):
    import dln.gd

    def overflow(*args, **kwargs):
        raise dln.gd.GradientDescentError("gradient descent diverged")

    monkeypatch.setattr(dln.gd, "gradient_descent", overflow)
    p = make_preset("fig2_left")
    study = step_size_study(p.X, p.y, log_inv_alpha=np.log(1e4), steps=[0.01], num_times=20)
    assert study.diverged.all() and math.isnan(study.departure_time[0])
    assert np.all(np.isnan(study.gd_beta)) and np.all(np.isfinite(study.flow_beta))


def test_study_stores_round_trip(tmp_path):
    p = make_preset("fig2_left")
    cmp = baseline_comparison(p.X, p.y)
    noisy = noise_study(p.X, p.y, noise_levels=[0.0, 0.1], n_seeds=2)
    for kind, study, store in (("baselines", cmp, comparison), ("noise", noisy, noise)):
        ds = store.to_dataset(study, feature_names=p.feature_names, problem="f")
        io.check_attrs(ds)
        io.write_dataset(ds, tmp_path / f"{kind}.zarr", rule="test")
        back = io.read_dataset(tmp_path / f"{kind}.zarr")
        assert back.attrs["study"] == kind
        assert list(back["feature_name"].values) == list(p.feature_names)
    with pytest.raises(ValueError, match="NoiseStudy"):
        noise.to_dataset(cmp)


def test_study_plots_draw(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = make_preset("fig2_left")
    names = p.feature_names
    cmp = comparison.to_dataset(baseline_comparison(p.X, p.y), feature_names=names)
    noisy = noise.to_dataset(noise_study(p.X, p.y, noise_levels=[0.0, 0.1], n_seeds=2))
    steps = step_size.to_dataset(
        step_size_study(p.X, p.y, log_inv_alpha=np.log(1e4), steps=[0.002, 0.01], num_times=40),
    )
    fig, axes = plt.subplots(2, 3)
    comparison.plot_entry_orders(cmp, axes[0, 0])
    comparison.plot_loss_versus_l1(cmp, axes[0, 1])
    noise.plot_noise_agreement(noisy, axes[0, 2])
    noise.plot_noise_jump_times(noisy, axes[1, 0])
    step_size.plot_step_size_coordinates(steps, axes[1, 1], step_index=1)
    step_size.plot_step_size_errors(steps, axes[1, 2])
    labels = [t.get_text() for t in axes[0, 0].texts]
    assert sorted(labels) == sorted(["x1", "x2"] * 3)  # every method places both features
    fig.savefig(tmp_path / "studies.png")
    plt.close(fig)
