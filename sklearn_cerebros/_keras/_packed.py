"""Train several networks as one Keras model: a bagged trial's fold networks.

A bagged search trial trains one network per fold, each on its own rows.
Trained one after another, each network is compiled on its own and every
batch is one call into the framework per network. Packed, the ``k``
networks become one Keras model with ``k`` inputs and ``k`` outputs: each
output is one network on its own input, so the networks keep their own
weights and never see each other's rows. One training step then runs every
network's batch at once, and the model is compiled once.

Each network learns exactly what it would alone:

* its batches are the ones :func:`~._training.train` would give it: the
  same shuffles from its own generator, the same padding of the last batch
  (:func:`~._epochs.epoch_batches`), so packing needs every network to
  have the same batch size and number of steps an epoch (:func:`can_pack`);
* the packed loss is the sum of the networks' losses, so a network's
  gradient is its own loss's; Adam, AdamW and per-variable gradient
  clipping (``clipnorm``) update each variable from its own gradient;
* each network's held-out loss, early stopping (patience, ``tol``, best
  weights restored) and deadline are its own, as Keras's
  :class:`~keras.callbacks.EarlyStopping` would keep them. A network that
  has stopped goes on being stepped with the others until the last one
  stops, and its best weights are put back at the end, so what it learns
  after its stop is never used.

What cannot be packed (a user's callbacks, a checkpoint, TensorBoard, the
``"plateau"`` schedule, whose learning rate is per network, a progress
bar, sparse rows, networks with different numbers of steps, and on
PyTorch networks with unseeded dropout, see :func:`draws_in_order`) trains
one network at a time as before (see :func:`can_pack`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ._epochs import check_finite_weights, epoch_batches, held_out_loss, warn_not_finite
from ._members import MembersLoss, members_view
from ._rows import SparseRows
from ._training import History, TrainSettings, compile_model, make_loss

__all__ = ["can_pack", "draws_in_order", "train_packed"]

Arrays = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]

# Above this many held-out rows a network's held-out loss is not scored in
# one packed batch (see held_out_loss's one-batch limit).
_ONE_BATCH_ROWS = 65536


def _steps(n: int, batch_size: int) -> tuple[int, int]:
    size = max(1, min(batch_size, n))
    return size, math.ceil(n / size)


def can_pack(
    parts: Sequence[Arrays],
    validations: Sequence[Arrays | None],
    settings: TrainSettings,
) -> bool:
    """Whether networks training on ``parts`` can train packed (module docstring).

    Parameters
    ----------
    parts : sequence of (X, y, sample_weight)
        Each network's training rows.
    validations : sequence of (X, y, sample_weight) or None
        Each network's held-out rows (all needed).
    settings : TrainSettings
        The networks' common settings.

    Returns
    -------
    bool
    """
    if len(parts) < 2 or any(v is None for v in validations):
        return False
    if (
        settings.callbacks
        or settings.checkpoint_path is not None
        or settings.tensorboard_dir is not None
        or settings.lr_schedule == "plateau"
        or settings.verbose
    ):
        return False
    if any(isinstance(p[0], SparseRows) for p in [*parts, *validations]):
        return False
    if len({_steps(len(p[0]), settings.batch_size) for p in parts}) != 1:
        return False
    return all(len(v[0]) <= _ONE_BATCH_ROWS for v in validations)


def _layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer, *_layers(layer)]
    return found


def draws_in_order(models: Sequence[keras.Model]) -> bool:
    """Whether networks' random draws depend on how they are trained.

    On PyTorch, Keras draws the masks of a ``Dropout`` layer that has no
    seed of its own from torch's one global generator: packed networks
    would take their masks in another order than trained one by one (the
    same distribution, not the same masks), and a network trained in an
    already compiled model skips the draws of its first compiled pass, so
    such networks are neither packed nor share a compiled model there.
    Every other random draw (our ``DropPath``, every draw on TensorFlow and
    JAX) comes from the layer's own seed generator.
    """
    if keras.backend.backend() != "torch":
        return False
    return any(
        isinstance(layer, keras.layers.Dropout)
        and layer.rate > 0
        and layer.seed is None
        and layer.noise_shape is None
        for model in models
        for layer in _layers(model)
    )


@dataclass
class _Stopping:
    """One network's early-stopping state, as EarlyStopping keeps it."""

    best: float | None = None
    wait: int = 0
    best_weights: list[np.ndarray] | None = None
    done: bool = False
    history: History = field(default_factory=History)


def _one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes, dtype=np.float32)[np.ravel(y).astype(int)]


