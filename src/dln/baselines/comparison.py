"""Saddles, Lasso and OMP side by side: entry orders, endpoints and paths on one problem.

:func:`baseline_comparison`, the store layout of its result (:func:`to_dataset`, rule
``compare_baselines``) and its figures live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dln._validation import check_X_y
from dln.activation import ACTIVE_RTOL, activation_order, activation_times, rank_agreement
from dln.baselines.omp import omp_path
from dln.plotstyle import LOSS_FLOOR, MAX_LABELLED, feature_colors, key_colors
from dln.studies.common import TIME, study_dataset

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "DIMS",
    "METHOD_COLORS",
    "METHOD_LABELS",
    "VARIABLES",
    "BaselineComparison",
    "baseline_comparison",
    "entry_positions",
    "plot_entry_orders",
    "plot_loss_versus_l1",
    "to_dataset",
]

# Colours of the three feature selectors in the baseline figures.
METHOD_COLORS = {"saddles": "black", "lasso": "tab:orange", "omp": "tab:green"}
METHOD_LABELS = {"saddles": "saddles (Algorithm 1)", "lasso": "Lasso (LARS)", "omp": "OMP"}


@dataclass(frozen=True)
class BaselineComparison:
    """Entry orders and endpoints of the saddles, the Lasso path and OMP on one problem.

    Attributes
    ----------
    saddle_time, lasso_time : ndarray of shape (d,)
        Entry times (``inf``: never); Lasso on ``t = 1/lam``.
    omp_step : ndarray of shape (d,)
        Step at which OMP selects each feature (``inf``: never).
    saddle_rank, lasso_rank, omp_rank : ndarray of shape (d,)
        1-based position in each entry order (0: never enters).
    saddle_leaves, lasso_leaves : ndarray of shape (d,) of bool
        Whether the feature leaves the support at some later point (OMP never drops one).
    agreement_lasso, agreement_omp, agreement_lasso_omp : float
        :func:`rank_agreement` of the entry times (saddles vs Lasso, saddles vs OMP, Lasso vs
        OMP).
    first_departure_lasso, first_departure_omp : int
        First 1-based position where the order differs from the saddles' (0: identical).
    saddle_end, lasso_end, omp_end, lp_beta : ndarray of shape (d,)
        Endpoints and the minimum-l1 solution (LP).
    saddle_l1, lasso_l1, omp_l1, lp_l1 : float
    omp_loss_end, saddle_loss_end : float
    saddle_path_l1, saddle_path_loss : ndarray of shape (p + 1,)
    lasso_path_l1, lasso_path_loss : ndarray of shape (q,)
    omp_path_l1, omp_path_loss : ndarray of shape (k + 1,)
    saddle_path_size, lasso_path_size, omp_path_size : int arrays
        Support sizes along each path.
    omp_status : int
    """

    saddle_time: np.ndarray
    lasso_time: np.ndarray
    omp_step: np.ndarray
    saddle_rank: np.ndarray
    lasso_rank: np.ndarray
    omp_rank: np.ndarray
    saddle_leaves: np.ndarray
    lasso_leaves: np.ndarray
    agreement_lasso: float
    agreement_omp: float
    agreement_lasso_omp: float
    first_departure_lasso: int
    first_departure_omp: int
    saddle_end: np.ndarray
    lasso_end: np.ndarray
    omp_end: np.ndarray
    lp_beta: np.ndarray
    saddle_l1: float
    lasso_l1: float
    omp_l1: float
    lp_l1: float
    saddle_loss_end: float
    omp_loss_end: float
    saddle_path_l1: np.ndarray
    saddle_path_loss: np.ndarray
    saddle_path_size: np.ndarray
    lasso_path_l1: np.ndarray
    lasso_path_loss: np.ndarray
    lasso_path_size: np.ndarray
    omp_path_l1: np.ndarray
    omp_path_loss: np.ndarray
    omp_path_size: np.ndarray
    omp_status: int = 0


def _ranks(times) -> np.ndarray:
    order = activation_order(times)
    ranks = np.zeros(np.asarray(times).shape[0], dtype=np.int64)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def _first_departure(reference, other) -> int:
    a, b = activation_order(reference), activation_order(other)
    for i in range(max(a.size, b.size)):
        if i >= a.size or i >= b.size or a[i] != b[i]:
            return i + 1
    return 0


def _leaves(coefs) -> np.ndarray:
    B = np.asarray(coefs)
    top = float(np.abs(B).max()) or 1.0
    on = np.abs(B) > ACTIVE_RTOL * top
    # on at some point and off at a later one
    seen = np.maximum.accumulate(on, axis=0)
    return np.any(seen & ~on, axis=0)


def baseline_comparison(X, y, *, max_saddles: int | None = None) -> BaselineComparison:
    """Saddles (Algorithm 1), Lasso (LARS) and OMP on the same data: orders and endpoints.

    Returns
    -------
    BaselineComparison
    """
    from dln.baselines.lasso import lasso_path
    from dln.lp import min_l1_solution
    from dln.saddles import saddle_jumps

    X, y = check_X_y(X, y)
    n = X.shape[0]
    sad = saddle_jumps(X, y, max_saddles=max_saddles)
    las = lasso_path(X, y)
    omp = omp_path(X, y)
    lp = min_l1_solution(X, y)
    t_sad = activation_times(sad.times, sad.betas)
    las_coefs = np.vstack([las.coefs, las.end_coef[None]])
    # the end point (lam = end_lambda, possibly 0) never starts an entry: any later time will do
    las_times = np.r_[las.times, 2.0 * las.times[-1]]
    t_las = activation_times(las_times, las_coefs, entry_offset=1)
    t_omp = activation_times(np.arange(omp.coefs.shape[0], dtype=float), omp.coefs)

    def loss(B):
        r = np.atleast_2d(B) @ X.T - y
        return np.sum(r * r, axis=1) / (2 * n)

    def sizes(B):
        B = np.atleast_2d(B)
        top = float(np.abs(B).max()) or 1.0
        return np.count_nonzero(np.abs(B) > ACTIVE_RTOL * top, axis=1)

    return BaselineComparison(
        saddle_time=t_sad,
        lasso_time=t_las,
        omp_step=t_omp,
        saddle_rank=_ranks(t_sad),
        lasso_rank=_ranks(t_las),
        omp_rank=_ranks(t_omp),
        saddle_leaves=_leaves(sad.betas),
        lasso_leaves=_leaves(las_coefs),
        agreement_lasso=rank_agreement(t_sad, t_las),
        agreement_omp=rank_agreement(t_sad, t_omp),
        agreement_lasso_omp=rank_agreement(t_las, t_omp),
        first_departure_lasso=_first_departure(t_sad, t_las),
        first_departure_omp=_first_departure(t_sad, t_omp),
        saddle_end=sad.betas[-1].copy(),
        lasso_end=las.end_coef.copy(),
        omp_end=omp.coefs[-1].copy(),
        lp_beta=lp.beta,
        saddle_l1=float(np.abs(sad.betas[-1]).sum()),
        lasso_l1=float(np.abs(las.end_coef).sum()),
        omp_l1=float(omp.l1_norms[-1]),
        lp_l1=float(lp.objective),
        saddle_loss_end=float(sad.losses[-1]),
        omp_loss_end=float(omp.losses[-1]),
        saddle_path_l1=np.abs(sad.betas).sum(axis=1),
        saddle_path_loss=sad.losses.copy(),
        saddle_path_size=sizes(sad.betas),
        lasso_path_l1=np.abs(las_coefs).sum(axis=1),
        lasso_path_loss=loss(las_coefs),
        lasso_path_size=sizes(las_coefs),
        omp_path_l1=omp.l1_norms,
        omp_path_loss=omp.losses,
        omp_path_size=sizes(omp.coefs),
        omp_status=omp.status,
    )


# --------------------------------------------------------------------------------------------
# store
# --------------------------------------------------------------------------------------------
# Long names, units (and descriptions) of the store variables, in the units of the study.
VARIABLES = {
    "saddle_time": ("entry time in the saddles", TIME, "inf: never"),
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
}
# Dimensions of each array field of the dataclass (scalars are not listed).
DIMS = {
    **dict.fromkeys(
        (
            "saddle_time",
            "lasso_time",
            "omp_step",
            "saddle_rank",
            "lasso_rank",
            "omp_rank",
            "saddle_leaves",
            "lasso_leaves",
            "saddle_end",
            "lasso_end",
            "omp_end",
            "lp_beta",
        ),
        ("feature",),
    ),
    # paths: saddle_path_l1 along the dim saddle_point, etc.
    **{
        f"{method}_path_{what}": (f"{method}_point",)
        for method in ("saddle", "lasso", "omp")
        for what in ("l1", "loss", "size")
    },
}


def to_dataset(study: BaselineComparison, *, feature_names=None, problem: str = "") -> xr.Dataset:
    """Store layout of a :class:`BaselineComparison` (rule ``compare_baselines``).

    Fields become variables and coords as described in :func:`dln.studies.common.study_dataset`
    (dims: :data:`DIMS`, long names and units: :data:`VARIABLES`); the global attr ``study`` is
    ``"baselines"``.
    """
    return study_dataset(
        study,
        BaselineComparison,
        kind="baselines",
        variables=VARIABLES,
        dims=DIMS,
        feature_names=feature_names,
        problem=problem,
    )


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
def entry_positions(ds, max_positions: int | None = None) -> int:
    """Columns of :func:`plot_entry_orders`: the most features any method lets enter, at
    most ``max_positions`` (default :data:`~dln.plotstyle.MAX_LABELLED`), at least 1."""
    cap = MAX_LABELLED if max_positions is None else int(max_positions)
    most = max(
        int(np.max(ds[v].values, initial=0)) for v in ("saddle_rank", "lasso_rank", "omp_rank")
    )
    return max(1, min(cap, most))


def plot_entry_orders(ds, ax, *, max_positions: int | None = None):
    """Entry order of the features for the saddles, the Lasso path and OMP, side by side.

    One row per method, one column per position (as many as features enter, at most
    ``max_positions``, default :data:`~dln.plotstyle.MAX_LABELLED`: :func:`entry_positions`);
    each feature keeps its colour across rows (features that later leave the support are
    framed with a dotted line).
    """
    names = [str(n) for n in ds["feature_name"].values]
    d = len(names)
    max_positions = entry_positions(ds, max_positions)
    if d <= 20:
        colors = feature_colors(d)
    else:  # colours by saddle entry order among the features shown
        shown = {
            j
            for v in ("saddle_rank", "lasso_rank", "omp_rank")
            for j in np.flatnonzero((ds[v].values >= 1) & (ds[v].values <= max_positions))
        }
        rank = ds["saddle_rank"].values
        order = sorted(shown, key=lambda j: (rank[j] if rank[j] >= 1 else np.inf, j))
        colors = key_colors(d, order)
    rows = (("saddles", "saddle_rank"), ("lasso", "lasso_rank"), ("omp", "omp_rank"))
    for r, (method, var) in enumerate(rows):
        ranks = ds[var].values
        leaves_var = {"saddles": "saddle_leaves", "lasso": "lasso_leaves"}.get(method)
        leaves = ds[leaves_var].values.astype(bool) if leaves_var else np.zeros(d, dtype=bool)
        for j in range(d):
            pos = int(ranks[j])
            if pos < 1 or pos > max_positions:
                continue
            ax.text(
                pos,
                r,
                names[j],
                ha="center",
                va="center",
                fontsize="x-small",
                rotation=30,
                bbox={
                    "boxstyle": "round,pad=0.2",
                    "fc": colors[j],
                    "alpha": 0.35,
                    "ec": "0.2" if leaves[j] else "none",
                    "ls": ":" if leaves[j] else "-",
                },
            )
    ax.set_yticks(range(3), [METHOD_LABELS[m] for m, _ in rows])
    ax.set_ylim(2.6, -0.6)
    ax.set_xlim(0.4, max_positions + 0.6)
    ax.set_xticks(range(1, max_positions + 1))
    ax.set_xlabel("entry position (dotted frame: leaves the support later)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def plot_loss_versus_l1(ds, ax):
    """Training loss against ``||beta||_1`` along the three paths; the minimum-l1 value dotted.

    The Lasso path is the lower envelope (least loss for its l1 norm); every path ends at the
    smallest loss, the saddles and the Lasso at the minimum-l1 value.
    """
    loss0 = float(ds["saddle_path_loss"].values[0])
    floor = LOSS_FLOOR * loss0
    for method, marker in (("saddles", "o"), ("lasso", "s"), ("omp", "^")):
        key = "saddle" if method == "saddles" else method
        l1 = ds[f"{key}_path_l1"].values
        loss = np.maximum(ds[f"{key}_path_loss"].values, floor)
        ax.plot(
            l1,
            loss,
            marker + "-",
            ms=3,
            lw=1.0,
            color=METHOD_COLORS[method],
            label=METHOD_LABELS[method],
            drawstyle="default",
        )
    ax.axvline(float(ds["lp_l1"]), color="0.4", lw=0.8, linestyle=":", label=r"min $\ell_1$ (LP)")
    losses = np.concatenate([ds[f"{k}_path_loss"].values for k in ("saddle", "lasso", "omp")])
    if losses.min() < 1e-2 * losses.max():  # a wide range (interpolation): log axis
        ax.set_yscale("log")
    ax.set_xlabel(r"$\|\beta\|_1$")
    ax.set_ylabel(r"training loss $L(\beta)$")
    ax.legend(fontsize="x-small", frameon=False)
    return ax
