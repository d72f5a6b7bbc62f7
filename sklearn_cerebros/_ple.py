"""Piecewise-linear encoding of numeric columns (Gorishniy et al., 2022).

Each column is cut into bins at quantiles of its training values; a value
becomes one number per bin: 0 below the bin, 1 above it and its relative
position inside it. The encoding is monotone, bounded in ``[0, 1]`` and
saturates outside the training range, as a tree's splits do, so a network
cannot extrapolate along a column beyond the largest value it was trained on.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._compat import _check_feature_names_in, _fit_context, validate_data

__all__ = ["PiecewiseLinearEncoder"]


def _column_names(X, n_features: int) -> list[str]:
    """Names for error messages: the frame's columns, else ``x0``, ``x1``, ..."""
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(n_features)]


def _raise_for_bad_column(X, error: Exception) -> None:
    """Re-raise a failed float conversion of ``X`` naming the column at fault.

    The original message is kept (scikit-learn's checks match on it), with
    the name of the first column that cannot be converted in front. When no
    single column is to blame (wrong shape, wrong number of columns, complex
    numbers), ``error`` itself is re-raised.
    """
    if isinstance(X, pd.DataFrame):
        columns = [X.iloc[:, j] for j in range(X.shape[1])]
    else:
        try:
            array = np.asarray(X)
        except ValueError:
            raise error from None
        # Only text and object arrays can hold entries that are no numbers.
        if array.ndim != 2 or array.dtype.kind not in "OSU":
            raise error
        columns = [array[:, j] for j in range(array.shape[1])]
    for name, column in zip(_column_names(X, len(columns)), columns, strict=True):
        try:
            np.asarray(column, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise type(error)(
                f"Column {name!r} cannot be encoded as numbers ({exc}). "
                "PiecewiseLinearEncoder encodes numeric columns only; encode "
                "categorical columns separately (make_tabular_preprocessor does)."
            ) from error
    raise error


def _quantile_edges(X: np.ndarray, n_bins: int) -> list[np.ndarray]:
    """Per-column bin edges: quantiles, or the distinct values when few.

    Missing values are ignored. A column with at most ``n_bins + 1`` distinct
    values gets one edge per distinct value, so every bin lies between two
    neighbouring values (a binary column gets one bin). Quantiles that
    coincide (a value repeated in many rows) are merged, so bins never have
    zero width; a constant column gets the degenerate edges ``[c, c]``.
    """
    # NaN sorts last, so the observed values of column j are its first n_j.
    ordered = np.sort(X, axis=0)
    n_observed = np.sum(~np.isnan(X), axis=0)
    levels = np.linspace(0.0, 1.0, n_bins + 1)
    edges = []
    for j, n in enumerate(n_observed):
        values = ordered[:n, j]
        distinct = np.unique(values)
        if distinct.size == 1:
            edges.append(np.repeat(distinct, 2))
        elif distinct.size <= n_bins + 1:
            edges.append(distinct)
        else:
            # Linear interpolation between order statistics (numpy's default
            # quantile), computed on the already sorted column.
            # The clip keeps rounding from putting an edge past its two order
            # statistics (past the maximum, the maximum would not saturate).
            position = levels * (n - 1)
            below = np.floor(position).astype(np.intp)
            low, high = values[below], values[np.minimum(below + 1, n - 1)]
            with np.errstate(over="ignore", invalid="ignore"):
                between = low + (position - below) * (high - low)
            quantiles = np.clip(np.where(position > below, between, low), low, high)
            edges.append(np.unique(quantiles))
    return edges


class PiecewiseLinearEncoder(TransformerMixin, BaseEstimator):
    """Piecewise-linear encoding of numeric columns on quantile bins.

    At ``fit``, each column's bin edges :math:`e_0 < e_1 < \\dots < e_m` are
    set at the quantiles :math:`0, 1/n, \\dots, 1` of its training values,
    :math:`n` = ``n_bins``. A value :math:`x` becomes :math:`m` numbers, one
    per bin,

    .. math::

        \\operatorname{clip}\\left(
            \\frac{x - e_{b}}{e_{b+1} - e_{b}}, 0, 1\\right),
        \\qquad b = 0, \\dots, m - 1,

    so 0 for the bins above :math:`x`, 1 for the bins below it, and its
    relative position inside its own bin (Gorishniy et al., "On Embeddings
    for Numerical Features in Tabular Deep Learning", NeurIPS 2022). The
    encoding is monotone (non-decreasing) in :math:`x`, bounded in
    ``[0, 1]``, and saturates outside the training range: every value at or
    below the training minimum encodes as all zeros, every value at or
    above the training maximum as all ones.

    Coinciding quantiles (a value repeated in many rows) are merged, so a
    column may get fewer than ``n_bins`` bins. A column with at most
    ``n_bins + 1`` distinct values gets its distinct values as edges (a
    binary column becomes one 0/1 feature). A constant column gets one
    feature that is always 0.

    Missing values (NaN) are ignored by ``fit`` and stay NaN in every
    feature of their column, so imputation can follow (as in
    :func:`~sklearn_cerebros.preprocessing.make_tabular_preprocessor`).
    Infinite and non-numeric values are refused with an error naming the
    column.

    Parameters
    ----------
    n_bins : int, default=16
        Maximum number of bins per column (at least 1; 1 is a min-max scaling
        clipped to ``[0, 1]``).

    Attributes
    ----------
    bin_edges_ : list of ndarray
        Per column, its increasing bin edges (``[c, c]`` for a constant
        column ``c``).
    n_bins_ : ndarray of shape (n_features_in_,), dtype int
        Number of output features of each column.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during ``fit``, when they are all strings.

    See Also
    --------
    make_tabular_preprocessor : Uses this encoder with
        ``numeric="piecewise_linear"``.
    sklearn.preprocessing.KBinsDiscretizer : One-hot or ordinal bins, with
        no position inside the bin.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cerebros.preprocessing import PiecewiseLinearEncoder
    >>> X = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> encoder = PiecewiseLinearEncoder(n_bins=3).fit(X)
    >>> encoder.bin_edges_[0].tolist()
    [0.0, 1.0, 3.0, 7.0]
    >>> encoder.transform([[-5.0], [2.0], [5.0], [100.0]])
    array([[0. , 0. , 0. ],
           [1. , 0.5, 0. ],
           [1. , 1. , 0.5],
           [1. , 1. , 1. ]])
    >>> encoder.get_feature_names_out().tolist()
    ['x0_bin0', 'x0_bin1', 'x0_bin2']
    """

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_bins: int = 16) -> None:
        self.n_bins = n_bins

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check_X(self, X, *, reset: bool) -> np.ndarray:
        """``X`` as float64, NaN allowed; named errors for inf and non-numbers."""
        try:
            array = validate_data(
                self, X, dtype=np.float64, ensure_all_finite=False, reset=reset
            )
        except (TypeError, ValueError) as error:
            _raise_for_bad_column(X, error)
        names = _column_names(X, array.shape[1])
        infinite = np.isinf(array).any(axis=0)
        if infinite.any():
            raise ValueError(
                f"Column {names[int(np.argmax(infinite))]!r} contains infinite "
                "values, which have no piecewise-linear encoding; replace them "
                "(e.g. by NaN or a large finite number) first."
            )
        empty = np.isnan(array).all(axis=0)
        if reset and empty.any():
            raise ValueError(
                f"Column {names[int(np.argmax(empty))]!r} has only missing values, "
                "so it has no bins; drop it or fill it."
            )
        return array

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> PiecewiseLinearEncoder:
        """Learn each column's quantile bin edges.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data; may contain NaN.
        y : None
            Ignored.

        Returns
        -------
        self : PiecewiseLinearEncoder
            The fitted encoder.

        Raises
        ------
        ValueError
            If a column holds infinite values, non-numeric values or only
            missing values, or spans a range wider than the largest float64
            (the message names the column).
        """
        array = self._check_X(X, reset=True)
        edges = _quantile_edges(array, self.n_bins)
        with np.errstate(over="ignore"):
            widths = [np.diff(e) for e in edges]
        for name, e, w in zip(_column_names(X, len(edges)), edges, widths, strict=True):
            if np.isinf(w).any():
                raise ValueError(
                    f"Column {name!r} spans {e[0]:g} to {e[-1]:g}, a range wider "
                    "than the largest float64; rescale it first."
                )
        self.bin_edges_ = edges
        self.n_bins_ = np.array([e.size - 1 for e in edges])
        # Flat per-feature arrays, so transform is one broadcast operation.
        self._column = np.repeat(np.arange(len(edges)), self.n_bins_)
        self._left = np.concatenate([e[:-1] for e in edges])
        width = np.concatenate(widths)
        # A constant column's zero-width bin divides by inf: always 0.
        self._width = np.where(width > 0, width, np.inf)
        return self

    def transform(self, X) -> np.ndarray:
        """Encode ``X``, one feature per bin of each column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric data; may contain NaN.

        Returns
        -------
        X_out : ndarray of shape (n_samples, ``n_bins_.sum()``), dtype float64
            Encoded data in ``[0, 1]``, columns grouped by input column; NaN
            where the input was NaN.
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        # Bins narrower than the float spacing overflow the ratio to +-inf;
        # the clip maps those to the right end.
        with np.errstate(over="ignore"):
            ratio = (X[:, self._column] - self._left) / self._width
        return np.clip(ratio, 0.0, 1.0, out=ratio)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output names: ``<column>_bin<b>`` for each bin ``b`` of each column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; by default ``feature_names_in_``, else
            ``x0``, ``x1``, ....

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [
                f"{name}_bin{b}"
                for name, count in zip(names, self.n_bins_, strict=True)
                for b in range(count)
            ],
            dtype=object,
        )
