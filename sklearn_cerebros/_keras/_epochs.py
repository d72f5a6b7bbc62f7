"""What both training engines share: the batches of an epoch and the checks.

Every batch has the same shape: the last one of an epoch is filled up with
rows already seen in that epoch, which get weight 0, while its own rows are
weighted up so that the batch's mean loss is the mean over its own rows. A
compiled train step (a TensorFlow graph, an XLA program on JAX) is then
traced and compiled once per fit instead of twice, which on JAX, where
compiling a step takes about a second, is most of a small fit's time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import keras
import numpy as np

from ._forward import predict_array

__all__ = [
    "check_finite_weights",
    "epoch_batches",
    "held_out_loss",
    "warn_not_finite",
]

# Held-out sets up to this many rows are scored in one test_on_batch call on
# backends other than TensorFlow; larger ones go through predict_array.
_ONE_BATCH_ROWS = 65536


def held_out_loss(
    loss: keras.losses.Loss,
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray | None,
) -> float:
    """The loss of ``model`` on held-out rows, as training computes it.

    TensorFlow runs the model's forward pass, compiled unless the fit runs
    eagerly (tracing it costs 40–80 ms, the price of about ten eager calls;
    tracing ``test_on_batch`` would cost about 0.7 s); other backends use
    ``test_on_batch``, whose compiled step is built once per fit and is many
    times faster than running the model one operation at a time.
    """
    if keras.backend.backend() != "tensorflow" and len(X) <= _ONE_BATCH_ROWS:
        # np.asarray densifies SparseRows (see _rows), as one batch needs
        out = model.test_on_batch(
            np.asarray(X), y, sample_weight=sample_weight, return_dict=True
        )
        return float(out["loss"])
    predicted = predict_array(model, X, compiled=not model.run_eagerly)
    value = loss(y, predicted.astype(np.float32), sample_weight)
    return float(keras.ops.convert_to_numpy(value))


def epoch_batches(
    order: np.ndarray, batch_size: int, weights: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """Row indices, weights and number of own rows of each batch of an epoch.

    Every batch has ``batch_size`` rows. The last one is filled up with the
    epoch's first rows at weight 0, and its own rows are weighted by
    ``batch_size / own`` so that Keras's mean over the batch (the loss summed
    over rows, divided by the number of rows) is the mean over its own rows.
    """
    n = len(order)
    for start in range(0, n, batch_size):
        rows = order[start : start + batch_size]
        own = len(rows)
        w = weights[rows]
        if own < batch_size:
            rows = np.concatenate([rows, order[: batch_size - own]])
            w = np.concatenate(
                [w * (batch_size / own), np.zeros(batch_size - own, w.dtype)]
            )
        yield rows, w, own


def warn_not_finite(epoch: int, stacklevel: int) -> None:
    """The warning of an epoch whose loss is not finite (training then stops)."""
    warnings.warn(
        f"Training stopped at epoch {epoch + 1}: the loss is not finite. "
        "Lower learning_rate or check the scale of the inputs.",
        RuntimeWarning,
        stacklevel=stacklevel + 1,
    )


def check_finite_weights(model: keras.Model) -> None:
    """Refuse a trained model whose weights are not finite."""
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise ValueError(
            "Training diverged: the network's weights are not finite. Lower "
            "learning_rate, turn on early_stopping, or scale the inputs "
            "(preprocessing='auto')."
        )
