"""Compile and train one Keras model: the one training loop every estimator uses.

The loop drives ``model.train_on_batch`` itself instead of calling
``model.fit``. On the TensorFlow backend this halves the fit time of our small
networks (``fit`` rebuilds a ``tf.data`` pipeline and iterator machinery that
costs more than the arithmetic), it makes shuffling follow our own seeded
generator on every backend, and it still runs any Keras callback through a
:class:`keras.callbacks.CallbackList`.

Every batch has the same shape: the last one of an epoch is filled up with
rows already seen in that epoch, which get weight 0, while its own rows are
weighted up so that the batch's mean loss is the mean over its own rows. A
compiled train step (a TensorFlow graph, an XLA program on JAX) is then
traced and compiled once per fit instead of twice, which on JAX, where
compiling a step takes about a second, is most of a small fit's time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import random
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ._callbacks import WeightUpdateMonitor
from ._forward import predict_array

__all__ = ["LOSSES", "LR_SCHEDULES", "TrainSettings", "make_loss", "seeded", "train"]

#: Loss names accepted by estimators, and the Keras loss each one builds.
LOSSES = {
    "squared_error": lambda: keras.losses.MeanSquaredError(),
    "absolute_error": lambda: keras.losses.MeanAbsoluteError(),
    "huber": lambda: keras.losses.Huber(delta=1.0),
    "binary_crossentropy": lambda: keras.losses.BinaryCrossentropy(),
    "categorical_crossentropy": lambda: keras.losses.SparseCategoricalCrossentropy(),
}

#: Learning-rate schedules accepted by estimators (see :func:`make_optimizer`).
LR_SCHEDULES = ("constant", "warmup_cosine", "plateau")

# Below this many optimiser steps a TensorFlow fit runs eagerly: tracing a
# graph (about 0.7 s on 2 CPU cores) costs more than running the steps
# eagerly (about 30 ms each). JAX is always compiled: run eagerly, it compiles
# every operation for every new shape on first use, which measured no faster
# on our test suite. PyTorch runs eagerly anyway.
_EAGER_MAX_STEPS = {"tensorflow": 20}

# Held-out sets up to this many rows are scored in one test_on_batch call on
# backends other than TensorFlow; larger ones go through predict_array.
_ONE_BATCH_ROWS = 65536


@dataclass(frozen=True)
class TrainSettings:
    """Everything the loop needs besides the model and the data."""

    epochs: int
    batch_size: int
    learning_rate: float
    loss: str
    early_stopping: bool = True
    n_iter_no_change: int = 10
    tol: float = 0.0
    clipnorm: float | None = 1.0
    callbacks: Sequence[keras.callbacks.Callback] = field(default_factory=tuple)
    verbose: int = 0
    lr_schedule: str = "constant"
    warmup_epochs: int = 5
    eta_min: float = 0.01
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    checkpoint_path: str | os.PathLike | None = None
    tensorboard_dir: str | os.PathLike | None = None

    def __post_init__(self) -> None:
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}."
            )
        if self.checkpoint_path is not None and not os.fspath(
            self.checkpoint_path
        ).endswith(".keras"):
            raise ValueError(
                "checkpoint_path must end in '.keras' (Keras's native model "
                f"format), got {os.fspath(self.checkpoint_path)!r}."
            )


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Keras (and the backend) for the duration of a block.

    :func:`keras.utils.set_random_seed` also reseeds Python's and NumPy's
    global generators; their states are put back afterwards so that fitting
    an estimator does not disturb the caller's own random streams.
    """
    # The legacy global NumPy generator is exactly what we must preserve.
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002


def make_loss(name: str, label_smoothing: float = 0.0) -> keras.losses.Loss:
    """The Keras loss for ``name``, with label smoothing for cross-entropies.

    Sparse categorical cross-entropy has no label smoothing in Keras, so with
    smoothing the multiclass loss is :class:`keras.losses.CategoricalCrossentropy`
    and :func:`train` one-hot encodes the integer targets for it.
    """
    if label_smoothing > 0 and name == "binary_crossentropy":
        return keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    if label_smoothing > 0 and name == "categorical_crossentropy":
        return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    return LOSSES[name]()


def _one_hot_targets(settings: TrainSettings) -> bool:
    return settings.label_smoothing > 0 and settings.loss == "categorical_crossentropy"


