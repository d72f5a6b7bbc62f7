"""One Keras model that averages trained networks with fixed weights."""

from __future__ import annotations

from collections.abc import Sequence

import keras

__all__ = ["average_models"]


def average_models(
    models: Sequence[keras.Model], weights: Sequence[float]
) -> keras.Model:
    """A functional model whose output is the weighted average of ``models``.

    The models become nested models of one functional model with their shared
    input, so it predicts, saves, loads and pickles like any of our networks,
    and its forward pass compiles as one (see :mod:`._forward`).

    Parameters
    ----------
    models : sequence of keras.Model
        Models with one input of one shape, one output of one shape, and
        distinct names.
    weights : sequence of float
        One non-negative weight per model, summing to 1.

    Returns
    -------
    keras.Model
        The single model itself when there is one; otherwise a new model
        named ``"ensemble"``. The average is computed in float32, as our
        networks' heads are.
    """
    if len(models) != len(weights) or not models:
        raise ValueError(
            f"average_models needs one weight per model and at least one model; "
            f"got {len(models)} models and {len(weights)} weights."
        )
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"Model names must be distinct, got {names}.")
    if len(models) == 1:
        return models[0]
    spec = models[0].inputs[0]
    inputs = keras.Input(shape=spec.shape[1:], dtype=spec.dtype, name="features")
    scaled = [
        keras.layers.Rescaling(float(w), dtype="float32", name=f"weight_{m.name}")(
            m(inputs)
        )
        for m, w in zip(models, weights, strict=True)
    ]
    output = keras.layers.Add(dtype="float32", name="average")(scaled)
    return keras.Model(inputs=inputs, outputs=output, name="ensemble")
