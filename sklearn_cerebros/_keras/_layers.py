"""Custom Keras layers used by built plans. Serialisable, backend agnostic."""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["DropPath", "LateralGate"]


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class LateralGate(keras.layers.Layer):
    """Multiply a signal element-wise by a learned gate computed from it.

    ``output = x * activation(x @ W + b)`` with ``W`` square, so the gate can
    open or close each feature of a lateral connection depending on its value.

    Parameters
    ----------
    activation : str, default="sigmoid"
        Activation of the gate; ``"sigmoid"`` keeps the gate in ``(0, 1)``.
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).
    """

    def __init__(self, activation: str = "sigmoid", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activation
        self._activation_fn = keras.activations.get(activation)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        width = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(width, width), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(width,), initializer="zeros")

    def call(self, inputs: Any) -> Any:
        gate = self._activation_fn(keras.ops.matmul(inputs, self.kernel) + self.bias)
        return inputs * gate

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class DropPath(keras.layers.Layer):
    """Stochastic depth: zero a whole branch for a random share of the rows.

    In training, each row (sample) is kept with probability ``1 - rate`` and
    then scaled by ``1 / (1 - rate)``, or zeroed entirely across all of its
    other axes, so the expected output equals the input. At inference the
    input passes unchanged. Built on :func:`keras.random.dropout` with a
    noise shape of one draw per row, and seeded through a
    :class:`keras.random.SeedGenerator`, so it works on every backend and two
    fits under the same global seed drop the same rows.

    Parameters
    ----------
    rate : float
        Probability of dropping a row, in ``[0, 1)``.
    seed : int, optional
        Seed of the layer's generator; by default drawn from Keras's global
        seed (:func:`keras.utils.set_random_seed`).
    **kwargs
        Passed to :class:`keras.layers.Layer` (``name``, ``dtype``, ...).
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"rate must be in [0, 1), got {rate}.")
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training or self.rate == 0.0:
            return inputs
        shape = keras.ops.shape(inputs)
        noise_shape = (shape[0],) + (1,) * (len(inputs.shape) - 1)
        return keras.random.dropout(
            inputs, self.rate, noise_shape=noise_shape, seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