def make_optimizer(
    settings: TrainSettings, steps_per_epoch: int
) -> keras.optimizers.Optimizer:
    """Adam, or AdamW when ``weight_decay > 0``; gradient norm clipped.

    ``lr_schedule="warmup_cosine"`` gives the optimiser a per-step
    :class:`keras.optimizers.schedules.CosineDecay`: the learning rate rises
    linearly from 0 over the first ``warmup_epochs * steps_per_epoch`` steps
    to ``learning_rate``, then follows a cosine down to
    ``eta_min * learning_rate`` at the last step of ``epochs``. The schedule
    reads the optimiser's step counter, so early stopping merely cuts it.
    ``"plateau"`` keeps a plain learning rate that :func:`train` halves
    through :class:`keras.callbacks.ReduceLROnPlateau`.
    """
    lr: Any = settings.learning_rate
    if settings.lr_schedule == "warmup_cosine":
        warmup_epochs = min(settings.warmup_epochs, settings.epochs)
        lr = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0,
            # the last step of the last epoch runs at the floor exactly
            decay_steps=max(1, (settings.epochs - warmup_epochs) * steps_per_epoch - 1),
            alpha=settings.eta_min,
            warmup_target=settings.learning_rate,
            warmup_steps=warmup_epochs * steps_per_epoch,
        )
    if settings.weight_decay > 0:
        return keras.optimizers.AdamW(
            learning_rate=lr,
            weight_decay=settings.weight_decay,
            clipnorm=settings.clipnorm,
        )
    return keras.optimizers.Adam(learning_rate=lr, clipnorm=settings.clipnorm)


def compile_model(
    model: keras.Model,
    settings: TrainSettings,
    n_steps: int,
    steps_per_epoch: int = 1,
    steps_per_execution: int = 1,
) -> None:
    """Compile with the settings' optimiser and loss."""
    backend = keras.backend.backend()
    tensorflow = backend == "tensorflow"
    model.compile(
        optimizer=make_optimizer(settings, steps_per_epoch),
        loss=make_loss(settings.loss, settings.label_smoothing),
        steps_per_execution=steps_per_execution,
        run_eagerly=n_steps <= _EAGER_MAX_STEPS.get(backend, 0),
        # XLA on TensorFlow compiles every new model for seconds and caches it:
        # 12 short fits took 99.7 s and grew 36 MB each with it, 42.7 s and
        # 12.5 MB without (2 CPU cores). JAX needs its jit, so keep "auto".
        jit_compile=False if tensorflow else "auto",
    )


def _callbacks(
    settings: TrainSettings, monitor: str
) -> tuple[list[keras.callbacks.Callback], WeightUpdateMonitor]:
    """The user's callbacks, then the ones the settings ask for."""
    callbacks = list(settings.callbacks)
    if settings.lr_schedule == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=0.5,
                patience=max(2, settings.n_iter_no_change // 2),
                min_delta=settings.tol,
                min_lr=settings.eta_min * settings.learning_rate,
            )
        )
    health = WeightUpdateMonitor()
    callbacks.append(health)
    if settings.checkpoint_path is not None:
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                os.fspath(settings.checkpoint_path),
                monitor=monitor,
                save_best_only=True,
            )
        )
    if settings.tensorboard_dir is not None:
        callbacks.append(
            keras.callbacks.TensorBoard(
                log_dir=os.fspath(settings.tensorboard_dir), write_graph=False
            )
        )
    if settings.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=monitor,
                patience=settings.n_iter_no_change,
                min_delta=settings.tol,
                restore_best_weights=True,
            )
        )
    return callbacks, health


