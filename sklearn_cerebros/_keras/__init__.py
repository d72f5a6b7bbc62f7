"""The only package that imports Keras: build plans into models and train them."""

from ._builder import build_model
from ._callbacks import GradientHealthWarning, WeightUpdateMonitor
from ._forward import predict_array
from ._layers import DropPath, LateralGate
from ._mixer import build_mixer
from ._rows import SparseRows, as_batches
from ._training import LOSSES, LR_SCHEDULES, TrainSettings, seeded, train

__all__ = [
    "LOSSES",
    "LR_SCHEDULES",
    "DropPath",
    "GradientHealthWarning",
    "LateralGate",
    "SparseRows",
    "TrainSettings",
    "as_batches",
    "build_mixer",
    "build_model",
    "predict_array",
    "seeded",
    "train",
    "WeightUpdateMonitor",
]
