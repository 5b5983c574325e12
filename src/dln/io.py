"""The one module that owns xarray / Zarr input and output.

Every store the pipeline writes is built here from the library's result objects
(:class:`dln.problems.Problem`, :class:`dln.saddles.SaddleResult`, :class:`dln.flow.FlowResult`,
:class:`dln.evaluate.FlowEvaluation`, :class:`dln.evaluate.ConvergenceFit`) and written once,
whole, with :func:`write_dataset`. Conventions (docs/pipeline.md):

- named dims with 1-D sorted integer coords; feature names live in a non-index coord
  ``feature_name(feature)``;
- every variable and coord carries ``long_name`` and ``units`` (``"1"`` when dimensionless);
- global ``title``, ``source``, ``references`` and provenance attrs under the single prefix
  ``provenance_`` (package version, git commit, rule, params as JSON, a hash of those params,
  library versions); no timestamps and no host names, so the same inputs give the same bytes;
- one chunk per variable (fixed chunking), Zarr format 3, ``consolidated=False`` for both
  writing and reading (consolidated metadata is not part of the Zarr 3 specification);
- atomic writes: a store is written into a hidden sibling directory and renamed into place,
  so it either exists complete or not at all (a job killed mid-write leaves no store);
  every chunk is written, even one holding only the fill value, so that
  :func:`read_dataset` can refuse a store with a missing chunk (Zarr itself would silently
  read the fill value) and raises :class:`StoreError` naming the store.

``alpha`` is the initialisation scale of the network (``u0 = sqrt(2) alpha``), never a
regularisation strength. It is carried as its base-10 exponent ``log10_alpha`` (a canonical
decimal string in paths and attrs) and as ``log_inv_alpha = log(1/alpha)``, never as ``alpha``
itself, which underflows for the alphas the paper uses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import uuid
import warnings
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = [
    "CONSOLIDATED",
    "ZARR_FORMAT",
    "PROVENANCE_PREFIX",
    "REFERENCES",
    "canonical_log10_alpha",
    "log_inv_alpha_from_log10",
    "provenance_attrs",
    "params_hash",
    "problem_to_dataset",
    "saddles_to_dataset",
    "saddle_result_from_dataset",
    "flow_to_dataset",
    "evaluation_to_dataset",
    "convergence_to_dataset",
    "lasso_to_dataset",
    "study_to_dataset",
    "write_dataset",
    "read_dataset",
    "check_attrs",
    "StoreError",
]

# One setting for writing and reading: Zarr 3 warns when consolidated metadata is mixed in.
CONSOLIDATED = False
ZARR_FORMAT = 3
PROVENANCE_PREFIX = "provenance_"
REFERENCES = (
    "Pesme, S. and Flammarion, N. (2023). Saddle-to-Saddle Dynamics in Diagonal Linear "
    "Networks. Advances in Neural Information Processing Systems 36, 7475-7505. "
    "arXiv:2304.00488"
)
SOURCE = "dln (reference implementation of Pesme & Flammarion 2023), Snakemake pipeline"
LN10 = math.log(10.0)
# Libraries whose versions are recorded in every store.
_LIBRARIES = ("numpy", "scipy", "xarray", "zarr", "pandas", "matplotlib", "snakemake")
# Hidden siblings used by write_dataset: ".<store name>.partial-<pid>-<random>" while writing,
# ".<store name>.old-<pid>-<random>" for the store being replaced.
_PARTIAL = ".partial-"
_OLD = ".old-"
# Files Snakemake may add inside a directory output; they are not part of the store.
_NON_STORE_FILES = (".snakemake_timestamp",)


class StoreError(ValueError):
    """A store is missing, incomplete or corrupt; the message names the store's path."""


