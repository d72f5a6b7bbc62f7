"""Joint ensembles (TabM-mini): k members sharing one network's hidden layers.

A plan with ``members = k > 1`` is built as follows (see the builders):

* :class:`MemberInputs` turns the feature rows into ``rows x k x features``,
  each member's copy multiplied element-wise by its own vector, initialised
  with random signs so the members start apart;
* the hidden layers are shared: Dense layers act on the last axis, so they
  run on ``rows x k x width`` tensors, every member at once. So do
  Concatenate, LateralGate and LayerNormalization (per member and row);
  BatchNormalization normalises each feature over rows and members
  together, Dropout draws for every member apart, and DropPath drops a row
  for all members at once. The mixer carries the member axis in front of
  its tokens (``rows x k x tokens x channels``) and mixes tokens per member;
* :class:`MemberHeads`, the layer named ``head``, gives each member its own
  output layer (``rows x k x units``);
* :class:`AxisMean`, named ``members_mean``, averages the members into the
  model's output (``rows x units``): probabilities for classifiers, as the
  heads carry the output activation.

Training minimises the mean of the members' losses (:class:`MembersLoss` on
:func:`members_view`), which keeps them diverse; the loss of the mean would
let them co-adapt. Early stopping and prediction use the mean model.
"""

from __future__ import annotations

from typing import Any

import keras

__all__ = [
    "AxisMean",
    "MemberHeads",
    "MemberInputs",
    "MembersLoss",
    "members_view",
]

#: Name of the layer averaging the members; its presence marks a joint ensemble.
MEAN_LAYER = "members_mean"


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class MemberInputs(keras.layers.Layer):
    """Give each of ``members`` copies of the features its own multiplier.

    ``output[:, j, :] = inputs * scale[j]``, ``scale`` of shape
    ``members x features``, initialised with random signs (+1 or -1, drawn
    from Keras's global seed unless ``seed`` is given).

    Parameters
    ----------
    members : int
        Number of members ``k``.
    seed : int, optional
        Seed of the sign draw.
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(self, members: int, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.members = int(members)
        self.seed = seed
        # Drawn here, not in build: the global seed then decides the signs in
        # layer-creation order, like every other initializer.
        self._uniform = keras.initializers.RandomUniform(-1.0, 1.0, seed=seed)

    def _signs(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        return keras.ops.where(self._uniform(shape, dtype) >= 0, 1.0, -1.0)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.scale = self.add_weight(
            name="scale",
            shape=(self.members, int(input_shape[-1])),
            initializer=self._signs,
        )

    def call(self, inputs: Any) -> Any:
        return keras.ops.expand_dims(inputs, 1) * self.scale

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (input_shape[0], self.members, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "members": self.members, "seed": self.seed}


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class MemberHeads(keras.layers.Layer):
    """One Dense output layer per member, on a ``rows x k x width`` input.

    ``output[:, j] = activation(inputs[:, j] @ kernel[j] + bias[j])``, with
    ``kernel`` of shape ``k x width x units``, each member's slice initialised
    like a Dense layer's (Glorot uniform).

    Parameters
    ----------
    units : int
        Outputs of each member.
    activation : str, default="linear"
        Output activation.
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(self, units: int, activation: str = "linear", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activation
        self._activation_fn = keras.activations.get(activation)
        self._uniform = keras.initializers.RandomUniform(-1.0, 1.0)

    def _kernel_init(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        # Glorot uniform with the fans of one member's width x units kernel.
        _, width, units = shape
        return self._uniform(shape, dtype) * (6.0 / (width + units)) ** 0.5

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        members, width = int(input_shape[-2]), int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=(members, width, self.units),
            initializer=self._kernel_init,
        )
        self.bias = self.add_weight(
            name="bias", shape=(members, self.units), initializer="zeros"
        )

    def call(self, inputs: Any) -> Any:
        out = keras.ops.einsum("bkw,kwu->bku", inputs, self.kernel) + self.bias
        return self._activation_fn(out)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation,
        }


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class AxisMean(keras.layers.Layer):
    """Mean over one axis: the members' average, or the mixer's token pool.

    Parameters
    ----------
    axis : int
        Axis to average over (``1`` for the members).
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(self, axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs: Any) -> Any:
        return keras.ops.mean(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple:
        shape = list(input_shape)
        del shape[self.axis]
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


def member_heads(
    x: keras.KerasTensor, units: int, activation: str
) -> keras.KerasTensor:
    """The per-member ``head`` and the ``members_mean`` output after it."""
    heads = MemberHeads(units, activation, name="head", dtype="float32")(x)
    return AxisMean(1, name=MEAN_LAYER, dtype="float32")(heads)


def members_view(model: keras.Model) -> keras.Model | None:
    """The members' outputs of a joint ensemble, or None for a plain network.

    Parameters
    ----------
    model : keras.Model
        A model built from a plan (also after saving and loading).

    Returns
    -------
    keras.Model or None
        A model sharing ``model``'s layers and weights whose output is the
        ``head`` layer's ``rows x k x units``, or None when ``model`` has no
        ``members_mean`` layer.
    """
    if not any(layer.name == MEAN_LAYER for layer in model.layers):
        return None
    # One input as a tensor, not a one-element list, as the builders do, so
    # that calling the view with an array matches its input structure.
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(
        inputs, model.get_layer("head").output, name=f"{model.name}_members"
    )


@keras.saving.register_keras_serializable(package="sklearn_cerebros")
class MembersLoss(keras.losses.Loss):
    """Per row, the mean over the members of a base loss.

    ``y_pred`` is ``rows x k x units`` (a :func:`members_view` output);
    ``y_true`` is ``rows x d`` or ``rows``, as the base loss takes it for one
    member (``d`` is ``units``, or 1 for integer class labels). ``y_true`` is
    repeated for every member and both are flattened to ``(rows * k) x ...``
    before the base loss sees them, so Keras's rank matching, which squeezes
    a trailing axis of size 1, never meets the member axis.

    Parameters
    ----------
    base : keras.losses.Loss
        A Keras loss whose ``call`` gives one value per row (every built-in
        loss does).
    **kwargs
        Passed to :class:`keras.losses.Loss` (``name``, ``reduction``).
    """

    def __init__(self, base: keras.losses.Loss, **kwargs: Any) -> None:
        kwargs.setdefault("name", f"members_{base.name}")
        super().__init__(**kwargs)
        self.base = base

    def call(self, y_true: Any, y_pred: Any) -> Any:
        members = y_pred.shape[1]
        if len(y_true.shape) == 1:
            y_true = keras.ops.expand_dims(y_true, -1)
        width = y_true.shape[-1]
        y_true = keras.ops.repeat(keras.ops.expand_dims(y_true, 1), members, axis=1)
        values = self.base.call(
            keras.ops.reshape(y_true, (-1, width)),
            keras.ops.reshape(y_pred, (-1, y_pred.shape[-1])),
        )
        return keras.ops.mean(keras.ops.reshape(values, (-1, members)), axis=1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "base": keras.saving.serialize_keras_object(self.base),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MembersLoss:
        config = dict(config)
        config["base"] = keras.saving.deserialize_keras_object(config["base"])
        return cls(**config)
