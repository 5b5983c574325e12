"""Zarr stores of the pipeline (dln.io): layout, attrs, provenance, determinism."""

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dln import convergence_store, evaluation_store, flow_store, io, saddle_store
from dln.evaluate import METRICS, evaluate_flow, fit_convergence, plateau_midpoints
from dln.flow import simulate_flow
from dln.lp import min_l1_solution
from dln.problems import make_preset, make_problem
from dln.problems import store as problem_store
from dln.saddles import limit_process, saddle_jumps


def _tree_digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _all_have_attrs(ds: xr.Dataset) -> None:
    for name, var in ds.variables.items():
        assert "long_name" in var.attrs and "units" in var.attrs, name
    for key in ("title", "source", "references"):
        assert key in ds.attrs


@pytest.fixture(scope="module")
def fig2_left():
    problem = make_preset("fig2_left")
    result = saddle_jumps(problem.X, problem.y)
    lp = min_l1_solution(problem.X, problem.y)
    return problem, result, lp


# ---------------------------------------------------------------------------- alpha strings
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-100, "-100"),
        ("-100", "-100"),
        (-100.0, "-100"),
        ("-2.50", "-2.5"),
        (-2.5, "-2.5"),
        ("-1e3", "-1000"),
        ("-0.001", "-0.001"),
        (-4.3, "-4.3"),
        ("-1000", "-1000"),
    ],
)
def test_canonical_log10_alpha(value, expected):
    assert io.canonical_log10_alpha(value) == expected
    assert io.canonical_log10_alpha(expected) == expected  # idempotent


@pytest.mark.parametrize("value", [0, "0.0", 1, "abc", "nan", "-inf", True])
def test_canonical_log10_alpha_rejects(value):
    with pytest.raises(ValueError, match="log10_alpha"):
        io.canonical_log10_alpha(value)


def test_log_inv_alpha_from_log10_has_no_underflow():
    assert io.log_inv_alpha_from_log10("-1000") == pytest.approx(1000 * math.log(10))
    assert io.log_inv_alpha_from_log10(-2.5) == pytest.approx(2.5 * math.log(10))


# ---------------------------------------------------------------------------- provenance
def test_provenance_is_namespaced_and_clock_free():
    attrs = io.provenance_attrs(rule="r", params={"b": 1, "a": [1, 2]})
    assert all(k.startswith(io.PROVENANCE_PREFIX) for k in attrs)
    assert json.loads(attrs["provenance_params"]) == {"a": [1, 2], "b": 1}
    assert attrs["provenance_config_sha256"] == io.params_hash({"a": [1, 2], "b": 1})
    versions = json.loads(attrs["provenance_library_versions"])
    assert {"numpy", "xarray", "zarr", "python"} <= set(versions)
    assert attrs == io.provenance_attrs(rule="r", params={"a": [1, 2], "b": 1})
    assert io.params_hash({"a": 1}) != io.params_hash({"a": 2})


# ---------------------------------------------------------------------------- stores
def test_problem_round_trip(tmp_path):
    problem = make_problem(n_samples=5, n_features=12, support_size=2, seed=0, name="p")
    ds = problem_store.to_dataset(problem)
    _all_have_attrs(ds)
    io.write_dataset(ds, tmp_path / "p.zarr", rule="make_problem", params={"x": 1})
    back = io.read_dataset(tmp_path / "p.zarr")
    xr.testing.assert_identical(back.drop_attrs(), ds.drop_attrs())
    assert back["feature_name"].values.tolist() == list(problem.feature_names)
    assert back["feature"].values.tolist() == list(range(12))  # sorted integer index
    assert json.loads(back.attrs["generator_params"])["seed"] == 0
    assert back.attrs["provenance_rule"] == "make_problem"
    np.testing.assert_array_equal(back["X"].values, problem.X)


