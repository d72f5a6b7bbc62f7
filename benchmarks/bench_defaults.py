"""Which defaults win: candidate settings of our estimators on every table.

A person runs it; it prints a Markdown table (mean ± standard deviation of
the headline score over folds and seeds, and the median fit seconds a fold)
and appends every fold's result to a CSV as it finishes, so a long run can
be read while it goes and resumed (rows already in the CSV are skipped).
Every data set of the harness (``benchmarks._datasets``), its fixed folds
(``KFold``/``StratifiedKFold(5, shuffle=True, random_state=0)``), and the
anchors: HistGradientBoosting, LightGBM and CatBoost when installed.

Examples
--------
``KERAS_BACKEND=jax python -m benchmarks.bench_defaults --datasets ames
--configs today hgb lightgbm --seeds 0``
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pandas.api.types import is_numeric_dtype
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros.architecture import RetrievalPlan, residual_plan
from sklearn_cerebros.preprocessing import make_tabular_preprocessor

from ._datasets import DATASETS, Dataset, load_dataset

#: Candidate settings (keyword arguments) by name: of ``ResidualMLP*``, of
#: ``MLPMixer*`` where the name starts with ``mixer``, or of the Cerebros search
#: where it starts with ``search``. A regressor whose name ends in ``_log`` is
#: fitted on the log of the target (``TransformedTargetRegressor``).
CANDIDATES: dict[str, dict[str, Any]] = {
    "mixer_robust": {"preprocessing": "robust"},
    "mixer_ple": {"preprocessing": "piecewise_linear"},
    "ple_k16": {"preprocessing": "piecewise_linear", "n_members": 16},
    "today": {"preprocessing": "robust", "n_members": 1},
    "k8": {"n_members": 8},
    "k32": {"n_members": 32},
    "ple": {"preprocessing": "piecewise_linear"},
    "ple_k8": {"preprocessing": "piecewise_linear", "n_members": 8},
    "ple_k32": {"preprocessing": "piecewise_linear", "n_members": 32},
    "search": {},
    "search_k8": {"n_members": 8},
    "search_k8_nobn": {"n_members": 8, "batch_norm": False},
    "search_k8_wide": {
        "n_members": 8,
        "batch_norm": False,
        "neurons_per_unit": (32, 128),
    },
    "search_bag5": {"cv": 5},
    "search_res": {"initial_plans": "residual"},
    "search_res_bag5": {"initial_plans": "residual", "cv": 5},
    "search_res_k8": {"initial_plans": "residual", "n_members": 8},
    "search_res_k8_bag5": {"initial_plans": "residual", "n_members": 8, "cv": 5},
    "search_k8_bag5": {"n_members": 8, "cv": 5},
    "search_k8_nobn_bag5": {"n_members": 8, "batch_norm": False, "cv": 5},
    # three residual networks to start from (the residual estimators' default,
    # one with 3 blocks, one with dropout 0.1), 8 members each (issue #17)
    "search_port3_bag5": {
        "initial_plans": [
            residual_plan(**kw).with_head(1, "linear", 8)
            for kw in ({}, {"n_blocks": 3}, {"dropout": 0.1})
        ],
        "cv": 5,
    },
    # the residual and the learned-retrieval network to start from (issue #17)
    "search_ret_bag5": {"initial_plans": ["residual", "retrieval"], "cv": 5},
    # one bagged retrieval network alone
    "search_retrieval_alone": {"initial_plans": "retrieval", "n_trials": 1},
    # the same with twice the patience (it stops at 19 to 29 epochs at 10)
    "search_retrieval_alone_p20": {
        "initial_plans": "retrieval",
        "n_trials": 1,
        "n_iter_no_change": 20,
    },
    # the retrieval alone nearer TabR's default configuration (TabR-S-D:
    # width 265, 96 neighbours, dropout 0.39)
    "search_retrieval_alone_wide": {
        "initial_plans": RetrievalPlan(width=256, k=96, dropout=0.35),
        "n_trials": 1,
    },
    # two retrieval networks (their own seeds; the library's defaults in
    # session 9, since they beat one on all ten Ames folds of two seeds)
    "search_ret2_bag5": {
        "initial_plans": ["residual", "retrieval", "retrieval"],
        "cv": 5,
    },
    # three retrieval networks (their own seeds) next to the residual one:
    # the library's defaults since session 10
    "search_ret3_bag5": {
        "initial_plans": ["residual", "retrieval", "retrieval", "retrieval"],
        "cv": 5,
    },
    # the retrieval alone trained nearer TabR (AdamW, learning rate 3e-4)
    "search_retrieval_alone_adamw": {
        "initial_plans": "retrieval",
        "n_trials": 1,
        "learning_rate": 3e-4,
        "weight_decay": 1e-4,
    },
    # the defaults with the third retrieval network trained nearer TabR
    # (AdamW, learning rate 3e-4; RetrievalPlan's own training fields)
    "search_ret3_adamw_bag5": {
        "initial_plans": [
            "residual",
            "retrieval",
            "retrieval",
            RetrievalPlan(learning_rate=3e-4, weight_decay=1e-4),
        ],
        "cv": 5,
    },
    # the defaults with the third retrieval network more local (8 nearest)
    "search_ret3_k8_bag5": {
        "initial_plans": ["residual", "retrieval", "retrieval", RetrievalPlan(k=8)],
        "cv": 5,
    },
    # the defaults with every trial bagged over 8 folds (7/8 of the rows each)
    "search_cv8": {"cv": 8},
    # the defaults with twice the patience for every trial
    "search_p20": {"n_iter_no_change": 20},
    # four retrieval networks (their own seeds) next to the residual one
    "search_ret4_bag5": {
        "initial_plans": ["residual"] + ["retrieval"] * 4,
        "cv": 5,
    },
    # three retrieval networks and twice the patience for every trial
    "search_ret3_p20": {
        "initial_plans": ["residual", "retrieval", "retrieval", "retrieval"],
        "n_iter_no_change": 20,
    },
    # the defaults given up to 5 minutes a fold (issue #17's budget)
    "search_res_bag5_t290": {"n_trials": 40, "max_time": 290},
    # the defaults on a log target (names ending in _log, regression only)
    "search_res_bag5_log": {},
    # the default encoding through a pipeline, with 16 (as "auto") or 32 bins
    "bins16_pipe": {"n_bins": 16},
    "bins32_pipe": {"n_bins": 32},
    "k8_cosine": {"lr_schedule": "warmup_cosine"},
    "k8_b32": {"batch_size": 32},
    # the TabM paper's starting point for small tables (ensembles.md)
    "tabm_k8": {
        "preprocessing": "piecewise_linear",
        "n_members": 8,
        "learning_rate": 2e-3,
        "weight_decay": 3e-4,
        "dropout": 0.1,
        "batch_size": 32,
        "n_iter_no_change": 16,
    },
}


def _ours(name: str, params: dict[str, Any]) -> Callable[[str, int], Any]:
    regressor, classifier = {
        "mixer": (MLPMixerRegressor, MLPMixerClassifier),
        "search": (CerebrosRegressor, CerebrosClassifier),
    }.get(name.split("_")[0], (ResidualMLPRegressor, ResidualMLPClassifier))

    def make(task: str, seed: int) -> Any:
        cls = regressor if task == "regression" else classifier
        kwargs = dict(params)
        n_bins = kwargs.pop("n_bins", None)
        if n_bins is not None:
            # the estimator's own encoding ("auto") with another number of bins
            return make_pipeline(
                make_tabular_preprocessor(numeric="piecewise_linear", n_bins=n_bins),
                cls(random_state=seed, preprocessing=None, **kwargs),
            )
        model = cls(random_state=seed, **kwargs)
        if task == "regression" and name.endswith("_log"):
            # a log target (positive targets only), as LightGBM's 22,499 on Ames
            return TransformedTargetRegressor(model, func=np.log, inverse_func=np.exp)
        return model

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
    return _CatBoostFrame(cls(random_seed=seed, verbose=0, thread_count=2))


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


ANCHORS: dict[str, tuple[Callable[[str, int], Any], str | None]] = {
    "hgb": (_hgb, None),
    "lightgbm": (_lightgbm, "lightgbm"),
    "catboost": (_catboost, "catboost"),
}


def _tree_bins(task: str, seed: int) -> Any:
    from .bench_ames_levers import TreeBinned

    return TreeBinned(classifier=task == "classification", random_state=seed)


def _ames_lever(name: str) -> Callable[[str, int], Any]:
    """A regression candidate of ``bench_ames_levers``, by its name there."""

    def make(task: str, seed: int) -> Any:
        from .bench_ames_levers import CANDIDATES as LEVERS

        if task != "regression":
            raise SystemExit(f"The {name} prototype is a regressor only.")
        return LEVERS[name](seed)

    return make


#: Prototypes that are not estimator settings (``bench_ames_levers``): the
#: residual MLP on piecewise-linear bins placed by a tree on the target
#: (PLE-T) or with four more bins in each column's top 1 %, the TabR-style
#: learned retrieval network, and the mean of it and the tree-bins network.
PROTOTYPES: dict[str, Callable[[str, int], Any]] = {
    "tree_bins": _tree_bins,
    **{n: _ames_lever(n) for n in ("tail_bins", "retrieval", "retrieval+tree_bins")},
}


def factory(name: str) -> Callable[[str, int], Any]:
    if name in ANCHORS:
        make, needs = ANCHORS[name]
        if needs is not None and importlib.util.find_spec(needs) is None:
            raise SystemExit(f"{name} is not installed: pip install {needs}")
        return make
    if name in PROTOTYPES:
        return PROTOTYPES[name]
    if name not in CANDIDATES:
        known = sorted(CANDIDATES) + sorted(ANCHORS) + sorted(PROTOTYPES)
        raise SystemExit(f"Unknown config {name!r}; known: {', '.join(known)}")
    return _ours(name, CANDIDATES[name])


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
    "generation",
    "parent",
    "initial",
    "status",
    "score",
    "rank",
    "ensemble_weight",
    "fit_time",
)


def save_trials(estimator: Any, directory: Path, key: tuple[str, ...]) -> Path | None:
    """Write a fitted search's trials (who ranked, who joined the ensemble).

    ``estimator`` may be wrapped (a pipeline's last step, a
    ``TransformedTargetRegressor``); one without ``search_results_`` writes
    nothing. The file is ``<data set>_<config>_s<seed>_f<fold>.json`` in
    ``directory``: :data:`TRIAL_COLUMNS` plus each trial's plan format.
    """
    inner = getattr(estimator, "regressor_", estimator)
    if hasattr(inner, "steps"):
        inner = inner.steps[-1][1]
    table = getattr(inner, "search_results_", None)
    if table is None:
        return None
    kept = {c: [_plain(v) for v in table[c]] for c in TRIAL_COLUMNS if c in table}
    kept["kind"] = [plan.get("format") for plan in table["plan"]]
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
        prefix = f"{dataset_name}_{config}_s"
        saved[config] = {}
        for path in sorted(directory.glob(f"{prefix}*_f*.npz")):
            seed, fold = path.stem[len(prefix) :].split("_f")
            with np.load(path) as data:
                saved[config][seed, fold] = dict(data)
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


def _plain(value: Any) -> Any:
    """A numpy scalar as a Python one (JSON), NaN as None."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and value != value else value


