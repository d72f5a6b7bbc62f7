"""The training engine for JAX and PyTorch: ``model.fit`` on our own batches.

On these backends ``train_on_batch`` copies every variable in and out of the
compiled step at each call, which ``fit`` does once per epoch. The batches
are the own loop's (:mod:`._own_loop`): same shape, same shuffles from the
same generator, same weights, so both engines learn the same network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np

from ._callbacks import Deadline, WeightUpdateMonitor
from ._epochs import (
    check_finite_weights,
    epoch_batches,
    held_out_loss,
    warn_not_finite,
)

__all__ = ["steps_per_execution", "train_with_fit"]

_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)


def steps_per_execution(
    steps: int, callbacks: Sequence[keras.callbacks.Callback], verbose: int
) -> int:
    """Steps of one execution of ``model.fit`` on JAX (PyTorch allows only 1).

    All full batches of an epoch run in one execution and the last, padded
    batch in a second: Keras then reports the running loss once after the
    full batches and once at the end of the epoch, which is exactly what
    :class:`_RowMeanLoss` needs, and the callbacks are called twice an
    epoch instead of once a batch (on JAX, a fit took 2.06 s instead of
    2.45 s, medians of 5). When a callback acts on every batch (a user's,
    TensorBoard's) or a progress bar is shown, every step is its own
    execution, as Keras otherwise calls batch callbacks only once per
    execution.
    """
    if keras.backend.backend() != "jax":
        return 1
    base = keras.callbacks.Callback
    per_batch = verbose >= 1 or any(
        getattr(type(cb), hook) is not getattr(base, hook)
        for cb in callbacks
        for hook in _BATCH_HOOKS
    )
    return 1 if per_batch else max(1, steps - 1)


class _ShuffledBatches(keras.utils.PyDataset):
    """An epoch's batches of one shape, reshuffled by our generator each epoch."""

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        weights: np.ndarray,
        batch_size: int,
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        self.X, self.y, self.weights = X, y, weights
        self.batch_size, self.rng = batch_size, rng
        self.steps = math.ceil(len(X) / batch_size)
        # Unshuffled until the first epoch begins: Keras may read a batch
        # before that to build the model, and must not use up a shuffle.
        self.batches = list(epoch_batches(np.arange(len(X)), batch_size, weights))
        self._shuffles = 0

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, w, _ = self.batches[index]
        return self.X[rows], self.y[rows], w

    def shuffle_for(self, epoch: int) -> None:
        """Arrange the batches of ``epoch`` (the epoch-th shuffle of ``rng``).

        Called by :class:`_Reshuffle` when a training epoch begins, not by
        Keras's ``on_epoch_begin`` of the data set, which Keras also calls for
        a look at the first batch before training.
        """
        while self._shuffles <= epoch:
            order = self.rng.permutation(len(self.X))
            self._shuffles += 1
        self.batches = list(epoch_batches(order, self.batch_size, self.weights))


class _Reshuffle(keras.callbacks.Callback):
    """Gives each training epoch its own shuffle of the batches."""

    def __init__(self, batches: _ShuffledBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.batches.shuffle_for(epoch)


class _RowMeanLoss(keras.callbacks.Callback):
    """Makes an epoch's ``loss`` the mean over rows, as in the own loop.

    ``model.fit`` averages the batch losses, and all our batches have
    ``batch_size`` rows, so the last batch of an epoch (filled up with
    weight-0 rows) would count as much as a full one. Only that batch has
    fewer own rows, so the running mean Keras reports after the batch before
    it, ``m``, and the epoch's mean ``M`` over ``s`` batches are enough: the
    last batch's loss is ``s * M - (s - 1) * m``, and the mean over rows is
    ``(B * (s - 1) * m + own * last) / n``, which replaces ``logs["loss"]``
    for every later callback and the history.

    On JAX, :func:`steps_per_execution` puts the full batches in one
    execution, so Keras reports exactly that running mean and the epoch's.
    Only that one value is read, and the callback is marked safe for Keras's
    asynchronous dispatch, so training never waits for a batch's loss (on
    JAX, reading every batch's loss made each step wait for the last).
    """

    async_safe = True

    def __init__(self, batches: _ShuffledBatches) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._before_last = 0.0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if batch == self.batches.steps - 2:
            self._before_last = float((logs or {})["loss"])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None or "loss" not in logs:
            return
        steps, size = self.batches.steps, self.batches.batch_size
        before = self._before_last
        last = steps * float(logs["loss"]) - (steps - 1) * before
        own = self.batches.batches[-1][2]
        logs["loss"] = (size * (steps - 1) * before + own * last) / len(self.batches.X)


class _MeanValLoss(keras.callbacks.Callback):
    """Puts the held-out loss of a joint ensemble's mean model in the logs.

    ``model.fit`` on a members' view would score the held-out rows with the
    members' loss; early stopping must watch the loss of their average.
    """

    def __init__(
        self,
        scored: keras.Model,
        loss: keras.losses.Loss,
        validation: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    ) -> None:
        super().__init__()
        self.scored, self.loss, self.validation = scored, loss, validation

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["val_loss"] = held_out_loss(self.loss, self.scored, *self.validation)


class _StopWhenNotFinite(keras.callbacks.Callback):
    """Stops training, with a warning, at an epoch whose loss is not finite."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            warn_not_finite(epoch, stacklevel=2)
            self.model.stop_training = True


def train_with_fit(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None,
    *,
    batch_size: int,
    epochs: int,
    verbose: int,
    rng: np.random.Generator,
    callbacks: list[keras.callbacks.Callback],
    health: WeightUpdateMonitor,
    early_stopping: bool,
    scored: keras.Model,
    loss: keras.losses.Loss,
    deadline: Deadline | None = None,
) -> dict[str, list[float]]:
    """Train a compiled ``model`` through ``model.fit``; the per-epoch history.

    The batches are ours (same shape, same shuffles, same weights as the own
    loop), and the held-out rows are scored in one batch, so one training
    step and one test step are compiled per fit. Trained on the same
    batches, the weights come out as the own loop's (tested); the epoch's
    ``loss`` is made the mean over rows by :class:`_RowMeanLoss`. Early
    stopping, when on, is the last of ``callbacks`` and runs after the
    check for a loss that is not finite. When ``scored`` is not ``model``
    (a joint ensemble trained through its members' view), the held-out
    rows are scored on it under ``loss`` by :class:`_MeanValLoss`. A
    ``deadline`` runs last of all, at every epoch end.
    """
    batches = _ShuffledBatches(X, y, weights, batch_size, rng)
    validation_data, mean_val = None, []
    if validation is not None and scored is not model:
        mean_val = [_MeanValLoss(scored, loss, validation)]
    elif validation is not None:
        # scored in one batch, so dense (np.asarray densifies SparseRows)
        Xv, yv, wv = np.asarray(validation[0]), validation[1], validation[2]
        validation_data = (Xv, yv) if wv is None else (Xv, yv, wv)
    stopping = callbacks[-1:] if early_stopping else []
    model.stop_training = False
    result = model.fit(
        batches,
        epochs=epochs,
        validation_data=validation_data,
        validation_batch_size=None if validation is None else len(validation[0]),
        callbacks=[
            _Reshuffle(batches),
            _RowMeanLoss(batches),
            *mean_val,
            *callbacks[: len(callbacks) - len(stopping)],
            _StopWhenNotFinite(),
            *stopping,
            *([] if deadline is None else [deadline]),
        ],
        verbose=1 if verbose >= 1 else 0,
        shuffle=False,
    )
    history = {
        key: [float(v) for v in result.history[key]]
        for key in ("loss", "val_loss")
        if key in result.history
    }
    if health.smallest_layer_update:
        history["smallest_layer_update"] = list(health.smallest_layer_update)
    check_finite_weights(model)
    return history
