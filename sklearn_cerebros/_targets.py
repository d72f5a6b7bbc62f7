"""Encode targets for a network and decode its outputs, per task.

Each encoder fits on ``y``, returns what the network trains on, names the
output head (units, activation) and the loss, and maps raw network outputs
back to the user's units or labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target

__all__ = ["PROBA_MIN", "ClassificationTarget", "Head", "RegressionTarget"]


@dataclass(frozen=True)
class Head:
    """Output layer and loss that a task asks for."""

    units: int
    activation: str
    loss: str


class RegressionTarget:
    """Standardise each target column; the network predicts in those units.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber"}
        Training loss, applied to the standardised targets (so Huber's
        threshold of 1 means one standard deviation of ``y``).
    """

    def __init__(self, loss: str = "squared_error") -> None:
        self.loss = loss

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        self.one_d_ = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        self.mean_ = y2.mean(axis=0)
        scale = y2.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self.transform(y)

    def transform(self, y: np.ndarray) -> np.ndarray:
        y2 = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        return ((y2 - self.mean_) / self.scale_).astype(np.float32)

    @property
    def head(self) -> Head:
        return Head(len(self.mean_), "linear", self.loss)

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Network output → predictions in the user's units and shape."""
        pred = raw * self.scale_ + self.mean_
        return pred.ravel() if self.one_d_ else pred

    inverse = decode  # encoded targets map back exactly as outputs do


# The gap between 1 and the float32 number just below it.
PROBA_MIN = float(np.finfo(np.float32).epsneg)


class ClassificationTarget:
    """Encode labels (binary, multiclass) or a label-indicator matrix."""

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        kind = type_of_target(y, input_name="y")
        if kind == "multilabel-indicator":
            self.kind_ = kind
            y = np.asarray(y)
            self.classes_ = np.arange(y.shape[1])
            return y.astype(np.float32)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"Unknown label type: {kind!r}. A classifier takes class labels "
                "(binary or multiclass) or a 2-D 0/1 indicator matrix (multilabel); "
                "for continuous targets use a regressor."
            )
        self._encoder = LabelEncoder().fit(y)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "Classifier can't train when only one class is present: "
                f"y holds only {self.classes_[0]!r}."
            )
        self.kind_ = "binary" if len(self.classes_) == 2 else "multiclass"
        return self.transform(y)

    def transform(self, y: np.ndarray) -> np.ndarray:
        if self.kind_ == "multilabel-indicator":
            return np.asarray(y, dtype=np.float32)
        codes = self._encoder.transform(np.ravel(y))
        if self.kind_ == "binary":
            return codes.astype(np.float32).reshape(-1, 1)
        return codes.astype(np.int32)

    @property
    def head(self) -> Head:
        if self.kind_ == "multiclass":
            return Head(len(self.classes_), "softmax", "categorical_crossentropy")
        units = 1 if self.kind_ == "binary" else len(self.classes_)
        return Head(units, "sigmoid", "binary_crossentropy")

    def proba(self, raw: np.ndarray) -> np.ndarray:
        """Network output → class probabilities, columns in ``classes_`` order.

        A saturated sigmoid or softmax rounds to exactly 0 or 1 in float32;
        probabilities are kept inside ``[2**-24, 1 - 2**-24]``, the widest
        interval whose ends float32 holds apart from 0 and 1, so that their
        logarithms (and log-loss) stay finite in float32 and float64.
        """
        raw = np.clip(raw, PROBA_MIN, 1.0 - PROBA_MIN)
        if self.kind_ == "binary":
            return np.hstack([1.0 - raw, raw])
        if self.kind_ == "multiclass":
            return raw / raw.sum(axis=1, keepdims=True)
        return raw

    def inverse(self, y_enc: np.ndarray) -> np.ndarray:
        """Encoded targets → the user's labels (or label matrix)."""
        if self.kind_ == "multilabel-indicator":
            return np.asarray(y_enc).astype(int)
        return self.classes_[np.ravel(y_enc).astype(int)]

    def decode(self, proba: np.ndarray) -> np.ndarray:
        """Probabilities → the user's labels (an indicator matrix if multilabel)."""
        if self.kind_ == "multilabel-indicator":
            return (proba >= 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]
