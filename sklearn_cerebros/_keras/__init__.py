"""The only package that imports Keras: build plans into models and train them."""

from .._backend import keras  # noqa: F401 - first, so that Keras starts quietly
from ._averaging import average_models
from ._callbacks import GradientHealthWarning, WeightUpdateMonitor
from ._forward import predict_array
from ._layers import DropPath, LateralGate
from ._network import (
    Arrays,
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
    "DropPath",
    "GradientHealthWarning",
    "History",
    "LateralGate",
    "SparseRows",
    "TrainSettings",
    "TrainedNetwork",
    "WeightUpdateMonitor",
    "as_batches",
    "average_models",
    "build",
    "fit_network",
    "predict_array",
    "rebuild",
    "remember",
    "seeded",
    "train",
]