def _padded_validation(
    validations: Sequence[Arrays],
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Held-out rows of every network padded to one row count.

    Padding rows get weight 0 and the own rows are weighted by
    ``rows / own``, so Keras's mean over the batch is each network's mean
    over its own rows (as in :func:`~._epochs.epoch_batches`).
    """
    rows = max(len(v[0]) for v in validations)
    xs, ys, ws = [], [], []
    for X, y, w in validations:
        own = len(X)
        w = np.ones(own, np.float32) if w is None else np.asarray(w, np.float32)
        pad = rows - own
        xs.append(np.concatenate([X, np.zeros((pad, *X.shape[1:]), X.dtype)]))
        ys.append(np.concatenate([y, np.zeros((pad, *y.shape[1:]), y.dtype)]))
        ws.append(np.concatenate([w * (rows / own), np.zeros(pad, np.float32)]))
    return xs, ys, ws


class _HeldOut:
    """Scores every network's held-out loss at an epoch's end.

    TensorFlow scores each network as :func:`~._training.train` does
    (:func:`~._epochs.held_out_loss`: a compiled forward pass per network).
    Other backends score all networks in one ``test_on_batch`` of a packed
    model of the networks, compiled once, instead of one compiled test step
    per network.
    """

    def __init__(
        self,
        models: Sequence[keras.Model],
        validations: Sequence[Arrays],
        settings: TrainSettings,
        optimizer: keras.optimizers.Optimizer,
        run_eagerly: bool,
    ) -> None:
        self.models, self.validations = list(models), list(validations)
        self.loss = make_loss(settings.loss, settings.label_smoothing)
        self.packed: keras.Model | None = None
        if keras.backend.backend() == "tensorflow":
            return
        self.packed = _pack(models, models)
        self.packed.compile(
            optimizer=optimizer,
            loss=[make_loss(settings.loss, settings.label_smoothing) for _ in models],
            run_eagerly=run_eagerly,
            jit_compile="auto",
        )
        self.batch = _padded_validation(validations)

    def losses(self) -> list[float]:
        """Each network's loss on its held-out rows."""
        if self.packed is None:
            return [
                held_out_loss(self.loss, model, *part)
                for model, part in zip(self.models, self.validations, strict=True)
            ]
        xs, ys, ws = self.batch
        out = self.packed.test_on_batch(xs, ys, sample_weight=ws, return_dict=True)
        return [float(out[f"net{i}_loss"]) for i in range(len(self.models))]


def _pack(models: Sequence[keras.Model], shapes: Sequence[keras.Model]) -> keras.Model:
    """One model whose output ``net{i}`` is ``models[i]`` on input ``i``.

    ``shapes[i]`` gives input ``i``'s shape and dtype.
    """
    inputs = [
        keras.Input(
            shape=tuple(s.inputs[0].shape[1:]), dtype=s.inputs[0].dtype, name=f"in{i}"
        )
        for i, s in enumerate(shapes)
    ]
    outputs = [
        keras.layers.Identity(name=f"net{i}", dtype="float32")(model(x))
        for i, (model, x) in enumerate(zip(models, inputs, strict=True))
    ]
    return keras.Model(inputs, outputs, name="packed_networks")


def _clear_gradients(model: keras.Model) -> None:
    """On PyTorch, forget the last step's gradients of every packed network.

    Keras's PyTorch train step clears gradients with ``torch.nn.Module``'s
    ``zero_grad``, which does not reach the variables of models nested in
    the packed model: their gradients would add up over the steps (the
    weights then differed from a network trained alone from the second
    step on). Other backends compute fresh gradients at each step.
    """
    if keras.backend.backend() == "torch":
        for variable in model.trainable_variables:
            variable.value.grad = None


def _is_improvement(current: float, best: float | None, tol: float) -> bool:
    # As EarlyStopping in "min" mode: a backend comparison of current - (-tol)
    # with the best so far.
    if best is None:
        return True
    return bool(keras.ops.less(current + abs(tol), best))


def train_packed(
    models: Sequence[keras.Model],
    parts: Sequence[Arrays],
    validations: Sequence[Arrays],
    settings: TrainSettings,
    rngs: Sequence[np.random.Generator],
    on_epoch: Callable[[int], None] | None = None,
) -> list[History]:
    """Train ``models`` packed in one Keras model; each network's history.

    Parameters
    ----------
    models : sequence of keras.Model
        Built networks with one input and one output each, trained in
        place. A joint ensemble trains on its members' loss (see
        :mod:`._members`) and is scored on its mean, as in
        :func:`~._training.train`.
    parts, validations : sequence of (X, y, sample_weight)
        Each network's training and held-out rows (:func:`can_pack` true).
    settings : TrainSettings
        Common settings (epochs, batch size, loss, early stopping,
        ``deadline``).
    rngs : sequence of numpy.random.Generator
        Each network's source of shuffles.
    on_epoch : callable, optional
        Called with the number of epochs run after each epoch (a search's
        progress bar).

    Returns
    -------
    list of History
        Per network: ``loss`` and ``val_loss`` for each epoch it ran before
        it stopped, ``stopped="deadline"`` when the deadline cut it short;
        the best epoch's weights are restored with early stopping on.
    """
    k = len(models)
    batch_size, steps = _steps(len(parts[0][0]), settings.batch_size)
    views = [members_view(m) or m for m in models]
    losses: list[Any] = []
    for model, view in zip(models, views, strict=True):
        base = make_loss(settings.loss, settings.label_smoothing)
        losses.append(base if view is model else MembersLoss(base))
    parts = list(parts)
    validations = list(validations)
    if settings.label_smoothing > 0 and settings.loss == "categorical_crossentropy":
        n_classes = int(models[0].outputs[0].shape[-1])
        parts = [(X, _one_hot(y, n_classes), w) for X, y, w in parts]
        validations = [(X, _one_hot(y, n_classes), w) for X, y, w in validations]
    trainer = _pack(views, models)
    compile_model(trainer, settings, steps * settings.epochs, steps, loss=losses)
    for model in models:  # scored compiled or not, as train() would
        model.run_eagerly = trainer.run_eagerly
    held_out = _HeldOut(
        models, validations, settings, trainer.optimizer, trainer.run_eagerly
    )
    weights = [
        np.ones(len(X), np.float32) if w is None else np.asarray(w, np.float32)
        for X, _, w in parts
    ]
    state = [_Stopping() for _ in range(k)]
    for epoch in range(settings.epochs):
        batches = [
            list(epoch_batches(rng.permutation(len(X)), batch_size, w))
            for rng, (X, _, _), w in zip(rngs, parts, weights, strict=True)
        ]
        totals = np.zeros(k)
        for step in range(steps):
            chosen = [b[step] for b in batches]
            _clear_gradients(trainer)
            out = trainer.train_on_batch(
                [
                    X[rows]
                    for (X, _, _), (rows, _, _) in zip(parts, chosen, strict=True)
                ],
                [
                    y[rows]
                    for (_, y, _), (rows, _, _) in zip(parts, chosen, strict=True)
                ],
                sample_weight=[w for _, w, _ in chosen],
                return_dict=True,
            )
            for i, (_, _, own) in enumerate(chosen):
                if not state[i].done:
                    totals[i] += float(out[f"net{i}_loss"]) * own
        held = held_out.losses()
        for i, model in enumerate(models):
            if not state[i].done:
                _end_epoch(
                    state[i],
                    model,
                    epoch,
                    totals[i] / len(parts[i][0]),
                    held[i],
                    settings,
                )
        if on_epoch is not None:
            on_epoch(epoch + 1)
        running = [s for s in state if not s.done]
        if (
            running
            and settings.deadline is not None
            and epoch + 1 < settings.epochs
            and time.time() >= settings.deadline
        ):
            for s in running:
                s.history.stopped = "deadline"
                s.done = True
        if all(s.done for s in state):
            break
    for model, s in zip(models, state, strict=True):
        if settings.early_stopping and s.best_weights is not None:
            model.set_weights(s.best_weights)
        check_finite_weights(model)
    return [s.history for s in state]


def _end_epoch(
    s: _Stopping,
    model: keras.Model,
    epoch: int,
    loss: float,
    val_loss: float,
    settings: TrainSettings,
) -> None:
    """One network's epoch end: history, the finiteness check, early stopping."""
    s.history.setdefault("loss", []).append(loss)
    s.history.setdefault("val_loss", []).append(val_loss)
    if not (np.isfinite(loss) and np.isfinite(val_loss)):
        warn_not_finite(epoch, stacklevel=4)
        s.done = True
    if not settings.early_stopping:
        return
    if s.best_weights is None:
        s.best_weights = model.get_weights()
    s.wait += 1
    if _is_improvement(val_loss, s.best, settings.tol):
        s.best, s.wait = val_loss, 0
        s.best_weights = model.get_weights()
    elif s.wait >= settings.n_iter_no_change and epoch > 0:
        s.done = True
