"""Our estimators at their defaults against gradient boosting, on every table.

Every data set of the harness (``benchmarks._datasets``) on its fixed folds
(``KFold``/``StratifiedKFold(5, shuffle=True, random_state=0)``). The configs:

``residual``, ``mixer``, ``search``
    ``ResidualMLP*()``, ``MLPMixer*()`` and ``Cerebros*()`` with every
    parameter at its default but ``random_state`` (the seed).
``search_<seconds>`` (e.g. ``search_60``)
    ``Cerebros*(max_time=seconds)``: the search's anytime curve, with
    ``--configs search_15 search_30 search_60 search_120 search_300``.
``search_<seconds>_cv<k>``, ``search_<seconds>_holdout``
    ``Cerebros*(max_time=seconds, cv=k)``, or ``cv=None`` (one network a
    trial, ranked on a validation split): fewer fold networks sharing a
    short budget on a large table.
``search_draw_<rows>`` (e.g. ``search_draw_256``)
    The default search with ``initial_plans=("residual", r, r, r)``, ``r =
    RetrievalPlan(train_candidates=rows)``.
``search_memory_gradients``, ``search_constant_keys``
    The default search with ``initial_plans=("residual", r, r, r)``, ``r =
    RetrievalPlan(memory_gradients=True)`` (the default) or ``False``.
``search_levels``
    ``Cerebros*(kinds=("levels",), n_trials=8)``: the search's previous
    defaults (the four initial plans, then four levels networks drawn at
    random). Rows named ``search`` written before 2026-12-06, when
    ``kinds="all", n_trials=6`` became the defaults, were renamed
    ``search_levels``; ``search_draw_<rows>``, ``search_memory_gradients``
    and ``search_constant_keys`` are built on these previous defaults too,
    as they were measured.
``search_all``
    ``Cerebros*(kinds="all", n_trials=8)``: the search over every kind of
    plan, its initial plans generation 0 and the first parents of
    generation 1 (four children of the best two).
``search_all_<trials>`` (e.g. ``search_all_6``)
    ``Cerebros*(kinds="all", n_trials=trials)``: with 6, the four initial
    plans and two children of the best of them (the defaults since
    2026-12-06).
``search_patience_<epochs>`` (e.g. ``search_patience_5``)
    The default search with ``n_iter_no_change=epochs``: each network stops
    that many epochs without improvement after its best (10 by default).
``search_cv<k>`` (e.g. ``search_cv3``)
    The default search with ``cv=k``: ``k`` fold networks a trial (5 by
    default).
``search_until_<seconds>`` (e.g. ``search_until_300``)
    ``Cerebros*(n_trials=None, max_time=seconds)``: the default search's
    trials, then more generations until the budget is spent.
``search_initial``
    ``Cerebros*(n_trials=4)``: the search's initial plans only (the first four
    trials of the default search, the same seeds), issue 33's ablation.
``retrieval``, ``retrieval_<rows>`` (e.g. ``retrieval_256``)
    One learned-retrieval network, ``Cerebros*(initial_plans=[RetrievalPlan(
    train_candidates=rows, memory_gradients=True)], n_trials=1, cv=None)``:
    the network the search starts from, trained once on its own validation
    split, retrieving in training from all its memory or from a draw of
    ``rows`` a step, backpropagating through the memory's keys (as before
    ``memory_gradients`` existed); with ``_constant`` appended
    (``retrieval_constant``), ``memory_gradients=False``.
``hgb``, ``lightgbm``, ``catboost``
    The anchors at their defaults on the raw frame:
    ``HistGradientBoosting*(categorical_features="from_dtype")``, LightGBM
    and CatBoost (categorical columns named, two threads), the last two when
    installed.
``autogluon_<seconds>`` (e.g. ``autogluon_60``)
    AutoGluon-Tabular, ``presets="best_quality"``, ``time_limit=seconds``,
    in the interpreter named by ``$CEREBROS_AUTOGLUON_PYTHON``
    (:mod:`benchmarks._autogluon`): the anytime curve's outside anchor.

Each fold's score (RMSE for regression, accuracy for classification) and fit
seconds are appended to a CSV as the fold ends; rows already in the CSV are
skipped, so a stopped run resumes. It prints a Markdown table: mean ±
standard deviation over folds and seeds, median fit seconds a fold, number of
fits. ``--table-only`` prints it from the CSV alone, for the data sets,
configs, seeds and first folds asked for.

``--trials-dir`` saves each search's trials (rank, ensemble weight, plan
kind) as JSON; ``--predictions-dir`` saves each fold's test predictions, and
``--blend A B ...`` scores the equal-weight mean of saved regressors without
refitting, to ask whether a member like ``B`` would help ``A``.

Examples
--------
``KERAS_BACKEND=jax python -m benchmarks.bench_defaults --datasets ames
--configs residual hgb --seeds 0 1 2``
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pandas.api.types import is_numeric_dtype
from sklearn.base import clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.model_selection import KFold, StratifiedKFold

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.architecture import RetrievalPlan

from ._datasets import ALL_DATASETS, DATASETS, Dataset, load_dataset

#: The CSV the docs' tables are summaries of.
DEFAULT_CSV = Path(__file__).resolve().parent / "results" / "defaults.csv"

#: Our estimators, (regressor, classifier) by config name, at their defaults.
ESTIMATORS: dict[str, tuple[type, type]] = {
    "residual": (ResidualMLPRegressor, ResidualMLPClassifier),
    "mixer": (MLPMixerRegressor, MLPMixerClassifier),
    "search": (CerebrosRegressor, CerebrosClassifier),
}


#: The budgets of the anytime curve: ``search_<seconds>`` is
#: ``Cerebros*(max_time=seconds)``.
BUDGETS = (15, 30, 60, 120, 300)


#: The search's defaults before 2026-12-06 (see ``search_levels`` above).
_LEVELS = {"kinds": ("levels",), "n_trials": 8}
#: ``search_<seconds>_cv<k>`` or ``search_<seconds>_holdout`` (see above).
_BUDGET_CV = re.compile(r"search_(\d+)_(cv(\d+)|holdout)")
#: ``retrieval`` or ``retrieval_<rows>``: one retrieval network (see above).
_RETRIEVAL = re.compile(r"retrieval(?:_(\d+))?(_constant)?")


def _ours(name: str) -> Callable[[str, int], Any]:
    params: dict[str, Any] = {}
    if (budget := re.fullmatch(r"search_(\d+)", name)) is not None:
        name, params = "search", {"max_time": int(budget.group(1))}
    elif (bagged := _BUDGET_CV.fullmatch(name)) is not None:
        folds = None if bagged.group(2) == "holdout" else int(bagged.group(3))
        name, params = "search", {"max_time": int(bagged.group(1)), "cv": folds}
    elif name == "search_levels":
        name, params = "search", dict(_LEVELS)
    elif name == "search_all":
        name, params = "search", {"kinds": "all", "n_trials": 8}
    elif (evolved := re.fullmatch(r"search_all_(\d+)", name)) is not None:
        name, params = "search", {"kinds": "all", "n_trials": int(evolved.group(1))}
    elif name == "search_initial":
        name, params = "search", {"n_trials": 4}
    elif (until := re.fullmatch(r"search_until_(\d+)", name)) is not None:
        name, params = "search", {"n_trials": None, "max_time": int(until.group(1))}
    elif (folds := re.fullmatch(r"search_cv(\d+)", name)) is not None:
        name, params = "search", {"cv": int(folds.group(1))}
    elif (patience := re.fullmatch(r"search_patience_(\d+)", name)) is not None:
        name, params = "search", {"n_iter_no_change": int(patience.group(1))}
    elif (draw := re.fullmatch(r"search_draw_(\d+)", name)) is not None:
        r = RetrievalPlan(train_candidates=int(draw.group(1)))
        name, params = "search", {**_LEVELS, "initial_plans": ("residual", r, r, r)}
    elif name in ("search_memory_gradients", "search_constant_keys"):
        r = RetrievalPlan(memory_gradients=name == "search_memory_gradients")
        name, params = "search", {**_LEVELS, "initial_plans": ("residual", r, r, r)}
    elif (drawn := _RETRIEVAL.fullmatch(name)) is not None:
        rows = None if drawn.group(1) is None else int(drawn.group(1))
        plan = RetrievalPlan(
            train_candidates=rows, memory_gradients=drawn.group(2) is None
        )
        name, params = "search", {"initial_plans": [plan], "n_trials": 1, "cv": None}
    regressor, classifier = ESTIMATORS[name]

    def make(task: str, seed: int) -> Any:
        cls = regressor if task == "regression" else classifier
        return cls(random_state=seed, **params)

    return make


def _hgb(task: str, seed: int) -> Any:
    cls = (
        HistGradientBoostingRegressor
        if task == "regression"
        else HistGradientBoostingClassifier
    )
    return cls(categorical_features="from_dtype", random_state=seed)


def _lightgbm(task: str, seed: int) -> Any:
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
    return cls(random_state=seed, verbose=-1)


def _catboost(task: str, seed: int) -> Any:
    import catboost

    cls = (
        catboost.CatBoostRegressor
        if task == "regression"
        else catboost.CatBoostClassifier
    )
    model = cls(random_seed=seed, verbose=0, thread_count=2, allow_writing_files=False)
    return _CatBoostFrame(model)


class _CatBoostFrame:
    """CatBoost on a raw frame: categorical columns named, NaN as a level."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def _prepare(self, X: Any) -> Any:
        X = X.copy()
        cats = [c for c in X.columns if not is_numeric_dtype(X[c])]
        for c in cats:
            X[c] = X[c].astype(object).fillna("nan").astype(str)
        return X, cats

    def fit(self, X: Any, y: Any) -> _CatBoostFrame:
        X, cats = self._prepare(X)
        self.model.fit(X, y, cat_features=cats)
        return self

    def predict(self, X: Any) -> np.ndarray:
        return np.ravel(self.model.predict(self._prepare(X)[0]))


