"""Where the networks lose on Ames, and the levers tried against it (issue #17).

A person runs it; it prints a Markdown table. Each candidate is fitted on
the five fixed Ames folds (``KFold(5, shuffle=True, random_state=0)``) for
every seed, and scored twice: the RMSE of each test fold, and the same RMSE
without the five houses above 4,000 square feet of living area (three
partial sales of new houses sold for 160,000 to 185,000 dollars, two normal
sales for 745,000 and 755,000). The table gives the mean over folds and
seeds of both, the RMSE of the mean prediction over seeds, and the median
fit seconds a fold. Every fold's row is appended to a CSV as it finishes.

The candidates are ``ResidualMLPRegressor()`` (the search's strongest
member) with one change each: a log target, 32 quantile bins, bins placed by
a per-column decision tree on the target (the "PLE-T" of Gorishniy et al.,
2022), nearest-neighbour target features (a fixed-embedding version of
TabR's retrieval), four more bins in the top 1 % of each column, bins that
stop (saturate) at the 99.5 % quantile, target-encoded categorical columns
added, and training without early stopping (150 epochs, so the network
fits its rare training rows), and three architecture variants; and a
TabR-style network that learns which training rows to retrieve
(``benchmarks/_retrieval.py``). HistGradientBoosting is the anchor.

Examples
--------
``KERAS_BACKEND=jax python -m benchmarks.bench_ames_levers --seeds 0 1 2
--oof-dir ames_oof --ceiling`` fits every candidate, saves each one's
out-of-fold predictions and ends with the best weighting of them all;
``--configs --oof-dir ames_oof --ceiling`` prints that again without fitting.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import TargetEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import sklearn_cerebros._ple as _ple
from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor
from sklearn_cerebros.datasets import load_ames
from sklearn_cerebros.preprocessing import make_tabular_preprocessor

from ._retrieval import Blend, RetrievalRegressor

#: The houses above 4,000 square feet of living area.
GIANTS_SQFT = 4000


@contextlib.contextmanager
def _cut_edges(
    cut: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Iterator[None]:
    """Within the block, piecewise-linear bins are cut by ``cut``.

    ``cut(values, seen)`` gets a column's observed values and the mask of the
    rows that have them, and returns its edges. Columns with at most
    ``n_bins + 1`` distinct values keep theirs (one per value).
    """
    quantile_edges = _ple._quantile_edges

    def edges(X: np.ndarray, n_bins: int) -> list[np.ndarray]:
        out = []
        for j, quantile in enumerate(quantile_edges(X, n_bins)):
            seen = ~np.isnan(X[:, j])
            values = X[seen, j]
            few = np.unique(values).size <= n_bins + 1
            out.append(quantile if few else cut(values, seen))
        return out

    _ple._quantile_edges = edges
    try:
        yield
    finally:
        _ple._quantile_edges = quantile_edges


def _tree_edges(
    y: np.ndarray, n_leaves: int = 16, *, classifier: bool = False
) -> contextlib.AbstractContextManager[None]:
    """Within the block, piecewise-linear bins are cut where a tree on ``y`` splits."""
    tree_class = DecisionTreeClassifier if classifier else DecisionTreeRegressor

    def cut(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
        tree = tree_class(max_leaf_nodes=n_leaves, random_state=0)
        tree.fit(values[:, None], y[seen])
        cuts = tree.tree_.threshold[tree.tree_.feature >= 0]
        return np.unique(np.r_[values.min(), cuts, values.max()])

    return _cut_edges(cut)


def _level_edges(levels: np.ndarray) -> contextlib.AbstractContextManager[None]:
    """Within the block, piecewise-linear bins are cut at these quantiles."""
    return _cut_edges(lambda values, seen: np.unique(np.quantile(values, levels)))


#: 16 quantile bins plus four more in the top 1 % ("tail_bins").
TAIL_LEVELS = np.unique(np.r_[np.linspace(0, 1, 17), 0.99, 0.995, 0.998, 0.999])
#: 16 quantile bins up to the 99.5 % quantile, above which values saturate.
SATURATED_LEVELS = np.linspace(0, 0.995, 17)


class LevelBinned(BaseEstimator, RegressorMixin):
    """The residual MLP on piecewise-linear bins cut at the given quantiles."""

    def __init__(self, levels: Any = None, random_state: int = 0) -> None:
        self.levels, self.random_state = levels, random_state

    def fit(self, X: Any, y: np.ndarray) -> LevelBinned:
        with _level_edges(np.asarray(self.levels)):
            self.model_ = ResidualMLPRegressor(random_state=self.random_state)
            self.model_.fit(X, y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(X)


class _TargetEncoded(BaseEstimator, RegressorMixin):
    """The residual MLP with every categorical column's target encoding added.

    scikit-learn's ``TargetEncoder`` (cross-fitted on the training rows, as
    CatBoost's ordered statistics avoid leaking a row's own target) adds one
    numeric column per categorical column; the categorical columns stay.
    """

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _join(self, X: Any, encoded: np.ndarray) -> pd.DataFrame:
        extra = pd.DataFrame(
            encoded, columns=[f"te_{c}" for c in self.columns_], index=X.index
        )
        return pd.concat([X, extra], axis=1)

    def fit(self, X: Any, y: np.ndarray) -> _TargetEncoded:
        self.columns_ = [c for c in X.columns if not is_numeric_dtype(X[c])]
        self.encoder_ = TargetEncoder(
            target_type="continuous", random_state=self.random_state
        )
        encoded = self.encoder_.fit_transform(X[self.columns_].astype(str), y)
        self.model_ = ResidualMLPRegressor(random_state=self.random_state)
        self.model_.fit(self._join(X, encoded), y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        encoded = self.encoder_.transform(X[self.columns_].astype(str))
        return self.model_.predict(self._join(X, encoded))


class TreeBinned(BaseEstimator):
    """The residual MLP on piecewise-linear bins placed by trees on the target.

    A classification tree on the labels when ``classifier``, else a
    regression tree; ``bench_defaults`` runs it on every table as
    ``tree_bins``.
    """

    def __init__(self, classifier: bool = False, random_state: int = 0) -> None:
        self.classifier, self.random_state = classifier, random_state

    def fit(self, X: Any, y: np.ndarray) -> TreeBinned:
        cls = ResidualMLPClassifier if self.classifier else ResidualMLPRegressor
        target = np.asarray(y) if self.classifier else np.asarray(y, dtype=float)
        with _tree_edges(target, classifier=self.classifier):
            self.model_ = cls(random_state=self.random_state).fit(X, y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(X)


class _NeighbourFeatures(BaseEstimator, RegressorMixin):
    """The residual MLP with four nearest-neighbour target features added.

    Neighbours are found among the training rows on robust-scaled numeric
    (unclipped) and one-hot columns; a training row's own row is left out.
    The features are the distance-weighted mean standardised log target of
    the ``k`` nearest rows, the nearest row's, their spread, and the log
    distance to the nearest row.
    """

    def __init__(self, k: int = 10, random_state: int = 0) -> None:
        self.k, self.random_state = k, random_state

    def _features(self, Z: np.ndarray, leave_out: int) -> np.ndarray:
        dist, rows = self.neighbours_.kneighbors(Z, n_neighbors=self.k + leave_out)
        dist, rows = dist[:, leave_out:], rows[:, leave_out:]
        weight = 1.0 / (dist + 1e-6)
        near = self.log_y_[rows]
        mean = (near * weight).sum(axis=1) / weight.sum(axis=1)
        return np.c_[mean, near[:, 0], near.std(axis=1), np.log1p(dist[:, 0])]

    def _inputs(self, X: Any, leave_out: int) -> np.ndarray:
        Z = np.asarray(self.space_.transform(X), dtype=float)
        encoded = np.asarray(self.encoder_.transform(X), dtype=float)
        return np.c_[encoded, self._features(Z, leave_out)].astype(np.float32)

    def fit(self, X: Any, y: np.ndarray) -> _NeighbourFeatures:
        self.space_ = make_tabular_preprocessor(clip=None).fit(X)
        self.encoder_ = make_tabular_preprocessor(numeric="piecewise_linear").fit(X)
        log_y = np.log(np.asarray(y, dtype=float))
        self.log_y_ = (log_y - log_y.mean()) / log_y.std()
        Z = np.asarray(self.space_.transform(X), dtype=float)
        self.neighbours_ = NearestNeighbors().fit(Z)
        self.model_ = ResidualMLPRegressor(
            preprocessing=None, random_state=self.random_state
        ).fit(self._inputs(X, leave_out=1), y)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self.model_.predict(self._inputs(X, leave_out=0))


def _residual(**params: Any) -> Callable[[int], Any]:
    return lambda seed: ResidualMLPRegressor(random_state=seed, **params)


CANDIDATES: dict[str, Callable[[int], Any]] = {
    "default": _residual(),
    "log_target": lambda seed: TransformedTargetRegressor(
        ResidualMLPRegressor(random_state=seed), func=np.log, inverse_func=np.exp
    ),
    "bins32": lambda seed: make_pipeline(
        make_tabular_preprocessor(numeric="piecewise_linear", n_bins=32),
        ResidualMLPRegressor(preprocessing=None, random_state=seed),
    ),
    "tree_bins": lambda seed: TreeBinned(random_state=seed),
    "neighbours": lambda seed: _NeighbourFeatures(random_state=seed),
    "tail_bins": lambda seed: LevelBinned(TAIL_LEVELS, random_state=seed),
    "saturate_99.5": lambda seed: LevelBinned(SATURATED_LEVELS, random_state=seed),
    "target_encoded": lambda seed: _TargetEncoded(random_state=seed),
    "retrieval": lambda seed: RetrievalRegressor(random_state=seed),
    "retrieval_equal": lambda seed: RetrievalRegressor(
        exclude="equal", random_state=seed
    ),
    "retrieval+tree_bins": lambda seed: Blend(
        [RetrievalRegressor(random_state=seed), TreeBinned(random_state=seed)]
    ),
    "no_early_stopping": _residual(early_stopping=False, epochs=150),
    "n_blocks3": _residual(n_blocks=3),
    "dropout0.1": _residual(dropout=0.1),
    "width256": _residual(width=256),
    "hgb": lambda seed: HistGradientBoostingRegressor(
        categorical_features="from_dtype", random_state=seed
    ),
}


def _rmse(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def run(args: argparse.Namespace) -> None:
    X, y = load_ames(return_X_y=True)
    y = np.asarray(y, dtype=float)
    giant = np.asarray(X["Gr_Liv_Area"] > GIANTS_SQFT)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = ["config", "seed", "fold", "rmse", "rmse_no_giants", "fit_seconds"]
    new = not out.exists()
    rows: dict[str, list[dict[str, float]]] = {}
    with out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        if new:
            writer.writeheader()
        for name in args.configs:
            oof = np.zeros((len(args.seeds), len(y)))
            for s, seed in enumerate(args.seeds):
                for fold, (train, test) in enumerate(folds):
                    start = time.perf_counter()
                    model = CANDIDATES[name](seed).fit(X.iloc[train], y[train])
                    seconds = time.perf_counter() - start
                    oof[s, test] = model.predict(X.iloc[test])
                    keep = test[~giant[test]]
                    row = {
                        "config": name,
                        "seed": seed,
                        "fold": fold,
                        "rmse": _rmse(oof[s, test], y[test]),
                        "rmse_no_giants": _rmse(oof[s, keep], y[keep]),
                        "fit_seconds": seconds,
                    }
                    writer.writerow(row)
                    handle.flush()
                    rows.setdefault(name, []).append(row)
            mean = oof.mean(axis=0)
            if args.oof_dir:
                Path(args.oof_dir).mkdir(parents=True, exist_ok=True)
                np.save(Path(args.oof_dir) / f"{name}.npy", mean)
            rows[name][0]["seed_mean"] = statistics.mean(
                _rmse(mean[test], y[test]) for _, test in folds
            )
    print(f"Ames, 5 folds, seeds {args.seeds}; RMSE in dollars (mean over folds)\n")
    print("| candidate | RMSE | without the 5 giants | mean over seeds | s a fold |")
    print("|---|---|---|---|---|")
    for name, runs in rows.items():
        print(
            f"| {name} | {statistics.mean(r['rmse'] for r in runs):,.0f} "
            f"| {statistics.mean(r['rmse_no_giants'] for r in runs):,.0f} "
            f"| {runs[0]['seed_mean']:,.0f} "
            f"| {statistics.median(r['fit_seconds'] for r in runs):.1f} |"
        )


def ceiling(oof_dir: str) -> None:
    """Print the best any weighting of the saved candidates could do, and why.

    Every ``<candidate>.npy`` in ``oof_dir`` holds a candidate's out-of-fold
    predictions (the mean over its seeds). The non-negative weights that
    minimise the squared error on all rows are fitted on the very rows they
    are scored on, so their RMSE is an optimistic bound, not a result: no
    ensemble of these candidates, the search's included, can be expected to
    beat it. It is printed for the networks alone, with HistGradientBoosting
    added, and for the networks' blend given HistGradientBoosting's
    predictions on the five giants.
    """
    X, y = load_ames(return_X_y=True)
    y = np.asarray(y, dtype=float)
    giant = np.asarray(X["Gr_Liv_Area"] > GIANTS_SQFT)
    folds = [test for _, test in KFold(5, shuffle=True, random_state=0).split(X)]
    saved = {p.stem: np.load(p) for p in sorted(Path(oof_dir).glob("*.npy"))}

    def score(pred: np.ndarray) -> float:
        return statistics.mean(_rmse(pred[test], y[test]) for test in folds)

    def best_blend(names: list[str]) -> tuple[np.ndarray, dict[str, float]]:
        stack = np.stack([saved[n] for n in names], axis=1)
        weights, _ = nnls(stack, y)
        weights /= weights.sum()
        kept = {
            n: round(float(w), 2)
            for n, w in zip(names, weights, strict=True)
            if w >= 0.01
        }
        return stack @ weights, kept

    nets = [n for n in saved if n != "hgb"]
    print(f"Ames, 5 folds; out-of-fold predictions in {oof_dir}\n")
    print("| blend | RMSE | weights |\n|---|---|---|")
    for name in saved:
        print(f"| {name} alone | {score(saved[name]):,.0f} | |")
    blend, kept = best_blend(nets)
    print(f"| best weights over the networks | {score(blend):,.0f} | {kept} |")
    if "hgb" in saved:
        mixed, kept_hgb = best_blend([*nets, "hgb"])
        print(f"| the same with HGB | {score(mixed):,.0f} | {kept_hgb} |")
        swapped = np.where(giant, saved["hgb"], blend)
        print(f"| the networks' blend, HGB on the 5 giants | {score(swapped):,.0f} | |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs", nargs="*", default=list(CANDIDATES), choices=list(CANDIDATES)
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--out",
        default=os.path.join("benchmarks", "results", "search", "ames_levers.csv"),
    )
    parser.add_argument(
        "--oof-dir",
        help="save each candidate's out-of-fold predictions (mean over seeds) here",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="then print the best weighting of every candidate saved in --oof-dir",
    )
    args = parser.parse_args(argv)
    if args.configs:
        run(args)
    if args.ceiling:
        if not args.oof_dir:
            parser.error("--ceiling reads the predictions saved in --oof-dir")
        ceiling(args.oof_dir)


if __name__ == "__main__":
    main()
