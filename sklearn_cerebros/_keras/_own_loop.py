"""The training engine for TensorFlow: our own loop over ``train_on_batch``.

On the TensorFlow backend driving ``model.train_on_batch`` ourselves halves
the fit time of our small networks against ``model.fit``, which rebuilds a
``tf.data`` pipeline and iterator machinery that costs more than the
arithmetic. Shuffling follows our own seeded generator, and any Keras
callback still runs through a :class:`keras.callbacks.CallbackList`.
"""

from __future__ import annotations

import keras
import numpy as np

from ._callbacks import Deadline, WeightUpdateMonitor
from ._epochs import (
    check_finite_weights,
    epoch_batches,
    held_out_loss,
    warn_not_finite,
)

__all__ = ["train_own_loop"]


def train_own_loop(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None,
    *,
    batch_size: int,
    epochs: int,
    verbose: int,
    loss: keras.losses.Loss,
    rng: np.random.Generator,
    callbacks: list[keras.callbacks.Callback],
    health: WeightUpdateMonitor,
    scored: keras.Model,
    deadline: Deadline | None = None,
) -> dict[str, list[float]]:
    """Train a compiled ``model`` epoch by epoch; the per-epoch history.

    Each epoch: a fresh shuffle from ``rng``, every batch of the same shape
    (see :func:`~._epochs.epoch_batches`), the epoch's ``loss`` as the mean
    over rows, ``val_loss`` of ``scored`` (``model`` itself, or the mean of
    a joint ensemble whose members' view is ``model``) under ``loss`` on the
    held-out rows, then the callbacks' epoch end (early stopping among
    them). A loss that is not finite stops the training with a warning.
    A ``deadline`` runs after all of ``callbacks``, at every epoch end.
    """
    n = len(X)
    steps = -(-n // batch_size)
    cb = keras.callbacks.CallbackList(
        [*callbacks, deadline] if deadline is not None else callbacks,
        add_history=False,
        add_progbar=verbose >= 1,
        model=model,
        verbose=1 if verbose >= 1 else 0,
        epochs=epochs,
        steps=steps,
    )
    history: dict[str, list[float]] = {}
    model.stop_training = False
    cb.on_train_begin()
    logs: dict[str, float] = {}
    for epoch in range(epochs):
        cb.on_epoch_begin(epoch)
        total = 0.0
        batches = epoch_batches(rng.permutation(n), batch_size, weights)
        for step, (rows, w, own) in enumerate(batches):
            cb.on_train_batch_begin(step)
            out = model.train_on_batch(
                X[rows], y[rows], sample_weight=w, return_dict=True
            )
            total += float(out["loss"]) * own
            cb.on_train_batch_end(step, out)
        logs = {"loss": total / n}
        if validation is not None:
            logs["val_loss"] = held_out_loss(loss, scored, *validation)
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        if not all(np.isfinite(v) for v in logs.values()):
            warn_not_finite(epoch, stacklevel=4)
            model.stop_training = True
        cb.on_epoch_end(epoch, logs)
        if health.smallest_layer_update:
            history.setdefault("smallest_layer_update", []).append(
                health.smallest_layer_update[-1]
            )
        if model.stop_training:
            break
    cb.on_train_end(logs)
    check_finite_weights(model)
    return history
