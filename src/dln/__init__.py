"""dln: saddle-to-saddle dynamics of diagonal linear networks (Pesme & Flammarion, NeurIPS 2023).

``alpha`` is always the initialisation scale of the network (``u0 = sqrt(2) alpha``), never a
regularisation strength; it is passed by its logarithm ``log_inv_alpha = log(1/alpha)``.

The public names below are the numerical core: problems, Algorithm 1, the minimum-l1
reference, the finite-alpha flow and gradient descent, and the scikit-learn estimators
(``SaddleRegressor``, ``SaddleRegressorCV``). They are imported lazily (PEP 562), so
``import dln`` costs nothing until a name is used: each pipeline job pays only for the scipy
modules it needs. The rest is organised by topic and imported as submodules: the store core
(``dln.io``, xarray/Zarr), each result type's store layout with its figures
(``dln.problems.store``, ``dln.saddle_store``, ``dln.flow_store``, ``dln.evaluation_store``,
``dln.convergence_store``), the evaluation (``dln.evaluate``), the baselines (``dln.baselines``:
Lasso and OMP) and the studies (``dln.studies``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dln._lazy import lazy_exports
from dln._version import __version__

_EXPORTS = {
    "SaddleRegressor": "dln.estimator",
    "SaddleRegressorCV": "dln.estimator",
    "FlowResult": "dln.flow",
    "FlowSolverError": "dln.flow",
    "beta_from_s": "dln.flow",
    "simulate_flow": "dln.flow",
    "GDResult": "dln.gd",
    "GradientDescentError": "dln.gd",
    "gradient_descent": "dln.gd",
    "minibatch_schedule": "dln.gd",
    "MirrorResult": "dln.implicit_bias",
    "effective_scales": "dln.implicit_bias",
    "mirror_prediction": "dln.implicit_bias",
    "weighted_l1_prediction": "dln.implicit_bias",
    "L1Result": "dln.lp",
    "min_l1_solution": "dln.lp",
    "PRESETS": "dln.problems.presets",
    "Problem": "dln.problems.problem",
    "load_data": "dln.problems.data",
    "make_preset": "dln.problems.presets",
    "make_problem": "dln.problems.problem",
    "SGDStudy": "dln.sgd_study",
    "sgd_study": "dln.sgd_study",
    "sgd_study_cost": "dln.sgd_study",
    "SaddleLimitError": "dln.saddles",
    "SaddleResult": "dln.saddles",
    "limit_process": "dln.saddles",
    "saddle_jumps": "dln.saddles",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # static analysers see the names without importing at run time
    from dln.estimator import SaddleRegressor, SaddleRegressorCV  # noqa: F401
    from dln.flow import FlowResult, FlowSolverError, beta_from_s, simulate_flow  # noqa: F401
    from dln.gd import (  # noqa: F401
        GDResult,
        GradientDescentError,
        gradient_descent,
        minibatch_schedule,
    )
    from dln.implicit_bias import (  # noqa: F401
        MirrorResult,
        effective_scales,
        mirror_prediction,
        weighted_l1_prediction,
    )
    from dln.lp import L1Result, min_l1_solution  # noqa: F401
    from dln.problems.data import load_data  # noqa: F401
    from dln.problems.presets import PRESETS, make_preset  # noqa: F401
    from dln.problems.problem import Problem, make_problem  # noqa: F401
    from dln.saddles import (  # noqa: F401
        SaddleLimitError,
        SaddleResult,
        limit_process,
        saddle_jumps,
    )
    from dln.sgd_study import SGDStudy, sgd_study, sgd_study_cost  # noqa: F401
