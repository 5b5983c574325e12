"""dln: saddle-to-saddle dynamics of diagonal linear networks (Pesme & Flammarion, NeurIPS 2023).

``alpha`` is always the initialisation scale of the network (``u0 = sqrt(2) alpha``), never a
regularisation strength; it is passed by its logarithm ``log_inv_alpha = log(1/alpha)``.

The numerical core is imported here: problems, Algorithm 1, the minimum-l1 reference, the
finite-alpha flow and gradient descent. The I/O (``dln.io``, xarray/Zarr), evaluation
(``dln.evaluate``) and plotting (``dln.plotting``) modules are imported on demand.
"""

from dln._version import __version__
from dln.flow import FlowResult, FlowSolverError, beta_from_s, simulate_flow
from dln.gd import GDResult, GradientDescentError, gradient_descent
from dln.lp import L1Result, min_l1_solution
from dln.problems import PRESETS, Problem, load_data, make_preset, make_problem
from dln.saddles import SaddleLimitError, SaddleResult, limit_process, saddle_jumps

__all__ = [
    "PRESETS",
    "FlowResult",
    "FlowSolverError",
    "GDResult",
    "GradientDescentError",
    "L1Result",
    "Problem",
    "SaddleLimitError",
    "SaddleResult",
    "__version__",
    "beta_from_s",
    "gradient_descent",
    "limit_process",
    "load_data",
    "make_preset",
    "make_problem",
    "min_l1_solution",
    "saddle_jumps",
    "simulate_flow",
]
