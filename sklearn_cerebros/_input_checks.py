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
    "check_cell_types",
    "check_class_labels",
    "check_frame_at_predict",
    "check_has_columns",
    "check_numeric_columns",
    "check_numeric_target",
    "check_time_columns",
    "warn_if_unscaled",
]

# Values that a column cannot hold as one cell: a network takes one number or
# one category per cell, and str() of a container is no category.
_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray, pd.Series)

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


def check_has_columns(X: Any) -> None:
    """Refuse a DataFrame with no columns, saying so.

    Raises
    ------
    ValueError
        With the frame's shape.
    """
    if isinstance(X, pd.DataFrame) and X.shape[1] == 0:
        raise ValueError(
            f"X is a DataFrame with no columns (shape {X.shape}): a network "
            "needs at least one feature column."
        )


def check_cell_types(X: Any) -> None:
    """Refuse a DataFrame column whose cells are containers (lists, dicts ...).

    Such a column would otherwise be read as text and one-hot encoded by the
    string form of each container. Arrays are left to NumPy, whose own error
    ("float() argument must be a string or a real number, not 'list'") is
    what scikit-learn's checks expect.

    Raises
    ------
    TypeError
        Naming the column, the container type and an example value.
    """
    if not isinstance(X, pd.DataFrame):
        return
    for name, dtype in X.dtypes.items():
        if not pd.api.types.is_object_dtype(dtype):
            continue
        bad = next((v for v in X[name].to_numpy() if isinstance(v, _CONTAINERS)), None)
        if bad is not None:
            shown = repr(bad)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise TypeError(
                f"Column {name!r} of X holds {type(bad).__name__} values such as "
                f"{shown}, but each cell must be one number or one category. "
                "Expand the values into columns of their own (for example with "
                "pandas' Series.explode or DataFrame(X[col].tolist())), or join "
                "them into one string if the whole value is a category."
            )


def check_frame_at_predict(X: Any, preprocessor: Any, estimator_name: str) -> None:
    """Refuse an array where ``fit`` saw a DataFrame with text columns.

    The tabular preprocessor one-hot encodes a frame's text and categorical
    columns by name and dtype; an array carries neither, so NumPy would fail
    on the first text value without saying why.

    Raises
    ------
    ValueError
        Naming the columns ``fit`` saw and what to pass instead.
    """
    if isinstance(X, pd.DataFrame):
        return
    cleaner = getattr(preprocessor, "named_steps", {}).get("clean")
    categorical = getattr(cleaner, "categorical_columns_", None)
    names = getattr(cleaner, "feature_names_in_", None)
    if not categorical or names is None:
        return
    shown = ", ".join(repr(c) for c in categorical[:5])
    shown += ", ..." if len(categorical) > 5 else ""
    given = "a NumPy array" if isinstance(X, np.ndarray) else f"a {type(X).__name__}"
    raise ValueError(
        f"X is {given}, but this {estimator_name} was fitted on a "
        f"DataFrame with text or categorical columns ({shown}), which are "
        "encoded by name. Pass X as a DataFrame with the columns seen in fit "
        "(feature_names_in_)."
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


def check_numeric_columns(
    X: Any, preprocessing: str | None, encodes_frames: bool = False
) -> None:
    """Refuse a column that holds text when only numbers are taken.

    ``X`` is a DataFrame or an object array; other inputs are left to
    scikit-learn's checks. With ``encodes_frames`` (a ``preprocessing`` that
    one-hot encodes a DataFrame's text columns), the advice is to pass one.

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
        if bad is None:
            continue
        if encodes_frames:
            raise ValueError(
                f"Column {label} of X holds non-numeric values such as {bad!r}. "
                f"preprocessing={preprocessing!r} one-hot encodes the text "
                "columns of a pandas DataFrame, which says which columns are "
                "text: pass X as a DataFrame, or encode the column first."
            )
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
