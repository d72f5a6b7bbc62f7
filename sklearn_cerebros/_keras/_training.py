"""Compile and train one Keras model: what every estimator's training goes through.

:func:`train` makes the optimiser, the loss and the callbacks from
:class:`TrainSettings`, compiles the model and hands it to the backend's
engine: our own loop over ``train_on_batch`` on TensorFlow
(:mod:`._own_loop`), ``model.fit`` on our own batches on JAX and PyTorch
(:mod:`._fit_path`). Both train on the same batches in the same order and
end with the same checks (:mod:`._epochs`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ._callbacks import Deadline, WeightUpdateMonitor
from ._fit_path import steps_per_execution, train_with_fit
from ._members import MembersLoss, members_view
from ._own_loop import train_own_loop
from ._seeding import seed_draws, set_random_seed

__all__ = [
    "LOSSES",
    "LR_SCHEDULES",
    "History",
    "TrainSettings",
    "make_loss",
    "seeded",
    "train",
]

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


@dataclass(frozen=True)
class TrainSettings:
    """Everything the loop needs besides the model and the data.

    ``deadline``, when set, is a :func:`time.time` value: a training still
    running then stops at the end of its current epoch (after at least one
    epoch), with the best epoch's weights restored when early stopping is
    on, and its history says so (see :class:`History`).
    """

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
    min_lr_fraction: float = 0.01
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    checkpoint_path: str | os.PathLike | None = None
    tensorboard_dir: str | os.PathLike | None = None
    deadline: float | None = None

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


class History(dict[str, list[float]]):
    """A training's per-epoch values by name, and why it was cut short.

    A plain ``dict`` of lists (``loss``, ``val_loss``, ...), one value per
    epoch run, with one attribute:

    Attributes
    ----------
    stopped : str or None
        ``"deadline"`` when the settings' ``deadline`` passed and training
        stopped at that epoch's end before running all its epochs; None
        otherwise (all epochs ran, or early stopping or a loss that is not
        finite ended it).
    """

    stopped: str | None = None


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Keras (and the backend) for the duration of a block.

    :func:`keras.utils.set_random_seed` also reseeds Python's and NumPy's
    global generators; their states are put back afterwards so that fitting
    an estimator does not disturb the caller's own random streams. The seeds
    Keras draws for unseeded initializers come from a generator of this
    thread's own (see :func:`~._seeding.seed_draws`), so that other threads
    drawing from Python's generator meanwhile (a Dask worker's event loop)
    do not change the initial weights.
    """
    # The legacy global NumPy generator is exactly what we must preserve.
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    set_random_seed(int(seed))
    try:
        with seed_draws(int(seed)):
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
    ``min_lr_fraction * learning_rate`` at the last step of ``epochs``. The schedule
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
            alpha=settings.min_lr_fraction,
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
    loss: keras.losses.Loss | None = None,
    optimizer: keras.optimizers.Optimizer | None = None,
) -> None:
    """Compile with the settings' optimiser and loss, unless they are given."""
    backend = keras.backend.backend()
    tensorflow = backend == "tensorflow"
    model.compile(
        optimizer=make_optimizer(settings, steps_per_epoch)
        if optimizer is None
        else optimizer,
        loss=make_loss(settings.loss, settings.label_smoothing)
        if loss is None
        else loss,
        steps_per_execution=steps_per_execution,
        run_eagerly=n_steps <= _EAGER_MAX_STEPS.get(backend, 0),
        # XLA on TensorFlow compiles every new model for seconds and caches it:
        # 12 short fits took 99.7 s and grew 36 MB each with it, 42.7 s and
        # 12.5 MB without (2 CPU cores). JAX needs its jit, so keep "auto".
        jit_compile=False if tensorflow else "auto",
    )


