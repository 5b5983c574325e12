"""Regression problems: synthetic Gaussian designs, the paper's figure presets, user data.

Every function here returns a :class:`Problem`, a frozen container of the data ``X`` (n, d),
``y`` (n,), the ground truth ``beta_star`` (d,) when there is one, names for the columns and a
JSON-serialisable ``params`` dict that records how the problem was made (generator arguments
including the seed, or the file it was read from and the preprocessing applied).

* :func:`make_problem` draws ``x_i ~ N(0, H)`` and ``y = X beta* + noise`` from an explicit seed
  (:mod:`dln.problems.problem`, with the :class:`Problem` container).
* :func:`make_preset` builds the four setups of the paper's Figures 1 and 2 (Pesme and
  Flammarion, NeurIPS 2023, arXiv v1 Appendix A), see ``PRESETS`` and docs/theory.md, and the
  real-data presets on scikit-learn's diabetes data (:mod:`dln.problems.presets`).
* :func:`load_data` reads a user's regression data from CSV or NPZ with strict checks
  (:mod:`dln.problems.data`).
* :mod:`dln.problems.store`: the problem store (``Problem`` <-> Dataset) and its figure.

The arrays of a :class:`Problem` are read-only: copy them before modifying.

Nothing here depends on the initialisation scale ``alpha`` of the network; the presets only
record the paper's values of ``alpha`` (as base-10 exponents) in ``params`` for the pipeline.

The names below are imported lazily (PEP 562), like those of :mod:`dln`: reading a store
does not import the data loaders, and nothing here imports xarray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dln._lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_AMPLITUDE": "dln.problems.problem",
    "Problem": "dln.problems.problem",
    "SYMMETRY_RTOL": "dln.problems.problem",
    "make_problem": "dln.problems.problem",
    "DATA_PRESETS": "dln.problems.presets",
    "DIABETES_INTERACTION_ROWS": "dln.problems.presets",
    "PRESETS": "dln.problems.presets",
    "load_diabetes": "dln.problems.presets",
    "make_preset": "dln.problems.presets",
    "pairwise_interactions": "dln.problems.presets",
    "CONSTANT_COLUMN_RTOL": "dln.problems.data",
    "load_data": "dln.problems.data",
}

__all__ = [
    "DATA_PRESETS",
    "PRESETS",
    "Problem",
    "load_data",
    "load_diabetes",
    "make_preset",
    "make_problem",
    "pairwise_interactions",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # static analysers see the names without importing at run time
    from dln.problems.data import CONSTANT_COLUMN_RTOL, load_data  # noqa: F401
    from dln.problems.presets import (  # noqa: F401
        DATA_PRESETS,
        DIABETES_INTERACTION_ROWS,
        PRESETS,
        load_diabetes,
        make_preset,
        pairwise_interactions,
    )
    from dln.problems.problem import (  # noqa: F401
        DEFAULT_AMPLITUDE,
        SYMMETRY_RTOL,
        Problem,
        make_problem,
    )
