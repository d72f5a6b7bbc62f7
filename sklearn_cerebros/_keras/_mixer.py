"""Turn a :class:`~sklearn_cerebros.architecture.MixerPlan` into a Keras model."""

from __future__ import annotations

import keras

from ..architecture import MixerPlan
from ._kinds import NetworkBuilder
from ._layers import DropPath
from ._members import AxisMean, MemberInputs, member_heads

__all__ = ["MIXER_BUILDER", "build_mixer"]


def _mlp(
    x: keras.KerasTensor, hidden: int, out: int, plan: MixerPlan, name: str
) -> keras.KerasTensor:
    """Dense, activation, dropout, Dense, dropout along the last axis."""
    x = keras.layers.Dense(hidden, activation=plan.activation, name=f"{name}_dense1")(x)
    if plan.dropout > 0:
        x = keras.layers.Dropout(plan.dropout, name=f"{name}_dropout1")(x)
    x = keras.layers.Dense(out, name=f"{name}_dense2")(x)
    if plan.dropout > 0:
        x = keras.layers.Dropout(plan.dropout, name=f"{name}_dropout2")(x)
    return x


def _residual(
    x: keras.KerasTensor, branch: keras.KerasTensor, rate: float, name: str
) -> keras.KerasTensor:
    if rate > 0:
        branch = DropPath(rate, name=f"{name}_drop_path")(branch)
    return keras.layers.Add(name=f"{name}_add")([x, branch])


def build_mixer(plan: MixerPlan, n_features: int) -> keras.Model:
    """Build the functional Keras model of a tabular MLP-Mixer.

    Only standard Keras layers, :class:`DropPath` and the members' layers
    are used, so the model saves to ``.keras``, pickles, and runs on any
    backend. Layer names say
    where a layer sits (``block2_token_dense1``, ``block1_channel_drop_path``,
    ``head``). With ``plan.members > 1`` every layer but the head runs on
    ``rows x k x tokens x channels`` tensors (see :mod:`._members`).

    Parameters
    ----------
    plan : MixerPlan
        The architecture.
    n_features : int
        Width of the feature vector.

    Returns
    -------
    keras.Model
        Uncompiled; weights are drawn from Keras's global seed.
    """
    n_features = int(n_features)
    n_tokens, pad = plan.n_tokens(n_features), plan.padding(n_features)
    inputs = keras.Input(shape=(n_features,), name="features")
    k = plan.members
    if k > 1:
        # rows x k x tokens x channels: the member axis rides along.
        x = MemberInputs(k, name="members_input")(inputs)
        x = keras.layers.Reshape((k, n_features, 1), name="as_column")(x)
        if pad:
            x = keras.layers.ZeroPadding2D(((0, 0), (0, pad)), name="pad")(x)
        x = keras.layers.Reshape((k, n_tokens, plan.patch_size), name="patches")(x)
        swap = (1, 3, 2)
    else:
        x = keras.layers.Reshape((n_features, 1), name="as_column")(inputs)
        if pad:
            x = keras.layers.ZeroPadding1D((0, pad), name="pad")(x)
        x = keras.layers.Reshape((n_tokens, plan.patch_size), name="patches")(x)
        swap = (2, 1)
    x = keras.layers.Dense(plan.hidden_dim, name="patch_embedding")(x)
    for b, rate in enumerate(plan.drop_path_rates(), start=1):
        name = f"block{b}_token"
        y = keras.layers.LayerNormalization(name=f"{name}_norm")(x)
        y = keras.layers.Permute(swap, name=f"{name}_to_channels")(y)
        y = _mlp(y, plan.token_mlp_dim, n_tokens, plan, name)
        y = keras.layers.Permute(swap, name=f"{name}_to_tokens")(y)
        x = _residual(x, y, rate, name)
        name = f"block{b}_channel"
        y = keras.layers.LayerNormalization(name=f"{name}_norm")(x)
        y = _mlp(y, plan.channel_mlp_dim, plan.hidden_dim, plan, name)
        x = _residual(x, y, rate, name)
    x = keras.layers.LayerNormalization(name="final_norm")(x)
    if k > 1:
        x = AxisMean(2, name="pool")(x)
        y = member_heads(x, plan.head_units, plan.head_activation)
        return keras.Model(inputs=inputs, outputs=y, name=plan.name)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    y = keras.layers.Dense(
        plan.head_units, activation=plan.head_activation, name="head", dtype="float32"
    )(x)
    return keras.Model(inputs=inputs, outputs=y, name=plan.name)


#: The builder of the MLP-Mixer plans, named by their kind.
MIXER_BUILDER = NetworkBuilder(build_mixer)
