"""Custom Keras layers used by built plans. Serialisable, backend agnostic."""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["LateralGate"]


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
