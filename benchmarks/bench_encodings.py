"""Ames: robust scaling against the piecewise-linear encoding of numeric columns.

Run ``python benchmarks/bench_encodings.py`` (``--help`` for the options;
25 fits of 5 to 20 s each on 2 CPU cores, about 5 minutes). It
cross-validates ``ResidualMLPRegressor(random_state=seed)``, every other
parameter at its default, on the raw Ames frame of
:func:`sklearn_cerebros.datasets.load_ames` with ``KFold(5, shuffle=True,
random_state=0)``, the folds of every Ames figure, with the numeric columns
encoded in one of these ways (categorical columns are one-hot encoded and
missing values imputed alike in all of them):

``robust``
    ``preprocessing="auto"`` (today's default): robust scaling with a soft
    clip, one feature per numeric column.
``ple16``
    ``preprocessing="piecewise_linear"``: the piecewise-linear encoding with
    16 quantile bins (the default of ``make_tabular_preprocessor``).
``ple4``, ``ple8``, ``ple32``
    The same with 4, 8 or 32 bins:
    ``make_tabular_preprocessor(numeric="piecewise_linear", n_bins=b)`` in a
    pipeline before ``ResidualMLPRegressor(preprocessing=None)``, which is
    what ``preprocessing="piecewise_linear"`` does inside the estimator.

It prints a Markdown table (RMSE in dollars, mean ± standard deviation over
the folds and each fold; median fit time per fold with the range; epochs
trained; the width of the network's input) and the load of the machine
before and after, since fit times move with it. With several ``--seeds``
(default: 0 alone) there is one row per variant and seed, then a second
table: per variant, the mean over seeds of the 5-fold RMSE, with the range
over seeds, so that an encoding's effect can be told from the seed's.
``--out`` also writes one CSV row per variant, seed and fold.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_ames import (  # noqa: E402
    ames_folds,
    cross_validate,
    environment_lines,
    load_average,
    markdown_table,
    n_iter_of,
    write_csv,
)
from sklearn.pipeline import make_pipeline  # noqa: E402

from sklearn_cerebros import ResidualMLPRegressor  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402
from sklearn_cerebros.preprocessing import make_tabular_preprocessor  # noqa: E402


def ple_pipeline(n_bins: int) -> Callable[[int], Any]:
    def factory(seed: int):
        return make_pipeline(
            make_tabular_preprocessor(numeric="piecewise_linear", n_bins=n_bins),
            ResidualMLPRegressor(random_state=seed, preprocessing=None),
        )

    return factory


#: name -> (description for the table, factory(seed) of an unfitted estimator)
VARIANTS: dict[str, tuple[str, Callable[[int], Any]]] = {
    "robust": (
        '`preprocessing="auto"` (robust scaling, soft clip)',
        lambda seed: ResidualMLPRegressor(random_state=seed),
    ),
    "ple16": (
        '`preprocessing="piecewise_linear"` (16 bins)',
        lambda seed: ResidualMLPRegressor(
            random_state=seed, preprocessing="piecewise_linear"
        ),
    ),
    "ple4": ("piecewise-linear, 4 bins", ple_pipeline(4)),
    "ple8": ("piecewise-linear, 8 bins", ple_pipeline(8)),
    "ple32": ("piecewise-linear, 32 bins", ple_pipeline(32)),
}


def fitted_details(est: Any) -> dict[str, Any]:
    """Epochs trained and the width of the network's input."""
    network = est.steps[-1][1] if hasattr(est, "steps") else est
    return {**n_iter_of(est), "input_width": int(network.model_.input_shape[-1])}


def median_of(key: str) -> Callable[[list[dict[str, Any]]], str]:
    return lambda rows: f"{statistics.median(r[key] for r in rows):.0f}"


def seed_table(
    results: dict[str, list[dict[str, Any]]], variants: list[str], seeds: list[int]
) -> str:
    """Per variant: mean over seeds of the cross-validated RMSE, and its range."""
    lines = [
        "| Variant | RMSE, mean over seeds | range over seeds | fit s/fold (median) |",
        "|---|---|---|---|",
    ]
    for name in variants:
        runs = [results[f"{name} seed {seed}"] for seed in seeds]
        scores = [statistics.fmean(r["rmse"] for r in rows) for rows in runs]
        fits = [r["fit_time"] for rows in runs for r in rows]
        lines.append(
            f"| `{name}` | {statistics.fmean(scores):,.0f} | "
            f"{min(scores):,.0f}-{max(scores):,.0f} | {statistics.median(fits):.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="run only the first FOLDS folds of the split (default: all)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="subset of the variants, in this order (default: all)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0],
        help="random_state of the networks, one run of every variant each",
    )
    parser.add_argument("--out", help="also write one CSV row per variant and fold")
    args = parser.parse_args()

    X, y = load_ames(return_X_y=True)
    folds = ames_folds(X, 5, args.folds)
    load_before = load_average()
    start = time.perf_counter()
    results, labels = {}, {}
    for name in args.variants:
        for seed in args.seeds:
            key = f"{name} seed {seed}" if len(args.seeds) > 1 else name
            factory = functools.partial(VARIANTS[name][1], seed)
            rows = cross_validate(key, factory, X, y, folds, fitted_details)
            results[key] = [{**row, "seed": seed} for row in rows]
            labels[key] = VARIANTS[name][0] + key[len(name) :].replace(" ", ", ", 1)
    elapsed = time.perf_counter() - start

    for line in environment_lines():
        print(line + "  ")
    print(
        f"Load average (1, 5, 15 min): {load_before} before, {load_average()} after"
        f"; wall time {elapsed / 60:.1f} min  "
    )
    print(
        f"Data: Ames, {len(X):,} rows x {X.shape[1]} features; "
        f"KFold(5, shuffle=True, random_state=0), {len(folds)} of 5 folds; "
        "RMSE in dollars\n"
    )
    baseline = next((key for key in results if key.startswith("robust")), None)
    print(
        markdown_table(
            results,
            labels,
            baseline=baseline,
            extra_columns={
                "epochs (median)": median_of("n_iter"),
                "input width": median_of("input_width"),
            },
        )
    )
    if len(args.seeds) > 1:
        print("\n" + seed_table(results, args.variants, args.seeds))
    if args.out:
        write_csv(args.out, [row for rows in results.values() for row in rows])
        print(f"\nPer-fold rows written to {args.out}")


if __name__ == "__main__":
    main()
