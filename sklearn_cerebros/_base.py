"""The estimator core every network estimator shares.

It owns the scikit-learn contract (parameter validation, data checks, fitted
attributes, tags) and the one path of a fit: validate → preprocess → encode the
target → plan → build → train → keep. Subclasses say only what differs: which
plan to build (:meth:`_make_plan`), how the target is encoded
(:meth:`_make_target`), and the public ``predict`` methods.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_regressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MaxAbsScaler, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ._backend import keras
from ._compat import _check_sample_weight, _fit_context, validate_data
from ._fast_tabular import transform_table
from ._input_checks import (
    check_cell_types,
    check_class_labels,
    check_frame_at_predict,
    check_has_columns,
    check_numeric_columns,
    check_numeric_target,
    check_time_columns,
    warn_if_unscaled,
)
from ._keras import (
    LR_SCHEDULES,
    TrainSettings,
    as_batches,
    fit_network,
    predict_array,
)
from ._persistence import from_plain_state, to_plain_state
from ._targets import ClassificationTarget, RegressionTarget
from .architecture import NetworkPlan

__all__ = ["BaseNetwork", "NetworkClassifier", "NetworkRegressor", "store_params"]

_MAX_SEED = 2**31 - 1

# The ``preprocessing`` values that fit the tabular preprocessor. "auto" encodes
# numeric columns piecewise-linear: better than robust scaling for the residual
# MLP on 6 of the 7 benchmark tables, and for the mixer and the search on Ames
# (docs/benchmarks.rst, "How the defaults were chosen").
_TABULAR = ("auto", "robust", "piecewise_linear")
_AUTO_NUMERIC = "piecewise_linear"


def store_params(estimator: BaseEstimator, params: dict[str, Any]) -> None:
    """Keep a constructor's arguments as attributes, unchanged.

    scikit-learn needs every parameter spelled out in each concrete
    ``__init__`` signature (``get_params`` reads it); the bodies need not
    repeat the assignments, so each one calls this with ``locals()``.
    """
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


@dataclass(frozen=True)
class FitData:
    """What a fit trains on: encoded ``(X, y, sample_weight)`` triples."""

    train: tuple[np.ndarray, np.ndarray, np.ndarray | None]
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None
    seed: int
    n_features: int


class BaseNetwork(BaseEstimator, ABC):
    """Shared parameters and fit/predict skeleton of the network estimators.

    Not for direct use: see the concrete estimators for the parameters.
    """

    _parameter_constraints: dict = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "warmup_epochs": [Interval(Integral, 0, None, closed="left")],
        "min_lr_fraction": [Interval(Real, 0, 1, closed="both")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "checkpoint_path": [str, os.PathLike, None],
        "tensorboard_dir": [str, os.PathLike, None],
        "preprocessing": [
            StrOptions({*_TABULAR, "standard"}),
            None,
        ],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- what subclasses provide -------------------------------------------
    def _make_plan(self) -> NetworkPlan:
        """The architecture to build, with a placeholder head.

        Single-network estimators override this; a search overrides ``fit``.
        """
        raise NotImplementedError

    @abstractmethod
    def _make_target(self) -> Any:
        """A fresh target encoder (see ``_targets``)."""

    def _has_base_model(self) -> bool:
        """Whether the network is built on a user's Keras model (tandem mode)."""
        return False

    def _base_model(self) -> keras.Model | None:
        """A private copy of the user's base model, or None."""
        return None

    def _warm_start(self) -> bool:
        """Whether ``fit`` continues training the fitted network."""
        return False

    def _label_smoothing(self) -> float:
        """Label smoothing of the training loss (classifiers have a parameter)."""
        return 0.0

    def _fit_sample_weight(
        self, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> np.ndarray | None:
        return sample_weight

    def _stratify(self, y_enc: np.ndarray) -> np.ndarray | None:
        return None

    # -- input handling ----------------------------------------------------
    def _uses_tabular(self) -> bool:
        return self.preprocessing in _TABULAR and not self._has_base_model()

    def _transform_X(self, X: Any, *, reset: bool) -> Any:
        """Validate ``X`` against what ``fit`` saw and turn it into float32.

        Sparse input stays sparse (see :meth:`_transform_sparse`).
        """
        check_has_columns(X)
        check_time_columns(X)
        check_cell_types(X)
        if self._has_base_model():
            if self.preprocessing in ("standard", "robust", "piecewise_linear"):
                raise ValueError(
                    f"preprocessing={self.preprocessing!r} cannot be combined with "
                    "base_model: the base model receives X as given. Use "
                    "preprocessing='auto' or None."
                )
            return validate_data(
                self,
                X,
                reset=reset,
                allow_nd=True,
                dtype=np.float32,
                accept_sparse=("csr", "csc"),
            )
        if reset:
            self._fitted_sparse = sp.issparse(X)
        if getattr(self, "_fitted_sparse", False):
            return self._transform_sparse(X, reset=reset)
        if sp.issparse(X):
            # fitted on dense input, whose preprocessor may centre the columns
            X = X.toarray()
        if self._uses_tabular():
            is_frame = isinstance(X, pd.DataFrame)
            if not reset:
                check_frame_at_predict(
                    X, getattr(self, "preprocessor_", None), type(self).__name__
                )
            elif not is_frame:
                # text in an array: only a frame's text columns are encoded
                check_numeric_columns(X, self.preprocessing, encodes_frames=True)
            checked = validate_data(
                self,
                X,
                reset=reset,
                dtype=None if is_frame else "numeric",
                ensure_all_finite="allow-nan",
            )
            if not is_frame:
                X = checked
                if np.isinf(X).any():
                    raise ValueError("Input X contains infinity.")
            if reset:
                from .preprocessing import make_tabular_preprocessor

                numeric = self.preprocessing
                if numeric == "auto":
                    numeric = _AUTO_NUMERIC
                self.preprocessor_ = make_tabular_preprocessor(numeric=numeric).fit(X)
            return np.asarray(transform_table(self.preprocessor_, X), dtype=np.float32)
        check_numeric_columns(X, self.preprocessing)
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        if reset and self.preprocessing is None:
            warn_if_unscaled(X, getattr(self, "feature_names_in_", None))
        if self.preprocessing == "standard":
            if reset:
                self.preprocessor_ = StandardScaler().fit(X)
            X = self.preprocessor_.transform(X)
        return X.astype(np.float32)

    def _transform_sparse(self, X: Any, *, reset: bool) -> Any:
        """Scale a sparse ``X`` without centring it, so its zeros stay zeros.

        ``preprocessing="auto"`` (and the other tabular choices, whose
        encodings would fill the zeros) divides each column by its largest
        absolute value (:class:`~sklearn.preprocessing.MaxAbsScaler`: one-hot columns
        stay 0/1, numeric ones fall in [-1, 1]); ``"standard"`` by its
        standard deviation (``StandardScaler(with_mean=False)``); None leaves
        it as it is. Missing values are refused: impute them first.
        """
        X = validate_data(
            self, X, reset=reset, accept_sparse=("csr", "csc"), dtype=np.float64
        )
        if reset:
            scalers = {name: MaxAbsScaler for name in _TABULAR}
            scalers["standard"] = StandardScaler
            scaler = scalers.get(self.preprocessing)
            options = {"with_mean": False} if self.preprocessing == "standard" else {}
            self.preprocessor_ = None if scaler is None else scaler(**options).fit(X)
            if scaler is None:
                warn_if_unscaled(X, getattr(self, "feature_names_in_", None))
        if self.preprocessor_ is not None:
            X = self.preprocessor_.transform(X)
        return X.astype(np.float32)

    def _check_y(self, X: np.ndarray, y: Any) -> np.ndarray:
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if is_regressor(self):
            check_numeric_target(y, type(self).__name__)
        else:
            check_class_labels(np.asarray(y))
        y = check_array(
            y,
            ensure_2d=False,
            allow_nd=True,
            dtype="numeric" if is_regressor(self) else None,
            input_name="y",
        )
        if y.ndim > 2:
            raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y.shape}.")
        if y.ndim == 2 and y.shape[1] == 1 and not is_regressor(self):
            y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        return y

    # -- fit -----------------------------------------------------------------
    def _settings(self) -> TrainSettings:
        return TrainSettings(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            loss=self.target_.head.loss,
            early_stopping=self.early_stopping,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            callbacks=tuple(self.callbacks or ()),
            verbose=int(self.verbose),
            lr_schedule=self.lr_schedule,
            warmup_epochs=self.warmup_epochs,
            min_lr_fraction=self.min_lr_fraction,
            weight_decay=self.weight_decay,
            label_smoothing=self._label_smoothing(),
            checkpoint_path=self.checkpoint_path,
            tensorboard_dir=self.tensorboard_dir,
        )

    def _split(
        self,
        X: np.ndarray,
        y: np.ndarray,
        sw: np.ndarray | None,
        seed: int,
        hold_out: Callable[[int], bool] | None = None,
    ) -> tuple[tuple, tuple | None]:
        """Hold out ``validation_fraction`` of the rows (see ``_prepare_fit``)."""
        n = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n)
        holds_out = self.early_stopping if hold_out is None else hold_out(n)
        if not holds_out or n_val < 1 or n - n_val < 1:
            return (X, y, sw), None
        stratify = self._stratify(y)
        if stratify is not None:
            counts = np.unique(stratify, return_counts=True)[1]
            if counts.min() < 2 or min(n_val, n - n_val) < len(counts):
                stratify = None
        arrays = [X, y] if sw is None else [X, y, sw]
        parts = train_test_split(
            *arrays, test_size=n_val, random_state=seed, stratify=stratify
        )
        train_part, val_part = parts[0::2], parts[1::2]
        if sw is None:
            return (*train_part, None), (*val_part, None)
        return tuple(train_part), tuple(val_part)

    def _prepare_fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        X_val: Any,
        y_val: Any,
        *,
        warm: bool = False,
        seed: int | None = None,
        hold_out: Callable[[int], bool] | None = None,
    ) -> FitData:
        """Validate and encode everything a fit needs; split off validation.

        ``seed`` overrides the one drawn from ``random_state`` (a resumed search
        passes the seed it recorded). ``hold_out`` says, from the number of
        training rows, whether ``validation_fraction`` of them is set aside
        when ``X_val`` is not given; by default when ``early_stopping`` is on
        (a search that bags its trials over folds holds out none).
        """
        Xt = self._transform_X(X, reset=not warm)
        y = self._check_y(Xt, y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, Xt, dtype=np.float32, ensure_non_negative=True
            )
        if not warm:
            self.n_network_inputs_ = int(Xt.shape[1])
            self.target_ = self._make_target()
            y_enc = self.target_.fit_transform(y)
        else:
            y_enc = self.target_.transform(y)
        sample_weight = self._fit_sample_weight(y, sample_weight)

        if seed is None:
            seed = int(check_random_state(self.random_state).randint(_MAX_SEED))
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        if X_val is not None:
            Xv = self._transform_X(X_val, reset=False)
            yv = self.target_.transform(self._check_y(Xv, y_val))
            train_part, val_part = (Xt, y_enc, sample_weight), (Xv, yv, None)
        else:
            train_part, val_part = self._split(Xt, y_enc, sample_weight, seed, hold_out)
        train_part = (as_batches(train_part[0]), *train_part[1:])
        if val_part is not None:
            val_part = (as_batches(val_part[0]), *val_part[1:])
        return FitData(train_part, val_part, seed, int(Xt.shape[1]))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        X_val: Any = None,
        y_val: Any = None,
    ) -> BaseNetwork:
        """Train the network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data. With ``preprocessing="auto"`` a DataFrame may hold
            categorical, string and missing values.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights of the training loss.
        X_val, y_val : array-like, default=None
            Explicit validation data. When given, it replaces the internal
            ``validation_fraction`` split: early stopping watches its loss.

        Returns
        -------
        self
            The fitted estimator.
        """
        warm = self._warm_start() and hasattr(self, "model_")
        data = self._prepare_fit(X, y, sample_weight, X_val, y_val, warm=warm)
        if not warm:
            head = self.target_.head
            self.plan_ = self._make_plan().with_head(head.units, head.activation)
        trained = fit_network(
            self.plan_,
            data.train,
            data.validation,
            self._settings(),
            seed=data.seed,
            n_features=data.n_features,
            base_model=None if warm else self._base_model(),
            model=self.model_ if warm else None,
        )
        # a plain dict of lists, which skops saves without trusting a type
        self.model_, history = trained.model, dict(trained.history)
        if warm:
            history = {k: self.history_.get(k, []) + v for k, v in history.items()}
        self.history_ = history
        self.n_iter_ = len(history["loss"])
        return self

    # -- predict -------------------------------------------------------------
    def _predict_raw(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return predict_array(self.model_, as_batches(self._transform_X(X, reset=False)))

    # -- persistence ---------------------------------------------------------
    # Plain data only (networks as .keras bytes, loaded in safe mode), so that
    # skops.io can save the estimator and load it without running code.
    def __getstate__(self) -> dict[str, Any]:
        return to_plain_state(super().__getstate__())

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(from_plain_state(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tabular = self._uses_tabular()
        tags.input_tags.allow_nan = tabular
        tags.input_tags.categorical = tabular
        tags.input_tags.sparse = True
        return tags


class NetworkRegressor(RegressorMixin, BaseNetwork):
    """Regression behaviour shared by the network regressors."""

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber"})],
    }

    def _make_target(self) -> RegressionTarget:
        return RegressionTarget(self.loss)

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples, with the columns ``fit`` saw.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions in the units of ``y``.
        """
        raw = self._predict_raw(X)
        return self.target_.decode(raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class NetworkClassifier(ClassifierMixin, BaseNetwork):
    """Classification behaviour shared by the network classifiers."""

    _parameter_constraints: dict = {
        **BaseNetwork._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def _make_target(self) -> ClassificationTarget:
        return ClassificationTarget()

    def _label_smoothing(self) -> float:
        return self.label_smoothing

    @property
    def classes_(self) -> np.ndarray:
        """Class labels, in the order of ``predict_proba``'s columns."""
        check_is_fitted(self)
        return self.target_.classes_

    def _fit_sample_weight(
        self, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> np.ndarray | None:
        if self.class_weight is None:
            return sample_weight
        if self.target_.kind_ == "multilabel-indicator":
            raise ValueError("class_weight is not supported for multilabel y.")
        weight = compute_sample_weight(self.class_weight, y).astype(np.float32)
        return weight if sample_weight is None else weight * sample_weight

    def _stratify(self, y_enc: np.ndarray) -> np.ndarray | None:
        if self.target_.kind_ == "multilabel-indicator":
            return None
        return np.ravel(y_enc)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities for ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples, with the columns ``fit`` saw.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns follow :attr:`classes_`; for multilabel ``y``, one
            independent probability per label.
        """
        raw = self._predict_raw(X)
        return self.target_.proba(raw)

    def predict(self, X: Any) -> np.ndarray:
        """Predict class labels (or the label matrix for multilabel ``y``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Samples, with the columns ``fit`` saw.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from :attr:`classes_`.
        """
        proba = self.predict_proba(X)
        return self.target_.decode(proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