def test_read_cache_reads_each_store_once(tmp_path, monkeypatch):
    problem = make_problem(n_samples=5, n_features=4, support_size=2, seed=0, name="p")
    path = tmp_path / "p.zarr"
    io.write_dataset(problem_store.to_dataset(problem), path, rule="make_problem")
    fresh = io.read_dataset(path)
    opened = []
    real_open = xr.open_zarr
    monkeypatch.setattr(xr, "open_zarr", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with io.read_cache():
        first = io.read_dataset(path)
        first["X"].values[:] = 0.0  # a caller's change does not reach the cache
        first.attrs["problem"] = "changed"
        second = io.read_dataset(str(path))
        assert len(opened) == 1
        xr.testing.assert_identical(second, fresh)
        assert second["feature_name"].dtype == fresh["feature_name"].dtype
        # a write forgets the store: the next read sees the new one
        other = make_problem(n_samples=5, n_features=4, support_size=2, seed=1, name="q")
        io.write_dataset(problem_store.to_dataset(other), path, rule="make_problem")
        third = io.read_dataset(path)
        assert len(opened) == 2 and third.attrs["problem"] == "q"
    io.read_dataset(path)  # no cache outside the block
    assert len(opened) == 3


def test_problem_without_beta_star(tmp_path):
    problem = make_problem(n_samples=5, n_features=3, seed=0, name="p")
    problem = type(problem)(**{**problem.__dict__, "beta_star": None})
    ds = problem_store.to_dataset(problem)
    assert "beta_star" not in ds


def test_saddles_store_and_limit_process_round_trip(tmp_path, fig2_left):
    problem, result, lp = fig2_left
    ds = saddle_store.to_dataset(result, feature_names=problem.feature_names, lp=lp, problem="f")
    _all_have_attrs(ds)
    assert ds.sizes == {"saddle": result.n_saddles + 1, "feature": 2, "sample": 7}
    # events: +1 where a coordinate enters, -1 where it leaves
    for k in range(1, result.n_saddles + 1):
        assert set(np.flatnonzero(ds["event"].values[k] == 1)) == set(result.activated[k])
        assert set(np.flatnonzero(ds["event"].values[k] == -1)) == set(result.deactivated[k])
    assert float(ds["lp_relative_difference"]) < 1e-8
    io.write_dataset(ds, tmp_path / "s.zarr", rule="find_saddles")
    rebuilt = saddle_store.from_dataset(io.read_dataset(tmp_path / "s.zarr"))
    t = np.linspace(0, 0.2, 57)
    for a, b in zip(limit_process(result, t), limit_process(rebuilt, t), strict=True):
        np.testing.assert_array_equal(a, b)


def test_flow_store_and_evaluation(tmp_path, fig2_left):
    problem, result, lp = fig2_left
    t = np.linspace(0, 0.15, 151)
    flow = simulate_flow(
        problem.X,
        problem.y,
        log_inv_alpha=io.log_inv_alpha_from_log10("-1000"),
        t=t,
        loss_levels=plateau_midpoints(result.losses),
        rtol=1e-6,
    )
    ds = flow_store.to_dataset(flow, log10_alpha=-1000.0, feature_names=problem.feature_names)
    _all_have_attrs(ds)
    assert ds.attrs["log10_alpha"] == "-1000"
    assert float(ds["log_inv_alpha"]) == pytest.approx(1000 * math.log(10))
    assert ds["beta"].dims == ("time", "feature") and ds.sizes["jump"] == result.n_saddles
    io.write_dataset(ds, tmp_path / "f.zarr", rule="simulate_flow")

    beta_lim, s_lim = limit_process(result, t)
    ev = evaluate_flow(
        t,
        flow.beta,
        flow.s,
        crossing_times=flow.crossing_times,
        jump_times=result.times[1:],
        beta_limit=beta_lim,
        s_limit=s_lim,
        beta_l1=lp.beta,
        window=0.005,
    )
    evs = []
    for exponent in ("-1000", "-10"):
        e = evaluation_store.to_dataset(ev, t=t, log10_alpha=exponent, problem="f")
        _all_have_attrs(e)
        evs.append(e)
    lam = np.array([float(e["log_inv_alpha"]) for e in evs])
    order = np.argsort(lam)
    fit = fit_convergence(
        lam[order],
        np.vstack([ev.jump_time_errors] * 2),
        np.array([[getattr(ev, m) for m in sorted(METRICS)]] * 2),
    )
    conv = convergence_store.to_dataset(evs, fit, problem="f")
    _all_have_attrs(conv)
    assert np.all(np.diff(conv["log_inv_alpha"].values) > 0)  # sorted coord
    assert conv["jump_time_error"].dims == ("log_inv_alpha", "jump")
    assert conv["metric"].values.tolist() == sorted(conv["metric"].values.tolist())


def test_same_dataset_gives_same_bytes(tmp_path, fig2_left):
    problem, result, lp = fig2_left
    ds = saddle_store.to_dataset(result, feature_names=problem.feature_names, lp=lp)
    params = {"scales": None, "max_saddles": None}
    a = io.write_dataset(ds, tmp_path / "a.zarr", rule="find_saddles", params=params)
    b = io.write_dataset(ds, tmp_path / "b.zarr", rule="find_saddles", params=params)
    assert _tree_digest(a) == _tree_digest(b)
    # mode="w" replaces a store completely
    io.write_dataset(ds.isel(feature=[0]), a, rule="find_saddles", params=params)
    assert io.read_dataset(a).sizes["feature"] == 1


def test_in_memory_encoding_writes_what_zarr_local_store_writes(tmp_path, fig2_left, monkeypatch):
    """Stores up to io.MEMORY_ENCODE_BYTES are encoded in memory and written file by file:
    the same files (chunks of 0-d, 1-d and 2-d arrays, strings, coords) and the same bytes as
    Zarr's LocalStore, which writes the larger ones."""
    problem, result, lp = fig2_left
    t = np.linspace(0, 0.15, 31)
    lam = io.log_inv_alpha_from_log10("-10")
    flow = simulate_flow(problem.X, problem.y, log_inv_alpha=lam, t=t)
    stores = {
        "saddles": saddle_store.to_dataset(result, feature_names=problem.feature_names, lp=lp),
        "flow": flow_store.to_dataset(flow, log10_alpha=-10.0, feature_names=problem.feature_names),
        "problem": problem_store.to_dataset(problem),
    }
    for name, ds in stores.items():
        assert 0 < ds.nbytes <= io.MEMORY_ENCODE_BYTES
        in_memory = io.write_dataset(ds, tmp_path / f"{name}_memory.zarr", rule="r")
        monkeypatch.setattr(io, "MEMORY_ENCODE_BYTES", 0)
        local = io.write_dataset(ds, tmp_path / f"{name}_local.zarr", rule="r")
        monkeypatch.undo()
        digest = _tree_digest(in_memory)
        assert any(key.count("/") >= 2 for key in digest), name  # chunks in nested folders
        assert digest == _tree_digest(local), name
        dirs = {str(p.relative_to(in_memory)) for p in in_memory.rglob("*") if p.is_dir()}
        assert dirs == {str(p.relative_to(local)) for p in local.rglob("*") if p.is_dir()}
        read = io.read_dataset(in_memory)  # read into memory, then decoded
        monkeypatch.setattr(io, "MEMORY_ENCODE_BYTES", 0)
        xr.testing.assert_identical(read, io.read_dataset(local))  # through LocalStore
        monkeypatch.undo()


@pytest.mark.parametrize("limit", [None, 0])  # read into memory; through LocalStore
def test_both_ways_of_reading_find_a_missing_chunk(tmp_path, monkeypatch, limit):
    attrs = {"long_name": "v", "units": "1"}
    ds = xr.Dataset(
        {"feature": ("i", [1.0, 2.0], attrs), "feature_name": ("i", ["a", "b"], attrs)},
        attrs=io.global_attrs("t"),
    )
    path = io.write_dataset(ds, tmp_path / "s.zarr", rule="r")
    if limit is not None:
        monkeypatch.setattr(io, "MEMORY_ENCODE_BYTES", limit)
    assert io.read_dataset(path)["feature_name"].values.tolist() == ["a", "b"]
    (path / "feature" / "c" / "0").unlink()  # 'feature_name' keeps its chunk
    with pytest.raises(io.StoreError, match="array 'feature' has 0 of its 1 chunk"):
        io.read_dataset(path)


def test_write_rejects_missing_attrs(tmp_path):
    ds = xr.Dataset({"x": ("i", np.arange(3.0))})
    with pytest.raises(ValueError, match="long_name"):
        io.write_dataset(ds, tmp_path / "x.zarr", rule="r")
