"""Our architectures as scikeras model functions.

For people who already use scikeras: pass :func:`residual_mlp_model` as the
``model`` of ``scikeras.wrappers.KerasRegressor`` or ``KerasClassifier`` and
set its parameters with the ``model__`` prefix. scikeras compiles and trains
the model; our own estimators (:class:`~sklearn_cerebros.ResidualMLPRegressor`
and friends) do that themselves and are the better choice inside scikit-learn
1.6 and later, where scikeras 0.13's classifier is not recognised as one.

Examples
--------
>>> from scikeras.wrappers import KerasRegressor  # doctest: +SKIP
>>> from sklearn_cerebros.scikeras import residual_mlp_model  # doctest: +SKIP
>>> reg = KerasRegressor(model=residual_mlp_model, loss="mse",
...                      model__width=32, epochs=20)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._backend import keras
from ._keras import build
from .architecture import residual_plan

__all__ = ["residual_mlp_model"]


def _head(meta: Mapping[str, Any]) -> tuple[int, str]:
    target_type = meta.get("target_type_", "continuous")
    if "n_classes_" not in meta:
        # KerasRegressor labels an integer-valued target "multiclass"; it is
        # still a regression target.
        return int(meta.get("n_outputs_expected_", 1)), "linear"
    if target_type == "binary":
        return 1, "sigmoid"
    if target_type in ("multiclass", "multiclass-multioutput"):
        return int(meta["n_classes_"]), "softmax"
    if target_type == "multilabel-indicator":
        return int(meta["n_outputs_expected_"]), "sigmoid"
    return int(meta.get("n_outputs_expected_", 1)), "linear"


def residual_mlp_model(
    meta: Mapping[str, Any],
    n_blocks: int = 2,
    layers_per_block: int = 2,
    width: int = 128,
    taper: int = 0,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    head_layers: tuple[int, ...] = (),
    stochastic_depth: float = 0.0,
) -> keras.Model:
    """Build an uncompiled residual MLP for scikeras.

    Parameters
    ----------
    meta : mapping
        scikeras's description of the data (``n_features_in_``,
        ``target_type_``, ``n_classes_``, ``n_outputs_expected_``).
    n_blocks, layers_per_block, width, taper, activation, dropout, batch_norm, \
head_layers, stochastic_depth
        As in :class:`~sklearn_cerebros.ResidualMLPRegressor`.

    Returns
    -------
    keras.Model
        The output layer follows the task: linear for regression, one sigmoid
        unit for binary, softmax for multiclass targets. Pair it with a
        matching ``loss`` in the wrapper (for multiclass with the default
        one-hot target encoding, ``"categorical_crossentropy"``).
    """
    plan = residual_plan(
        n_blocks=n_blocks,
        layers_per_block=layers_per_block,
        width=width,
        taper=taper,
        activation=activation,
        dropout=dropout,
        batch_norm=batch_norm,
        head_layers=tuple(head_layers),
        stochastic_depth=stochastic_depth,
    )
    units_out, activation_out = _head(meta)
    return build(plan.with_head(units_out, activation_out), meta["n_features_in_"])
