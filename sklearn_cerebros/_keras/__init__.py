"""Where networks are built from plans and trained.

Keras is first imported through :mod:`sklearn_cerebros._backend`, so that it
starts quietly and one way: this package's ``__init__`` does so before
anything else (its modules then ``import keras``), and so do the modules
outside it that hold Keras objects (the estimators' core, saving, the
search's trials, the scikeras adapter). This package is where a plan becomes
a network: :func:`build` and :func:`fit_network`, the one seam from a plan
and data to a trained network; the builder of each kind of plan
(:class:`NetworkBuilder`, found through the kind's registration, see
:class:`~sklearn_cerebros.architecture.PlanKind`); the training engines, the
custom layers and the forward pass.
"""

from .._backend import keras  # noqa: F401 - first, so that Keras starts quietly
from ._averaging import average_models
from ._callbacks import GradientHealthWarning, WeightUpdateMonitor
from ._forward import one_off_compiled, predict_array
from ._kinds import NetworkBuilder, RowMemory, builder_of, keeps_rows
from ._layers import DropPath, LateralGate
from ._network import (
    Arrays,
    CompiledNetwork,
    TrainedNetwork,
    build,
    fit_network,
    rebuild,
    remember,
)
from ._rows import SparseRows, as_batches
from ._training import LOSSES, LR_SCHEDULES, History, TrainSettings, seeded, train

__all__ = [
    "LOSSES",
    "LR_SCHEDULES",
    "Arrays",
    "CompiledNetwork",
    "DropPath",
    "GradientHealthWarning",
    "History",
    "LateralGate",
    "NetworkBuilder",
    "RowMemory",
    "SparseRows",
    "TrainSettings",
    "TrainedNetwork",
    "WeightUpdateMonitor",
    "as_batches",
    "average_models",
    "build",
    "builder_of",
    "fit_network",
    "keeps_rows",
    "one_off_compiled",
    "predict_array",
    "rebuild",
    "remember",
    "seeded",
    "train",
]
