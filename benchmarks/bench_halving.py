"""Search strategies on Ames within the same time: generations against halving.

A person runs it; it prints a Markdown table. On the first ``--folds`` folds
of Ames (``KFold(5, shuffle=True, random_state=0)``), each strategy fits
``CerebrosRegressor(max_time=--max-time, n_trials=--n-trials,
strategy=..., random_state=fold)`` on the fold's training rows, one strategy
right after the other on the same fold (so that both see a similar load of
the machine), and is scored on the fold's test rows. The table gives the
test RMSE per fold, the trials finished (promotions of successive halving
included) and the trials per minute of the search loop (``search_time_``),
the fresh structures (trials that did not continue another) per minute, the
trials per rung, the median seconds and epochs of a fresh trial and the
median seconds of a promotion (``fit_time``), and the load average
(``os.getloadavg``, as ``uptime`` shows it) before each fit. ``max_time``
stops *starting* trials, so a fit overruns it by the trials running then and
the final model build.

On JAX most of a fresh trial's time is the compilation of its network, and
sklearn-cerebros keeps compiled steps on disk (``SKLEARN_CEREBROS_JAX_CACHE``,
by default ``~/.cache/sklearn_cerebros/jax``): a structure trained by an
earlier run with the same seed and shapes is not compiled again. So give the
run an empty cache directory, as below, and each fold its own seed
(``random_state=fold``: the folds have the same shapes, and the same seed
would draw the same structures again). A promotion of successive halving
reuses its parent's compiled steps, as it does in any search. The header
shows the cache directory and how many files it held at the start.

Examples
--------
``SKLEARN_CEREBROS_JAX_CACHE=$(mktemp -d) KERAS_BACKEND=jax python -m
benchmarks.bench_halving``, and the same with ``--n-members 8``.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections import Counter
from typing import Any

import keras
import numpy as np
from sklearn.model_selection import KFold

from sklearn_cerebros import CerebrosRegressor
from sklearn_cerebros._backend import jax_cache_dir

from ._datasets import load_dataset

STRATEGIES = ("generations", "halving")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def fit_fold(
    strategy: str, fold: int, train: np.ndarray, test: np.ndarray, X, y, args
) -> dict[str, Any]:
    """One search on one fold: its test RMSE, trials and throughput."""
    keras.backend.clear_session()
    load = load_average()
    search = CerebrosRegressor(
        max_time=args.max_time,
        n_trials=args.n_trials,
        n_members=args.n_members,
        strategy=strategy,
        n_jobs=args.n_jobs,
        random_state=fold,
    )
    start = time.perf_counter()
    search.fit(X.iloc[train], y.iloc[train])
    fit_time = time.perf_counter() - start
    pred = search.predict(X.iloc[test])
    rmse = float(np.sqrt(np.mean((np.asarray(y.iloc[test]) - pred) ** 2)))
    minutes = search.search_time_ / 60
    table = search.search_results_
    rungs = Counter(table["rung"])

    def median(column: str, fresh: bool) -> float:
        values = [
            v
            for v, rung in zip(table[column], table["rung"], strict=True)
            if (rung == 0) == fresh and v is not None
        ]
        return statistics.median(values) if values else float("nan")

    return {
        "strategy": strategy,
        "fold": fold,
        "rmse": rmse,
        "best_val_rmse": -search.best_score_,
        "ensemble_val_rmse": -search.ensemble_score_,
        "trials": search.n_trials_,
        "trials_per_min": search.n_trials_ / minutes,
        "fresh_per_min": rungs[0] / minutes,
        "rungs": " / ".join(str(rungs[r]) for r in sorted(rungs)),
        "fresh_s": median("fit_time", True),
        "fresh_epochs": median("epochs", True),
        "promotion_s": median("fit_time", False),
        "members": len(search.ensemble_),
        "search_s": search.search_time_,
        "fit_s": fit_time,
        "load_before": load,
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    """Per-fold rows, then one summary row per strategy."""
    lines = [
        "| strategy | fold | test RMSE ($) | trials | trials/min | fresh/min "
        "| trials per rung | s a fresh trial | its epochs | s a promotion "
        "| ensemble members | fit s | load before (1, 5, 15 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['strategy']} | {r['fold']} | {r['rmse']:,.0f} | {r['trials']} "
            f"| {r['trials_per_min']:.1f} | {r['fresh_per_min']:.1f} | {r['rungs']} "
            f"| {r['fresh_s']:.1f} | {r['fresh_epochs']:.0f} "
            f"| {r['promotion_s']:.1f} | {r['members']} | {r['fit_s']:.0f} "
            f"| {r['load_before']} |"
        )
    lines += ["", "| strategy | mean test RMSE ($) | per fold | mean trials/min |"]
    lines.append("|---|---|---|---|")
    for strategy in dict.fromkeys(r["strategy"] for r in rows):
        mine = [r for r in rows if r["strategy"] == strategy]
        per_fold = ", ".join(f"{r['rmse']:,.0f}" for r in mine)
        lines.append(
            f"| {strategy} | {statistics.mean(r['rmse'] for r in mine):,.0f} "
            f"| {per_fold} | {statistics.mean(r['trials_per_min'] for r in mine):.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--max-time", type=float, default=120.0)
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--n-members", type=int, default=1)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--out", help="also write the per-fold rows to this CSV")
    args = parser.parse_args(argv)
    data = load_dataset("ames")
    X, y = data.X, data.y
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))[: args.folds]
    print(
        f"Ames, {len(X):,} rows; first {len(folds)} of 5 folds; "
        f"CerebrosRegressor(max_time={args.max_time:g}, n_trials={args.n_trials}, "
        f"n_members={args.n_members}, n_jobs={args.n_jobs}, random_state=fold); "
        f"backend {keras.backend.backend()}; {os.cpu_count()} CPUs"
    )
    if keras.backend.backend() == "jax":
        cache = jax_cache_dir()
        held = sum(1 for p in cache.rglob("*") if p.is_file()) if cache else 0
        print(f"JAX compilation cache: {cache} ({held} files at the start)")
    print(f"Load average at start: {load_average()}\n", flush=True)
    rows = []
    for fold, (train, test) in enumerate(folds):
        for strategy in args.strategies:
            rows.append(fit_fold(strategy, fold, train, test, X, y, args))
            r = rows[-1]
            print(
                f"fold {fold} {strategy}: RMSE {r['rmse']:,.0f}, {r['trials']} "
                f"trials ({r['trials_per_min']:.1f}/min), load before "
                f"{r['load_before']}",
                flush=True,
            )
    print(f"\nLoad average at end: {load_average()}\n")
    print(markdown(rows))
    if args.out:
        with open(args.out, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
