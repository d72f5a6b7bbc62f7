"""Ames house prices: cross-validated RMSE and fit time against common baselines.

Run ``python benchmarks/bench_ames.py`` (``--help`` for the options; about
5 minutes on 2 CPU cores). It cross-validates, on the raw Ames frame of
:func:`sklearn_cerebros.datasets.load_ames` (2,930 rows, 73 features, 40 of
them categorical, missing values), with ``KFold(5, shuffle=True,
random_state=0)``:

``residual_mlp``
    ``ResidualMLPRegressor(random_state=0)``: every default, including
    ``preprocessing="auto"``, so it takes the raw frame.
``hgb``
    ``HistGradientBoostingRegressor(categorical_features="from_dtype")`` on
    the raw frame, plain target.
``hgb_log``
    The same inside ``TransformedTargetRegressor(func=np.log,
    inverse_func=np.exp)``: a log target, the usual choice for prices.
``sk_mlp``
    scikit-learn's ``MLPRegressor()`` with its defaults (``random_state=0``)
    after :func:`~sklearn_cerebros.preprocessing.make_tabular_preprocessor`,
    the same input preparation as ``residual_mlp``, so the difference is the
    model. The target is the raw price, as the defaults imply.
``sk_mlp_scaled_y``
    The same pipeline with the target standardised
    (``TransformedTargetRegressor(transformer=StandardScaler())``), which is
    what ``ResidualMLPRegressor`` does internally.

It prints a Markdown table: RMSE in dollars (mean ± standard deviation over
the folds, and each fold), the median fit time per fold (with the range) and
the ratio of median fit times to ``hgb``, measured in the same run. Timings
move with the load of the machine, printed with the results; on a busy
machine a single gradient-boosting fold can take 20 times its usual time
(its OpenMP threads wait on each other), hence medians. ``--out`` also writes
one CSV row per model and fold (RMSE, fit and predict time, load, warnings
such as ``ConvergenceWarning``, epochs or iterations).

``--folds k`` runs only the first ``k`` folds of the ``--n-splits``-fold split
(training sets keep the full protocol's size, so the per-fold numbers stay
comparable with a full run).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_cerebros import ResidualMLPRegressor  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402
from sklearn_cerebros.preprocessing import make_tabular_preprocessor  # noqa: E402

BASELINE = "hgb"


def make_hgb() -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(categorical_features="from_dtype")


def make_hgb_log() -> TransformedTargetRegressor:
    return TransformedTargetRegressor(
        regressor=make_hgb(), func=np.log, inverse_func=np.exp
    )


def make_sk_mlp():
    return make_pipeline(make_tabular_preprocessor(), MLPRegressor(random_state=0))


def make_sk_mlp_scaled_y() -> TransformedTargetRegressor:
    return TransformedTargetRegressor(
        regressor=make_sk_mlp(), transformer=StandardScaler()
    )


#: name -> (description for the table, factory of an unfitted estimator)
MODELS: dict[str, tuple[str, Callable[[], Any]]] = {
    "residual_mlp": (
        "`ResidualMLPRegressor()` defaults, raw frame",
        lambda: ResidualMLPRegressor(random_state=0),
    ),
    "hgb": (
        'HistGradientBoosting, `categorical_features="from_dtype"`',
        make_hgb,
    ),
    "hgb_log": ("HistGradientBoosting, same, log target", make_hgb_log),
    "sk_mlp": (
        "`MLPRegressor()` defaults after `make_tabular_preprocessor()`",
        make_sk_mlp,
    ),
    "sk_mlp_scaled_y": (
        "`MLPRegressor()`, same, standardised target",
        make_sk_mlp_scaled_y,
    ),
}


# -- environment ---------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def n_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def environment_lines() -> list[str]:
    """The hardware and versions lines every benchmark prints."""
    import tensorflow as tf

    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Date: {date}",
        f"Hardware: {n_cores()} CPU cores usable ({os.cpu_count()} online), "
        f"{cpu_model()}, no GPU used",
        f"Versions: Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__} (backend {keras.backend.backend()}), "
        f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}",
        f"Command: python {' '.join(sys.argv)}",
    ]


# -- cross validation ----------------------------------------------------------------
def ames_folds(X, n_splits: int, n_folds: int | None) -> list[tuple[np.ndarray, ...]]:
    """The first ``n_folds`` folds of ``KFold(n_splits, shuffle, random_state=0)``."""
    splits = list(KFold(n_splits, shuffle=True, random_state=0).split(X))
    return splits[: n_folds or n_splits]


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def cross_validate(
    name: str,
    factory: Callable[[], Any],
    X,
    y,
    folds,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Fit and score one model on each fold; one dict per fold."""
    rows = []
    for i, (train, test) in enumerate(folds):
        keras.backend.clear_session()
        est = factory()
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X.iloc[train], y.iloc[train])
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        pred = est.predict(X.iloc[test])
        predict_time = time.perf_counter() - start
        row = {
            "model": name,
            "fold": i,
            "rmse": rmse(y.iloc[test], pred),
            "fit_time": fit_time,
            "predict_time": predict_time,
            "n_train": len(train),
            "n_test": len(test),
            "load_1min": os.getloadavg()[0],
            # e.g. MLPRegressor's ConvergenceWarning at max_iter
            "warnings": ";".join(sorted({w.category.__name__ for w in caught})),
        }
        if extra is not None:
            row.update(extra(est))
        rows.append(row)
        print(
            f"  {name} fold {i}: RMSE {row['rmse']:,.0f}, fit {fit_time:.1f} s"
            + (f" ({row['warnings']})" if row["warnings"] else ""),
            file=sys.stderr,
            flush=True,
        )
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, float]:
    scores = [r["rmse"] for r in rows]
    times = [r["fit_time"] for r in rows]
    return {
        "rmse_mean": statistics.fmean(scores),
        "rmse_std": statistics.pstdev(scores) if len(scores) > 1 else 0.0,
        "fit_mean": statistics.fmean(times),
        "fit_median": statistics.median(times),
        "fit_min": min(times),
        "fit_max": max(times),
    }