#: The anchors: how to build one, and the package it needs (None: scikit-learn).
ANCHORS: dict[str, tuple[Callable[[str, int], Any], str | None]] = {
    "hgb": (_hgb, None),
    "lightgbm": (_lightgbm, "lightgbm"),
    "catboost": (_catboost, "catboost"),
}


def _autogluon(seconds: int) -> Callable[[str, int], Any]:
    from ._autogluon import AutoGluonAnchor, autogluon_python

    python = autogluon_python()
    found = subprocess.run(
        [python, "-c", "import autogluon.tabular"], capture_output=True, check=False
    )
    if found.returncode != 0:
        raise SystemExit(
            f"autogluon_{seconds}: {python} cannot import autogluon.tabular; "
            "install it in a virtualenv of its own and name its interpreter in "
            "CEREBROS_AUTOGLUON_PYTHON (see benchmarks/_autogluon.py)"
        )

    def make(task: str, seed: int) -> Any:
        return AutoGluonAnchor(task, time_limit=seconds, random_state=seed)

    return make


def factory(name: str) -> Callable[[str, int], Any]:
    """``make(task, seed)`` for a config name, or a clear exit."""
    if (budget := re.fullmatch(r"autogluon_(\d+)", name)) is not None:
        return _autogluon(int(budget.group(1)))
    if name in ANCHORS:
        make, needs = ANCHORS[name]
        if needs is not None and importlib.util.find_spec(needs) is None:
            raise SystemExit(f"{name} is not installed: pip install {needs}")
        return make
    if (
        name not in ESTIMATORS
        and not re.fullmatch(r"search_(draw_|all_|patience_|cv|until_)?\d+", name)
        and not _RETRIEVAL.fullmatch(name)
        and not _BUDGET_CV.fullmatch(name)
        and name
        not in (
            "search_all",
            "search_levels",
            "search_initial",
            "search_memory_gradients",
            "search_constant_keys",
        )
    ):
        known = sorted(ESTIMATORS) + sorted(ANCHORS)
        known += ["search_<seconds>", "search_<seconds>_cv<k>", "search_all"]
        known += ["search_initial", "search_levels", "search_all_<trials>"]
        known += ["search_<seconds>_holdout", "search_memory_gradients"]
        known += ["search_constant_keys", "search_draw_<rows>"]
        known += ["search_patience_<epochs>", "search_cv<k>"]
        known += ["search_until_<seconds>"]
        known += ["retrieval", "retrieval_<rows>", "autogluon_<seconds>"]
        raise SystemExit(f"Unknown config {name!r}; known: {', '.join(known)}")
    return _ours(name)


