"""Label noise: how Algorithm 1's activation order moves when the labels are perturbed.

:func:`noise_study` runs Algorithm 1 on ``y + level * std(y) * eps_seed``; its result, the store
layout of that result (:func:`to_dataset`, rule ``run_noise_study``) and its figures live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_array, check_positive, check_X_y
from dln.activation import activation_times, mean_pairwise_agreement, rank_agreement
from dln.plotstyle import feature_colors, legend_outside, tidy_log_ticks
from dln.studies.common import TIME, study_dataset

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DIMS",
    "VARIABLES",
    "NoiseStudy",
    "noise_study",
    "plot_noise_agreement",
    "plot_noise_jump_times",
    "to_dataset",
]


@dataclass(frozen=True)
class NoiseStudy:
    """Algorithm 1 under label noise ``y + level * std(y) * eps_seed``.

    Attributes
    ----------
    noise_levels : ndarray of shape (L,)
        Noise standard deviations as fractions of ``std(y)``.
    seeds : ndarray of shape (S,)
        Noise seeds; seed ``s`` uses the same ``eps_s`` at every level (common random numbers).
    activation_time : ndarray of shape (L, S, d)
        First entry time of each feature (``inf``: never).
    clean_activation_time : ndarray of shape (d,)
        The same for the data as given.
    jump_times : ndarray of shape (L, S, P)
        Jump times ``t_1..t_p`` (NaN-padded to the longest sequence ``P``).
    n_jumps : ndarray of shape (L, S)
    end_beta : ndarray of shape (L, S, d)
        Last saddle (the minimum-l1 solution of the noisy data).
    agreement_clean : ndarray of shape (L, S)
        :func:`rank_agreement` of each run with the clean activation times.
    agreement_seeds : ndarray of shape (L,)
        :func:`mean_pairwise_agreement` among the seeds at each level.
    support_jaccard : ndarray of shape (L, S)
        ``|S_noisy & S_clean| / |S_noisy | S_clean|`` of the end supports.
    clean_jump_times : ndarray of shape (p,)
    clean_end_beta : ndarray of shape (d,)
    """

    noise_levels: np.ndarray
    seeds: np.ndarray
    activation_time: np.ndarray
    clean_activation_time: np.ndarray
    jump_times: np.ndarray
    n_jumps: np.ndarray
    end_beta: np.ndarray
    agreement_clean: np.ndarray
    agreement_seeds: np.ndarray
    support_jaccard: np.ndarray
    clean_jump_times: np.ndarray
    clean_end_beta: np.ndarray
    y_std: float = float("nan")


def noise_study(
    X,
    y,
    *,
    noise_levels,
    n_seeds: int,
    seed: int = 0,
    max_saddles: int | None = None,
    progress=None,
) -> NoiseStudy:
    """Run Algorithm 1 on ``y + level * std(y) * eps`` for every level and noise seed.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    noise_levels : sequence of float >= 0
        Noise standard deviations relative to ``std(y)`` (population std).
    n_seeds : int
        Number of noise draws per level; draw ``s`` is
        ``numpy.random.default_rng([seed, s]).standard_normal(n)``, the same at every level.
    seed : int, default 0
    max_saddles : int, optional
        Guard of Algorithm 1.

    progress : callable, optional
        Called before each run as ``progress(done, total)``, counting runs of Algorithm 1,
        for logs with an estimate of the time left.

    Returns
    -------
    NoiseStudy
    """
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n, d = X.shape
    levels = check_array(noise_levels, "noise_levels", ndim=1)
    if np.any(levels < 0):
        raise ValueError(f"noise_levels must be >= 0, got min {levels.min()!r}")
    S = int(check_positive(n_seeds, "n_seeds", integer=True))
    seed = int(check_positive(seed, "seed", allow_zero=True, integer=True))
    y_std = float(np.std(y))
    clean = saddle_jumps(X, y, max_saddles=max_saddles)
    clean_act = activation_times(clean.times, clean.betas)
    eps = np.array([np.random.default_rng([seed, s]).standard_normal(n) for s in range(S)])
    L = levels.size
    act = np.empty((L, S, d))
    ends = np.empty((L, S, d))
    runs = {}
    for i, level in enumerate(levels):
        for s in range(S):
            if progress is not None:  # runs of Algorithm 1 done, of levels x seeds
                progress(i * S + s, L * S)
            res = saddle_jumps(X, y + level * y_std * eps[s], max_saddles=max_saddles)
            runs[i, s] = res.times[1:]
            act[i, s] = activation_times(res.times, res.betas)
            ends[i, s] = res.betas[-1]
    P = max(1, max(t.size for t in runs.values()))
    jumps = np.full((L, S, P), np.nan)
    n_jumps = np.zeros((L, S), dtype=np.int64)
    for (i, s), t in runs.items():
        jumps[i, s, : t.size] = t
        n_jumps[i, s] = t.size
    agree = np.array([[rank_agreement(act[i, s], clean_act) for s in range(S)] for i in range(L)])
    pairwise = np.array([mean_pairwise_agreement(act[i]) for i in range(L)])
    clean_support = clean.betas[-1] != 0
    jac = np.empty((L, S))
    for i in range(L):
        for s in range(S):
            sup = ends[i, s] != 0
            union = np.count_nonzero(sup | clean_support)
            jac[i, s] = np.count_nonzero(sup & clean_support) / union if union else 1.0
    return NoiseStudy(
        noise_levels=levels,
        seeds=np.arange(S),
        activation_time=act,
        clean_activation_time=clean_act,
        jump_times=jumps,
        n_jumps=n_jumps,
        end_beta=ends,
        agreement_clean=agree,
        agreement_seeds=pairwise,
        support_jaccard=jac,
        clean_jump_times=clean.times[1:].copy(),
        clean_end_beta=clean.betas[-1].copy(),
        y_std=y_std,
    )


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
# Long names, units (and descriptions) of the store variables, in the units of the study.
VARIABLES = {
    "noise_level": ("noise std / std(y)", "1"),
    "seed": ("noise seed", "1"),
    "activation_time": ("entry time of the feature", TIME, "inf: never active"),
    "clean_activation_time": ("entry time without added noise", TIME, "inf: never"),
    "jump_time": ("jump time t_k of Algorithm 1", TIME, "NaN-padded"),
    "clean_jump_time": ("jump time t_k without added noise", TIME),
    "n_jumps": ("number of jumps p", "1"),
    "end_beta": ("last saddle (minimum-l1 solution)", "1"),
    "clean_end_beta": ("last saddle without added noise", "1"),
    "agreement_clean": ("Kendall tau-b with the clean activation order", "1"),
    "agreement_seeds": ("mean pairwise Kendall tau-b among seeds", "1"),
    "support_jaccard": ("Jaccard index of the end support with the clean one", "1"),
}
# Dimensions of each array field of the dataclass (scalars are not listed).
DIMS = {
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
}


def to_dataset(study: NoiseStudy, *, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a :class:`NoiseStudy` (rule ``run_noise_study``).

    Fields become variables and coords as described in :func:`dln.studies.common.study_dataset`
    (dims: :data:`DIMS`, long names and units: :data:`VARIABLES`); the global attr ``study`` is
    ``"noise"``.
    """
    return study_dataset(
        study,
        NoiseStudy,
        kind="noise",
        variables=VARIABLES,
        dims=DIMS,
        feature_names=feature_names,
        problem=problem,
    )


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def plot_noise_agreement(ds, ax):
    """Kendall's tau-b of the activation order under label noise, against the noise level.

    Dots: each seed against the clean order; line: their mean; dashed: mean agreement among
    the seeds at each level.
    """
    levels = ds["noise_level"].values
    agree = ds["agreement_clean"].values
    x = np.arange(levels.size)
    for s in range(agree.shape[1]):
        ax.plot(x, agree[:, s], "o", color="tab:blue", alpha=0.35, ms=4, lw=0)
    ax.plot(x, np.nanmean(agree, axis=1), "-", color="tab:blue", lw=1.8, label="vs the clean order")
    ax.plot(
        x, ds["agreement_seeds"].values, "--", color="tab:purple", lw=1.5, label="among the seeds"
    )
    ax.set_xticks(x, [f"{v:g}" for v in levels])
    ax.set_xlabel(r"label noise: std / std($y$)")
    ax.set_ylabel(r"Kendall $\tau_b$ of the activation order")
    ax.set_ylim(min(-0.05, float(np.nanmin(agree)) - 0.05), 1.05)
    ax.axhline(1.0, color="0.8", lw=0.6, zorder=0)
    ax.legend(fontsize="small", frameon=False, loc="lower left")
    return ax


