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

from dataclasses import dataclass

import keras
import numpy as np

from ..architecture import MixerPlan, NetworkPlan, Plan
from ._builder import build_model
from ._mixer import build_mixer
from ._training import TrainSettings, seeded, train

__all__ = ["Arrays", "TrainedNetwork", "build", "fit_network"]

#: Encoded ``(X, y, sample_weight)`` of a fit; ``sample_weight`` may be None.
Arrays = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


@dataclass
class TrainedNetwork:
    """A trained Keras model and its per-epoch history."""

    model: keras.Model
    history: dict[str, list[float]]


def build(
    plan: NetworkPlan,
    n_features: int | None = None,
    *,
    base_model: keras.Model | None = None,
) -> keras.Model:
    """Build the uncompiled Keras model of any kind of plan.

    Parameters
    ----------
    plan : Plan or MixerPlan
        The architecture, with its head.
    n_features : int, optional
        Width of the feature vector; required unless ``base_model`` is given.
    base_model : keras.Model, optional
        A model whose output is the feature vector (levels-of-units plans only).

    Returns
    -------
    keras.Model
        Weights drawn from Keras's global seed.
    """
    if isinstance(plan, Plan):
        return build_model(plan, n_features, base_model=base_model)
    if isinstance(plan, MixerPlan):
        if base_model is not None:
            raise ValueError("A mixer plan cannot be built on a base_model.")
        if n_features is None:
            raise ValueError("n_features is required to build a mixer plan.")
        return build_mixer(plan, n_features)
    raise TypeError(
        f"Cannot build a {type(plan).__name__}: expected a Plan or a MixerPlan."
    )


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
    rng: np.random.Generator | None = None,
) -> TrainedNetwork:
    """Seed, build and train the network of ``plan``.

    Parameters
    ----------
    plan : Plan or MixerPlan
        The architecture, with its head.
    train_part : (X, y, sample_weight)
        Encoded training rows.
    validation : (X, y, sample_weight) or None
        Encoded held-out rows for early stopping.
    settings : TrainSettings
        How to train.
    seed : int
        Seeds Keras (the initial weights and any dropout) for the whole fit.
    n_features : int or None
        Width of the feature vector (None with a ``base_model``).
    base_model : keras.Model, optional
        Built under the plan (see :func:`build`).
    model : keras.Model, optional
        An already built model of ``plan`` to train further (warm start);
        nothing is built then.
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
    X, y, sample_weight = train_part
    with seeded(seed):
        if model is None:
            model = build(plan, n_features, base_model=base_model)
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
