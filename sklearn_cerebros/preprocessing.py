"""Turn mixed-type tabular data into a dense float32 matrix for neural nets.

The main entry point is :func:`make_tabular_preprocessor`, which builds an
unfitted scikit-learn pipeline. The transformer classes it relies on,
:class:`TabularFrameCleaner`, :class:`SoftClipRobustScaler` and
:class:`PiecewiseLinearEncoder`, are public so that they can be reused or
inspected on their own.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._input_checks import check_cell_types
from ._ple import PiecewiseLinearEncoder

__all__ = [
    "MISSING_CATEGORY",
    "PiecewiseLinearEncoder",
    "SoftClipRobustScaler",
    "TabularFrameCleaner",
    "make_tabular_preprocessor",
]

#: Level that replaces missing entries of categorical columns, so that
#: "missing" is one-hot encoded like any other level.
MISSING_CATEGORY = "__missing__"

# Standardised values are limited to this magnitude before the soft clip,
# so that ``hypot`` and the division below can never overflow.
_LARGE = 1e150


def _soft_clip(z: np.ndarray, clip: float) -> np.ndarray:
    """Map ``z`` smoothly and monotonically into ``[-clip, clip]``.

    Computes ``z / sqrt(1 + (z / clip) ** 2)`` in an overflow-safe way.
    NaN stays NaN.
    """
    u = np.clip(z, -_LARGE, _LARGE) / clip
    return clip * (u / np.hypot(1.0, u))


class SoftClipRobustScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Robust standardisation followed by a smooth, bounded squashing.

    Each column is centred on its median and divided by its interquartile
    range (IQR). When the IQR is zero (for example a column that is mostly a
    single value), the standard deviation is used instead, and when that is
    zero too, the scale is 1. The standardised value ``z`` is then squashed
    with the algebraic sigmoid

    .. math::

        f(z) = \\frac{z}{\\sqrt{1 + (z / c)^2}}, \\qquad c = \\text{clip},

    which is the identity near zero (slope 1), is strictly increasing, and
    stays within ``[-c, c]`` (mathematically strictly inside; values that
    are many orders of magnitude out round to exactly ``+-c``). Outliers of
    any size therefore come out finite and bounded while keeping their
    order. Compared with ``c * tanh(z / c)`` it approaches the bound more
    slowly (polynomially instead of exponentially), so moderately and
    extremely large values stay distinguishable.

    Statistics ignore missing values, and NaN passes through ``transform``
    unchanged, so imputation can happen afterwards. Infinite values are
    rejected.

    Parameters
    ----------
    clip : float or None, default=3.0
        Bound ``c`` of the soft clip, in units of IQR. ``None`` disables the
        clipping and leaves only the robust standardisation.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Per-column median of the training data.
    scale_ : ndarray of shape (n_features,)
        Per-column divisor: IQR, else standard deviation, else 1.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during ``fit``, when they are all strings.

    See Also
    --------
    make_tabular_preprocessor : Full preprocessing for mixed-type frames.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_cerebros.preprocessing import SoftClipRobustScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1e9]])
    >>> Xt = SoftClipRobustScaler(clip=3.0).fit_transform(X)
    >>> bool(np.all(np.abs(Xt) <= 3.0))
    True
    """

    def __init__(self, clip: float | None = 3.0) -> None:
        self.clip = clip

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check_clip(self) -> None:
        clip = self.clip
        if clip is None:
            return
        if (
            isinstance(clip, bool)
            or not isinstance(clip, numbers.Real)
            or not np.isfinite(clip)
            or clip <= 0
        ):
            raise ValueError(
                f"clip must be a positive finite number or None, got {clip!r}."
            )

    def fit(self, X, y=None) -> SoftClipRobustScaler:
        """Compute the per-column median and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data; may contain NaN.
        y : None
            Ignored.

        Returns
        -------
        self : SoftClipRobustScaler
            The fitted scaler.
        """
        self._check_clip()
        X = validate_data(
            self, X, dtype=np.float64, ensure_all_finite="allow-nan", reset=True
        )
        n_features = X.shape[1]
        center = np.zeros(n_features)
        scale = np.ones(n_features)
        observed = ~np.isnan(X)
        for j in range(n_features):
            values = X[observed[:, j], j]
            if values.size == 0:
                continue
            # Spreads of values near the float64 limit may overflow to inf;
            # those are skipped below, so silence the overflow warnings.
            with np.errstate(over="ignore", invalid="ignore"):
                q1, med, q3 = np.percentile(values, [25.0, 50.0, 75.0])
                candidates = (q3 - q1, np.std(values))
            center[j] = med
            # A spread below this is rounding noise relative to the values.
            tiny = 16 * np.finfo(np.float64).eps * max(1.0, abs(med))
            for candidate in candidates:
                if np.isfinite(candidate) and candidate > tiny:
                    scale[j] = candidate
                    break
        self.center_ = center
        self.scale_ = scale
        return self

    def transform(self, X) -> np.ndarray:
        """Standardise and soft-clip ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric data; may contain NaN.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features), dtype float64
            Transformed data, within ``[-clip, clip]`` except for NaN entries.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            dtype=np.float64,
            ensure_all_finite="allow-nan",
            reset=False,
            copy=True,
        )
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (X - self.center_) / self.scale_
            if self.clip is not None:
                Z = _soft_clip(Z, float(self.clip))
        return Z


def _column_kind(name: Hashable, dtype) -> str:
    """Classify a column dtype as ``"numeric"`` or ``"categorical"``.

    Raises
    ------
    TypeError
        For dtypes the preprocessor does not know how to encode.
    """
    unsupported = (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or pd.api.types.is_complex_dtype(dtype)
        or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype, pd.SparseDtype))
    )
    if not unsupported:
        if isinstance(dtype, pd.CategoricalDtype):
            return "categorical"
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            return "numeric"
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            return "categorical"
    raise TypeError(
        f"Column {name!r} has unsupported dtype {dtype}. Supported are numeric, "
        "bool, category, object and string columns; convert it first (e.g. "
        "datetimes to numbers such as the year or days since a date)."
    )


def _check_table(X):
    """Return ``X`` as a DataFrame or a 2D NumPy array with >= 1 row and column.

    Complex arrays are passed through so that the per-column dtype check
    reports them with a ``TypeError`` naming the column.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[1] == 0:
            raise ValueError(
                "Found a table with 0 column(s), while a minimum of 1 is required."
            )
        return X
    if sp.issparse(X):
        raise TypeError(
            "Sparse input is not supported; pass a dense NumPy array or a "
            "pandas DataFrame."
        )
    array = np.asarray(X)
    if np.iscomplexobj(array) and array.ndim == 2:
        return array
    return check_array(
        array,
        dtype=None,
        ensure_all_finite=False,
        ensure_min_samples=1,
        ensure_min_features=1,
    )


