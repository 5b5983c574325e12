"""What the plots of every store share: axis labels from attrs, colours, floors, legends.

Plotting functions take a Dataset and an Axes and draw; no file I/O (the workflow scripts save
the figures). They live with the store they draw: :mod:`dln.problems.store`,
:mod:`dln.saddle_store`, :mod:`dln.flow_store`, :mod:`dln.evaluation_store`,
:mod:`dln.convergence_store`, :mod:`dln.baselines`, :mod:`dln.studies`. Axis labels come from
the ``long_name`` / ``units`` attrs of the stores. ``alpha`` is the initialisation scale of the
network; it is labelled by its base-10 exponent (``alpha = 10^{log10_alpha}``) and by
``log(1/alpha)``. All times are accelerated times (original time = ``log(1/alpha) * t``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DISTANCE_FLOOR",
    "INACTIVE_COLOR",
    "LINESTYLES",
    "LOSS_FLOOR",
    "MAX_LABELLED",
    "OTHER_STYLE",
    "alpha_colors",
    "alpha_label",
    "draw_others",
    "feature_colors",
    "key_colors",
    "key_features",
    "label",
    "legend_outside",
    "reference_slope",
    "set_time_axis",
    "spans_decades",
    "thin_ticks",
    "tidy_log_ticks",
]

# Losses at or below this fraction of the initial loss are drawn at this floor on log axes
# (the last saddle interpolates: its loss is a rounding error, ~1e-30).
LOSS_FLOOR = 1e-12
# Distances below this fraction of the largest are drawn at this floor (the flow starts
# within alpha^2 of the limit, e.g. 1e-2000, far below anything visible).
DISTANCE_FLOOR = 1e-14
# Linestyles cycled over alphas in one panel (solid: smallest alpha).
LINESTYLES = ("-", "--", ":", "-.")
# Colour of coordinates that are never active in the limit (drawn thin, one legend entry).
INACTIVE_COLOR = "0.65"
# At most this many features get a colour, a legend entry or a tick label in any figure (the
# first to enter in Algorithm 1's order, then the largest at the end: :func:`key_features`);
# the others are drawn faint (:data:`OTHER_STYLE`) with at most one legend entry.
MAX_LABELLED = 12
OTHER_STYLE = {"color": "0.75", "lw": 0.5, "alpha": 0.6, "zorder": 1.1}
# Jump times spanning more than this many decades are drawn on a logarithmic time axis.
LOG_TIME_DECADES = 1.5


def label(var) -> str:
    """Axis label from a DataArray's ``long_name`` and ``units`` ("1": no unit shown)."""
    name = str(var.attrs.get("long_name", var.name))
    units = str(var.attrs.get("units", "1"))
    return name if units in ("1", "") else f"{name} [{units}]"


def alpha_label(ds) -> str:
    """Mathtext label ``alpha = 10^{e}`` of a store carrying ``log10_alpha``."""
    exponent = ds.attrs.get("log10_alpha")
    if exponent is None:
        exponent = f"{float(ds['log10_alpha']):g}"
    return rf"$\alpha = 10^{{{exponent}}}$"


def feature_colors(n_features: int) -> list:
    """One colour per feature (tab10, then tab20 for more than 10 features)."""
    import matplotlib as mpl

    cmap = mpl.colormaps["tab10" if n_features <= 10 else "tab20"]
    return [cmap(j % cmap.N) for j in range(n_features)]


def alpha_colors(log_inv_alphas) -> list:
    """One colour per alpha, from light (large alpha) to dark (small alpha), log(1/alpha) scale."""
    import matplotlib as mpl

    lam = np.log(np.asarray(log_inv_alphas, dtype=float))
    span = float(lam.max() - lam.min()) if lam.size > 1 else 1.0
    x = (lam - lam.min()) / (span if span > 0 else 1.0)
    cmap = mpl.colormaps["viridis_r"]
    return [cmap(0.15 + 0.8 * v) for v in x]


def legend_outside(ax, **kwargs):
    """Legend to the right of the axes (never over the data); constrained layout makes room."""
    style = {"fontsize": "small", "frameon": False, "loc": "upper left"}
    style.update(kwargs)
    return ax.legend(bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **style)


def set_time_axis(ax, t, time_scale: str):
    """Time axis over the grid ``t``: linear from t[0], or logarithmic (t[0] > 0)."""
    if time_scale == "log":
        ax.set_xscale("log")
    ax.set_xlim(float(t[0]), float(t[-1]))


