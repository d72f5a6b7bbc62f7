"""ResidualMLPRegressor and ResidualMLPClassifier."""

from __future__ import annotations

import copy
from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._backend import keras
from ._base import NetworkClassifier, NetworkRegressor, store_params
from ._docstrings import (
    ATTRIBUTES_DOC,
    RUN_PARAMS_DOC,
    TRAINING_PARAMS_DOC,
    members_doc,
    preprocessing_doc,
)
from .architecture import ACTIVATIONS, LevelsPlan, residual_plan
from .architecture._residual import RESIDUAL_MEMBERS

__all__ = ["ResidualMLPClassifier", "ResidualMLPRegressor"]

_RESIDUAL_CONSTRAINTS: dict = {
    "n_blocks": [Interval(Integral, 0, None, closed="left")],
    "layers_per_block": [Interval(Integral, 1, None, closed="left")],
    "width": [Interval(Integral, 1, None, closed="left")],
    "taper": [Interval(Integral, 0, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "stochastic_depth": [Interval(Real, 0, 1, closed="left")],
    "batch_norm": ["boolean"],
    "head_layers": [list, tuple],
    "n_members": [Interval(Integral, 1, None, closed="left")],
    "base_model": [HasMethods(["get_config", "__call__"]), None],
    "base_trainable_layers": [
        Interval(Integral, 0, None, closed="left"),
        StrOptions({"all"}),
    ],
    "warm_start": ["boolean"],
}

_ARCHITECTURE_DOC = """
    Parameters
    ----------
    n_blocks : int, default=2
        Number of residual blocks. Each block is a stack of Dense layers whose
        input is concatenated to its output, so every block sees the features
        and the output of every earlier block.
    layers_per_block : int, default=2
        Dense layers in a block.
    width : int, default=128
        Neurons in the first layer of each block.
    taper : int, default=0
        Neurons removed from each successive layer of a block (widths
        ``width, width - taper, ...``); the last layer must keep at least one.
    activation : str, default="relu"
        Hidden activation, a Keras activation name.
    dropout : float, default=0.0
        Dropout rate after every hidden layer.
    stochastic_depth : float, default=0.0
        Stochastic depth, in ``[0, 1)``: during training each block's output
        (what the block appends to the concatenation) is zeroed for a random
        share of the rows, the kept rows scaled by ``1 / (1 - rate)`` so the
        expectation is unchanged; at inference every block is used as is.
        The rate grows linearly over the blocks (the linear decay rule):
        block ``b`` of ``n_blocks`` drops with rate
        ``stochastic_depth * b / n_blocks``, so this is the last block's rate.
    batch_norm : bool, default=False
        Batch-normalise the input of every hidden layer.
    head_layers : tuple of int, default=()
        Widths of plain Dense layers between the last block and the output.
    base_model : keras.Model, default=None
        Tandem mode: a Keras model (for example a convolutional or embedding
        backbone) whose flattened output feeds the residual MLP. ``X`` is then
        passed to it as given, so it may have more than two dimensions. The
        estimator trains a copy; the model you pass is not changed.
    base_trainable_layers : int or "all", default=0
        How much of ``base_model`` trains: ``0`` freezes it, ``n`` leaves its
        last ``n`` layers trainable, ``"all"`` trains it whole."""

_PREPROCESSING_DOC = preprocessing_doc(
    """ In tandem mode (``base_model``) the base model receives ``X`` as
        given: ``"auto"`` means no preprocessing there, and the other
        tabular choices and ``"standard"`` are refused."""
)

_PARAMS_DOC = (
    _ARCHITECTURE_DOC
    + members_doc(RESIDUAL_MEMBERS)
    + TRAINING_PARAMS_DOC
    + _PREPROCESSING_DOC
    + RUN_PARAMS_DOC
)

_PLAN_ATTRIBUTE_DOC = """
    Attributes
    ----------
    plan_ : LevelsPlan
        The architecture that was built (see :mod:`sklearn_cerebros.architecture`)."""


class _ResidualPlanMixin:
    """Plan and base model of the residual MLP estimators."""

    def _make_plan(self) -> LevelsPlan:
        return residual_plan(
            n_blocks=self.n_blocks,
            layers_per_block=self.layers_per_block,
            width=self.width,
            taper=self.taper,
            activation=self.activation,
            dropout=self.dropout,
            batch_norm=self.batch_norm,
            stochastic_depth=self.stochastic_depth,
            head_layers=tuple(self.head_layers),
        ).with_head(1, "linear", members=self.n_members)

    def _has_base_model(self) -> bool:
        return self.base_model is not None

    def _warm_start(self) -> bool:
        return self.warm_start

    def _base_model(self) -> keras.Model | None:
        if self.base_model is None:
            return None
        base = copy.deepcopy(self.base_model)
        base.trainable = True
        n_frozen = 0 if self.base_trainable_layers == "all" else len(base.layers)
        if self.base_trainable_layers not in ("all", 0):
            n_frozen = max(0, len(base.layers) - int(self.base_trainable_layers))
        for layer in base.layers[:n_frozen]:
            layer.trainable = False
        return base


class ResidualMLPRegressor(_ResidualPlanMixin, NetworkRegressor):
    __doc__ = (
        """Residual multi-layer perceptron regressor.

    Blocks of Dense layers, each block's input concatenated to its output, then
    optional head layers and a linear output. Targets are standardised inside
    the estimator and predictions come back in the units of ``y``; several
    target columns are predicted jointly.
"""
        + _PARAMS_DOC
        + """
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        Training loss on the standardised targets.
"""
        + _PLAN_ATTRIBUTE_DOC
        + ATTRIBUTES_DOC
        + """

    See Also
    --------
    ResidualMLPClassifier : The same network for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_cerebros import ResidualMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = ResidualMLPRegressor(width=32, epochs=20, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """
    )

    _parameter_constraints: dict = {
        **NetworkRegressor._parameter_constraints,
        **_RESIDUAL_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        n_blocks: int = 2,
        layers_per_block: int = 2,
        width: int = 128,
        taper: int = 0,
        activation: str = "relu",
        dropout: float = 0.0,
        stochastic_depth: float = 0.0,
        batch_norm: bool = False,
        head_layers: tuple[int, ...] = (),
        n_members: int = RESIDUAL_MEMBERS,
        base_model: Any = None,
        base_trainable_layers: int | str = 0,
        loss: str = "squared_error",
        epochs: int = 200,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 0.0,
        lr_schedule: str = "constant",
        warmup_epochs: int = 5,
        min_lr_fraction: float = 0.01,
        weight_decay: float = 0.0,
        preprocessing: str | None = "auto",
        callbacks: list | None = None,
        checkpoint_path: Any = None,
        tensorboard_dir: Any = None,
        warm_start: bool = False,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        store_params(self, locals())


class ResidualMLPClassifier(_ResidualPlanMixin, NetworkClassifier):
    __doc__ = (
        """Residual multi-layer perceptron classifier.

    Blocks of Dense layers, each block's input concatenated to its output, then
    optional head layers and an output chosen by the task: one sigmoid unit
    for two classes, softmax over the classes for more, one sigmoid per label
    for a multilabel indicator matrix, each with cross-entropy. Labels of any
    type are encoded inside the estimator; ``predict`` returns them.
"""
        + _PARAMS_DOC
        + """
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``; ``"balanced"``
        weighs classes inversely to their frequency.
    label_smoothing : float, default=0.0
        Label smoothing of the cross-entropy, in ``[0, 1)``: targets move
        from 0/1 towards ``label_smoothing / 2`` (sigmoid outputs) or
        ``label_smoothing / n_classes`` (softmax). The training and
        validation losses include it.
"""
        + _PLAN_ATTRIBUTE_DOC
        + ATTRIBUTES_DOC
        + """
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of ``predict_proba``'s columns.

    See Also
    --------
    ResidualMLPRegressor : The same network for regression.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_cerebros import ResidualMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ResidualMLPClassifier(width=16, epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _parameter_constraints: dict = {
        **NetworkClassifier._parameter_constraints,
        **_RESIDUAL_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        n_blocks: int = 2,
        layers_per_block: int = 2,
        width: int = 128,
        taper: int = 0,
        activation: str = "relu",
        dropout: float = 0.0,
        stochastic_depth: float = 0.0,
        batch_norm: bool = False,
        head_layers: tuple[int, ...] = (),
        n_members: int = RESIDUAL_MEMBERS,
        base_model: Any = None,
        base_trainable_layers: int | str = 0,
        class_weight: dict | str | None = None,
        label_smoothing: float = 0.0,
        epochs: int = 200,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 0.0,
        lr_schedule: str = "constant",
        warmup_epochs: int = 5,
        min_lr_fraction: float = 0.01,
        weight_decay: float = 0.0,
        preprocessing: str | None = "auto",
        callbacks: list | None = None,
        checkpoint_path: Any = None,
        tensorboard_dir: Any = None,
        warm_start: bool = False,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        store_params(self, locals())
