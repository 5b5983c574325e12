"""Algorithm 1 (dln.saddles): closed forms, invariants and edge cases."""

import numpy as np
import pytest
import scipy.linalg as sla

from dln import SaddleLimitError, limit_process, min_l1_solution, saddle_jumps
from tests.helpers import assert_kkt, random_problem


def _orthogonal_design(n, d, seed):
    """X with X^T X / n = I (n >= d)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, d)))
    return np.sqrt(n) * Q


@pytest.mark.parametrize("n, d", [(6, 6), (12, 5), (30, 8)])
def test_orthogonal_design_hard_thresholding(n, d):
    X = _orthogonal_design(n, d, seed=n)
    rng = np.random.default_rng(d)
    y = rng.standard_normal(n) * 3
    b = X.T @ y / n
    res = saddle_jumps(X, y)
    order = np.argsort(-np.abs(b))
    assert res.n_saddles == d
    np.testing.assert_allclose(res.times[1:], 1 / np.abs(b[order]), rtol=1e-12)
    for k in range(1, d + 1):
        expected = np.zeros(d)
        expected[order[:k]] = b[order[:k]]  # hard thresholding: the LS values on the top k
        np.testing.assert_allclose(res.betas[k], expected, rtol=1e-11, atol=1e-12)
        assert res.activated[k].tolist() == [order[k - 1]]
    np.testing.assert_allclose(res.beta_end, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-11)


def test_ties_activate_together():
    X = _orthogonal_design(8, 4, seed=3)
    b_target = np.array([2.0, -2.0, 1.0, 0.5])
    y = X @ b_target  # then b = X^T y / n = b_target, with a tie at |b| = 2
    res = saddle_jumps(X, y)
    assert res.n_saddles == 3
    assert sorted(res.activated[1].tolist()) == [0, 1]
    np.testing.assert_allclose(res.times[1:], [0.5, 1.0, 2.0], rtol=1e-12)
    np.testing.assert_allclose(res.beta_end, b_target, rtol=1e-12)


def test_first_jump_time_and_scales():
    X, y, _ = random_problem(10, 25, seed=1, noise=0.0)
    b = X.T @ y / 10
    res = saddle_jumps(X, y)
    assert res.times[1] == pytest.approx(1 / np.max(np.abs(b)), rel=1e-14)
    k = np.linspace(0.5, 2.0, 25)
    res_k = saddle_jumps(X, y, scales=k)
    assert res_k.times[1] == pytest.approx(np.min(k / np.abs(b)), rel=1e-14)
    assert res_k.activated[1].tolist() == [int(np.argmin(k / np.abs(b)))]


@pytest.mark.parametrize("seed", range(4))
def test_weighted_scales_endpoint_is_weighted_lp(seed):
    rng = np.random.default_rng(100 + seed)
    X, y, _ = random_problem(12, 30, seed=seed, noise=0.3)
    k = rng.uniform(0.3, 3.0, size=30)
    res = saddle_jumps(X, y, scales=k)
    lp = min_l1_solution(X, y, weights=k)
    np.testing.assert_allclose(res.beta_end, lp.beta, rtol=1e-9, atol=1e-9 * np.abs(lp.beta).max())
    assert res.primal_objective == pytest.approx(lp.objective, rel=1e-10)
    assert_kkt(X, y, res)
    # the unweighted endpoint is different: the scales matter
    assert not np.allclose(saddle_jumps(X, y).beta_end, res.beta_end, rtol=1e-3)


def test_sign_never_flips_between_consecutive_saddles_but_can_across():
    flips_across = 0
    for seed in range(40):
        X, y, _ = random_problem(15, 30, seed=seed, noise=0.5)
        res = saddle_jumps(X, y)
        prod = res.betas[1:] * res.betas[:-1]
        assert np.all(prod >= 0), "a coordinate changed sign within one jump"
        signs = np.sign(res.betas)
        for i in range(X.shape[1]):
            nz = signs[:, i][signs[:, i] != 0]
            flips_across += int(nz.size > 0 and np.any(nz != nz[0]))
    assert flips_across > 0, "no sign change across saddles in 40 noisy instances"


def test_deactivations_and_non_monotone_support_occur():
    seen_deactivation = False
    seen_shrinking_support = False
    for seed in range(20):
        X, y, _ = random_problem(15, 30, seed=seed, noise=0.5)
        res = saddle_jumps(X, y)
        seen_deactivation |= any(len(dk) for dk in res.deactivated)
        sizes = np.count_nonzero(res.betas, axis=1)
        seen_shrinking_support |= bool(np.any(np.diff(sizes) < 0))
        for k in range(1, res.n_saddles + 1):
            assert not set(res.activated[k]) & set(res.deactivated[k])
            now = set(np.flatnonzero(res.betas[k]))
            before = set(np.flatnonzero(res.betas[k - 1]))
            assert set(res.activated[k].tolist()) == now - before
            assert set(res.deactivated[k].tolist()) == before - now
    assert seen_deactivation and seen_shrinking_support


def test_degenerate_last_saddle_noiseless_sparse():
    rng = np.random.default_rng(7)
    n, d = 20, 50
    X = rng.standard_normal((n, d))
    beta_star = np.zeros(d)
    beta_star[[3, 17, 31]] = [4.0, -6.0, 5.0]
    y = X @ beta_star
    res = saddle_jumps(X, y)
    np.testing.assert_allclose(res.beta_end, beta_star, rtol=1e-10, atol=1e-10)
    assert res.losses[-1] < 1e-20 * res.losses[0]
    assert np.all(res.gradients[-1] == 0)
    # coordinates on the boundary at the end with beta = 0 (dropped at the last jump or hit
    # by it) are allowed; every support coordinate sits on the boundary with its sign
    on_support = res.beta_end != 0
    np.testing.assert_allclose(res.s[-1][on_support], np.sign(res.beta_end[on_support]))
    assert res.max_dual_violation == 0


def test_overdetermined_ends_at_least_squares():
    X, y, _ = random_problem(40, 8, seed=5, noise=1.0)
    res = saddle_jumps(X, y)
    np.testing.assert_allclose(res.beta_end, sla.lstsq(X, y)[0], rtol=1e-10)
    assert np.count_nonzero(res.beta_end) == 8


def test_single_feature():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((9, 1))
    y = 3.0 * X[:, 0] + 0.1 * rng.standard_normal(9)
    res = saddle_jumps(X, y)
    b, G = X[:, 0] @ y / 9, X[:, 0] @ X[:, 0] / 9
    assert res.n_saddles == 1
    assert res.times[1] == pytest.approx(1 / abs(b), rel=1e-14)
    assert res.betas[1, 0] == pytest.approx(b / G, rel=1e-13)


def test_single_sample():
    X = np.array([[1.0, -3.0, 2.0]])
    res = saddle_jumps(X, np.array([6.0]))
    assert res.n_saddles == 1
    np.testing.assert_allclose(res.beta_end, [0.0, -2.0, 0.0], atol=1e-15)


def test_zero_target_has_no_jump():
    X, _, _ = random_problem(5, 8, seed=0, noise=0.0)
    res = saddle_jumps(X, np.zeros(5))
    assert res.n_saddles == 0
    assert np.all(res.betas == 0)


def test_zero_and_duplicate_columns():
    X, y, _ = random_problem(12, 20, seed=3, noise=0.2)
    Xz = X.copy()
    Xz[:, 4] = 0.0
    res = saddle_jumps(Xz, y)
    assert np.all(res.betas[:, 4] == 0)
    Xd = np.hstack([X, X[:, :3]])
    res_d = saddle_jumps(Xd, y)
    lp = min_l1_solution(Xd, y)
    assert res_d.primal_objective == pytest.approx(lp.objective, rel=1e-9)
    np.testing.assert_allclose(Xd @ res_d.beta_end, Xd @ lp.beta, rtol=1e-9, atol=1e-9)
    # the result equals the one without duplicates, up to how duplicates share the mass
    res_plain = saddle_jumps(X, y)
    merged = res_d.beta_end[:20].copy()
    merged[:3] += res_d.beta_end[20:]
    np.testing.assert_allclose(merged, res_plain.beta_end, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cx, cy", [(1e8, 1e-8), (1e-8, 1e8), (1e-6, 1e-6), (1e6, 1e6)])
def test_scale_equivariance(cx, cy):
    X, y, _ = random_problem(10, 20, seed=11, noise=0.3)
    ref = saddle_jumps(X, y)
    res = saddle_jumps(cx * X, cy * y)
    assert res.n_saddles == ref.n_saddles
    np.testing.assert_allclose(res.times, ref.times / (cx * cy), rtol=1e-8)
    np.testing.assert_allclose(res.betas, ref.betas * (cy / cx), rtol=1e-8, atol=1e-12 * cy / cx)


def test_guard_on_the_number_of_saddles():
    X, y, _ = random_problem(15, 30, seed=2, noise=0.5)
    full = saddle_jumps(X, y)
    assert full.n_saddles > 3
    with pytest.raises(SaddleLimitError, match="max_saddles=3"):
        saddle_jumps(X, y, max_saddles=3)


def test_warm_started_nnls_does_only_the_support_changes():
    X, y, _ = random_problem(30, 60, seed=4, noise=0.5)
    res = saddle_jumps(X, y)
    changes = sum(len(a) + len(b) for a, b in zip(res.activated, res.deactivated, strict=True))
    # solving each saddle from scratch would need sum_k |support_k| insertions
    from_scratch = int(np.count_nonzero(res.betas, axis=1).sum())
    assert res.nnls_iterations <= changes + 2 * res.n_saddles
    assert res.nnls_iterations < from_scratch / 2


def test_limit_process_piecewise():
    X, y, _ = random_problem(8, 12, seed=0, noise=0.0)
    res = saddle_jumps(X, y)
    mid = 0.5 * (res.times[1:] + np.append(res.times[2:], res.times[-1] + 1))
    beta, s = limit_process(res, mid)
    np.testing.assert_array_equal(beta, res.betas[1:])
    # s is continuous: just before each jump it is at the next saddle's s
    _, s_before = limit_process(res, res.times[1:] * (1 - 1e-13))
    np.testing.assert_allclose(s_before, res.s[1:], atol=1e-9)
    s_at = res.s[:-1] - np.diff(res.times)[:, None] * res.gradients[:-1]
    np.testing.assert_allclose(s_at, res.s[1:], atol=1e-9)
    with pytest.raises(ValueError, match="t must"):
        limit_process(res, [-1.0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"X": np.full((3, 2), np.nan)}, "X contains"),
        ({"X": np.ones(3)}, "X must be 2-dimensional"),
        ({"X": np.ones((0, 2)), "y": np.ones(0)}, "X must not be empty"),
        ({"y": np.ones(4)}, "y has 4 entries"),
        ({"y": [1.0, np.inf, 0.0]}, "y contains"),
        ({"scales": [1.0, -1.0]}, "scales must be finite and > 0"),
        ({"scales": [1.0, 1.0, 1.0]}, r"scales must have shape \(2,\)"),
        ({"max_saddles": 0}, "max_saddles must be finite and > 0"),
        ({"max_saddles": 2.5}, "max_saddles must be an integer"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"X": np.array([[1.0, 2.0], [3.0, 1.0], [0.5, 0.2]]), "y": np.array([1.0, 2.0, 3.0])}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=match):
        saddle_jumps(X, y, **args)


def test_kkt_on_paper_like_setup():
    X, y, _ = random_problem(5, 7, seed=0, noise=0.0)
    res = saddle_jumps(X, y)
    assert_kkt(X, y, res)


@pytest.mark.parametrize("kind", ["scaled", "negated", "sum", "sum_underdetermined"])
def test_collinear_columns_reach_the_min_l1_value(kind):
    rng = np.random.default_rng(0)
    if kind == "sum_underdetermined":
        Z = rng.standard_normal((5, 8))
        X, y = np.hstack([Z, Z[:, :1] + Z[:, 1:2]]), rng.standard_normal(5)
    else:
        Z = rng.standard_normal((10, 6))
        y = Z @ np.array([3, 0, 0, -2, 0, 0.0]) + 0.1 * rng.standard_normal(10)
        extra = {"scaled": 2 * Z[:, :1], "negated": -Z[:, :1], "sum": Z[:, :1] + Z[:, 1:2]}
        X = np.hstack([Z, extra[kind]])
    res = saddle_jumps(X, y)
    lp = min_l1_solution(X, y)
    # the minimiser may not be unique, its value and its fit are
    assert res.primal_objective == pytest.approx(lp.objective, rel=1e-12)
    np.testing.assert_allclose(X @ res.beta_end, X @ lp.beta, atol=1e-12 * np.abs(y).max())
    assert np.all(np.diff(res.losses) < 0)


def test_history_growth_keeps_every_saddle(monkeypatch):
    import dln.saddles as saddles

    X, y, _ = random_problem(30, 60, seed=0, noise=1.0)
    ref = saddle_jumps(X, y)
    init = saddles._History.__init__
    monkeypatch.setattr(saddles._History, "__init__", lambda self, d, capacity: init(self, d, 2))
    grown = saddle_jumps(X, y)
    assert ref.n_saddles > 8  # several doublings from a capacity of 2
    np.testing.assert_array_equal(grown.betas, ref.betas)
    np.testing.assert_array_equal(grown.s, ref.s)


@pytest.mark.parametrize("seed", [0, 1])
def test_streamed_gradient_for_large_designs_gives_the_same_path(monkeypatch, seed):
    """Designs above STREAM_GRADIENT_BYTES take the gradient from the column-major copy:
    the same saddles up to rounding, and every saddle still satisfies the KKT conditions."""
    import dln.saddles as saddles

    X, y, _ = random_problem(30, 120, seed=seed, noise=0.3, support=5)
    row_major = saddle_jumps(X, y)
    monkeypatch.setattr(saddles, "STREAM_GRADIENT_BYTES", 0)  # every design is "large"

    streamed = saddle_jumps(X, y)
    assert_kkt(X, y, streamed)
    assert streamed.n_saddles == row_major.n_saddles
    np.testing.assert_allclose(streamed.times, row_major.times, rtol=1e-10)
    np.testing.assert_allclose(streamed.betas, row_major.betas, rtol=1e-9, atol=1e-12)
    for a, b in zip(streamed.activated, row_major.activated, strict=True):
        np.testing.assert_array_equal(a, b)