def reference_slope(ax, lam, values):
    """Dotted ``C / log(1/alpha)`` guide through the geometric middle of the data."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0 or lam.size < 2:
        return
    mid = np.exp(np.mean(np.log(v)))
    lam_mid = np.exp(np.mean(np.log(lam)))
    ax.loglog(lam, mid * lam_mid / lam, ":", color="0.4", lw=1, label=r"$\propto 1/\log(1/\alpha)$")


def key_features(path, k: int = MAX_LABELLED) -> np.ndarray:
    """Indices of the (at most ``k``) features that matter most along a path of coefficients.

    ``path`` holds coefficients along an ordered path, shape ``(n_steps, n_features)`` (the
    saddles ``beta_k`` of Algorithm 1, a flow's ``beta~(t)``, a Lasso path); a saddles store
    (its ``beta``) is accepted too. The first ``ceil(k / 2)`` features to become non-zero come
    first, in their order of entry; the rest of the ``k`` places go to the largest ``|beta|`` at
    the end of the path, then to the next features to enter. Features that are never non-zero
    are never picked. When at most ``k`` features are ever non-zero, all of them are returned.

    Returns
    -------
    numpy.ndarray
        Feature indices, in the order: first to enter, then by size at the end.
    """
    betas = np.asarray(path["beta"].values if hasattr(path, "data_vars") else path, dtype=float)
    betas = np.abs(np.atleast_2d(betas))
    top = float(betas.max()) if betas.size else 0.0
    if top <= 0:
        return np.array([], dtype=int)
    nonzero = betas > 1e-9 * top
    ever = np.flatnonzero(nonzero.any(axis=0))
    first = np.argmax(nonzero[:, ever], axis=0)  # first step at which each is non-zero
    entry = ever[np.lexsort((ever, first))]  # by first step, ties to the lower index
    if entry.size <= k:
        return entry
    chosen = list(entry[: (k + 1) // 2])
    final = betas[-1]
    for j in np.lexsort((np.arange(final.size), -final)):
        if len(chosen) >= k or final[j] <= 1e-9 * top:
            break
        if j not in chosen:
            chosen.append(int(j))
    for j in entry:
        if len(chosen) >= k:
            break
        if j not in chosen:
            chosen.append(int(j))
    return np.asarray(chosen, dtype=int)


def key_colors(n_features: int, features) -> dict:
    """Colour of each feature in ``features`` (from :func:`key_features`).

    Up to 20 features the colour of a feature is its own (:func:`feature_colors`, as the
    small figures always had); beyond, the colours go by rank in ``features`` (tab10, then
    tab20's light shades), so that the few labelled features stay distinct.
    """
    import matplotlib as mpl

    features = [int(j) for j in features]
    if n_features <= 20:
        colors = feature_colors(n_features)
        return {j: colors[j] for j in features}
    tab10, tab20 = mpl.colormaps["tab10"], mpl.colormaps["tab20"]
    out = {}
    for rank, j in enumerate(features):
        out[j] = tab10(rank) if rank < 10 else tab20((2 * (rank - 10) + 1) % 20)
    return out


def spans_decades(times, decades: float = LOG_TIME_DECADES) -> bool:
    """Whether the positive ``times`` span more than ``decades`` decades (use a log axis)."""
    t = np.asarray(times, dtype=float)
    t = t[np.isfinite(t) & (t > 0)]
    return t.size > 1 and float(np.log10(t.max() / t.min())) > decades


def thin_ticks(axis, n: int, *, nbins: int = 10):
    """Integer ticks on an axis that holds ``n`` features (or positions): all when few,
    at most ``nbins`` otherwise (tick labels never merge into a bar)."""
    from matplotlib.ticker import MaxNLocator

    if n > nbins:
        axis.set_major_locator(MaxNLocator(nbins=nbins, integer=True))


def draw_others(ax, x, Y, *, step: bool = False, **style):
    """Draw the columns of ``Y`` against ``x`` faint (:data:`OTHER_STYLE`), as one collection
    without a legend entry: the features beyond the labelled few, cheap to draw however many.

    ``step=True`` draws post-steps (piecewise-constant paths such as the limit ``beta°(t)``).
    Returns the collection (or ``None`` when ``Y`` has no column).
    """
    from matplotlib.collections import LineCollection

    x = np.asarray(x, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(x.size, -1)
    if Y.shape[1] == 0:
        return None
    if step and x.size > 1:
        x = np.r_[x[0], np.repeat(x[1:], 2)]
        Y = np.vstack([np.repeat(Y[:-1], 2, axis=0), Y[-1:]])
    opts = dict(OTHER_STYLE)
    opts.update(style)
    color = opts.pop("color")
    lines = LineCollection(
        [np.column_stack([x, Y[:, j]]) for j in range(Y.shape[1])], colors=color, **opts
    )
    lines.set_label("_others")
    ax.add_collection(lines, autolim=True)
    ax.autoscale_view()
    return lines


def tidy_log_ticks(axis):
    """Minor tick labels of a log axis only at 2 and 5 times a power of ten, written plainly
    (``0.2``, ``50``): on an axis spanning less than a decade they no longer run together."""
    from matplotlib.ticker import FuncFormatter

    def minor(value, _pos):
        if value <= 0:
            return ""
        exponent = np.floor(np.log10(value))
        mantissa = value / 10**exponent
        return f"{value:g}" if np.isclose(mantissa, 2) or np.isclose(mantissa, 5) else ""

    axis.set_minor_formatter(FuncFormatter(minor))
