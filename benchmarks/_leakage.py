"""Refuse feature tables that contain the target or a copy of it.

The one Ames figure the Cerebros seed published (a validation RMSE of $169)
came from a script whose inputs included the sale price. A benchmark that
lets that happen measures nothing, so every data set goes through
:func:`check_no_leakage` before any model sees it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["LeakageError", "check_no_leakage"]

#: Absolute Pearson or Spearman correlation with the target above which a
#: numeric feature counts as a copy of it.
CORRELATION_LIMIT = 0.999


class LeakageError(ValueError):
    """A feature is the target, or a copy or monotone transform of it."""


def _as_numeric(column: pd.Series) -> pd.Series | None:
    """The column as floats, or None when it is not numeric in substance.

    Text columns whose every present value parses as a number (a price stored
    as text, say) count as numeric.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("float64")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype("float64")
    present = column.dropna()
    if len(present) == 0:
        return None
    parsed = pd.to_numeric(present.astype(str), errors="coerce")
    if parsed.isna().any():
        return None
    return pd.to_numeric(column.astype("object"), errors="coerce").astype("float64")


def _is_relabelling(column: pd.Series, target: pd.Series) -> bool:
    """Whether ``column`` and ``target`` determine each other on every row."""
    pairs = pd.DataFrame({"c": column.astype("object"), "t": target.astype("object")})
    if pairs.isna().any().any() or pairs["t"].nunique() < 2:
        return False
    return bool(
        (pairs.groupby("c", sort=False)["t"].nunique() == 1).all()
        and (pairs.groupby("t", sort=False)["c"].nunique() == 1).all()
    )


def _correlations(x: pd.Series, y: pd.Series) -> tuple[float, float]:
    """Absolute Pearson and Spearman correlations on the rows where both exist."""
    both = pd.DataFrame({"x": x, "y": y}).dropna()
    if len(both) < 3 or both["x"].nunique() < 2 or both["y"].nunique() < 2:
        return 0.0, 0.0
    pearson = abs(float(np.corrcoef(both["x"], both["y"])[0, 1]))
    ranks = both.rank()
    spearman = abs(float(np.corrcoef(ranks["x"], ranks["y"])[0, 1]))
    return pearson, spearman


def check_no_leakage(
    X: pd.DataFrame,
    y: Any,
    *,
    target_name: str | None = None,
    task: str = "regression",
    limit: float = CORRELATION_LIMIT,
) -> None:
    """Raise :class:`LeakageError` if a feature column gives the target away.

    A column is refused when

    * its name is the target's name (``target_name``, or ``y.name`` for a
      Series);
    * it equals the target on every row (up to float rounding);
    * it is numeric (or text that parses as numbers) and its absolute Pearson
      or Spearman correlation with a numeric target exceeds ``limit``: a
      linear or monotone copy such as the price in cents or its logarithm;
    * for a classification target, it is a relabelling of the classes: each
      value of the column goes with exactly one class and each class with
      exactly one value, on every row.

    Parameters
    ----------
    X : pandas.DataFrame
        The features, as the models will see them.
    y : array-like of shape (n_samples,)
        The target.
    target_name : str, default=None
        Name of the target column; defaults to ``y.name`` when ``y`` is a
        named Series.
    task : {"regression", "classification"}, default="regression"
        Classification targets are compared as labels (relabelling), and also
        by correlation when they are numeric with more than two values.
    limit : float, default=0.999
        Correlation above which a numeric column counts as a copy.

    Raises
    ------
    LeakageError
        Naming the first offending column and the reason.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"area": [50, 80, 70, 60], "price": [1, 2, 3, 4]})
    >>> y = pd.Series([100.0, 160.0, 130.0, 180.0], name="price")
    >>> try:
    ...     check_no_leakage(X, y)
    ... except LeakageError as error:
    ...     print(str(error).split(":")[0])
    column 'price' is the target 'price' itself
    >>> check_no_leakage(X.drop(columns="price"), y)
    """
    target = pd.Series(np.asarray(y), index=X.index)
    name = target_name if target_name is not None else getattr(y, "name", None)
    if name is not None and name in X.columns:
        raise LeakageError(
            f"column {name!r} is the target {name!r} itself: drop it from the "
            "features before benchmarking"
        )
    numeric_target = _as_numeric(target)
    for column_name in X.columns:
        column = X[column_name]
        if task == "classification" and _is_relabelling(column, target):
            raise LeakageError(
                f"column {column_name!r} is a relabelling of the target classes "
                "(each of its values goes with exactly one class): a copy of the "
                "target among the features"
            )
        if numeric_target is None:
            continue
        values = _as_numeric(column)
        if values is None:
            continue
        present = values.notna() & numeric_target.notna()
        if present.any() and np.allclose(
            values[present], numeric_target[present], rtol=1e-9, atol=0.0
        ):
            raise LeakageError(
                f"column {column_name!r} equals the target on every row: a copy "
                "of the target among the features"
            )
        if task == "classification" and numeric_target.nunique() <= 2:
            continue  # a binary label correlates with any good feature
        pearson, spearman = _correlations(values, numeric_target)
        if max(pearson, spearman) > limit:
            kind = "linear" if pearson > limit else "monotone"
            raise LeakageError(
                f"column {column_name!r} is a {kind} copy of the target "
                f"(|Pearson| = {pearson:.4f}, |Spearman| = {spearman:.4f}, "
                f"limit {limit}): drop it from the features before benchmarking"
            )
