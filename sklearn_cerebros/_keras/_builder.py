"""Turn a :class:`~sklearn_cerebros.architecture.LevelsPlan` into a Keras model."""

from __future__ import annotations

import keras

from ..architecture import LevelsPlan, Unit, unit_name
from ._kinds import NetworkBuilder
from ._layers import DropPath, LateralGate
from ._members import MemberInputs, member_heads

__all__ = ["LEVELS_BUILDER", "build_model"]


def _build_unit(
    k: int, i: int, unit: Unit, outputs: dict, gate_activation: str
) -> keras.KerasTensor:
    name = unit_name(k, i)
    parts = []
    for v in unit.laterals:  # laterals first, then predecessors
        source = outputs[(k, v)]
        if v in unit.gated:
            source = LateralGate(gate_activation, name=f"{name}_gate{v}")(source)
        parts.append(source)
    parts.extend(outputs[ref] for ref in unit.inputs)
    x = (
        parts[0]
        if len(parts) == 1
        else keras.layers.Concatenate(name=f"{name}_concat")(parts)
    )
    if unit.batch_norm:
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    x = keras.layers.Dense(
        unit.neurons, activation=unit.activation, name=f"{name}_dense"
    )(x)
    if unit.dropout > 0:
        x = keras.layers.Dropout(unit.dropout, name=f"{name}_dropout")(x)
    if unit.drop_path > 0:
        x = DropPath(unit.drop_path, name=f"{name}_drop_path")(x)
    return x


def build_model(
    plan: LevelsPlan,
    n_features: int | None = None,
    *,
    base_model: keras.Model | None = None,
) -> keras.Model:
    """Build the functional Keras model a plan describes.

    Layer names follow plan positions (``level2_unit1_dense``,
    ``level2_unit1_gate0``, ``head``) so the Keras summary can be read next to
    the plan. With ``plan.members > 1`` the features pass through
    ``members_input`` (``rows x k x features``), every unit runs on all
    members at once, ``head`` gives ``rows x k x units`` and the output is
    their mean, ``members_mean`` (see :mod:`._members`).

    Parameters
    ----------
    plan : LevelsPlan
        The architecture.
    n_features : int, optional
        Width of the feature vector. Required unless ``base_model`` is given.
    base_model : keras.Model, optional
        A model whose (flattened) output is the feature vector: the plan is
        built on top of it and the result takes the base model's inputs.

    Returns
    -------
    keras.Model
        Uncompiled. Weights are drawn from Keras's global seed, so seed with
        :func:`keras.utils.set_random_seed` first for a reproducible model.
    """
    if base_model is not None:
        inputs = (
            base_model.inputs[0] if len(base_model.inputs) == 1 else base_model.inputs
        )
        features = base_model.outputs[0]
        if len(features.shape) != 2:
            features = keras.layers.Flatten(name="base_flatten")(features)
    else:
        if n_features is None:
            raise ValueError("n_features is required when base_model is None.")
        inputs = keras.Input(shape=(int(n_features),), name="features")
        features = inputs
    if plan.members > 1:
        features = MemberInputs(plan.members, name="members_input")(features)
    outputs = {(0, 0): features}
    for k, i, unit in plan.iter_units():
        outputs[(k, i)] = _build_unit(k, i, unit, outputs, plan.gate_activation)
    head_in = [outputs[ref] for ref in plan.head.inputs]
    x = (
        head_in[0]
        if len(head_in) == 1
        else keras.layers.Concatenate(name="head_concat")(head_in)
    )
    if plan.members > 1:
        y = member_heads(x, plan.head.units, plan.head.activation)
    else:
        y = keras.layers.Dense(
            plan.head.units,
            activation=plan.head.activation,
            name="head",
            dtype="float32",
        )(x)
    return keras.Model(inputs=inputs, outputs=y, name=plan.name)


#: The builder of the levels-and-wiring plans, named by their kind.
LEVELS_BUILDER = NetworkBuilder(build_model, base_model=True)
