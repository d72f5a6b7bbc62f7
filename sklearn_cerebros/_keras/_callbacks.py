"""Keras callbacks the training loop adds on its own."""

from __future__ import annotations

import time
import warnings
from typing import Any

import keras
import numpy as np

__all__ = ["Deadline", "GradientHealthWarning", "WeightUpdateMonitor"]


class GradientHealthWarning(UserWarning):
    """Training has stalled: the weights barely move and the loss is flat.

    Typical causes are vanishing gradients (deep stacks of saturating
    activations, tiny initial weights), dead ReLUs or a learning rate that is
    far too small. Silence it with
    ``warnings.simplefilter("ignore", GradientHealthWarning)``.
    """


def _dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """Trainable Dense layers of ``model``, nested models included."""
    found, seen = [], set()

    def visit(layer: Any) -> None:
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if isinstance(layer, keras.layers.Dense):
            if layer.trainable and getattr(layer, "kernel", None) is not None:
                found.append(layer)
            return
        for sub in getattr(layer, "layers", None) or ():
            visit(sub)

    for layer in model.layers:
        visit(layer)
    return found


class WeightUpdateMonitor(keras.callbacks.Callback):
    """Record how far each Dense kernel moves per epoch; warn once on a stall.

    The kernels are read at the beginning and at the end of every epoch, so
    the figure for layer ``l`` and epoch ``e`` is ``max |W_end - W_begin|``,
    the largest absolute net change of one kernel entry over the epoch's
    optimiser steps (two weight reads per epoch, whatever the number of steps).

    Rule: from the third epoch on, a :class:`GradientHealthWarning` is raised
    (once per training run) at the end of an epoch in which

    * some trainable Dense layer moved by less than ``rel_update`` (1e-6) times
      its weight scale (the largest absolute kernel entry at the epoch's
      beginning, at least 1e-12), and
    * the training loss changed by less than ``rel_loss`` (1e-3) relative to
      the previous epoch's.

    Adam rescales gradients, so a layer whose updates fall that low receives
    gradients near zero (below Adam's epsilon): the gradient has vanished
    there, not merely become small.

    Attributes
    ----------
    smallest_layer_update : list of float
        Per epoch, the smallest over layers of each layer's largest absolute
        change (the most stalled layer's figure).
    per_layer : dict of str to list of float
        Per layer name, its largest absolute change per epoch.
    warned : bool
        Whether the warning was raised.
    """

    def __init__(
        self, rel_update: float = 1e-6, rel_loss: float = 1e-3, min_epochs: int = 3
    ) -> None:
        super().__init__()
        self.rel_update = rel_update
        self.rel_loss = rel_loss
        self.min_epochs = min_epochs

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._layers = _dense_layers(self.model)
        self.smallest_layer_update: list[float] = []
        self.per_layer: dict[str, list[float]] = {
            layer.name: [] for layer in self._layers
        }
        self.warned = False
        self._losses: list[float] = []
        self._start: list[np.ndarray] = []

    def _kernels(self) -> list[np.ndarray]:
        # Variable.numpy() copies without the NumPy 2 copy-keyword warning
        return [np.array(layer.kernel.numpy()) for layer in self._layers]

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = self._kernels()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self._layers:
            return
        changes, ratios = [], []
        for layer, before, after in zip(
            self._layers, self._start, self._kernels(), strict=True
        ):
            change = float(np.max(np.abs(after - before))) if before.size else 0.0
            scale = max(float(np.max(np.abs(before))) if before.size else 0.0, 1e-12)
            changes.append(change)
            ratios.append(change / scale)
            self.per_layer[layer.name].append(change)
        self.smallest_layer_update.append(min(changes))
        loss = float((logs or {}).get("loss", np.nan))
        previous = self._losses[-1] if self._losses else np.nan
        self._losses.append(loss)
        if self.warned or len(self._losses) < self.min_epochs:
            return
        flat = abs(loss - previous) < self.rel_loss * max(abs(previous), 1e-12)
        worst = int(np.argmin(ratios))
        if flat and ratios[worst] < self.rel_update:
            self.warned = True
            warnings.warn(
                f"Training has stalled at epoch {epoch + 1}: the kernel of Dense "
                f"layer {self._layers[worst].name!r} moved by at most "
                f"{changes[worst]:.2e} over the epoch (under {self.rel_update:g} "
                "of its weight scale) while the loss changed by less than "
                f"{self.rel_loss:g} relative. Its gradients have vanished: use "
                "non-saturating activations (relu), larger initial weights, "
                "residual connections, batch_norm, or a larger learning_rate. "
                "Inputs far from unit scale (values of 1e6 and more) stall "
                "training too: scale them, with preprocessing='auto' for the "
                "estimators.",
                GradientHealthWarning,
                stacklevel=2,
            )


class Deadline(keras.callbacks.Callback):
    """Stop training at the first epoch end past a wall-clock deadline.

    ``deadline`` is a :func:`time.time` value (seconds since the epoch):
    unlike :func:`time.monotonic`, it means the same moment in every
    process and on every machine of a search, whose trials may run in
    worker processes or on Dask workers. The clock is read at each epoch
    end, so a training stops at an epoch boundary, after at least one
    epoch; the training loop then ends as after early stopping, whose
    :class:`keras.callbacks.EarlyStopping` restores the best epoch's
    weights at the end of training.

    It runs after every other callback of an epoch end, and only claims a
    stop that cuts the training short: not at the last epoch, and not when
    early stopping or a loss that is not finite has already stopped it.

    Attributes
    ----------
    stopped_epoch : int or None
        The (0-based) epoch after which the deadline stopped training, or
        None when it did not.
    """

    async_safe = True  # reads the clock, never a batch's logs

    def __init__(self, deadline: float, epochs: int) -> None:
        super().__init__()
        self.deadline = float(deadline)
        self.epochs = int(epochs)
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.model.stop_training or epoch + 1 >= self.epochs:
            return
        if time.time() >= self.deadline:
            self.stopped_epoch = epoch
            self.model.stop_training = True
