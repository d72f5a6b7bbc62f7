"""Fit one model on one split and score it; summarise and write the rows."""

from __future__ import annotations

import csv
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras
import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import KFold, StratifiedKFold

from ._datasets import Dataset
from ._models import NETWORKS, make_model, training_info
from ._profiles import Profile

__all__ = [
    "CsvLog",
    "environment_lines",
    "evaluate",
    "folds",
    "markdown_table",
    "summarise",
]


def folds(dataset: Dataset, profile: Profile) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed splits: ``KFold`` or ``StratifiedKFold``, shuffled with seed 0.

    Only the first ``profile.max_folds`` folds when that is set.
    """
    cls = StratifiedKFold if dataset.task == "classification" else KFold
    splitter = cls(profile.n_splits, shuffle=True, random_state=0)
    return list(splitter.split(dataset.X, dataset.y))[: profile.max_folds]


def _scores(dataset: Dataset, est: Any, rows: np.ndarray) -> dict[str, float]:
    X, y = dataset.X.iloc[rows], dataset.y.iloc[rows]
    pred = est.predict(X)
    if dataset.task == "regression":
        err = np.asarray(y, dtype=float) - np.asarray(pred, dtype=float).ravel()
        return {"rmse": float(np.sqrt(np.mean(err**2))), "r2": r2_score(y, pred)}
    out = {"accuracy": accuracy_score(y, pred)}
    if hasattr(est, "predict_proba"):
        proba = est.predict_proba(X)
        out["log_loss"] = log_loss(y, proba, labels=est.classes_)
    return out


def evaluate(
    dataset: Dataset,
    model: str,
    profile: Profile,
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
    *,
    score_train: bool = False,
    **model_kwargs: Any,
) -> dict[str, Any]:
    """Fit ``model`` on the ``train`` rows and score it on the ``test`` rows.

    Returns one flat record: the test scores (``rmse`` and ``r2``, or
    ``accuracy`` and ``log_loss``), ``score`` (the data set's headline
    metric), fit and predict seconds, epochs run and epochs-to-best
    (:func:`benchmarks._models.training_info`), warnings raised during fit,
    the Keras backend (``backend``) and the 1-minute load average. With
    ``score_train`` the training rows are scored too (``train_score``).
    """
    keras.backend.clear_session()
    est = make_model(model, dataset.task, seed, profile, **model_kwargs)
    X, y = dataset.X.iloc[train], dataset.y.iloc[train]
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    scores = _scores(dataset, est, test)
    predict_time = time.perf_counter() - start
    row: dict[str, Any] = {
        "profile": profile.name,
        "backend": keras.backend.backend(),
        "dataset": dataset.name,
        "task": dataset.task,
        "model": model,
        "seed": seed,
        "n_train": len(train),
        "n_test": len(test),
        "metric": dataset.metric,
        "score": scores[dataset.metric],
        **scores,
        "fit_time": fit_time,
        "predict_time": predict_time,
        **training_info(est),
        "warnings": ";".join(sorted({w.category.__name__ for w in caught})),
        "load_1min": os.getloadavg()[0],
    }
    if score_train:
        row["train_score"] = _scores(dataset, est, train)[dataset.metric]
    return row


class CsvLog:
    """Rows appended to a CSV file as they come, so a stopped run keeps them.

    The header is the union of the keys of the first row; later rows may only
    use those keys (missing ones are left empty).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        self._fields: list[str] | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if self._fields is None:
            self._fields = list(row)
            with open(self.path, "w", newline="") as f:
                csv.DictWriter(f, self._fields).writeheader()
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self._fields, extrasaction="ignore").writerow(row)


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a results CSV with numbers turned back into numbers."""

    def number(value: str) -> Any:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    with open(path, newline="") as f:
        return [{k: number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def _median(values: Iterable[Any]) -> float | None:
    present = [float(v) for v in values if v not in ("", None)]
    return statistics.median(present) if present else None


def summarise(
    rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> list[dict[str, Any]]:
    """One record per distinct value of ``keys`` (in order of appearance).

    Each has the mean and population standard deviation of ``score`` (and of
    ``train_score`` when present), the median fit time, the median and range
    of epochs-to-best, and the number of fits.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    out = []
    for key, group in groups.items():
        scores = [float(r["score"]) for r in group]
        best = [int(r["epochs_to_best"]) for r in group if r["epochs_to_best"] != ""]
        record = dict(zip(keys, key, strict=True))
        record.update(
            metric=group[0]["metric"],
            score_mean=statistics.fmean(scores),
            score_std=statistics.pstdev(scores),
            fit_median=statistics.median(float(r["fit_time"]) for r in group),
            epochs_median=statistics.median(best) if best else None,
            epochs_min=min(best) if best else None,
            epochs_max=max(best) if best else None,
            n_fits=len(group),
            n_train=statistics.median(int(r["n_train"]) for r in group),
        )
        train = _median(r.get("train_score") for r in group)
        if train is not None:
            record["train_score_mean"] = statistics.fmean(
                float(r["train_score"]) for r in group
            )
        out.append(record)
    return out


