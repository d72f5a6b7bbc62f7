"""The one seam from plan and data to a trained network.

:func:`build` turns any plan (see
:class:`~sklearn_cerebros.architecture.NetworkPlan`) into a Keras model, and
:func:`fit_network` seeds, builds and trains. An estimator's fit, a search
trial and a search's refit all go through :func:`fit_network`, so the order
in which random numbers are drawn (weights, then shuffles) is the same
everywhere. What it returns is one Keras model however the network is made
inside: a joint ensemble of members whose outputs are averaged is still one
model, with one ``predict``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np

from ..architecture import MixerPlan, NetworkPlan, Plan, RetrievalPlan
from ._builder import build_model
from ._mixer import build_mixer
from ._retrieval import build_retrieval, memory_of, memory_rows
from ._training import TrainSettings, seeded, train

__all__ = ["Arrays", "TrainedNetwork", "build", "fit_network", "rebuild", "remember"]

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
    plan : Plan, MixerPlan or RetrievalPlan
        The architecture, with its head.
    n_features : int, optional
        Width of the feature vector; required unless ``base_model`` is given.
    base_model : keras.Model, optional
        A model whose output is the feature vector (levels-of-units plans only).
    memory : (features, targets) or int, optional
        A retrieval plan's memory of training rows (see
        :func:`~._retrieval.memory_of`), or its number of rows when weights
        are set afterwards; required for a retrieval plan, refused otherwise.

    Returns
    -------
    keras.Model
        Weights drawn from Keras's global seed.
    """
    if memory is not None and not isinstance(plan, RetrievalPlan):
        raise ValueError(
            f"Only a retrieval plan keeps a memory, not a {type(plan).__name__}."
        )
    if isinstance(plan, Plan):
        return build_model(plan, n_features, base_model=base_model)
    if isinstance(plan, (MixerPlan, RetrievalPlan)):
        kind = "mixer" if isinstance(plan, MixerPlan) else "retrieval"
        if base_model is not None:
            raise ValueError(f"A {kind} plan cannot be built on a base_model.")
        if n_features is None:
            raise ValueError(f"n_features is required to build a {kind} plan.")
        if isinstance(plan, MixerPlan):
            return build_mixer(plan, n_features)
        if memory is None:
            raise ValueError(
                "A retrieval plan is built with its memory of training rows "
                "(memory=(features, targets)) or their number (memory=rows)."
            )
        return build_retrieval(plan, n_features, memory)
    raise TypeError(
        f"Cannot build a {type(plan).__name__}: expected a Plan, a MixerPlan or "
        "a RetrievalPlan."
    )


def rebuild(
    plan: NetworkPlan, n_features: int, weights: list[np.ndarray]
) -> keras.Model:
    """A trained network again, from its plan and its weights.

    A retrieval network's memory is among its weights, so its size is read
    from them (see :func:`~._retrieval.memory_rows`).

    Parameters
    ----------
    plan : Plan, MixerPlan or RetrievalPlan
        The architecture the weights were trained in.
    n_features : int
        Width of the feature vector.
    weights : list of ndarray
        As :meth:`keras.Model.get_weights` gave them.

    Returns
    -------
    keras.Model
    """
    memory = (
        memory_rows(weights, n_features) if isinstance(plan, RetrievalPlan) else None
    )
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
    plan : Plan, MixerPlan or RetrievalPlan
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
        ``model`` itself unless ``plan`` is a retrieval plan; else a new
        network with the same trained weights and the new memory.
    """
    if not isinstance(plan, RetrievalPlan):
        return model
    memory = memory_of(plan, rows[0], rows[1], seed)
    return rebuild(plan, n_features, [*memory, *model.get_weights()[2:]])


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
) -> TrainedNetwork:
    """Seed, build and train the network of ``plan``.

    Parameters
    ----------
    plan : Plan, MixerPlan or RetrievalPlan
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

    Returns
    -------
    TrainedNetwork
    """
    if rng is None:
        rng = np.random.default_rng(seed)
    settings = plan_settings(plan, settings)
    X, y, sample_weight = train_part
    with seeded(seed):
        if model is None and start is not None:
            if isinstance(plan, RetrievalPlan):  # it trains on its training rows
                start = [*memory_of(plan, X, y, seed), *start[2:]]
            model = rebuild(plan, int(n_features or 0), start)
        if model is None:
            memory = (
                memory_of(plan, X, y, seed) if isinstance(plan, RetrievalPlan) else None
            )
            model = build(plan, n_features, base_model=base_model, memory=memory)
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
