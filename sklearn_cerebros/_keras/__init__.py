"""The only package that imports Keras: build plans into models and train them."""

from .._backend import keras  # noqa: F401 - first, so that Keras starts quietly
from ._builder import build_model
from ._callbacks import GradientHealthWarning, WeightUpdateMonitor
from ._forward import predict_array
from ._layers import DropPath, LateralGate
from ._mixer import build_mixer
from ._training import LOSSES, LR_SCHEDULES, TrainSettings, seeded, train

__all__ = [
    "LOSSES",
    "LR_SCHEDULES",
    "DropPath",
    "GradientHealthWarning",
    "LateralGate",
    "TrainSettings",
    "build_mixer",
    "build_model",
    "predict_array",
    "seeded",
    "train",
    "WeightUpdateMonitor",
]