def format_score(value: float, metric: str, like: float | None = None) -> str:
    """RMSE with thousands separators and sensible decimals; accuracy as 0.xxx.

    ``like`` is the number whose magnitude decides the decimals (a standard
    deviation is written like its mean).
    """
    if metric == "rmse":
        big = abs(value if like is None else like) >= 100
        return f"{value:,.0f}" if big else f"{value:.2f}"
    return f"{value:.3f}"


def format_epochs(record: dict[str, Any]) -> str:
    if record["epochs_median"] is None:
        return ""
    return (
        f"{record['epochs_median']:g} ({record['epochs_min']}-{record['epochs_max']})"
    )


def markdown_table(
    summary: Sequence[dict[str, Any]],
    keys: Sequence[str],
    baseline: str | None = "hgb",
) -> str:
    """A Markdown table of :func:`summarise` records.

    Columns: the ``keys``, the metric, score mean ± std, median fit seconds,
    the ratio of that median to the ``baseline`` model's on the same data set
    and training size (when the baseline ran), median epochs-to-best with its
    range (networks only) and the number of fits.
    """
    base: dict[tuple, float] = {}
    for r in summary:
        if r.get("model") == baseline:
            base[(r["dataset"], r["n_train"])] = r["fit_median"]
    head = [*keys, "metric", "score (mean ± std)", "fit s (median)"]
    if base:
        head.append(f"fit vs `{baseline}`")
    head += ["epochs to best (median, range)", "fits"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in summary:
        cells = [f"`{r[k]}`" if k == "model" else str(r[k]) for k in keys]
        cells += [
            r["metric"],
            f"{format_score(r['score_mean'], r['metric'])} ± "
            f"{format_score(r['score_std'], r['metric'], like=r['score_mean'])}",
            f"{r['fit_median']:.2f}",
        ]
        if base:
            ref = base.get((r["dataset"], r["n_train"]))
            cells.append(f"{r['fit_median'] / ref:.2f}x" if ref else "")
        cells += [format_epochs(r) if r["model"] in NETWORKS else "", str(r["n_fits"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name, as ``/proc/cpuinfo`` gives it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return None


def backend_version() -> str:
    """The Keras backend and its library's version, e.g. ``"jax 0.10.2"``."""
    import importlib

    name = keras.backend.backend()
    try:
        version = importlib.import_module(name).__version__
    except (ImportError, AttributeError):
        version = "?"
    return f"{name} {version}"


def environment_lines() -> list[str]:
    """Date, hardware, backend, versions, load and command, for each table's head."""
    import pandas as pd

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    mem = memory_gib()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return [
        f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"Hardware: {cores or os.cpu_count()} CPU cores ({cpu_model()}), "
        + (f"{mem:.0f} GiB memory, " if mem else "")
        + "no GPU used",
        f"Keras backend: {backend_version()}",
        f"Versions: Python {platform.python_version()}, Keras {keras.__version__}, "
        f"scikit-learn {sklearn.__version__}, pandas {pd.__version__}, "
        f"NumPy {np.__version__}",
        f"Load average (1, 5, 15 min) when written: {load}",
        f"Command: python -m benchmarks {' '.join(sys.argv[1:])}".rstrip(),
    ]
