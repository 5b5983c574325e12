"""Baselines to set beside the saddle-to-saddle limit: the Lasso path and OMP.

* :mod:`dln.baselines.lasso`: the Lasso regularisation path (scikit-learn's LARS-Lasso) on the
  common time axis ``t = 1 / lam``, its store and its figure;
* :mod:`dln.baselines.omp`: orthogonal matching pursuit (scikit-learn ``orthogonal_mp``);
* :mod:`dln.baselines.comparison`: saddles, Lasso and OMP side by side on one problem (entry
  orders, endpoints, paths), its store and its figures.

The numerical names below are imported lazily (PEP 562); none of them imports xarray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dln._lazy import lazy_exports

_EXPORTS = {
    "KNOT_RTOL": "dln.baselines.lasso",
    "LassoPath": "dln.baselines.lasso",
    "lasso_coefficients": "dln.baselines.lasso",
    "lasso_path": "dln.baselines.lasso",
    "OMP_RESIDUAL_RTOL": "dln.baselines.omp",
    "OMPPath": "dln.baselines.omp",
    "omp_path": "dln.baselines.omp",
    "BaselineComparison": "dln.baselines.comparison",
    "baseline_comparison": "dln.baselines.comparison",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # static analysers see the names without importing at run time
    from dln.baselines.comparison import BaselineComparison, baseline_comparison  # noqa: F401
    from dln.baselines.lasso import (  # noqa: F401
        KNOT_RTOL,
        LassoPath,
        lasso_coefficients,
        lasso_path,
    )
    from dln.baselines.omp import OMP_RESIDUAL_RTOL, OMPPath, omp_path  # noqa: F401
