"""Ames: robust scaling against the piecewise-linear encoding of numeric columns.

Run ``python benchmarks/bench_encodings.py`` (``--help`` for the options;
about 20 fits of a few seconds to a minute each on 2 CPU cores). It
cross-validates ``ResidualMLPRegressor(random_state=0)``, every other
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
``ple8``, ``ple32``
    The same with 8 or 32 bins:
    ``make_tabular_preprocessor(numeric="piecewise_linear", n_bins=b)`` in a
    pipeline before ``ResidualMLPRegressor(preprocessing=None)``, which is
    what ``preprocessing="piecewise_linear"`` does inside the estimator.

It prints a Markdown table (RMSE in dollars, mean ± standard deviation over
the folds and each fold; median fit time per fold with the range; epochs
trained; the width of the network's input) and the load of the machine
before and after, since fit times move with it. ``--out`` also writes one CSV
row per variant and fold.
"""

from __future__ import annotations

import argparse
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


def ple_pipeline(n_bins: int) -> Callable[[], Any]:
    def factory():
        return make_pipeline(
            make_tabular_preprocessor(numeric="piecewise_linear", n_bins=n_bins),
            ResidualMLPRegressor(random_state=0, preprocessing=None),
        )

    return factory


#: name -> (description for the table, factory of an unfitted estimator)
VARIANTS: dict[str, tuple[str, Callable[[], Any]]] = {
    "robust": (
        '`preprocessing="auto"` (robust scaling, soft clip)',
        lambda: ResidualMLPRegressor(random_state=0),
    ),
    "ple16": (
        '`preprocessing="piecewise_linear"` (16 bins)',
        lambda: ResidualMLPRegressor(random_state=0, preprocessing="piecewise_linear"),
    ),
    "ple8": ("piecewise-linear, 8 bins", ple_pipeline(8)),
    "ple32": ("piecewise-linear, 32 bins", ple_pipeline(32)),
}


def fitted_details(est: Any) -> dict[str, Any]:
    """Epochs trained and the width of the network's input."""
    network = est.steps[-1][1] if hasattr(est, "steps") else est
    return {**n_iter_of(est), "input_width": int(network.model_.input_shape[-1])}


def median_of(key: str) -> Callable[[list[dict[str, Any]]], str]:
    return lambda rows: f"{statistics.median(r[key] for r in rows):.0f}"


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
    parser.add_argument("--out", help="also write one CSV row per variant and fold")
    args = parser.parse_args()

    X, y = load_ames(return_X_y=True)
    folds = ames_folds(X, 5, args.folds)
    load_before = load_average()
    start = time.perf_counter()
    results = {
        name: cross_validate(name, VARIANTS[name][1], X, y, folds, fitted_details)
        for name in args.variants
    }
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
    labels = {name: VARIANTS[name][0] for name in VARIANTS}
    print(
        markdown_table(
            results,
            labels,
            baseline="robust" if "robust" in results else None,
            extra_columns={
                "epochs (median)": median_of("n_iter"),
                "input width": median_of("input_width"),
            },
        )
    )
    if args.out:
        write_csv(args.out, [row for rows in results.values() for row in rows])
        print(f"\nPer-fold rows written to {args.out}")


if __name__ == "__main__":
    main()