class _Checkpoint(keras.callbacks.ModelCheckpoint):
    """Saves ``model`` whichever model (a members' view) is being trained."""

    def __init__(self, model: keras.Model, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved = model

    def set_model(self, model: keras.Model) -> None:
        super().set_model(self._saved)


def _callbacks(
    settings: TrainSettings, monitor: str, model: keras.Model
) -> tuple[list[keras.callbacks.Callback], WeightUpdateMonitor]:
    """The user's callbacks, then the ones the settings ask for.

    A checkpoint saves ``model``, the network the caller passed to
    :func:`train`.
    """
    callbacks = list(settings.callbacks)
    if settings.lr_schedule == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor=monitor,
                factor=0.5,
                patience=max(2, settings.n_iter_no_change // 2),
                min_delta=settings.tol,
                min_lr=settings.min_lr_fraction * settings.learning_rate,
            )
        )
    health = WeightUpdateMonitor()
    callbacks.append(health)
    if settings.checkpoint_path is not None:
        callbacks.append(
            _Checkpoint(
                model,
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


def _engine(backend: str) -> Callable[..., dict[str, list[float]]]:
    """The training engine of a Keras backend (see the module docstring)."""
    return train_own_loop if backend == "tensorflow" else train_with_fit


def _compile_for_training(
    model: keras.Model,
    mean_model: keras.Model,
    settings: TrainSettings,
    steps: int,
    callbacks: list[keras.callbacks.Callback],
    loss: keras.losses.Loss,
) -> None:
    """Compile the trained model (a members' view, or the network), and the mean."""
    engine = _engine(keras.backend.backend())
    compile_model(
        model,
        settings,
        steps * settings.epochs,
        steps,
        steps_per_execution(steps, callbacks, settings.verbose)
        if engine is train_with_fit
        else 1,
        loss=None if model is mean_model else MembersLoss(loss),
    )
    if model is not mean_model:
        # The mean model scores held-out rows (test_on_batch off TensorFlow)
        # and is saved with the optimiser that trained its weights.
        compile_model(
            mean_model, settings, steps * settings.epochs, optimizer=model.optimizer
        )
    if engine is train_own_loop:
        # The optimiser's variables made now, not in the first training
        # step's trace: a tf.function whose first trace makes variables is
        # traced a second time (a second of a retrieval network's trial).
        model.optimizer.build(model.trainable_variables)


def train(
    model: keras.Model,
    X: np.ndarray,
    y: np.ndarray,
    *,
    settings: TrainSettings,
    rng: np.random.Generator,
    sample_weight: np.ndarray | None = None,
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None,
    compiled: bool = False,
) -> History:
    """Train ``model`` in place and return its per-epoch history.

    Parameters
    ----------
    model : keras.Model
        Built, uncompiled or compiled; it is (re)compiled here. A joint
        ensemble (see :mod:`._members`) is trained on the mean of its
        members' losses and monitored on the loss of their average.
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
    History
        ``loss``, with validation data ``val_loss``, and (when the model has
        trainable Dense layers) ``smallest_layer_update`` from
        :class:`~._callbacks.WeightUpdateMonitor`, one entry per epoch run.
        With early stopping the best epoch's weights are restored, also when
        the settings' ``deadline`` stopped the training, which
        :attr:`History.stopped` then says.
    compiled : bool, default=False
        Whether ``model`` is already compiled by an earlier call with the
        same settings and rows a batch (see :func:`~._network.fit_folds`):
        it then keeps its compiled steps, and its optimiser, whose state the
        caller has put back to where it started.
    """
    n = len(X)
    batch_size = max(1, min(settings.batch_size, n))
    steps = math.ceil(n / batch_size)
    loss = make_loss(settings.loss, settings.label_smoothing)
    # A k-member network trains as its members' view (rows x k x units, the
    # same weights) on the mean of the members' losses; the mean model is
    # what is scored: its validation loss drives early stopping.
    mean_model = model
    # the view is kept on the network, so that a network trained again
    # (compiled=True) trains the view it compiled
    view = getattr(model, "_cerebros_members_view", None) or members_view(model)
    if view is not None:
        model._cerebros_members_view = view
        model = view
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
    callbacks, health = _callbacks(
        settings, "val_loss" if validation is not None else "loss", mean_model
    )
    engine = _engine(keras.backend.backend())
    if not compiled:
        _compile_for_training(model, mean_model, settings, steps, callbacks, loss)
    # Weights are always passed, so that every step has the same signature.
    weights = (
        np.ones(n, np.float32)
        if sample_weight is None
        else np.asarray(sample_weight, np.float32)
    )
    deadline = (
        None
        if settings.deadline is None
        else Deadline(settings.deadline, settings.epochs)
    )
    common = dict(
        batch_size=batch_size,
        epochs=settings.epochs,
        verbose=settings.verbose,
        rng=rng,
        callbacks=callbacks,
        health=health,
        scored=mean_model,
        loss=loss,
        deadline=deadline,
    )
    if engine is train_own_loop:
        epochs = train_own_loop(model, X, y, weights, validation, **common)
    else:
        epochs = train_with_fit(
            model,
            X,
            y,
            weights,
            validation,
            early_stopping=settings.early_stopping,
            **common,
        )
    history = History(epochs)
    if deadline is not None and deadline.stopped_epoch is not None:
        history.stopped = "deadline"
    return history
