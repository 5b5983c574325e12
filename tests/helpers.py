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


def write_pipeline_stores(root, problem, *, t, alphas, rtol):
    """The stores the pipeline writes for one problem, as its jobs write them: problem,
    saddles (with the LP), a flow and an evaluation per alpha (base-10 exponent strings),
    convergence and the Lasso path on the grid ``t`` (an array, or a function of Algorithm 1's
    result that returns one). Returns ``(paths, saddles)``: the store
    paths (str; lists for flows and evaluations) and Algorithm 1's result."""
    from pathlib import Path

    from dln import convergence_store, evaluation_store, flow_store, io, saddle_store
    from dln.baselines import lasso, lasso_coefficients, lasso_path
    from dln.evaluate import (
        METRICS,
        evaluate_flow,
        fit_convergence,
        plateau_midpoints,
        window_half_width,
    )
    from dln.flow import simulate_flow
    from dln.lp import min_l1_solution
    from dln.problems import store as problem_store
    from dln.saddles import limit_process, saddle_jumps

    root, name = Path(root), problem.name
    X, y, names = problem.X, problem.y, problem.feature_names
    paths = {"problem": root / "problems" / f"{name}.zarr"}
    io.write_dataset(problem_store.to_dataset(problem), paths["problem"], rule="test")
    sad = saddle_jumps(X, y)
    sad_ds = saddle_store.to_dataset(
        sad, feature_names=names, lp=min_l1_solution(X, y), problem=name
    )
    paths["saddles"] = root / "saddles" / f"{name}.zarr"
    io.write_dataset(sad_ds, paths["saddles"], rule="test")
    if callable(t):
        t = t(sad)
    beta_limit, s_limit = limit_process(sad, t)
    window = window_half_width(sad.times[1:], 0.25)
    paths["flows"], paths["evaluations"], evaluations = [], [], []
    for exponent in alphas:
        lam = io.log_inv_alpha_from_log10(exponent)
        flow = simulate_flow(
            X, y, log_inv_alpha=lam, t=t, rtol=rtol, loss_levels=plateau_midpoints(sad.losses)
        )
        path = root / "flow" / name / f"log10_alpha={exponent}.zarr"
        io.write_dataset(
            flow_store.to_dataset(flow, log10_alpha=exponent, feature_names=names, problem=name),
            path,
            rule="test",
        )
        paths["flows"].append(path)
        ev = evaluate_flow(
            t,
            flow.beta,
            flow.s,
            crossing_times=flow.crossing_times,
            jump_times=sad.times[1:],
            beta_limit=beta_limit,
            s_limit=s_limit,
            beta_l1=sad.betas[-1],
            window=window,
        )
        ev_ds = evaluation_store.to_dataset(ev, t=t, log10_alpha=exponent, problem=name)
        evaluations.append(ev_ds)
        paths["evaluations"].append(root / "evaluate" / name / f"log10_alpha={exponent}.zarr")
        io.write_dataset(ev_ds, paths["evaluations"][-1], rule="test")
    evs = sorted(evaluations, key=lambda e: float(e["log_inv_alpha"]))
    lam = np.array([float(e["log_inv_alpha"]) for e in evs])
    jumps = np.array([e["jump_time_error"].values for e in evs])
    metrics = np.array([[float(e[m]) for m in sorted(METRICS)] for e in evs])
    conv = convergence_store.to_dataset(evs, fit_convergence(lam, jumps, metrics), problem=name)
    paths["convergence"] = root / "convergence" / f"{name}.zarr"
    io.write_dataset(conv, paths["convergence"], rule="test")
    lpath = lasso_path(X, y)
    paths["lasso"] = root / "lasso" / f"{name}.zarr"
    io.write_dataset(
        lasso.to_dataset(
            lpath, t=t, coefs=lasso_coefficients(lpath, t), feature_names=names, problem=name
        ),
        paths["lasso"],
        rule="test",
    )
    paths = {k: [str(p) for p in v] if isinstance(v, list) else str(v) for k, v in paths.items()}
    return paths, sad