def _cells(path: Path) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """Data sets, configs and the text of each (data set, config) cell."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    configs = list(dict.fromkeys(r["config"] for r in rows))
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


def table(path: Path) -> str:
    """Mean ± std of the score and median fit seconds, a row per data set."""
    datasets, configs, cells = _cells(path)
    lines = [
        "| data set | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for name in datasets:
        row = " | ".join(cells[name, config] for config in configs)
        lines.append(f"| {name} | {row} |")
    return "\n".join(lines)


def rst_table(path: Path) -> str:
    """The same table as a reStructuredText list-table, for the docs."""
    datasets, configs, cells = _cells(path)
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in [["data set", *configs]] + [
        [name, *(cells[name, c] for c in configs)] for name in datasets
    ]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--configs", nargs="+", default=["today", "hgb"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--out",
        default=os.path.join("benchmarks", "results", "defaults", "defaults.csv"),
    )
    parser.add_argument(
        "--trials-dir",
        help="save each search's trials (ranks, ensemble weights) here as JSON",
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
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--rst", action="store_true", help="print a list-table")
    args = parser.parse_args(argv)
    if args.blend:
        if not args.predictions_dir:
            parser.error("--blend reads --predictions-dir; give it")
        print(blend_table(Path(args.predictions_dir), args.datasets[0], args.blend))
        return
    path = Path(args.out) if args.table_only else run(args)
    print(rst_table(path) if args.rst else table(path))


if __name__ == "__main__":
    main()
