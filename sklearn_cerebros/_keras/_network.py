"""The one seam from plan and data to a trained network.

:func:`build` turns a plan of any registered kind (see
:class:`~sklearn_cerebros.architecture.NetworkPlan`) into a Keras model with
the builder its kind names (see :mod:`._kinds`), and
:func:`fit_network` seeds, builds and trains. An estimator's fit, a search
trial and a search's refit all go through :func:`fit_network`, so the order
in which random numbers are drawn (weights, then shuffles) is the same
everywhere. What it returns is one Keras model however the network is made
inside: a joint ensemble of members whose outputs are averaged is still one
model, with one ``predict``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import keras
import numpy as np

from ..architecture import NetworkPlan
from ._kinds import builder_of, memory_labels
from ._training import TrainSettings, seeded, train

__all__ = [
    "Arrays",
    "CompiledNetwork",
    "TrainedNetwork",
    "build",
    "fit_network",
    "rebuild",
    "remember",
]

#: Encoded ``(X, y, sample_weight)`` of a fit; ``sample_weight`` may be None.
Arrays = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


@dataclass
class TrainedNetwork:
    """A trained Keras model and its per-epoch history.

    ``history`` is the :class:`~._training.History` of :func:`train`;
    :attr:`stopped` says whether the settings' ``deadline`` cut it short.
    """

    model: keras.Model
    history: dict[str, list[float]]

    @property
    def stopped(self) -> str | None:
        """``"deadline"`` when the training deadline stopped it early, else None."""
        return getattr(self.history, "stopped", None)


def build(
    plan: NetworkPlan,
    n_features: int | None = None,
    *,
    base_model: keras.Model | None = None,
    memory: tuple[np.ndarray, np.ndarray] | int | None = None,
) -> keras.Model:
    """Build the uncompiled Keras model of any kind of plan.

    Parameters
    ----------
    plan : NetworkPlan
        The architecture, with its head.
    n_features : int, optional
        Width of the feature vector; required unless ``base_model`` is given.
    base_model : keras.Model, optional
        A model whose output is the feature vector (for a kind whose builder
        takes one: levels-of-units plans).
    memory : (features, targets) or int, optional
        The memory of training rows of a plan whose network keeps them (a
        retrieval plan; see :class:`~._kinds.RowMemory`), or its number of
        rows when weights are set afterwards; required for such a plan,
        refused otherwise.

    Returns
    -------
    keras.Model
        Weights drawn from Keras's global seed.
    """
    kind, builder = builder_of(plan)
    if memory is not None and builder.memory is None:
        raise ValueError(
            f"Only a {memory_labels()} plan keeps a memory, not a "
            f"{type(plan).__name__}."
        )
    if builder.base_model:
        return builder.build(plan, n_features, base_model=base_model)
    if base_model is not None:
        raise ValueError(f"A {kind.label} plan cannot be built on a base_model.")
    if n_features is None:
        raise ValueError(f"n_features is required to build a {kind.label} plan.")
    if builder.memory is None:
        return builder.build(plan, n_features)
    if memory is None:
        raise ValueError(
            f"A {kind.label} plan is built with its memory of training rows "
            "(memory=(features, targets)) or their number (memory=rows)."
        )
    return builder.build(plan, n_features, memory)


def rebuild(
    plan: NetworkPlan, n_features: int, weights: list[np.ndarray]
) -> keras.Model:
    """A trained network again, from its plan and its weights.

    A retrieval network's memory is among its weights, so its size is read
    from them (see :class:`~._kinds.RowMemory`).

    Parameters
    ----------
    plan : NetworkPlan
        The architecture the weights were trained in.
    n_features : int
        Width of the feature vector.
    weights : list of ndarray
        As :meth:`keras.Model.get_weights` gave them.

    Returns
    -------
    keras.Model
    """
    rows = builder_of(plan)[1].memory
    memory = None if rows is None else rows.rows(weights, n_features)
    model = build(plan, n_features, memory=memory)
    model.set_weights(weights)
    return model


def remember(
    plan: NetworkPlan,
    model: keras.Model,
    rows: tuple[np.ndarray, np.ndarray],
    seed: int,
    n_features: int,
) -> keras.Model:
    """A trained retrieval network with ``rows`` as its memory; others as they are.

    A retrieval network trains with its training rows as memory; a search
    then has it predict, as TabR does, with every row it was given (up to
    ``max_candidates``, drawn from ``seed``). A bagged network's held-out
    rows are among them, but no row ever retrieves a copy of itself (see
    :class:`~sklearn_cerebros.architecture.RetrievalPlan`), so a held-out
    row's output uses other rows' targets only.

    Parameters
    ----------
    plan : NetworkPlan
        The plan ``model`` was built from.
    model : keras.Model
        The trained network.
    rows : (X, y)
        Encoded rows and targets for the memory.
    seed : int
        Seeds the draw of the memory rows beyond ``max_candidates``.
    n_features : int
        Width of the feature vector.

    Returns
    -------
    keras.Model
        ``model`` itself unless ``plan``'s network keeps training rows (a
        retrieval plan's); else a new network with the same trained weights
        and the new memory.
    """
    memory = builder_of(plan)[1].memory
    if memory is None:
        return model
    kept = memory.of(plan, rows[0], rows[1], seed)
    weights = model.get_weights()[memory.n_weights :]
    return rebuild(plan, n_features, [*kept, *weights])


def _build_to_train(
    plan: NetworkPlan,
    train_part: Arrays,
    seed: int,
    n_features: int | None,
    base_model: keras.Model | None,
    start: list[np.ndarray] | None,
    memory_limit: int | None = None,
) -> keras.Model:
    """The network of ``plan`` about to train on ``train_part`` (under ``seed``).

    From ``start`` weights when given; a retrieval network's memory is
    ``train_part``'s rows (at most ``memory_limit`` of them).
    """
    X, y, _ = train_part
    rows = builder_of(plan)[1].memory
    if start is not None:
        if rows is not None:  # it trains on its training rows
            kept = rows.of(plan, X, y, seed, memory_limit)
            start = [*kept, *start[rows.n_weights :]]
        return rebuild(plan, int(n_features or 0), start)
    memory = None if rows is None else rows.of(plan, X, y, seed, memory_limit)
    return build(plan, n_features, base_model=base_model, memory=memory)


def _layers(model: keras.layers.Layer) -> list[keras.layers.Layer]:
    found = []
    for layer in getattr(model, "layers", []):
        found += [layer, *_layers(layer)]
    return found


def _draws_from_global_generator(model: keras.Model) -> bool:
    """Whether ``model``'s random draws depend on how it is trained.

    On PyTorch, Keras draws the masks of a ``Dropout`` layer that has no
    seed of its own from torch's one global generator, and a network
    trained in an already compiled model skips the draws of its first
    compiled pass. Every other random draw (our ``DropPath``, every draw on
    TensorFlow and JAX) comes from the layer's own seed generator.
    """
    if keras.backend.backend() != "torch":
        return False
    return any(
        isinstance(layer, keras.layers.Dropout)
        and layer.rate > 0
        and layer.seed is None
        and layer.noise_shape is None
        for layer in _layers(model)
    )


class CompiledNetwork:
    """One compiled network trained again for each network of its structure.

    A bagged trial trains one network per fold, all of one plan and shape.
    Compiling each costs a trace on TensorFlow and an XLA compilation on JAX
    (seconds for a network of a hundred thousand weights). :meth:`fit` builds each
    network as :func:`fit_network` would (the same seed, so the same initial
    weights and random-draw states), then loads that state into the first
    network's compiled model, puts its optimiser back to its start, and
    trains it with its compiled steps: the same network, compiled once.
    A network whose variables have other shapes is compiled on its own (a
    bagged trial gives its retrieval networks memories of one size, see
    ``memory_limit``), and so is,
    on PyTorch, one with unseeded dropout, whose masks come from torch's
    global generator.
    """

    def __init__(self) -> None:
        self.model: keras.Model | None = None
        self._settings: TrainSettings | None = None
        self._rows: int | None = None

    def fit(
        self,
        plan: NetworkPlan,
        train_part: Arrays,
        validation: Arrays | None,
        settings: TrainSettings,
        *,
        seed: int,
        n_features: int,
        start: list[np.ndarray] | None = None,
        rng: np.random.Generator | None = None,
        memory_limit: int | None = None,
    ) -> TrainedNetwork:
        """Train the network of ``plan`` as :func:`fit_network` would.

        The returned model is the compiled one, trained again by the next
        call: take its weights before that.
        """
        rng = np.random.default_rng(seed) if rng is None else rng
        settings = plan_settings(plan, settings)
        X, y, sample_weight = train_part
        rows = max(1, min(settings.batch_size, len(X)))
        with seeded(seed):
            fresh = _build_to_train(
                plan, train_part, seed, n_features, None, start, memory_limit
            )
            again = (
                self.model is not None
                and not _draws_from_global_generator(fresh)
                and _same_but_deadline(settings, self._settings)
                and (rows, math.ceil(len(X) / rows)) == self._rows
                and _load_state(self.model, fresh)
            )
            model = self.model if again else fresh
            if again:
                _restart_optimizer(model, settings)
                model.name = fresh.name  # as callbacks and logs know it
            history = train(
                model,
                X,
                y,
                sample_weight=sample_weight,
                validation=validation,
                settings=settings,
                rng=rng,
                compiled=again,
            )
        if not again:
            self.model, self._settings = model, settings
            self._rows = (rows, math.ceil(len(X) / rows))
        return TrainedNetwork(model, history)


def _same_but_deadline(a: TrainSettings, b: TrainSettings | None) -> bool:
    """Whether two settings train alike (each network has its own deadline)."""
    return b is not None and dataclasses.replace(
        a, deadline=None
    ) == dataclasses.replace(b, deadline=None)


def _load_state(model: keras.Model, fresh: keras.Model) -> bool:
    """Copy every variable of ``fresh`` (weights, seed states) into ``model``.

    False, with nothing copied, when their layers' variables differ in
    number or shape.
    """
    pairs = list(zip(model.layers, fresh.layers, strict=False))
    if len(model.layers) != len(fresh.layers):
        return False
    for a, b in pairs:
        if len(a.variables) != len(b.variables) or any(
            tuple(x.shape) != tuple(y.shape)
            for x, y in zip(a.variables, b.variables, strict=True)
        ):
            return False
    for a, b in pairs:
        for x, y in zip(a.variables, b.variables, strict=True):
            x.assign(y.value)
    return True


def _restart_optimizer(model: keras.Model, settings: TrainSettings) -> None:
    """Put a compiled model's optimiser back to its start (no step taken).

    Keras's Adam and AdamW start their step count and moment estimates at
    zero; a plain learning rate is a variable too (``ReduceLROnPlateau``
    changes it), put back to the settings'.
    """
    optimizer = model.optimizer
    rate = getattr(optimizer, "_learning_rate", None)
    for variable in optimizer.variables:
        if variable is rate:
            variable.assign(settings.learning_rate)
        else:
            variable.assign(np.zeros(variable.shape, variable.dtype))


def plan_settings(plan: NetworkPlan, settings: TrainSettings) -> TrainSettings:
    """``settings`` with the learning rate and weight decay ``plan`` sets.

    A :class:`RetrievalPlan` may carry its own ``learning_rate`` and
    ``weight_decay``; a field left at None (and every other kind of plan)
    keeps the estimator's.
    """
    changes = {
        name: value
        for name in ("learning_rate", "weight_decay")
        if (value := getattr(plan, name, None)) is not None
    }
    return dataclasses.replace(settings, **changes) if changes else settings


def fit_network(
    plan: NetworkPlan,
    train_part: Arrays,
    validation: Arrays | None,
    settings: TrainSettings,
    *,
    seed: int,
    n_features: int | None,
    base_model: keras.Model | None = None,
    model: keras.Model | None = None,
    start: list[np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    memory_limit: int | None = None,
) -> TrainedNetwork:
    """Seed, build and train the network of ``plan``.

    Parameters
    ----------
    plan : NetworkPlan
        The architecture, with its head. A retrieval network keeps (up to
        ``max_candidates`` of) the training rows of ``train_part`` as its
        memory.
    train_part : (X, y, sample_weight)
        Encoded training rows.
    validation : (X, y, sample_weight) or None
        Encoded held-out rows for early stopping.
    settings : TrainSettings
        How to train; with a ``deadline``, the training stops at the first
        epoch end past it (see :attr:`TrainedNetwork.stopped`).
    seed : int
        Seeds Keras (the initial weights and any dropout) for the whole fit.
    n_features : int or None
        Width of the feature vector (None with a ``base_model``).
    base_model : keras.Model, optional
        Built under the plan (see :func:`build`).
    model : keras.Model, optional
        An already built model of ``plan`` to train further (warm start);
        nothing is built then.
    start : list of ndarray, optional
        Trained weights of ``plan``'s network to train on from (a promoted
        trial of successive halving): the network is rebuilt from them under
        ``seed``, so that its dropout layers draw as in any run with ``seed``.
        A retrieval network's memory is replaced by ``train_part``'s rows.
    rng : numpy.random.Generator, optional
        Source of the shuffles; by default a generator seeded with ``seed``.
        A search trial passes the generator it has already drawn its wiring
        from.
    memory_limit : int, optional
        At most this many of ``train_part``'s rows in a retrieval network's
        memory (drawn as beyond ``max_candidates``); ignored by other kinds.

    Returns
    -------
    TrainedNetwork
    """
    if rng is None:
        rng = np.random.default_rng(seed)
    settings = plan_settings(plan, settings)
    X, y, sample_weight = train_part
    with seeded(seed):
        if model is None:
            model = _build_to_train(
                plan, train_part, seed, n_features, base_model, start, memory_limit
            )
        history = train(
            model,
            X,
            y,
            sample_weight=sample_weight,
            validation=validation,
            settings=settings,
            rng=rng,
        )
    return TrainedNetwork(model, history)
