"""MLPMixerRegressor and MLPMixerClassifier: a tabular MLP-Mixer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import NetworkClassifier, NetworkRegressor, store_params
from ._docstrings import (
    ATTRIBUTES_DOC,
    MEMBERS_DOC,
    RUN_PARAMS_DOC,
    TRAINING_PARAMS_DOC,
    preprocessing_doc,
)
from .architecture import ACTIVATIONS, MixerPlan

__all__ = ["MLPMixerClassifier", "MLPMixerRegressor"]

_MIXER_CONSTRAINTS: dict = {
    "patch_size": [Interval(Integral, 1, None, closed="left")],
    "hidden_dim": [Interval(Integral, 1, None, closed="left")],
    "n_blocks": [Interval(Integral, 0, None, closed="left")],
    "token_mlp_dim": [Interval(Integral, 1, None, closed="left")],
    "channel_mlp_dim": [Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "stochastic_depth": [Interval(Real, 0, 1, closed="left")],
    "n_members": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
}

_ARCHITECTURE_DOC = """
    Parameters
    ----------
    patch_size : int, default=8
        Features per token. The preprocessed feature vector is zero-padded at
        the end to a multiple of ``patch_size`` and cut into consecutive
        patches; one Dense layer shared by the patches embeds each into
        ``hidden_dim`` channels.
    hidden_dim : int, default=32
        Channels per token.
    n_blocks : int, default=2
        Mixer blocks. Each is a token-mixing MLP (across tokens, per channel)
        then a channel-mixing MLP (across channels, per token), each after a
        LayerNorm and added back to its input.
    token_mlp_dim : int, default=32
        Hidden width of the token-mixing MLPs.
    channel_mlp_dim : int, default=64
        Hidden width of the channel-mixing MLPs.
    activation : str, default="gelu"
        Activation inside the MLPs, a Keras activation name.
    dropout : float, default=0.0
        Dropout after each Dense layer of the MLPs.
    stochastic_depth : float, default=0.0
        Stochastic depth, in ``[0, 1)``: during training each token- or
        channel-mixing branch is dropped for a random share of the rows (the
        residual then passes the input on unchanged) and kept rows are scaled
        by ``1 / (1 - rate)``; at inference every branch is used. Both branches
        of block ``b`` of ``n_blocks`` use ``stochastic_depth * b / n_blocks``
        (the linear decay rule), so this is the last block's rate."""

_PREPROCESSING_DOC = preprocessing_doc(
    """ The patches are cut from the preprocessed columns, in their order."""
)

_PLAN_ATTRIBUTE_DOC = """
    Attributes
    ----------
    plan_ : MixerPlan
        The architecture that was built, head included
        (:class:`~sklearn_cerebros.architecture.MixerPlan`)."""

_PARAMS_DOC = (
    _ARCHITECTURE_DOC
    + MEMBERS_DOC
    + TRAINING_PARAMS_DOC
    + _PREPROCESSING_DOC
    + RUN_PARAMS_DOC
)

_NOTES_DOC = """
    Notes
    -----
    After Tolstikhin et al. (2021), "MLP-Mixer: An all-MLP architecture for
    vision", with table columns in place of image pixels. Mixing weights are
    tied to token positions, so the network relies on the column order being
    the same at fit and predict time (which the estimator checks). There is
    no ``base_model`` (tandem) mode; use the residual MLP for that."""


class _MixerPlanMixin:
    """Plan and model of the MLP-Mixer estimators."""

    def _make_plan(self) -> MixerPlan:
        return MixerPlan(
            patch_size=self.patch_size,
            hidden_dim=self.hidden_dim,
            n_blocks=self.n_blocks,
            token_mlp_dim=self.token_mlp_dim,
            channel_mlp_dim=self.channel_mlp_dim,
            activation=self.activation,
            dropout=self.dropout,
            stochastic_depth=self.stochastic_depth,
            members=self.n_members,
        )

    def _warm_start(self) -> bool:
        return self.warm_start


class MLPMixerRegressor(_MixerPlanMixin, NetworkRegressor):
    __doc__ = (
        """Tabular MLP-Mixer regressor.

    The feature vector is cut into patches (tokens), embedded, and passed
    through blocks of token-mixing and channel-mixing MLPs with LayerNorm,
    residual connections, dropout and stochastic depth; the tokens are then
    averaged and a linear layer predicts. Targets are standardised inside the
    estimator and predictions come back in the units of ``y``; several target
    columns are predicted jointly.
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
    MLPMixerClassifier : The same network for classification.
    ResidualMLPRegressor : A residual MLP on the same estimator core.
"""
        + _NOTES_DOC
        + """

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_cerebros import MLPMixerRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = MLPMixerRegressor(patch_size=4, epochs=20, random_state=0).fit(X, y)
    >>> reg.plan_.n_tokens(X.shape[1])
    3
    >>> reg.predict(X[:2]).shape
    (2,)
    """
    )

    _parameter_constraints: dict = {
        **NetworkRegressor._parameter_constraints,
        **_MIXER_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        patch_size: int = 8,
        hidden_dim: int = 32,
        n_blocks: int = 2,
        token_mlp_dim: int = 32,
        channel_mlp_dim: int = 64,
        activation: str = "gelu",
        dropout: float = 0.0,
        stochastic_depth: float = 0.0,
        n_members: int = 1,
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


class MLPMixerClassifier(_MixerPlanMixin, NetworkClassifier):
    __doc__ = (
        """Tabular MLP-Mixer classifier.

    The feature vector is cut into patches (tokens), embedded, and passed
    through blocks of token-mixing and channel-mixing MLPs with LayerNorm,
    residual connections, dropout and stochastic depth; the tokens are then
    averaged and an output chosen by the task follows: one sigmoid unit for
    two classes, softmax over the classes for more, one sigmoid per label for
    a multilabel indicator matrix, each with cross-entropy. Labels of any type
    are encoded inside the estimator; ``predict`` returns them.
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
    MLPMixerRegressor : The same network for regression.
    ResidualMLPClassifier : A residual MLP on the same estimator core.
"""
        + _NOTES_DOC
        + """

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_cerebros import MLPMixerClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPMixerClassifier(patch_size=2, epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _parameter_constraints: dict = {
        **NetworkClassifier._parameter_constraints,
        **_MIXER_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        patch_size: int = 8,
        hidden_dim: int = 32,
        n_blocks: int = 2,
        token_mlp_dim: int = 32,
        channel_mlp_dim: int = 64,
        activation: str = "gelu",
        dropout: float = 0.0,
        stochastic_depth: float = 0.0,
        n_members: int = 1,
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
