"""Property test: Algorithm 1's endpoint is the minimum-l1 solution on random instances."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dln import min_l1_solution, saddle_jumps
from tests.helpers import assert_kkt, random_problem


@st.composite
def instances(draw):
    regime = draw(st.sampled_from(["n<d", "n=d", "n>d"]))
    n = draw(st.integers(1, 25))
    if regime == "n<d":
        d = draw(st.integers(n + 1, 3 * n + 5))
    elif regime == "n=d":
        d = n
    else:
        n = max(n, 2)
        d = draw(st.integers(1, n - 1))
    noise = draw(st.sampled_from([0.0, 0.5]))
    support = draw(st.integers(1, max(1, min(d, n) - 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    return n, d, noise, support, seed


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_endpoint_is_min_l1_and_every_saddle_is_kkt(case):
    n, d, noise, support, seed = case
    X, y, _ = random_problem(n, d, seed=seed, noise=noise, support=support)
    res = saddle_jumps(X, y)
    lp = min_l1_solution(X, y)
    scale = np.abs(lp.beta).max()
    np.testing.assert_allclose(res.beta_end, lp.beta, rtol=1e-9, atol=1e-9 * scale)
    assert res.primal_objective == np.float64(res.primal_objective)
    np.testing.assert_allclose(res.primal_objective, lp.objective, rtol=1e-9)
    b = X.T @ y / n
    np.testing.assert_allclose(res.times[1], 1 / np.max(np.abs(b)), rtol=1e-13)
    assert_kkt(X, y, res)