def _loss_value(
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


def _epoch_batches(
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


def train(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    *,
    settings: TrainSettings,
    rng: np.random.Generator,
    sample_weight: np.ndarray | None = None,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` in place and return its per-epoch history.

    Parameters
    ----------
    model : keras.Model
        Built, uncompiled or compiled; it is (re)compiled here.
    X, y : ndarray
        Training data, already encoded (float32 features, encoded targets).
    settings : TrainSettings
        Epochs, batch size, loss, early stopping, callbacks, verbosity.
    rng : numpy.random.Generator
        Source of the per-epoch shuffles.
    sample_weight : ndarray, optional
        Per-row weights for the training loss.
    validation : (X_val, y_val, sample_weight_val), optional
        Held-out data. With early stopping on, its loss is monitored;
        without it, the training loss is.

    Returns
    -------
    dict of str to list of float
        ``loss``, with validation data ``val_loss``, and (when the model has
        trainable Dense layers) ``max_weight_update`` from
        :class:`~._callbacks.WeightUpdateMonitor`, one entry per epoch run.
        With early stopping the best epoch's weights are restored.
    """
    n = len(X)
    batch_size = max(1, min(settings.batch_size, n))
    steps = math.ceil(n / batch_size)
    loss_fn = make_loss(settings.loss, settings.label_smoothing)
    if _one_hot_targets(settings):
        n_classes = int(model.outputs[0].shape[-1])
        y = np.eye(n_classes, dtype=np.float32)[np.ravel(y).astype(int)]
        if validation is not None:
            Xv, yv, wv = validation
            yv = np.eye(n_classes, dtype=np.float32)[np.ravel(yv).astype(int)]
            validation = (Xv, yv, wv)

    if (
        settings.tensorboard_dir is not None
        and importlib.util.find_spec("tensorboard") is None
    ):
        raise ImportError(
            "tensorboard_dir needs the tensorboard package: pip install tensorboard"
        )
    monitor = "val_loss" if validation is not None else "loss"
    callbacks, health = _callbacks(settings, monitor)
    fit_path = keras.backend.backend() != "tensorflow" and not _FIT_LOOP_EVERYWHERE
    compile_model(
        model,
        settings,
        steps * settings.epochs,
        steps,
        _steps_per_execution(steps, callbacks, settings.verbose) if fit_path else 1,
    )
    # Weights are always passed, so that every step has the same signature.
    weights = (
        np.ones(n, np.float32)
        if sample_weight is None
        else np.asarray(sample_weight, np.float32)
    )
    if fit_path:
        return _train_with_fit(
            model, X, y, weights, validation, settings, rng, callbacks, health
        )
    cb = keras.callbacks.CallbackList(
        callbacks,
        add_history=False,
        add_progbar=settings.verbose >= 1,
        model=model,
        verbose=1 if settings.verbose >= 1 else 0,
        epochs=settings.epochs,
        steps=steps,
    )
    history: dict[str, list[float]] = {}
    model.stop_training = False
    cb.on_train_begin()
    logs: dict[str, float] = {}
    for epoch in range(settings.epochs):
        cb.on_epoch_begin(epoch)
        total = 0.0
        batches = _epoch_batches(rng.permutation(n), batch_size, weights)
        for step, (rows, w, own) in enumerate(batches):
            cb.on_train_batch_begin(step)
            out = model.train_on_batch(
                X[rows], y[rows], sample_weight=w, return_dict=True
            )
            total += float(out["loss"]) * own
            cb.on_train_batch_end(step, out)
        logs = {"loss": total / n}
        if validation is not None:
            logs["val_loss"] = _loss_value(loss_fn, model, *validation)
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        if not all(np.isfinite(v) for v in logs.values()):
            warnings.warn(
                f"Training stopped at epoch {epoch + 1}: the loss is not finite. "
                "Lower learning_rate or check the scale of the inputs.",
                RuntimeWarning,
                stacklevel=3,
            )
            model.stop_training = True
        cb.on_epoch_end(epoch, logs)
        if health.max_weight_update:
            history.setdefault("max_weight_update", []).append(
                health.max_weight_update[-1]
            )
        if model.stop_training:
            break
    cb.on_train_end(logs)
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise ValueError(
            "Training diverged: the network's weights are not finite. Lower "
            "learning_rate, turn on early_stopping, or scale the inputs "
            "(preprocessing='auto')."
        )
    return history


# Off TensorFlow, train through ``model.fit`` (see _train_with_fit); tests set
# this to run our own loop on every backend.
_FIT_LOOP_EVERYWHERE = False


_BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
)


def _steps_per_execution(
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
        self.batches = list(_epoch_batches(np.arange(len(X)), batch_size, weights))
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
        self.batches = list(_epoch_batches(order, self.batch_size, self.weights))


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

    On JAX, :func:`_steps_per_execution` puts the full batches in one
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


class _StopWhenNotFinite(keras.callbacks.Callback):
    """Stops training, with a warning, at an epoch whose loss is not finite."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not all(np.isfinite(float(v)) for v in (logs or {}).values()):
            warnings.warn(
                f"Training stopped at epoch {epoch + 1}: the loss is not finite. "
                "Lower learning_rate or check the scale of the inputs.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.model.stop_training = True


def _train_with_fit(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None,
    settings: TrainSettings,
    rng: np.random.Generator,
    callbacks: list[keras.callbacks.Callback],
    health: WeightUpdateMonitor,
) -> dict[str, list[float]]:
    """The same training through ``model.fit``, for JAX and PyTorch.

    On these backends ``train_on_batch`` copies every variable in and out of
    the compiled step at each call, which ``fit`` does once per epoch. The
    batches are ours (same shape, same shuffles, same weights), and the
    held-out rows are scored in one batch, so one training step and one
    test step are compiled per fit. Trained on the same batches, the
    weights come out as the own loop's (tested); the epoch's ``loss`` is made
    the mean over rows by :class:`_RowMeanLoss`.
    """
    batches = _ShuffledBatches(
        X, y, weights, max(1, min(settings.batch_size, len(X))), rng
    )
    validation_data = None
    if validation is not None:
        # scored in one batch, so dense (np.asarray densifies SparseRows)
        Xv, yv, wv = np.asarray(validation[0]), validation[1], validation[2]
        validation_data = (Xv, yv) if wv is None else (Xv, yv, wv)
    model.stop_training = False
    result = model.fit(
        batches,
        epochs=settings.epochs,
        validation_data=validation_data,
        validation_batch_size=None if validation is None else len(validation[0]),
        callbacks=[
            _Reshuffle(batches),
            _RowMeanLoss(batches),
            *(callbacks[:-1] if settings.early_stopping else callbacks),
            _StopWhenNotFinite(),
            *(callbacks[-1:] if settings.early_stopping else []),
        ],
        verbose=1 if settings.verbose >= 1 else 0,
        shuffle=False,
    )
    history = {
        key: [float(v) for v in result.history[key]]
        for key in ("loss", "val_loss")
        if key in result.history
    }
    if health.max_weight_update:
        history["max_weight_update"] = list(health.max_weight_update)
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise ValueError(
            "Training diverged: the network's weights are not finite. Lower "
            "learning_rate, turn on early_stopping, or scale the inputs "
            "(preprocessing='auto')."
        )
    return history
