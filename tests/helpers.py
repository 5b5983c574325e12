"""Shared test utilities: random problems and the invariants every saddle must satisfy."""

import numpy as np


def random_problem(n, d, *, seed, noise=0.0, support=3):
    """Gaussian design, sparse beta* (support <= min(support, d)), optional label noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta_star = np.zeros(d)
    m = min(support, d)
    beta_star[rng.choice(d, size=m, replace=False)] = rng.uniform(1, 10, m) * rng.choice([-1, 1], m)
    y = X @ beta_star + noise * rng.standard_normal(n)
    return X, y, beta_star


def assert_kkt(X, y, res, *, rtol=1e-9):
    """KKT of every saddle, the dual path, and the end certificate of a SaddleResult."""
    n = X.shape[0]
    k = res.scales
    gscale = np.linalg.norm(X, axis=0) * np.linalg.norm(y) / n  # |grad_i| <= gscale_i
    for j in range(res.n_saddles + 1):
        beta, s = res.betas[j], res.s[j]
        g = X.T @ (X @ beta - y) / n
        support = beta != 0
        # grad L = 0 on the support, which sits on the boundary with the sign of beta
        assert np.all(np.abs(g[support]) <= rtol * gscale[support]), f"saddle {j}: grad on support"
        np.testing.assert_allclose(s[support], k[support] * np.sign(beta[support]), rtol=1e-12)
        assert np.all(np.abs(s) <= k * (1 + 1e-12)), f"saddle {j}: |s| > k"
        # a boundary coordinate at zero is never pushed outward: sigma_i grad_i >= 0
        boundary0 = (np.abs(s) >= k * (1 - 1e-12)) & ~support
        assert np.all(np.sign(s[boundary0]) * g[boundary0] >= -rtol * gscale[boundary0]), (
            f"saddle {j}: boundary coordinate pushed outward"
        )
    assert np.all(np.diff(res.losses) < 0), "losses must strictly decrease"
    assert np.all(np.diff(res.times) > 0), "jump times must increase"
    # the end certificate: s_p = X^T rho, |s_p| <= k, zero duality gap
    scale = max(1.0, float(np.abs(res.rho).sum()))
    assert res.certificate_residual <= 1e-9 * scale * np.abs(X).max()
    assert res.max_dual_violation == 0
    assert abs(res.duality_gap) <= 1e-9 * max(1.0, res.primal_objective)


def fail_every_step(monkeypatch, solver_class):
    """Make every step of a scipy solver class report failure (after taking it)."""
    original = solver_class.step

    def failing(self):
        original(self)
        self.status = "failed"
        return "simulated failure"

    monkeypatch.setattr(solver_class, "step", failing)