# --------------------------------------------------------------------------------------------
# alpha as a canonical exponent string
# --------------------------------------------------------------------------------------------
def canonical_log10_alpha(value: str | int | float) -> str:
    """Canonical decimal string of the base-10 exponent of ``alpha`` (``alpha = 10**value``).

    The string is the shortest plain decimal (no exponent, no trailing zeros, no ``+``):
    ``-100``, ``-2.5``, ``-1000``. Floats are converted through ``repr`` (their shortest
    round-trip form), so ``-2.5`` and ``"-2.50"`` both give ``"-2.5"``.

    Raises
    ------
    ValueError
        If ``value`` is not a finite number, or not negative (``alpha`` must be < 1 so that
        ``log(1/alpha) > 0``).
    """
    if isinstance(value, bool):
        raise ValueError(f"log10_alpha must be a number, got {value!r}")
    try:
        dec = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise ValueError(f"log10_alpha must be a decimal number, got {value!r}") from None
    if not dec.is_finite():
        raise ValueError(f"log10_alpha must be finite, got {value!r}")
    if dec >= 0:
        raise ValueError(f"log10_alpha must be < 0 (alpha < 1), got {value!r}")
    text = format(dec.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def log_inv_alpha_from_log10(log10_alpha: str | int | float) -> float:
    """``log(1/alpha) = -log10_alpha * log(10)`` (the paper's ``Lam``), computed without alpha."""
    return -float(Decimal(canonical_log10_alpha(log10_alpha))) * LN10


# --------------------------------------------------------------------------------------------
# provenance
# --------------------------------------------------------------------------------------------
def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(obj: Any):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def params_hash(params: Mapping[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON of ``params`` (sorted keys, no whitespace)."""
    return hashlib.sha256(_json(params or {}).encode()).hexdigest()


def _git_commit() -> str:
    """Commit of the repository holding the installed ``dln`` sources, or ``"unknown"``."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _package_version() -> str:
    from dln._version import __version__

    return __version__


def provenance_attrs(*, rule: str, params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Provenance attrs under the prefix :data:`PROVENANCE_PREFIX`.

    Parameters
    ----------
    rule : str
        Snakemake rule (or function) that made the store.
    params : mapping, optional
        The configuration this job received (its Snakemake ``params``), JSON-serialisable.

    Returns
    -------
    dict
        ``provenance_package``, ``provenance_package_version``, ``provenance_git_commit``,
        ``provenance_rule``, ``provenance_params`` (canonical JSON), ``provenance_config_sha256``
        (SHA-256 of that JSON: the configuration subset this store depends on) and
        ``provenance_library_versions`` (JSON). Nothing depends on the clock or the host.
        The commit is ``git rev-parse HEAD`` of the repository holding ``dln``, unless the
        environment variable ``DLN_GIT_COMMIT`` overrides it (installed copies, tests).
    """
    p = PROVENANCE_PREFIX
    return {
        f"{p}package": "dln",
        f"{p}package_version": _package_version(),
        f"{p}git_commit": os.environ.get("DLN_GIT_COMMIT") or _git_commit(),
        f"{p}rule": str(rule),
        f"{p}params": _json(params or {}),
        f"{p}config_sha256": params_hash(params),
        f"{p}library_versions": _json(_library_versions()),
    }


# --------------------------------------------------------------------------------------------
# building datasets
# --------------------------------------------------------------------------------------------
def _attrs(long_name: str, units: str = "1", description: str | None = None) -> dict[str, str]:
    out = {"long_name": long_name, "units": units}
    if description:
        out["description"] = description
    return out


def _base_coords(n_features: int, feature_names: Sequence[str] | None) -> dict[str, Any]:
    names = (
        [f"x{j}" for j in range(n_features)]
        if feature_names is None
        else [str(n) for n in feature_names]
    )
    if len(names) != n_features:
        raise ValueError(f"feature_names has {len(names)} entries, expected {n_features}")
    return {
        "feature": ("feature", np.arange(n_features), _attrs("feature index")),
        "feature_name": ("feature", np.array(names, dtype=object), _attrs("feature name")),
    }


def _global(title: str, **extra: Any) -> dict[str, Any]:
    out = {"title": title, "source": SOURCE, "references": REFERENCES}
    out.update(extra)
    return out


def problem_to_dataset(problem) -> xr.Dataset:
    """Store layout of a regression problem (``X``, ``y``, ``beta_star`` when known).

    Parameters
    ----------
    problem : dln.problems.Problem
        Needs ``name``, ``X`` (n, d), ``y`` (n,), ``beta_star`` (d,) or None,
        ``feature_names``, ``params`` (JSON-serialisable) and ``target_name``.
    """
    X = np.asarray(problem.X, dtype=np.float64)
    y = np.asarray(problem.y, dtype=np.float64)
    n, d = X.shape
    coords = _base_coords(d, getattr(problem, "feature_names", None))
    coords["sample"] = ("sample", np.arange(n), _attrs("sample index"))
    target = str(getattr(problem, "target_name", "y") or "y")
    data = {
        "X": (("sample", "feature"), X, _attrs("design matrix", description="rows x_i")),
        "y": (
            ("sample",),
            y,
            _attrs("target", description=f"regression target ({target})"),
        ),
    }
    beta_star = getattr(problem, "beta_star", None)
    if beta_star is not None:
        data["beta_star"] = (
            ("feature",),
            np.asarray(beta_star, dtype=np.float64),
            _attrs("planted coefficients", description="beta* used to generate y"),
        )
    params = dict(getattr(problem, "params", {}) or {})
    return xr.Dataset(
        data,
        coords=coords,
        attrs=_global(
            f"Regression problem {problem.name}",
            problem=str(problem.name),
            target_name=target,
            n_samples=int(n),
            n_features=int(d),
            generator_params=_json(params),
        ),
    )


def _events(activated, deactivated, n_saddles: int, d: int) -> np.ndarray:
    event = np.zeros((n_saddles, d), dtype=np.int8)
    for k, idx in enumerate(activated):
        event[k, np.asarray(idx, dtype=int)] = 1
    for k, idx in enumerate(deactivated):
        event[k, np.asarray(idx, dtype=int)] = -1
    return event


def saddles_to_dataset(result, *, feature_names=None, lp=None, problem: str = "") -> xr.Dataset:
    """Store layout of Algorithm 1's output, its certificate and the LP endpoint check.

    Parameters
    ----------
    result : dln.saddles.SaddleResult
        Output of :func:`dln.saddles.saddle_jumps`.
    feature_names : sequence of str, optional
    lp : dln.lp.L1Result, optional
        Minimum-(weighted-)l1 solution of the same problem; stored as ``lp_beta`` with the
        relative difference ``||beta_p - beta_lp||_inf / max(||beta_lp||_inf, tiny)``.
    problem : str
        Name of the problem (attr).
    """
    times = np.asarray(result.times, dtype=np.float64)
    betas = np.asarray(result.betas, dtype=np.float64)
    m, d = betas.shape
    coords = _base_coords(d, feature_names)
    coords["saddle"] = ("saddle", np.arange(m), _attrs("saddle index k", description="k = 0..p"))
    event = _events(result.activated, result.deactivated, m, d)
    s = np.asarray(result.s, dtype=np.float64)
    data = {
        "jump_time": (
            ("saddle",),
            times,
            _attrs("jump time t_k", "accelerated time", "time of the jump onto saddle k"),
        ),
        "beta": (("saddle", "feature"), betas, _attrs("saddle beta_k")),
        "s": (("saddle", "feature"), s, _attrs("dual variable s(t_k)")),
        "loss": (
            ("saddle",),
            np.asarray(result.losses, dtype=np.float64),
            _attrs("loss L(beta_k)"),
        ),
        "event": (
            ("saddle", "feature"),
            event,
            _attrs(
                "support event",
                description="+1: coordinate enters the support at jump k; -1: leaves it; 0: none",
            ),
        ),
        "n_active": (
            ("saddle",),
            np.count_nonzero(betas, axis=1).astype(np.int64),
            _attrs("support size of beta_k"),
        ),
        "scales": (
            ("feature",),
            np.asarray(result.scales, dtype=np.float64),
            _attrs("coordinate scales k_i", description="initialisation alpha**k_i"),
        ),
    }
    gradients = getattr(result, "gradients", None)
    if gradients is not None:
        data["gradient"] = (
            ("saddle", "feature"),
            np.asarray(gradients, dtype=np.float64),
            _attrs("gradient of L at beta_k", description="s moves as -gradient on (t_k, t_k+1)"),
        )
    rho = getattr(result, "rho", None)
    if rho is not None:
        rho = np.asarray(rho, dtype=np.float64)
        coords["sample"] = ("sample", np.arange(rho.shape[0]), _attrs("sample index"))
        data["rho"] = (
            ("sample",),
            rho,
            _attrs("dual certificate rho", description="s_p = X^T rho"),
        )
    for name, long_name in (
        ("primal_objective", "weighted l1 norm of beta_p"),
        ("dual_objective", "dual objective rho^T X beta_p"),
        ("duality_gap", "duality gap of the certificate"),
        ("max_dual_violation", "max(|s_p| - k, 0)"),
        ("certificate_residual", "||X^T rho - s_p||_inf"),
    ):
        value = getattr(result, name, None)
        if value is not None:
            data[name] = ((), np.float64(value), _attrs(long_name))
    attrs = _global(
        f"Saddles and jump times (Algorithm 1) of {problem}".strip(),
        problem=problem,
        n_saddles=int(m - 1),
        status=int(getattr(result, "status", 0)),
        message=str(getattr(result, "message", "")),
        nnls_iterations=int(getattr(result, "nnls_iterations", 0)),
    )
    if lp is not None:
        beta_lp = np.asarray(lp.beta, dtype=np.float64)
        scale = max(float(np.max(np.abs(beta_lp))), np.finfo(float).tiny)
        rel = float(np.max(np.abs(betas[-1] - beta_lp))) / scale
        data["lp_beta"] = (
            ("feature",),
            beta_lp,
            _attrs("minimum-l1 solution (LP)", description="basis pursuit solved by HiGHS"),
        )
        data["lp_objective"] = ((), np.float64(lp.objective), _attrs("l1 norm of the LP solution"))
        data["lp_relative_difference"] = (
            (),
            np.float64(rel),
            _attrs(
                "relative difference of beta_p and the LP solution",
                description="||beta_p - beta_lp||_inf / ||beta_lp||_inf",
            ),
        )
        attrs["lp_status"] = int(getattr(lp, "status", 0))
        attrs["lp_message"] = str(getattr(lp, "message", ""))
    return xr.Dataset(data, coords=coords, attrs=attrs)


def saddle_result_from_dataset(ds: xr.Dataset):
    """Rebuild a :class:`dln.saddles.SaddleResult` from a saddles store.

    Fields the store does not hold get neutral values; ``activated`` / ``deactivated`` come
    from ``event``. Used to call :func:`dln.saddles.limit_process` on a stored result.
    """
    from dln.saddles import SaddleResult

    event = ds["event"].values
    d = ds.sizes["feature"]
    values: dict[str, Any] = {
        "times": ds["jump_time"].values,
        "betas": ds["beta"].values,
        "s": ds["s"].values,
        "losses": ds["loss"].values,
        "gradients": ds["gradient"].values if "gradient" in ds else None,
        "activated": tuple(np.flatnonzero(row == 1) for row in event),
        "deactivated": tuple(np.flatnonzero(row == -1) for row in event),
        "scales": ds["scales"].values if "scales" in ds else np.ones(d),
        "rho": ds["rho"].values if "rho" in ds else None,
        "status": int(ds.attrs.get("status", 0)),
        "message": str(ds.attrs.get("message", "")),
        "nnls_iterations": int(ds.attrs.get("nnls_iterations", 0)),
    }
    for name in (
        "primal_objective",
        "dual_objective",
        "duality_gap",
        "max_dual_violation",
        "certificate_residual",
    ):
        values[name] = float(ds[name]) if name in ds else math.nan
    kwargs = {}
    for f in dataclasses.fields(SaddleResult):
        if not f.init:
            continue
        if f.name in values:
            kwargs[f.name] = values[f.name]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            kwargs[f.name] = None
    return SaddleResult(**kwargs)


def flow_to_dataset(
    result,
    *,
    log10_alpha: str,
    feature_names=None,
    problem: str = "",
    solver: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Store layout of a finite-alpha flow in accelerated time.

    Parameters
    ----------
    result : dln.flow.FlowResult
        Output of :func:`dln.flow.simulate_flow` (or :func:`dln.gd.gradient_descent`).
    log10_alpha : str
        Canonical exponent string of the initialisation scale (``alpha = 10**log10_alpha``).
    feature_names : sequence of str, optional
    problem : str
    solver : mapping, optional
        Solver settings (method, rtol, ...) recorded as a JSON attr.
    """
    log10 = canonical_log10_alpha(log10_alpha)
    t = np.asarray(result.t, dtype=np.float64)
    beta = np.asarray(result.beta, dtype=np.float64)
    d = beta.shape[1]
    coords = _base_coords(d, feature_names)
    coords["time"] = ("time", t, _attrs("time t", "accelerated time"))
    levels = np.asarray(getattr(result, "crossing_levels", np.zeros(0)), dtype=np.float64)
    crossings = np.asarray(getattr(result, "crossing_times", np.zeros(0)), dtype=np.float64)
    coords["jump"] = ("jump", np.arange(1, levels.shape[0] + 1), _attrs("jump index k"))
    lam = float(result.log_inv_alpha)
    data = {
        "beta": (
            ("time", "feature"),
            beta,
            _attrs("beta~(t)", description="accelerated iterate beta(log(1/alpha) t)"),
        ),
        "s": (
            ("time", "feature"),
            np.asarray(result.s, dtype=np.float64),
            _attrs("dual variable s(t)", description="-int_0^t grad L(beta~(r)) dr"),
        ),
        "loss": (("time",), np.asarray(result.loss, dtype=np.float64), _attrs("loss L(beta~(t))")),
        "crossing_level": (
            ("jump",),
            levels,
            _attrs("loss level", description="midpoint of the loss plateaux before/after jump k"),
        ),
        "crossing_time": (
            ("jump",),
            crossings,
            _attrs(
                "crossing time",
                "accelerated time",
                "first downward crossing of crossing_level by the loss (NaN: not reached)",
            ),
        ),
        "log10_alpha": (
            (),
            np.float64(float(Decimal(log10))),
            _attrs("log10 of the initialisation scale alpha", description=f"alpha = 1e{log10}"),
        ),
        "log_inv_alpha": ((), np.float64(lam), _attrs("log(1/alpha)", description="Lam")),
        "scales": (
            ("feature",),
            np.asarray(result.scales, dtype=np.float64),
            _attrs("coordinate scales k_i"),
        ),
    }
    attrs = _global(
        f"Gradient flow of {problem} at alpha = 1e{log10}".strip(),
        problem=problem,
        log10_alpha=log10,
        log_inv_alpha=lam,
        status=int(getattr(result, "status", 0)),
        message=str(getattr(result, "message", "")),
        solver=_json(dict(solver or {})),
    )
    for name in ("nfev", "njev", "nlu", "n_steps"):
        value = getattr(result, name, None)
        if value is not None:
            attrs[name] = int(value)
    return xr.Dataset(data, coords=coords, attrs=attrs)


def evaluation_to_dataset(
    evaluation, *, t, log10_alpha: str, problem: str = "", feature_names=None
) -> xr.Dataset:
    """Store layout of one flow-versus-limit comparison (:class:`dln.evaluate.FlowEvaluation`)."""
    log10 = canonical_log10_alpha(log10_alpha)
    ev = evaluation
    t = np.asarray(t, dtype=np.float64)
    p = np.asarray(ev.jump_times).shape[0]
    coords = {
        "time": ("time", t, _attrs("time t", "accelerated time")),
        "jump": ("jump", np.arange(1, p + 1), _attrs("jump index k")),
    }
    time_units = "accelerated time"
    data = {
        "jump_time": (("jump",), ev.jump_times, _attrs("limit jump time t_k", time_units)),
        "crossing_time": (
            ("jump",),
            ev.crossing_times,
            _attrs("flow crossing time", time_units, "loss crosses the plateau midpoint"),
        ),
        "jump_time_error": (
            ("jump",),
            ev.jump_time_errors,
            _attrs("jump time error", time_units, "crossing_time - jump_time"),
        ),
        "distance": (
            ("time",),
            ev.distance,
            _attrs("distance to the limit", description="||beta~(t) - beta°(t)||_inf"),
        ),
        "in_window": (
            ("time",),
            ev.in_window,
            _attrs("inside a jump window", description="|t - t_k| <= window for some k >= 1"),
        ),
        "window": ((), np.float64(ev.window), _attrs("window half-width delta", time_units)),
        "log10_alpha": (
            (),
            np.float64(float(Decimal(log10))),
            _attrs("log10 of the initialisation scale alpha"),
        ),
        "log_inv_alpha": ((), np.float64(log_inv_alpha_from_log10(log10)), _attrs("log(1/alpha)")),
    }
    from dln.evaluate import METRICS

    for name, (long_name, description) in METRICS.items():
        units = time_units if name == "integrated_distance" else "1"
        data[name] = ((), np.float64(getattr(ev, name)), _attrs(long_name, units, description))
    return xr.Dataset(
        data,
        coords=coords,
        attrs=_global(
            f"Flow versus limit process for {problem} at alpha = 1e{log10}".strip(),
            problem=problem,
            log10_alpha=log10,
        ),
    )


def convergence_to_dataset(
    evaluations: Sequence[xr.Dataset], fit, *, problem: str = ""
) -> xr.Dataset:
    """Combine per-alpha evaluation stores along ``log_inv_alpha`` and attach the fits.

    Parameters
    ----------
    evaluations : sequence of xarray.Dataset
        Evaluation stores of one problem (any order; sorted here by ``log_inv_alpha``).
    fit : dln.evaluate.ConvergenceFit
        Output of :func:`dln.evaluate.fit_convergence` on the same data.
    """
    from dln.evaluate import METRICS

    evs = sorted(evaluations, key=lambda e: float(e["log_inv_alpha"]))
    lam = np.array([float(e["log_inv_alpha"]) for e in evs])
    log10 = np.array([float(e["log10_alpha"]) for e in evs])
    n_jumps = max(e.sizes["jump"] for e in evs)
    coords = {
        "log_inv_alpha": ("log_inv_alpha", lam, _attrs("log(1/alpha)")),
        "jump": ("jump", np.arange(1, n_jumps + 1), _attrs("jump index k")),
        "metric": ("metric", np.array(sorted(METRICS), dtype=object), _attrs("metric name")),
    }

    def per_jump(name: str) -> np.ndarray:
        out = np.full((lam.size, n_jumps), np.nan)
        for i, e in enumerate(evs):
            out[i, : e.sizes["jump"]] = e[name].values
        return out

    metric_names = sorted(METRICS)
    data = {
        "log10_alpha": (
            ("log_inv_alpha",),
            log10,
            _attrs("log10 of the initialisation scale alpha"),
        ),
        "jump_time": (
            ("jump",),
            per_jump("jump_time")[0],
            _attrs("limit jump time t_k", "accelerated time"),
        ),
        "jump_time_error": (
            ("log_inv_alpha", "jump"),
            per_jump("jump_time_error"),
            _attrs("jump time error", "accelerated time", "crossing_time - jump_time"),
        ),
        "metric_value": (
            ("log_inv_alpha", "metric"),
            np.array([[float(e[m]) for m in metric_names] for e in evs]),
            _attrs("error metric"),
        ),
    }
    fit_attrs = {
        "slope": ("log-log slope", "d log|error| / d log log(1/alpha)"),
        "intercept": ("log-log intercept", "log|error| at log(1/alpha) = 1"),
        "rvalue": ("correlation of the log-log fit", None),
        "stderr": ("standard error of the slope", None),
        "constant": ("constant C", "error ~ C / log(1/alpha): median of error * log(1/alpha)"),
        "n_points": ("number of alphas in the fit", None),
    }
    for key, (long_name, description) in fit_attrs.items():
        data[f"jump_{key}"] = (
            ("jump",),
            np.asarray(getattr(fit.jumps, key), dtype=np.float64),
            _attrs(f"{long_name} (jump time error)", "1", description),
        )
        data[f"metric_{key}"] = (
            ("metric",),
            np.asarray(getattr(fit.metrics, key), dtype=np.float64),
            _attrs(f"{long_name} (metric)", "1", description),
        )
    return xr.Dataset(
        data,
        coords=coords,
        attrs=_global(f"Convergence in alpha of {problem}".strip(), problem=problem),
    )


def lasso_to_dataset(path, *, t, coefs, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a Lasso path (:class:`dln.baselines.LassoPath`) on the time axis 1/lam.

    Parameters
    ----------
    path : dln.baselines.LassoPath
        Knots ``lam_k`` and the Lasso solutions there.
    t : array of shape (m,)
        Accelerated times at which ``coefs`` is given (``lam = 1/t``).
    coefs : array of shape (m, n_features)
        The Lasso solution at ``t`` (:func:`dln.baselines.lasso_coefficients`).
    """
    lambdas = np.asarray(path.lambdas, dtype=np.float64)
    knot_coefs = np.asarray(path.coefs, dtype=np.float64)
    coords = _base_coords(knot_coefs.shape[1], feature_names)
    coords["knot"] = (
        "knot",
        np.arange(lambdas.shape[0]),
        _attrs("knot index", description="0-based"),
    )
    coords["time"] = ("time", np.asarray(t, dtype=np.float64), _attrs("time t", "accelerated time"))
    lam_description = "regularisation of ||y - X b||^2 / (2 n) + lam ||b||_1 (scikit-learn alpha)"
    data = {
        "knot_lambda": (("knot",), lambdas, _attrs("Lasso knot lam_k", "1", lam_description)),
        "knot_time": (
            ("knot",),
            np.asarray(path.times, dtype=np.float64),
            _attrs("knot time 1/lam_k", "accelerated time"),
        ),
        "knot_beta": (("knot", "feature"), knot_coefs, _attrs("Lasso solution at the knot")),
        "beta": (
            ("time", "feature"),
            np.asarray(coefs, dtype=np.float64),
            _attrs("Lasso solution at lam = 1/t", description="affine in lam between knots"),
        ),
        "end_beta": (
            ("feature",),
            np.asarray(path.end_coef, dtype=np.float64),
            _attrs("Lasso solution at the end of the path", description="lam = end_lambda"),
        ),
        "end_lambda": ((), np.float64(path.end_lambda), _attrs("lam at the end of the path")),
    }
    return xr.Dataset(
        data,
        coords=coords,
        attrs=_global(
            f"Lasso path (LARS) of {problem}".strip(),
            problem=problem,
            n_knots=int(path.n_knots),
            n_iter=int(path.n_iter),
            status=int(path.status),
            message=str(path.message),
        ),
    )


# --------------------------------------------------------------------------------------------
# studies (dln.studies)
# --------------------------------------------------------------------------------------------
# Per study kind: the long names and units of its variables, in the units of dln.studies.
_TIME = "accelerated time"
_STUDY_VARIABLES = {
    "noise": {
        "noise_level": ("noise std / std(y)", "1"),
        "seed": ("noise seed", "1"),
        "activation_time": ("entry time of the feature", _TIME, "inf: never active"),
        "clean_activation_time": ("entry time without added noise", _TIME, "inf: never"),
        "jump_time": ("jump time t_k of Algorithm 1", _TIME, "NaN-padded"),
        "clean_jump_time": ("jump time t_k without added noise", _TIME),
        "n_jumps": ("number of jumps p", "1"),
        "end_beta": ("last saddle (minimum-l1 solution)", "1"),
        "clean_end_beta": ("last saddle without added noise", "1"),
        "agreement_clean": ("Kendall tau-b with the clean activation order", "1"),
        "agreement_seeds": ("mean pairwise Kendall tau-b among seeds", "1"),
        "support_jaccard": ("Jaccard index of the end support with the clean one", "1"),
    },
    "initialisation": {
        "log_inv_alpha": ("log(1/alpha)", "1", "alpha is the initialisation scale"),
        "direction": ("direction index", "1"),
        "scale_set": ("scale vector index", "1"),
        "time": ("time t", _TIME),
        "directions": ("positive direction c_i", "1", "u0 = sqrt(2) alpha c_i, c_i = |N(0,1)|"),
        "limit_jump_time": ("jump time t_k of Algorithm 1", _TIME),
        "limit_activation_time": ("entry time in the limit", _TIME, "inf: never"),
        "limit_end_beta": ("last saddle (minimum-l1 solution)", "1"),
        "crossing_time": ("flow crossing time of the plateau midpoint", _TIME),
        "flow_activation_time": ("entry time in the flow", _TIME, "|beta_i| reaches a threshold"),
        "agreement": ("Kendall tau-b of the flow and limit activation orders", "1"),
        "scales": ("coordinate scales k_i", "1", "initialisation alpha**k_i"),
        "weighted_end_beta": ("last saddle with scales k (weighted min-l1)", "1"),
        "weighted_lp_beta": ("weighted minimum-l1 solution (LP)", "1"),
        "weighted_lp_difference": ("relative difference of saddle and LP endpoints", "1"),
        "weighted_activation_time": ("entry time in the weighted limit", _TIME, "inf: never"),
        "weighted_agreement": ("Kendall tau-b of weighted and unit-scale orders", "1"),
        "weighted_flow_end_beta": ("weighted flow at the end of its grid", "1"),
        "weighted_flow_distance": ("relative distance of the flow end to the weighted end", "1"),
    },
    "step_size": {
        "step": ("step size (original time)", "1"),
        "time": ("time t", _TIME),
        "flow_beta": ("flow beta~(t)", "1"),
        "gd_beta": ("gradient descent beta(t)", "1", "NaN after divergence"),
        "diverged": ("gradient descent diverged", "1"),
        "relative_error": ("||beta_gd - beta_flow||_inf / max ||beta_flow||_inf", "1"),
        "max_relative_error": ("largest relative error over the grid", "1"),
        "departure_time": ("first time the relative error exceeds the threshold", _TIME),
        "flow_crossing_time": ("flow crossing time of the plateau midpoint", _TIME),
        "gd_crossing_time": ("GD crossing time of the plateau midpoint", _TIME),
        "limit_jump_time": ("jump time t_k of Algorithm 1", _TIME),
        "time_rounding": ("largest rounding of grid times to iterations", _TIME),
    },
    "baselines": {
        "saddle_time": ("entry time in the saddles", _TIME, "inf: never"),
        "lasso_time": ("entry time on the Lasso path", "1/lambda", "inf: never"),
        "omp_step": ("OMP step selecting the feature", "1", "inf: never"),
        "saddle_rank": ("position in the saddle order", "1", "0: never"),
        "lasso_rank": ("position in the Lasso order", "1", "0: never"),
        "omp_rank": ("position in the OMP order", "1", "0: never"),
        "saddle_leaves": ("leaves the saddle support later", "1"),
        "lasso_leaves": ("leaves the Lasso support later", "1"),
        "saddle_end": ("last saddle", "1"),
        "lasso_end": ("end of the Lasso path", "1"),
        "omp_end": ("end of OMP", "1"),
        "lp_beta": ("minimum-l1 solution (LP)", "1"),
        "saddle_path_l1": ("l1 norm of the saddle", "1"),
        "saddle_path_loss": ("loss of the saddle", "1"),
        "saddle_path_size": ("support size of the saddle", "1"),
        "lasso_path_l1": ("l1 norm at the Lasso knot", "1"),
        "lasso_path_loss": ("loss at the Lasso knot", "1"),
        "lasso_path_size": ("support size at the Lasso knot", "1"),
        "omp_path_l1": ("l1 norm at the OMP step", "1"),
        "omp_path_loss": ("loss at the OMP step", "1"),
        "omp_path_size": ("support size at the OMP step", "1"),
    },
}
# Dimensions of each array field of the study dataclasses (scalars: ()).
_STUDY_DIMS = {
    "noise": {
        "noise_levels": ("noise_level",),
        "activation_time": ("noise_level", "seed", "feature"),
        "clean_activation_time": ("feature",),
        "jump_times": ("noise_level", "seed", "jump"),
        "clean_jump_times": ("clean_jump",),
        "n_jumps": ("noise_level", "seed"),
        "end_beta": ("noise_level", "seed", "feature"),
        "clean_end_beta": ("feature",),
        "agreement_clean": ("noise_level", "seed"),
        "agreement_seeds": ("noise_level",),
        "support_jaccard": ("noise_level", "seed"),
    },
    "initialisation": {
        "directions": ("direction", "feature"),
        "limit_jump_times": ("jump",),
        "limit_activation_time": ("feature",),
        "limit_end_beta": ("feature",),
        "crossing_time": ("log_inv_alpha", "direction", "jump"),
        "flow_activation_time": ("log_inv_alpha", "direction", "feature"),
        "agreement": ("log_inv_alpha", "direction"),
        "scales": ("scale_set", "feature"),
        "weighted_end_beta": ("scale_set", "feature"),
        "weighted_lp_beta": ("scale_set", "feature"),
        "weighted_lp_difference": ("scale_set",),
        "weighted_activation_time": ("scale_set", "feature"),
        "weighted_agreement": ("scale_set",),
        "weighted_flow_end_beta": ("scale_set", "feature"),
        "weighted_flow_distance": ("scale_set",),
    },
    "step_size": {
        "flow_beta": ("time", "feature"),
        "gd_beta": ("step", "time", "feature"),
        "diverged": ("step",),
        "relative_error": ("step", "time"),
        "max_relative_error": ("step",),
        "departure_time": ("step",),
        "flow_crossing_time": ("jump",),
        "gd_crossing_time": ("step", "jump"),
        "limit_jump_times": ("jump",),
        "time_rounding": ("step",),
    },
    "baselines": {},
}
# Fields stored as coordinates rather than variables.
_STUDY_COORDS = {
    "noise_levels": "noise_level",
    "log_inv_alphas": "log_inv_alpha",
    "steps": "step",
    "seeds": "seed",
    "t": "time",
}


def study_to_dataset(study, *, kind: str, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a study of :mod:`dln.studies` (one dataclass, one store).

    Parameters
    ----------
    study : NoiseStudy, InitialisationStudy, StepSizeStudy or BaselineComparison
    kind : {"noise", "initialisation", "step_size", "baselines"}
    feature_names : sequence of str, optional
    problem : str
        The problem the study was run on (attr).

    Array fields become variables with named dims (``feature``, ``noise_level``, ``seed``,
    ``jump``, ``log_inv_alpha``, ``direction``, ``scale_set``, ``step``, ``time``, ...);
    scalar fields become 0-d variables (floats) or attrs (ints, strings). ``inf`` marks a
    feature that never becomes active. The variable names drop the plural ``s`` of the
    dataclass fields where the store has one value per coordinate (``jump_times`` ->
    ``jump_time``).
    """
    if kind not in _STUDY_VARIABLES:
        raise ValueError(f"kind must be one of {sorted(_STUDY_VARIABLES)}, got {kind!r}")
    meta = _STUDY_VARIABLES[kind]
    dims_of = _STUDY_DIMS[kind]
    values = {f.name: getattr(study, f.name) for f in dataclasses.fields(study)}
    d = None
    feature_arrays = [k for k, v in dims_of.items() if v and v[-1] == "feature"]
    if kind == "baselines":
        d = np.asarray(study.saddle_time).shape[0]
    elif feature_arrays:
        d = np.asarray(values[feature_arrays[0]]).shape[-1]
    coords = _base_coords(d, feature_names) if d is not None else {}
    data: dict[str, Any] = {}
    attrs = _global(f"Study '{kind}' on {problem}".strip(), problem=problem, study=kind)

    def var_attrs(name: str) -> dict[str, str]:
        entry = meta.get(name, (name.replace("_", " "), "1"))
        return _attrs(*entry)

    for name, value in values.items():
        if name in _STUDY_COORDS:
            dim = _STUDY_COORDS[name]
            arr = np.asarray(value)
            arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float64)
            coords[dim] = (dim, arr, var_attrs(dim))
            continue
        if kind == "baselines" and isinstance(value, np.ndarray):
            # per-feature arrays, and paths: saddle_path_l1 along the dim saddle_point, etc.
            path = "_path_" in name
            dims_of = {
                **dims_of,
                name: (f"{name.split('_path_')[0]}_point",) if path else ("feature",),
            }
        if name in dims_of:
            arr = np.asarray(value)
            if arr.dtype == bool:
                arr = arr.astype(np.int8)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
            else:
                arr = arr.astype(np.float64)
            store_name = name[:-1] if name.endswith("_times") else name
            data[store_name] = (dims_of[name], arr, var_attrs(store_name))
        elif isinstance(value, bool | np.bool_):
            attrs[name] = int(value)
        elif isinstance(value, int | np.integer):
            attrs[name] = int(value)
        elif isinstance(value, float | np.floating):
            data[name] = ((), np.float64(value), var_attrs(name))
        elif isinstance(value, str):
            attrs[name] = value
    for dim in {dim for dims, *_ in data.values() for dim in dims}:
        if dim not in coords:
            size = next(v[1].shape[v[0].index(dim)] for v in data.values() if dim in v[0])
            coords[dim] = (dim, np.arange(size), _attrs(f"{dim.replace('_', ' ')} index"))
    return xr.Dataset(data, coords=coords, attrs=attrs)


# --------------------------------------------------------------------------------------------
# writing and reading
# --------------------------------------------------------------------------------------------
def check_attrs(ds: xr.Dataset) -> None:
    """Raise ``ValueError`` unless every variable and coord has ``long_name`` and ``units``."""
    missing = [
        name
        for name, var in ds.variables.items()
        if "long_name" not in var.attrs or "units" not in var.attrs
    ]
    if missing:
        raise ValueError(f"variables without long_name/units attrs: {sorted(map(str, missing))}")
    for key in ("title", "source", "references"):
        if key not in ds.attrs:
            raise ValueError(f"dataset lacks the global attr {key!r}")


def write_dataset(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    rule: str,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``ds`` as a whole Zarr store at ``path`` (``mode="w"``), with provenance attrs.

    Every variable is one chunk (fixed chunking) and object strings are stored as the Zarr 3
    ``string`` type. The same dataset and params always give the same bytes.

    The write is atomic: the store is written into a hidden sibling directory
    ``.<name>.partial-<pid>-<random>`` and renamed to ``path`` only when complete, so ``path``
    holds either the whole new store or nothing (or, if it existed, the old store until the
    rename). A write that fails removes its partial directory; one killed outright leaves
    it behind, and the next write of the same ``path`` removes it. Two processes must not
    write the same ``path`` at once (Snakemake never does). Every chunk is written, even one
    that holds only the fill value, and the global attr ``store_arrays`` lists the arrays:
    :func:`read_dataset` checks both.
    """
    check_attrs(ds)
    ds = ds.copy()
    ds.attrs = {**ds.attrs, **provenance_attrs(rule=rule, params=params)}
    ds.attrs["store_arrays"] = _json(sorted(map(str, ds.variables)))
    strings = {
        name: var.copy(data=np.asarray(var.values, dtype=object))
        for name, var in ds.variables.items()
        if var.dtype.kind in "UST"
    }
    ds = _replace_variables(ds, strings)
    encoding = {}
    for name, var in ds.variables.items():
        encoding[name] = {"chunks": tuple(var.shape)} if var.ndim else {}
        var.encoding = {}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(path)
    token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    partial = path.with_name(f".{path.name}{_PARTIAL}{token}")
    try:
        ds.to_zarr(
            partial,
            mode="w-",
            consolidated=CONSOLIDATED,
            zarr_format=ZARR_FORMAT,
            encoding=encoding,
            write_empty_chunks=True,
        )
        if path.exists() or path.is_symlink():
            old = path.with_name(f".{path.name}{_OLD}{token}")
            os.rename(path, old)
            os.rename(partial, path)
            _remove(old)
        else:
            os.rename(partial, path)
    except BaseException:
        _remove(partial)
        raise
    return path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _remove_stale_siblings(path: Path) -> None:
    """Remove what killed writes of ``path`` left behind (partial and replaced stores)."""
    if not path.parent.is_dir():
        return
    for marker in (_PARTIAL, _OLD):
        for stale in path.parent.glob(f".{path.name}{marker}*"):
            _remove(stale)


def read_dataset(path: str | os.PathLike) -> xr.Dataset:
    """Open a store written by :func:`write_dataset`, load it into memory and close it.

    Raises
    ------
    StoreError
        If the store does not exist, has no or broken Zarr metadata, lacks an array listed in
        its ``store_arrays`` attr, lacks a chunk, or cannot be decoded. The message names the
        store; Zarr's own exception is not chained, since it points deep into Zarr.
    """
    path = Path(path)
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise StoreError(f"store {str(path)!r} {what}")
    if not (path / "zarr.json").is_file():
        raise StoreError(
            f"store {str(path)!r} has no zarr.json: not a Zarr 3 store, or an incomplete write; "
            "delete it and rerun the rule that makes it"
        )
    problem = None
    try:
        with warnings.catch_warnings():
            # Snakemake marks directory outputs with a .snakemake_timestamp file, which Zarr
            # reports as an unknown object; it is harmless.
            warnings.filterwarnings("ignore", message=".*snakemake_timestamp.*")
            problem = _missing_parts(path)
            if problem is None:
                with xr.open_zarr(path, consolidated=CONSOLIDATED, zarr_format=ZARR_FORMAT) as ds:
                    out = ds.load()
    except Exception as exc:  # any Zarr or xarray failure means an unreadable store
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        problem = f"cannot be read ({type(exc).__name__}: {detail[:300]})"
    if problem is not None:
        raise StoreError(
            f"store {str(path)!r} is corrupt or incomplete: {problem}; delete it and rerun "
            "the rule that makes it"
        )
    out.attrs.pop("store_arrays", None)
    strings = {}
    for name, var in out.variables.items():
        if var.dtype.kind == "T" or var.dtype == object:
            text = np.array([str(v) for v in var.values.ravel()]).reshape(var.shape)
            strings[name] = var.copy(data=text)
    return _replace_variables(out, strings)


def _missing_parts(path: Path) -> str | None:
    """What is missing from a store (arrays listed in ``store_arrays``, chunks), or None."""
    import zarr

    group = zarr.open_group(path, mode="r", zarr_format=ZARR_FORMAT)
    arrays = dict(group.arrays())
    listed = group.attrs.get("store_arrays")
    if listed is not None:
        missing = sorted(set(json.loads(listed)) - set(arrays))
        if missing:
            return f"array(s) {missing} missing"
    for name in sorted(arrays):
        array = arrays[name]
        have, need = array.nchunks_initialized, array.nchunks
        if have < need:
            return f"array {name!r} has {have} of its {need} chunk(s)"
    return None


def _replace_variables(ds: xr.Dataset, new: Mapping[str, xr.Variable]) -> xr.Dataset:
    """``ds`` with the variables (data or coords) in ``new`` replaced, roles kept."""
    coords = {k: v for k, v in new.items() if k in ds.coords}
    data = {k: v for k, v in new.items() if k not in ds.coords}
    if coords:
        ds = ds.assign_coords(coords)
    if data:
        ds = ds.assign(data)
    return ds