def markdown_table(
    results: dict[str, list[dict[str, Any]]],
    labels: dict[str, str],
    baseline: str | None = BASELINE,
    extra_columns: dict[str, Callable[[list[dict[str, Any]]], str]] | None = None,
) -> str:
    """One row per model: RMSE mean ± std, per fold, fit time and ratio.

    Fit time is the median over the folds with the range in brackets, and the
    ratio compares medians: on a shared machine a single fold can take many
    times longer than the others (see the README on OpenMP and load).
    """
    extra_columns = extra_columns or {}
    base = summarize(results[baseline])["fit_median"] if baseline in results else None
    head = ["Model", "RMSE ($, mean ± std)", "RMSE per fold", "fit s/fold"]
    if base is not None:
        head.append(f"fit time vs `{baseline}`")
    head += list(extra_columns)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rows in results.items():
        s = summarize(rows)
        cells = [
            f"{labels.get(name, name)} (`{name}`)",
            f"{s['rmse_mean']:,.0f} ± {s['rmse_std']:,.0f}",
            ", ".join(f"{r['rmse']:,.0f}" for r in rows),
            f"{s['fit_median']:.1f} ({s['fit_min']:.1f}-{s['fit_max']:.1f})",
        ]
        if base is not None:
            cells.append(f"{s['fit_median'] / base:.1f}x")
        cells += [fmt(rows) for fmt in extra_columns.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(path: str, rows: list[dict[str, Any]]) -> None:
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def n_iter_of(est: Any) -> dict[str, Any]:
    """Epochs (networks) or iterations (boosting) of a fitted model, if any."""
    inner = getattr(est, "regressor_", est)
    if hasattr(inner, "steps"):
        inner = inner.steps[-1][1]
    n_iter = getattr(inner, "n_iter_", None)
    return {"n_iter": int(n_iter) if n_iter is not None else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="run only the first FOLDS folds of the split (default: all)",
    )
    parser.add_argument("--n-splits", type=int, default=5)
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODELS),
        default=list(MODELS),
        help="subset of the models, in this order (default: all)",
    )
    parser.add_argument("--out", help="also write one CSV row per model and fold")
    args = parser.parse_args()

    X, y = load_ames(return_X_y=True)
    folds = ames_folds(X, args.n_splits, args.folds)
    load_before = load_average()
    start = time.perf_counter()
    results = {
        name: cross_validate(name, MODELS[name][1], X, y, folds, extra=n_iter_of)
        for name in args.models
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
        f"KFold({args.n_splits}, shuffle=True, random_state=0), "
        f"{len(folds)} of {args.n_splits} folds; RMSE in dollars\n"
    )
    labels = {name: MODELS[name][0] for name in MODELS}
    baseline = BASELINE if BASELINE in results else None
    print(markdown_table(results, labels, baseline))
    if args.out:
        write_csv(args.out, [row for rows in results.values() for row in rows])
        print(f"\nPer-fold rows written to {args.out}")


if __name__ == "__main__":
    main()