def _clean_entering(ds) -> list[str]:
    """Name of the feature entering at each jump of the clean data (``+`` joins ties; ``""``
    for a jump at which no feature enters for the first time)."""
    names = [str(n) for n in ds["feature_name"].values]
    first = ds["clean_activation_time"].values
    out = []
    for tk in ds["clean_jump_time"].values:
        idx = np.flatnonzero(np.isclose(first, tk, rtol=1e-9, atol=0.0))
        out.append("+".join(names[j] for j in idx))
    return out


def plot_noise_jump_times(ds, ax, *, max_jumps: int = 8):
    """The first ``max_jumps`` jump times of Algorithm 1 against the noise level (log scale).

    One colour per jump index, labelled with the feature that enters at that jump of the
    clean data; dots: seeds. The number of jumps is in the tick labels.
    """
    levels = ds["noise_level"].values
    jumps = ds["jump_time"].values
    x = np.arange(levels.size)
    k_max = min(max_jumps, jumps.shape[2])
    colors = feature_colors(k_max)
    entering = _clean_entering(ds)
    S = jumps.shape[1]
    offsets = (np.arange(S) - (S - 1) / 2) * (0.5 / max(S, 1))
    for k in range(k_max):
        for s in range(S):
            ax.plot(x + offsets[s], jumps[:, s, k], "o", ms=3, color=colors[k], lw=0)
        ax.plot(
            x,
            np.nanmedian(jumps[:, :, k], axis=1),
            "-",
            color=colors[k],
            lw=1,
            label=f"$t_{{{k + 1}}}$" + (f": {entering[k]}" if k < len(entering) else ""),
        )
    n_jumps = ds["n_jumps"].values
    ax.set_xticks(
        x,
        [f"{v:g}\n{int(n_jumps[i].min())}-{int(n_jumps[i].max())}" for i, v in enumerate(levels)],
    )
    ax.set_xlabel(r"label noise: std / std($y$)  (number of jumps)")
    ax.set_yscale("log")
    tidy_log_ticks(ax.yaxis)
    ax.set_ylabel(r"jump time $t_k$ (accelerated time)")
    legend_outside(ax, fontsize="x-small")
    return ax
