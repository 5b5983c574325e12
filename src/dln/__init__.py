"""dln: saddle-to-saddle dynamics of diagonal linear networks (Pesme & Flammarion, NeurIPS 2023).

``alpha`` is always the initialisation scale of the network, never a regularisation strength.
"""

from dln._version import __version__
from dln.lp import L1Result, min_l1_solution
from dln.saddles import SaddleLimitError, SaddleResult, limit_process, saddle_jumps

__all__ = [
    "__version__",
    "L1Result",
    "SaddleLimitError",
    "SaddleResult",
    "limit_process",
    "min_l1_solution",
    "saddle_jumps",
]
