"""The practitioner's studies: how robust the activation order of the saddles is.

Training a diagonal linear network from a small initialisation (``alpha`` is the
initialisation scale, ``u0 = sqrt(2) alpha``) switches features on one at a time, in the order
of the saddles of Algorithm 1 (docs/theory.md); :mod:`dln.activation` measures that order. One
module per study holds its frozen dataclass, its numerics, its store layout (``to_dataset``)
and its figures:

* :mod:`dln.studies.noise`: Algorithm 1 under label noise;
* :mod:`dln.studies.initialisation`: random initialisation directions and per-coordinate
  scales (the weighted minimum-l1 limit);
* :mod:`dln.studies.step_size`: gradient descent with finite steps against the flow.

The comparison with Lasso and OMP is :mod:`dln.baselines.comparison`; what the studies share
(time grid, store engine) is :mod:`dln.studies.common`. The numerical names below are imported
lazily (PEP 562); none of them imports xarray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dln._lazy import lazy_exports

_EXPORTS = {
    "NoiseStudy": "dln.studies.noise",
    "noise_study": "dln.studies.noise",
    "InitialisationStudy": "dln.studies.initialisation",
    "initialisation_study": "dln.studies.initialisation",
    "DEPARTURE_RTOL": "dln.studies.step_size",
    "StepSizeStudy": "dln.studies.step_size",
    "step_size_study": "dln.studies.step_size",
    "step_size_study_cost": "dln.studies.step_size",
    "study_time_grid": "dln.studies.common",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # static analysers see the names without importing at run time
    from dln.studies.common import study_time_grid  # noqa: F401
    from dln.studies.initialisation import InitialisationStudy, initialisation_study  # noqa: F401
    from dln.studies.noise import NoiseStudy, noise_study  # noqa: F401
    from dln.studies.step_size import (  # noqa: F401
        DEPARTURE_RTOL,
        StepSizeStudy,
        step_size_study,
        step_size_study_cost,
    )
