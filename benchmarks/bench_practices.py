"""Training practices of issue #6, measured: LR schedule, stochastic depth, MLP-Mixer.

Run ``python benchmarks/bench_practices.py`` (``--help`` for the options;
``--quick`` for a smoke run of one fold). Four variants, each with every other
parameter at its default, on two tasks:

``residual_constant``
    ``ResidualMLP*(lr_schedule="constant")``: the residual MLP as shipped.
``residual_warmup_cosine``
    ``ResidualMLP*(lr_schedule="warmup_cosine")``: linear warm-up over 5
    epochs, then cosine towards ``min_lr_fraction`` at ``epochs`` (200; early
    stopping cuts the curve).
``residual_sd``
    ``ResidualMLP*(stochastic_depth=0.1)``: stochastic depth on (linear decay
    rule, so the first of the 2 default blocks drops at 0.05, the second at 0.1).
``mixer``
    ``MLPMixer*()``: the tabular MLP-Mixer with its defaults.

Tasks:

``ames``
    Regression on the raw Ames frame (:func:`sklearn_cerebros.datasets.load_ames`,
    2,930 rows, categoricals and missing values, ``preprocessing="auto"``),
    ``KFold(5, shuffle=True, random_state=0)``, RMSE in dollars, as in
    ``bench_ames.py``.
``breast_cancer``
    Binary classification on scikit-learn's breast-cancer table (569 rows,
    30 numeric features), ``StratifiedKFold(5, shuffle=True,
    random_state=0)``, log loss and accuracy.

Every variant is fitted with ``random_state`` set to each of ``--seeds``
(weights, dropout, stochastic depth, validation split and shuffling move with
it; the folds do not). For each seed the metric is averaged over the folds; the
table shows the **median over seeds** of that average, with the range over
seeds, and the median fit time per fold over all fits. Fit times are wall
times on the machine of the run and move with its load (printed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
from bench_ames import (  # noqa: E402
    ames_folds,
    environment_lines,
    load_average,
    rmse,
    write_csv,
)
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from sklearn_cerebros import (  # noqa: E402
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.datasets import load_ames  # noqa: E402

#: variant -> (description, {task kind -> factory(seed)})
VARIANTS: dict[str, tuple[str, dict[str, Callable[[int], Any]]]] = {
    "residual_constant": (
        '`lr_schedule="constant"` (default)',
        {
            "regression": lambda s: ResidualMLPRegressor(random_state=s),
            "classification": lambda s: ResidualMLPClassifier(random_state=s),
        },
    ),
    "residual_warmup_cosine": (
        '`lr_schedule="warmup_cosine"`',
        {
            "regression": lambda s: ResidualMLPRegressor(
                lr_schedule="warmup_cosine", random_state=s
            ),
            "classification": lambda s: ResidualMLPClassifier(
                lr_schedule="warmup_cosine", random_state=s
            ),
        },
    ),
    "residual_sd": (
        "`stochastic_depth=0.1`",
        {
            "regression": lambda s: ResidualMLPRegressor(
                stochastic_depth=0.1, random_state=s
            ),
            "classification": lambda s: ResidualMLPClassifier(
                stochastic_depth=0.1, random_state=s
            ),
        },
    ),
    "mixer": (
        "`MLPMixer*()` defaults",
        {
            "regression": lambda s: MLPMixerRegressor(random_state=s),
            "classification": lambda s: MLPMixerClassifier(random_state=s),
        },
    ),
}


def load_task(name: str, n_folds: int | None) -> tuple[Any, Any, list, str]:
    """Data, folds and kind of a task."""
    if name == "ames":
        X, y = load_ames(return_X_y=True)
        return X, y, ames_folds(X, 5, n_folds), "regression"
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    splits = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    return X, y, splits[: n_folds or 5], "classification"


def score(kind: str, est: Any, X_test: Any, y_test: Any) -> dict[str, float]:
    if kind == "regression":
        return {"rmse": rmse(y_test, est.predict(X_test))}
    proba = est.predict_proba(X_test)
    return {
        "log_loss": float(log_loss(y_test, proba, labels=est.classes_)),
        "accuracy": float(accuracy_score(y_test, est.classes_[proba.argmax(1)])),
    }


def run(
    task: str, variants: list[str], seeds: list[int], n_folds: int | None
) -> list[dict[str, Any]]:
    X, y, folds, kind = load_task(task, n_folds)
    rows = []
    for variant in variants:
        factory = VARIANTS[variant][1][kind]
        for seed in seeds:
            for i, (train, test) in enumerate(folds):
                keras.backend.clear_session()
                est = factory(seed)
                start = time.perf_counter()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    est.fit(X.iloc[train], y.iloc[train])
                fit_time = time.perf_counter() - start
                row = {
                    "task": task,
                    "variant": variant,
                    "seed": seed,
                    "fold": i,
                    **score(kind, est, X.iloc[test], y.iloc[test]),
                    "fit_time": fit_time,
                    "epochs": est.n_iter_,
                    "n_params": est.model_.count_params(),
                    "load_1min": os.getloadavg()[0],
                    "warnings": ";".join(sorted({w.category.__name__ for w in caught})),
                }
                rows.append(row)
                metrics = ", ".join(
                    f"{k} {row[k]:,.4g}"
                    for k in ("rmse", "log_loss", "accuracy")
                    if k in row
                )
                print(
                    f"  {task} {variant} seed {seed} fold {i}: {metrics}, "
                    f"fit {fit_time:.1f} s, {est.n_iter_} epochs",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def _per_seed(rows: list[dict[str, Any]], metric: str) -> list[float]:
    """Mean over folds of ``metric``, one value per seed."""
    seeds = sorted({r["seed"] for r in rows})
    return [statistics.fmean(r[metric] for r in rows if r["seed"] == s) for s in seeds]


def table(rows: list[dict[str, Any]], metrics: list[tuple[str, str]]) -> str:
    """Markdown: one row per variant, median over seeds of the fold-mean."""
    head = ["Variant"]
    head += [f"{label} (median over seeds, range)" for _, label in metrics]
    head += ["fit s/fold (median)", "epochs (median)", "parameters"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        cells = [f"`{variant}`: {VARIANTS[variant][0]}"]
        for metric, _ in metrics:
            values = _per_seed(mine, metric)
            fmt = "{:,.0f}" if metric == "rmse" else "{:.4f}"
            cells.append(
                fmt.format(statistics.median(values))
                + f" ({fmt.format(min(values))} to {fmt.format(max(values))})"
            )
        cells.append(f"{statistics.median(r['fit_time'] for r in mine):.1f}")
        cells.append(f"{statistics.median(r['epochs'] for r in mine):.0f}")
        cells.append(f"{mine[0]['n_params']:,}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


METRICS = {
    "ames": [("rmse", "RMSE ($)")],
    "breast_cancer": [("log_loss", "log loss"), ("accuracy", "accuracy")],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tasks", nargs="+", choices=list(METRICS), default=list(METRICS)
    )
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS)
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="run only the first FOLDS folds of the 5-fold split (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: first fold, seeds 0 1 2"
    )
    parser.add_argument("--out", help="also write one CSV row per fit")
    args = parser.parse_args()
    if args.quick:
        args.folds, args.seeds = 1, [0, 1, 2]

    load_before = load_average()
    start = time.perf_counter()
    results = {
        task: run(task, args.variants, args.seeds, args.folds) for task in args.tasks
    }
    elapsed = time.perf_counter() - start

    for line in environment_lines():
        print(line + "  ")
    print(
        f"Load average (1, 5, 15 min): {load_before} before, {load_average()} after"
        f"; wall time {elapsed / 60:.1f} min  "
    )
    print(f"Seeds: {args.seeds}; folds: first {args.folds or 5} of 5\n")
    for task, rows in results.items():
        print(f"### {task}\n")
        print(table(rows, METRICS[task]) + "\n")
    if args.out:
        write_csv(args.out, [row for rows in results.values() for row in rows])
        print(f"Per-fit rows written to {args.out}")


if __name__ == "__main__":
    main()
