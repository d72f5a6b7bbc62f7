"""Input checks whose errors name the column or the argument, and say what to do.

scikit-learn's own checks see a table as one array: a datetime column next to
numeric ones fails inside NumPy's type promotion, a text column in a numeric
estimator with "could not convert string to float", and neither names the
column. These run first and do.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "check_class_labels",
    "check_numeric_columns",
    "check_numeric_target",
    "check_time_columns",
    "warn_if_unscaled",
]

#: Inputs passed unscaled (``preprocessing=None``) beyond this absolute value
#: draw a warning: a network's initial weights expect features of order 1.
UNSCALED_LIMIT = 1e6


def check_time_columns(X: Any) -> None:
    """Refuse a DataFrame's datetime and timedelta columns, naming them.

    Raises
    ------
    TypeError
        Naming the first such column and how to turn it into numbers.
    """
    if not isinstance(X, pd.DataFrame):
        return
    for name, dtype in X.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype):
            how = (
                f"X[{name!r}].dt.year, or days since a date with "
                f"(X[{name!r}] - X[{name!r}].min()).dt.days"
            )
        elif pd.api.types.is_timedelta64_dtype(dtype):
            how = f"X[{name!r}].dt.total_seconds()"
        else:
            continue
        raise TypeError(
            f"Column {name!r} of X has dtype {dtype}, which a network cannot "
            f"take. Convert it to numbers first, for example {how}."
        )


def _first_non_number(values: np.ndarray) -> Any | None:
    """The first text entry of ``values`` that does not read as a number, or None."""
    for value in values:
        try:
            float(value)
        except ValueError:
            return value.item() if isinstance(value, np.generic) else value
        except TypeError:
            continue  # None is missing; other objects are NumPy's to refuse
    return None


def check_numeric_columns(X: Any, preprocessing: str | None) -> None:
    """Refuse a column that holds text when only numbers are taken.

    ``X`` is a DataFrame or an object array; other inputs are left to
    scikit-learn's checks.

    Raises
    ------
    ValueError
        Naming the column (or its index) and an offending value.
    """
    if isinstance(X, pd.DataFrame):
        columns = [
            (repr(name), X[name].to_numpy())
            for name, dtype in X.dtypes.items()
            if not (
                pd.api.types.is_numeric_dtype(dtype)
                or pd.api.types.is_bool_dtype(dtype)
            )
        ]
    elif isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 2:
        columns = [(f"{j} (0-based)", X[:, j]) for j in range(X.shape[1])]
    else:
        return
    for label, values in columns:
        bad = _first_non_number(values)
        if bad is not None:
            raise ValueError(
                f"Column {label} of X holds non-numeric values such as {bad!r}, "
                f"but preprocessing={preprocessing!r} takes numbers only. Use "
                "preprocessing='auto' to one-hot encode it, or encode it first."
            )


def check_numeric_target(y: Any, estimator_name: str) -> None:
    """Refuse text in a regressor's ``y``, saying it is ``y``.

    Raises
    ------
    ValueError
        With an offending value and the classifier to use for labels.
    """
    values = np.asarray(y).ravel()
    if values.dtype.kind in "US" and values.size:
        bad = values[0].item()  # NumPy will not read text as numbers either
    elif values.dtype.kind == "O":
        bad = _first_non_number(values)
    else:
        return
    if bad is not None:
        classifier = estimator_name.replace("Regressor", "Classifier")
        raise ValueError(
            f"{estimator_name} is a regressor: y must be numeric, but it holds "
            f"{bad!r}. Convert numbers written as text with y.astype(float); "
            f"for class labels use {classifier}."
        )


def check_class_labels(y: np.ndarray) -> None:
    """Refuse missing class labels (None or NaN), saying where they are.

    Raises
    ------
    ValueError
        With the number of rows concerned and what to do.
    """
    if y.dtype.kind not in "Of":
        return
    missing = pd.isna(y)
    if missing.any():
        rows = np.flatnonzero(missing.reshape(len(y), -1).any(axis=1))
        raise ValueError(
            f"The class labels y contain None or NaN ({len(rows)} rows, the "
            f"first at row {rows[0]}). Every row needs a label: drop those "
            "rows, or give them a label of their own (such as 'missing')."
        )


def warn_if_unscaled(X: Any, feature_names: Any = None) -> None:
    """Warn when ``X`` is far from the unit scale a network trains on."""
    if sp.issparse(X):
        column_max = abs(X).max(axis=0).toarray().ravel()
    else:
        column_max = np.maximum(X.max(axis=0), -X.min(axis=0))  # no copy of X
    worst = int(np.argmax(column_max))
    if column_max[worst] <= UNSCALED_LIMIT:
        return
    name = repr(feature_names[worst]) if feature_names is not None else f"{worst}"
    warnings.warn(
        f"Column {name} of X reaches {column_max[worst]:.3g} in absolute value, "
        "and preprocessing=None passes the input scale to the network as it "
        "is: training on inputs this large diverges or stalls. Use "
        "preprocessing='auto' (robust scaling) or 'standard', or scale X first.",
        UserWarning,
        stacklevel=4,
    )