def _category_labels(column: pd.Series) -> np.ndarray:
    """Return the entries of a categorical-like column as ``str`` objects.

    Missing entries become :data:`MISSING_CATEGORY`. For ``category`` columns
    the labels come from the categories themselves, so that e.g. integer
    categories are spelled the same whether or not the batch has missing
    values (which would otherwise turn ``1`` into ``1.0``).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = np.array(
            [str(c) for c in column.cat.categories] + [MISSING_CATEGORY],
            dtype=object,
        )
        # Code -1 (missing) picks the last label.
        return labels[column.cat.codes.to_numpy()]
    missing = column.isna().to_numpy()
    return np.array(
        [
            MISSING_CATEGORY if is_missing else str(value)
            for value, is_missing in zip(
                column.to_numpy(dtype=object), missing, strict=True
            )
        ],
        dtype=object,
    )


class TabularFrameCleaner(TransformerMixin, BaseEstimator):
    """Check a table and normalise its columns for column-wise encoders.

    This is the first step of :func:`make_tabular_preprocessor`. At ``fit``
    it sorts every column into numeric (numbers and booleans, including the
    pandas nullable dtypes) or categorical (``category``, ``object`` and
    string dtypes, including the pandas 3 ``str`` dtype) and rejects columns
    that cannot be encoded. ``transform`` returns a DataFrame in which

    * numeric columns are ``float64`` with NaN for every missing value
      (``None``, ``pd.NA``, ``NaN``), booleans becoming 0.0 / 1.0;
    * categorical columns are ``object`` columns of ``str`` values, with every
      missing value replaced by :data:`MISSING_CATEGORY`.

    A NumPy array (or anything array-like) is accepted as well; its columns
    are named ``x0``, ``x1``, .... Column names are converted to ``str``.

    Attributes
    ----------
    numeric_columns_ : list of str
        Output names of the numeric columns.
    categorical_columns_ : list of str
        Output names of the categorical columns.
    n_features_in_ : int
        Number of columns seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during ``fit``, when they are all strings.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_cerebros.preprocessing import TabularFrameCleaner
    >>> df = pd.DataFrame({"a": [1, None, 3], "b": ["x", None, "y"]})
    >>> cleaner = TabularFrameCleaner().fit(df)
    >>> cleaner.numeric_columns_, cleaner.categorical_columns_
    (['a'], ['b'])
    >>> cleaner.transform(df)["b"].tolist()
    ['x', '__missing__', 'y']
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def _as_frame(self, X, *, names: list[str] | None) -> pd.DataFrame:
        """Return ``X`` as a DataFrame with string column names."""
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise ValueError(
                    "Expected a 2D table (DataFrame or array of shape "
                    f"(n_samples, n_features)), got an array with {array.ndim} "
                    "dimension(s)."
                )
            if names is None or len(names) != array.shape[1]:
                names = [f"x{i}" for i in range(array.shape[1])]
            frame = pd.DataFrame(array, columns=names)
        columns = [str(c) for c in frame.columns]
        if len(set(columns)) != len(columns):
            duplicated = sorted({c for c in columns if columns.count(c) > 1})
            raise ValueError(f"Duplicate column names: {duplicated}.")
        if frame.shape[0] == 0:
            raise ValueError("Found a table with 0 rows; at least 1 is required.")
        return frame

    def fit(self, X, y=None) -> TabularFrameCleaner:
        """Check the columns of ``X`` and record which encoder each one needs.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Training table.
        y : None
            Ignored.

        Returns
        -------
        self : TabularFrameCleaner
            The fitted cleaner.

        Raises
        ------
        TypeError
            If a column has an unsupported dtype (datetime, timedelta,
            complex, period, interval, sparse).
        ValueError
            If a column holds only missing values, if column names repeat,
            or if ``X`` has no rows.
        """
        X = _check_table(X)
        check_cell_types(X)
        validate_data(self, X, skip_check_array=True, reset=True)
        frame = self._as_frame(X, names=None)
        numeric: list[str] = []
        categorical: list[str] = []
        for position, original in enumerate(frame.columns):
            name = str(original)
            column = frame.iloc[:, position]
            kind = _column_kind(original, column.dtype)
            if column.isna().all():
                raise ValueError(
                    f"Column {original!r} has only missing values; drop it or fill it."
                )
            if kind == "numeric":
                values = column.to_numpy(dtype=np.float64, na_value=np.nan)
                if np.isinf(values).any():
                    raise ValueError(
                        f"Column {original!r} contains infinite values; replace "
                        "them (e.g. by NaN or a large finite number) first."
                    )
            (numeric if kind == "numeric" else categorical).append(name)
        self.numeric_columns_ = numeric
        self.categorical_columns_ = categorical
        self._output_names = [str(c) for c in frame.columns]
        return self

    def transform(self, X) -> pd.DataFrame:
        """Return ``X`` with float64 numeric and string categorical columns.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Table with the same columns as during ``fit``.

        Returns
        -------
        frame : pandas.DataFrame of shape (n_samples, n_features)
            Normalised table, columns in the original order.
        """
        check_is_fitted(self, "numeric_columns_")
        X = _check_table(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        frame = self._as_frame(X, names=self._output_names)
        numeric = set(self.numeric_columns_)
        out: dict[str, pd.Series] = {}
        for position, name in enumerate(self._output_names):
            column = frame.iloc[:, position]
            if name in numeric:
                values = column.to_numpy(dtype=np.float64, na_value=np.nan)
                if np.isinf(values).any():
                    raise ValueError(
                        f"Column {name!r} contains infinite values; replace them "
                        "(e.g. by NaN or a large finite number) first."
                    )
            else:
                values = _category_labels(column)
            out[name] = pd.Series(values, index=frame.index, dtype=values.dtype)
        return pd.DataFrame(out, index=frame.index)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Return the output column names (input names as ``str``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored apart from a consistency check with ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Column names of the frame returned by ``transform``.
        """
        check_is_fitted(self, "numeric_columns_")
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length {self.n_features_in_}, "
                    f"got {len(input_features)}."
                )
        return np.asarray(self._output_names, dtype=object)


class _ToFloat32(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Final step: return a C-contiguous float32 array.

    Unlike a stateless ``FunctionTransformer``, it only counts as fitted after
    ``fit``, so ``check_is_fitted`` on the whole pipeline behaves as expected.
    """

    def fit(self, X, y=None) -> _ToFloat32:
        validate_data(self, X, dtype=None, ensure_all_finite=False, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        return np.ascontiguousarray(X, dtype=np.float32)


# The encodings of numeric columns that make_tabular_preprocessor offers.
_NUMERIC_ENCODINGS = ("robust", "piecewise_linear")


def _numeric_step(numeric: str, clip: float | None, n_bins: int) -> tuple:
    """The first step of the numeric pipeline, named for what it does."""
    if numeric == "robust":
        return ("scale", SoftClipRobustScaler(clip=clip))
    return ("encode", PiecewiseLinearEncoder(n_bins=n_bins))


def make_tabular_preprocessor(
    *,
    numeric: str = "robust",
    n_bins: int = 16,
    clip: float | None = 3.0,
    min_frequency: int | float | None = 10,
    max_categories: int | None = None,
    add_indicator: bool = True,
) -> Pipeline:
    """Build an unfitted transformer from a mixed-type table to float32.

    The result accepts a pandas DataFrame with numeric, bool, ``category``,
    ``object`` and string columns (missing values allowed), or a numeric
    NumPy array, and outputs a dense, finite ``float32`` array suitable as
    neural-network input. Column roles are decided from the dtypes seen at
    ``fit``:

    Numeric and bool columns, ``numeric="robust"`` (default)
        1. Robust standardisation ``z = (x - median) / IQR``; when the IQR is
           zero the standard deviation is used, and when that is zero, 1.
           Statistics use the observed (non-missing) values only.
        2. Smooth clipping ``clip * u / sqrt(1 + u**2)`` with ``u = z / clip``
           (i.e. ``z / sqrt(1 + (z / clip)**2)``): identity near zero,
           strictly increasing, and bounded by ``clip`` in absolute value, so
           extreme values such as ``1e9`` cannot destabilise training.
        3. Median imputation of missing values (the training median maps to
           0 after step 1).
        4. A 0/1 missing-value indicator for every numeric column that had
           missing values during ``fit`` (if ``add_indicator``). Missing
           values in other columns at ``transform`` time are imputed without
           error.

    Numeric and bool columns, ``numeric="piecewise_linear"``
        1. :class:`PiecewiseLinearEncoder`: ``n_bins`` quantile bins per
           column (fewer when values repeat), each value encoded per bin as
           0 below it, 1 above it and its relative position inside it. Every
           feature is in ``[0, 1]`` and values beyond the training range
           encode like the training extremes. A column becomes up to
           ``n_bins`` features named ``<column>_bin<b>``.
        2. and 3. as above: median imputation of each encoded feature (the
           encoding of the training median, up to the averaging of the two
           middle values) and missing-value indicators.

    Categorical columns (``category``, ``object``, ``str``/``string``)
        One-hot encoding. Missing values form their own level
        (``"__missing__"``). Levels seen fewer than ``min_frequency`` times
        are merged into one "infrequent" column. Levels unknown at
        ``transform`` time go to that infrequent column when it exists and
        are otherwise encoded as all zeros.

    Everything is deterministic.

    Parameters
    ----------
    numeric : {"robust", "piecewise_linear"}, default="robust"
        Encoding of numeric and bool columns: robust scaling with a soft clip
        (one feature a column), or the piecewise-linear encoding (up to
        ``n_bins`` features a column).
    n_bins : int, default=16
        Maximum number of bins per numeric column, with
        ``numeric="piecewise_linear"``; ignored otherwise.
    clip : float or None, default=3.0
        Bound of the smooth clipping, in IQR units, with ``numeric="robust"``;
        ignored otherwise. With the default, values within about one IQR of
        the median are changed by less than 6 %, while anything farther out
        is compressed into ``(-3, 3)``. ``None`` disables clipping (not
        recommended for data with outliers).
    min_frequency : int, float or None, default=10
        Categories seen fewer than this many training rows (int) or in less
        than this fraction of rows (float in (0, 1)) are grouped into one
        infrequent column. Ten rows is enough evidence for a separate weight
        without letting rare levels inflate the width. ``None`` keeps every
        level.
    max_categories : int or None, default=None
        Upper limit on one-hot columns per categorical feature, including the
        infrequent column. ``None`` means no limit.
    add_indicator : bool, default=True
        Whether to append missing-value indicator columns for numeric
        features that had missing values at ``fit``.

    Returns
    -------
    preprocessor : sklearn.pipeline.Pipeline
        Unfitted pipeline with the steps ``"clean"``
        (:class:`TabularFrameCleaner`), ``"encode"``
        (:class:`~sklearn.compose.ColumnTransformer`) and ``"to_float32"``.
        ``get_feature_names_out()`` is available after fitting.

    Raises
    ------
    ValueError
        At ``fit``, if a column holds only missing values (the message names
        it); at once, for an invalid ``numeric``, ``n_bins`` or ``clip``.
    TypeError
        At ``fit``, if a column has an unsupported dtype such as datetime,
        timedelta or complex (the message names the column and the dtype).

    See Also
    --------
    SoftClipRobustScaler : The numeric scaling and clipping step.
    PiecewiseLinearEncoder : The numeric step with ``numeric="piecewise_linear"``.
    TabularFrameCleaner : The column checks and type normalisation step.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_cerebros.preprocessing import make_tabular_preprocessor
    >>> df = pd.DataFrame(
    ...     {
    ...         "area": [50.0, 80.0, np.nan, 120.0, 1e9],
    ...         "city": ["a", "b", "a", None, "a"],
    ...     }
    ... )
    >>> pre = make_tabular_preprocessor(min_frequency=None)
    >>> Xt = pre.fit_transform(df)
    >>> Xt.dtype, Xt.shape
    (dtype('float32'), (5, 5))
    >>> bool(np.isfinite(Xt).all() and np.abs(Xt).max() <= 3.0)
    True
    >>> pre.get_feature_names_out().tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['num__area', 'missing__missingindicator_area', 'cat__city___missing__',
     'cat__city_a', 'cat__city_b']
    """
    # Validate early so that a bad value fails here rather than at fit time.
    if numeric not in _NUMERIC_ENCODINGS:
        raise ValueError(
            f"numeric must be one of {_NUMERIC_ENCODINGS}, got {numeric!r}."
        )
    SoftClipRobustScaler(clip=clip)._check_clip()
    PiecewiseLinearEncoder(n_bins=n_bins)._validate_params()

    numeric_columns = make_column_selector(dtype_include=np.number)
    # The cleaner turns every non-numeric column into object/str dtype.
    categorical_columns = make_column_selector(dtype_exclude=np.number)

    transformers: list[tuple] = [
        (
            "num",
            Pipeline(
                [
                    _numeric_step(numeric, clip, n_bins),
                    ("impute", SimpleImputer(strategy="median")),
                ]
            ),
            numeric_columns,
        )
    ]
    if add_indicator:
        transformers.append(
            (
                "missing",
                MissingIndicator(features="missing-only", error_on_new=False),
                numeric_columns,
            )
        )
    transformers.append(
        (
            "cat",
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=min_frequency,
                max_categories=max_categories,
                sparse_output=False,
                dtype=np.float32,
            ),
            categorical_columns,
        )
    )

    return Pipeline(
        [
            ("clean", TabularFrameCleaner()),
            (
                "encode",
                ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0),
            ),
            ("to_float32", _ToFloat32()),
        ]
    )
