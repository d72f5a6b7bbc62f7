"""The only package that imports Keras: build plans into models and train them."""

from ._builder import build_model, predict_array
from ._layers import LateralGate
from ._training import LOSSES, TrainSettings, seeded, train

__all__ = [
    "LOSSES",
    "LateralGate",
    "TrainSettings",
    "build_model",
    "predict_array",
    "seeded",
    "train",
]