def splits(dataset: Dataset, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    cls = StratifiedKFold if dataset.task == "classification" else KFold
    cv = cls(n_splits, shuffle=True, random_state=0)
    return list(cv.split(dataset.X, dataset.y))


def score(dataset: Dataset, y_true: Any, y_pred: Any) -> float:
    if dataset.task == "regression":
        diff = np.asarray(y_true, float) - np.asarray(y_pred, float)
        return float(np.sqrt(np.mean(diff**2)))
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


FIELDS = ["dataset", "config", "seed", "fold", "score", "fit_seconds", "backend"]


def run(args: argparse.Namespace) -> Path:
    import keras

    backend = keras.backend.backend()
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if path.exists():
        with path.open() as f:
            for row in csv.DictReader(f):
                done.add((row["dataset"], row["config"], row["seed"], row["fold"]))
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        for name in args.datasets:
            dataset = load_dataset(name)
            parts = splits(dataset, 5)[: args.folds]
            for config in args.configs:
                make = factory(config)
                for seed in args.seeds:
                    for fold, (train, test) in enumerate(parts):
                        key = (name, config, str(seed), str(fold))
                        if key in done:
                            continue
                        est = make(dataset.task, seed)
                        est = clone(est) if hasattr(est, "get_params") else est
                        start = time.perf_counter()
                        est.fit(dataset.X.iloc[train], dataset.y.iloc[train])
                        seconds = time.perf_counter() - start
                        if args.trials_dir:
                            save_trials(est, Path(args.trials_dir), key)
                        predicted = est.predict(dataset.X.iloc[test])
                        if args.predictions_dir:
                            save_predictions(
                                Path(args.predictions_dir), key, test, predicted
                            )
                        value = score(dataset, dataset.y.iloc[test], predicted)
                        writer.writerow(
                            dict(
                                zip(
                                    FIELDS,
                                    [name, config, seed, fold, value, seconds, backend],
                                    strict=True,
                                )
                            )
                        )
                        f.flush()
                        print(
                            f"{name} {config} seed={seed} fold={fold}: "
                            f"{value:.4g} in {seconds:.1f} s",
                            flush=True,
                        )
    return path


#: Columns of a search's ``search_results_`` that :func:`save_trials` keeps.
TRIAL_COLUMNS = (
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
    "epochs",
    "best_epoch",
)


def save_trials(estimator: Any, directory: Path, key: tuple[str, ...]) -> Path | None:
    """Write a fitted search's trials (who ranked, who joined the ensemble).

    ``estimator`` may be wrapped (a pipeline's last step, a
    ``TransformedTargetRegressor``); one without ``search_results_`` writes
    nothing. The file is ``<data set>_<config>_s<seed>_f<fold>.json`` in
    ``directory``: :data:`TRIAL_COLUMNS`.
    """
    inner = getattr(estimator, "regressor_", estimator)
    if hasattr(inner, "steps"):
        inner = inner.steps[-1][1]
    table = getattr(inner, "search_results_", None)
    if table is None:
        return None
    kept = {c: [_plain(v) for v in table[c]] for c in TRIAL_COLUMNS if c in table}
    directory.mkdir(parents=True, exist_ok=True)
    dataset, config, seed, fold = key
    path = directory / f"{dataset}_{config}_s{seed}_f{fold}.json"
    path.write_text(json.dumps(kept, indent=1))
    return path


def save_predictions(
    directory: Path, key: tuple[str, ...], rows: np.ndarray, predicted: Any
) -> Path:
    """Write a fold's test predictions, to blend candidates after a run.

    The file is ``<data set>_<config>_s<seed>_f<fold>.npz`` in ``directory``
    with ``rows`` (positions of the test rows in the data set) and
    ``predicted``; :func:`blend_table` reads them back.
    """
    directory.mkdir(parents=True, exist_ok=True)
    dataset, config, seed, fold = key
    path = directory / f"{dataset}_{config}_s{seed}_f{fold}.npz"
    np.savez(path, rows=np.asarray(rows), predicted=np.asarray(predicted))
    return path


def blend_table(directory: Path, dataset_name: str, configs: list[str]) -> str:
    """RMSE per fold of each config and of their equal-weight mean.

    Reads what ``--predictions-dir`` saved for ``dataset_name`` (a regression
    data set) and keeps the (seed, fold) pairs that every config has. A row
    per pair, then the mean over them.
    """
    dataset = load_dataset(dataset_name)
    if dataset.task != "regression":
        raise SystemExit(
            f"--blend averages predictions of regressors; {dataset_name} is not one."
        )
    saved: dict[str, dict[tuple[str, str], dict[str, np.ndarray]]] = {}
    for config in configs:
        name = re.compile(rf"{re.escape(f'{dataset_name}_{config}')}_s(\d+)_f(\d+)")
        saved[config] = {}
        for path in sorted(directory.glob("*.npz")):
            match = name.fullmatch(path.stem)
            if match:
                with np.load(path) as data:
                    saved[config][match.groups()] = dict(data)
    pairs = sorted(set.intersection(*(set(v) for v in saved.values())))
    if not pairs:
        raise SystemExit(
            f"No (seed, fold) of {dataset_name} has predictions of every config "
            f"{configs} in {directory}."
        )
    header = ["seed", "fold", *configs, "mean of them"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    totals = np.zeros(len(configs) + 1)
    for pair in pairs:
        rows = saved[configs[0]][pair]["rows"]
        preds = []
        for config in configs:
            if not np.array_equal(saved[config][pair]["rows"], rows):
                raise SystemExit(f"{config} seed {pair[0]} fold {pair[1]}: other rows")
            preds.append(saved[config][pair]["predicted"])
        preds.append(np.mean(preds, axis=0))
        truth = dataset.y.iloc[rows]
        values = np.array([score(dataset, truth, p) for p in preds])
        totals += values
        lines.append("| " + " | ".join([*pair, *map(_number, values)]) + " |")
    means = totals / len(pairs)
    lines.append("| mean | | " + " | ".join(map(_number, means)) + " |")
    return "\n".join(lines)


def _number(value: float) -> str:
    """Four significant digits below 100, whole numbers with commas above."""
    return f"{value:.4g}" if abs(value) < 100 else f"{value:,.0f}"


def saved_trials(directory: Path) -> list[dict[str, Any]]:
    """The trials :func:`save_trials` wrote, as rows of the trials CSV of
    :mod:`benchmarks.bench_tables` (``model`` is the config), for its
    :func:`~benchmarks.bench_tables.weight_report`.

    Files written before the trials kept their ``kind`` get it from the plan's
    format: a retrieval or mixer plan is that kind; a levels-format plan is
    the residual network when it is an initial plan (the default
    ``initial_plans`` hold no other), a drawn levels network in generation 0,
    and its parent's kind in a later generation.
    """
    rows = []
    name = re.compile(r"(.+)_(s\d+)_(f\d+)")
    for path in sorted(Path(directory).glob("*.json")):
        stem = name.fullmatch(path.stem)
        if stem is None:
            continue
        data = json.loads(path.read_text())
        dataset, config = _split_key(stem.group(1))
        seed, fold = int(stem.group(2)[1:]), int(stem.group(3)[1:])
        kinds: dict[int, str] = {}
        for i, trial in enumerate(data["trial"]):
            kind = data.get("kind", [None] * len(data["trial"]))[i]
            if kind is None or kind.startswith("sklearn-cerebros"):
                kind = _kind_from_format(data, i, kinds)
            kinds[trial] = kind
            row = {c: data[c][i] for c in TRIAL_COLUMNS if c in data}
            row.update(dataset=dataset, model=config, seed=seed, fold=fold, kind=kind)
            rows.append(row)
    return rows


def _split_key(text: str) -> tuple[str, str]:
    """``<data set>_<config>`` split at the data set the harness knows."""
    for dataset in sorted(ALL_DATASETS, key=len, reverse=True):
        if text.startswith(dataset + "_"):
            return dataset, text[len(dataset) + 1 :]
    raise ValueError(f"no data set of the harness begins {text!r}")


def _kind_from_format(data: dict[str, list[Any]], i: int, kinds: dict[int, str]) -> str:
    fmt = data.get("kind", [""] * len(data["trial"]))[i] or ""
    if "retrieval" in fmt:
        return "retrieval"
    if "mixer" in fmt:
        return "mixer"
    if data["initial"][i]:
        return "residual"
    parent = data["parent"][i]
    if data["generation"][i] == 0 or parent is None or parent < 0:
        return "levels"
    return kinds.get(parent, "levels")


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python one (JSON), NaN as None."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


#: Which rows of the CSV a table summarises: data sets, configs, seeds, and
#: the number of first folds (None: all).
Selection = dict[str, Any]


def _cells(
    path: Path, select: Selection | None = None
) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """Data sets, configs and the text of each (data set, config) cell."""
    select = select or {}
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if _selected(r, select)]
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    if select.get("configs"):
        configs = [c for c in select["configs"] if c in configs]
    cells = {}
    for name in datasets:
        for config in configs:
            mine = [r for r in rows if r["dataset"] == name and r["config"] == config]
            if not mine:
                cells[name, config] = ""
                continue
            values = [float(r["score"]) for r in mine]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            secs = statistics.median(float(r["fit_seconds"]) for r in mine)
            fmt = ".4g" if max(values) < 100 else ",.0f"
            mean = statistics.mean(values)
            cells[name, config] = (
                f"{mean:{fmt}} ± {sd:{fmt}} ({secs:.0f} s, n={len(mine)})"
            )
    return datasets, configs, cells


def _selected(row: dict[str, str], select: Selection) -> bool:
    if select.get("datasets") and row["dataset"] not in select["datasets"]:
        return False
    if select.get("configs") and row["config"] not in select["configs"]:
        return False
    if select.get("seeds") and int(row["seed"]) not in select["seeds"]:
        return False
    return not select.get("folds") or int(row["fold"]) < select["folds"]


def table(path: Path, select: Selection | None = None) -> str:
    """Mean ± std of the score and median fit seconds, a row per data set."""
    datasets, configs, cells = _cells(path, select)
    lines = [
        "| data set | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for name in datasets:
        row = " | ".join(cells[name, config] for config in configs)
        lines.append(f"| {name} | {row} |")
    return "\n".join(lines)


def rst_table(path: Path, select: Selection | None = None) -> str:
    """The same table as a reStructuredText list-table, for the docs."""
    datasets, configs, cells = _cells(path, select)
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [["data set", *configs]] + [
        [name, *(cells[name, c] for c in configs)] for name in datasets
    ]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", help="default: every data set of the harness"
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        help=f"of {', '.join([*ESTIMATORS, *ANCHORS])}; default: residual hgb",
    )
    parser.add_argument("--seeds", nargs="+", type=int, help="default: 0 1 2")
    parser.add_argument("--folds", type=int, help="the first FOLDS of 5 (default 5)")
    parser.add_argument("--out", default=str(DEFAULT_CSV), help="the CSV to append to")
    parser.add_argument(
        "--trials-dir",
        help="save each search's trials (ranks, ensemble weights) here as JSON; "
        "with --table-only, print where their ensemble weight goes",
    )
    parser.add_argument(
        "--predictions-dir",
        help="save each fold's test predictions here (.npz), for --blend",
    )
    parser.add_argument(
        "--blend",
        nargs="+",
        metavar="CONFIG",
        help="print RMSE of these configs and of their mean from "
        "--predictions-dir (first of --datasets) and stop",
    )
    parser.add_argument(
        "--table-only",
        action="store_true",
        help="summarise --out without fitting (only the rows asked for)",
    )
    parser.add_argument("--rst", action="store_true", help="print a list-table")
    args = parser.parse_args(argv)
    if args.blend:
        if not args.predictions_dir:
            parser.error("--blend reads --predictions-dir; give it")
        datasets = args.datasets or list(DATASETS)
        print(blend_table(Path(args.predictions_dir), datasets[0], args.blend))
        return
    select = {
        "datasets": args.datasets,
        "configs": args.configs,
        "seeds": args.seeds,
        "folds": args.folds,
    }
    if not args.table_only:
        args.datasets = args.datasets or list(DATASETS)
        args.configs = args.configs or ["residual", "hgb"]
        args.seeds = args.seeds if args.seeds is not None else [0, 1, 2]
        args.folds = args.folds or 5
        run(args)
    print(
        rst_table(Path(args.out), select) if args.rst else table(Path(args.out), select)
    )
    if args.table_only and args.trials_dir:
        from .bench_tables import weight_report

        chosen = [
            r
            for r in saved_trials(Path(args.trials_dir))
            if _selected({**r, "config": r["model"]}, select)
        ]
        print()
        print(weight_report(chosen))


if __name__ == "__main__":
    main()
