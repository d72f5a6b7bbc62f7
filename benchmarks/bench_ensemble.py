"""Ames: the Cerebros search's ensemble of trials against its best single trial.

Run ``KERAS_BACKEND=jax python -m benchmarks.bench_ensemble`` (JAX fits 2.3 to
3.2 times faster than TensorFlow here). On the raw Ames frame of
:func:`sklearn_cerebros.datasets.load_ames` with ``KFold(5, shuffle=True,
random_state=0)``, each fold runs one ``CerebrosRegressor(random_state=0)``
search at the library's defaults (its budget: ``n_trials=8``), writing its
trials to a temporary ``results_dir``. The ensemble is then selected again for
every ``--sizes`` value by resuming that search with another
``ensemble_size``: a resume trains nothing (``ensemble_size`` changes no
trial), so every size is judged on the very same trials, and
``ensemble_size=1`` is the best trial alone (the search before ensembles).

It prints a Markdown table: test RMSE in dollars per ensemble size (mean ±
standard deviation over the folds, and each fold), the held-out (selection)
RMSE, the number of distinct members, and the seconds per fold of the search
and of the reselection, with the machine's load (1-minute average) at the
start and end of each fold. ``--folds k`` runs only the first ``k`` folds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

from sklearn_cerebros import CerebrosRegressor  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402


def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y) - pred) ** 2)))


def run(sizes: list[int], folds: int) -> None:
    X, y = load_ames(return_X_y=True)
    splits = list(KFold(5, shuffle=True, random_state=0).split(X))[:folds]
    rows: dict[int, dict[str, list[float]]] = {
        k: {"test": [], "held_out": [], "members": [], "seconds": []} for k in sizes
    }
    search_seconds, loads = [], []
    for fold, (train, test) in enumerate(splits):
        load_start = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as folder:
            params = dict(random_state=0, results_dir=folder)
            start = time.perf_counter()
            search = CerebrosRegressor(**params, ensemble_size=max(sizes))
            search.fit(X.iloc[train], y.iloc[train])
            search_seconds.append(time.perf_counter() - start)
            for k in sizes:
                start = time.perf_counter()
                again = CerebrosRegressor(**params, ensemble_size=k, resume=True)
                again.fit(X.iloc[train], y.iloc[train])
                rows[k]["seconds"].append(time.perf_counter() - start)
                rows[k]["test"].append(_rmse(y.iloc[test], again.predict(X.iloc[test])))
                rows[k]["held_out"].append(-again.ensemble_score_)
                rows[k]["members"].append(len(again.ensemble_))
        loads.append((load_start, os.getloadavg()[0]))
        print(
            f"fold {fold}: search {search_seconds[-1]:.0f} s, "
            + ", ".join(f"size {k}: {rows[k]['test'][-1]:,.0f}" for k in sizes),
            flush=True,
        )

    print(f"\nbackend {keras.backend.backend()}, {len(splits)} folds of KFold(5)")
    print(
        "search seconds per fold: "
        + ", ".join(f"{s:.0f}" for s in search_seconds)
        + f" (median {statistics.median(search_seconds):.0f})"
    )
    print("load (start → end): " + ", ".join(f"{a:.1f}→{b:.1f}" for a, b in loads))
    print(
        "\n| ensemble_size | test RMSE | per fold | held-out RMSE "
        "| members | reselection s |"
    )
    print("|---|---|---|---|---|---|")
    for k in sizes:
        r = rows[k]
        spread = statistics.stdev(r["test"]) if len(r["test"]) > 1 else 0.0
        print(
            f"| {k} | {statistics.mean(r['test']):,.0f} ± {spread:,.0f} "
            f"| {' / '.join(f'{v:,.0f}' for v in r['test'])} "
            f"| {statistics.mean(r['held_out']):,.0f} "
            f"| {statistics.mean(r['members']):.1f} "
            f"| {statistics.median(r['seconds']):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5, 10, 25, 50])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    run(sorted(set(args.sizes)), args.folds)


if __name__ == "__main__":
    main()
