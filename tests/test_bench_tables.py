"""Tests of the twenty-three tables and their run (``benchmarks/bench_tables.py``)."""

import csv
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor

from benchmarks import DATASETS, load_dataset, make_dataset
from benchmarks._datasets import ALL_DATASETS
from benchmarks._tables import MAX_ROWS, TABLE_ROWS, TABLE_SPECS
from benchmarks.bench_tables import (
    FIELDS,
    TRIAL_FIELDS,
    Cell,
    compare,
    normalised,
    plan,
    read_rows,
    read_trials,
    report,
    run,
    trials_path,
    weight_report,
)

#: name -> (rows, feature columns) after the rule.
SHAPES = {
    "diamonds": (53_940, 9),
    "movies": (58_788, 12),
    "flights": (60_000, 12),
    "cps1988": (28_155, 6),
    "computers": (6_259, 9),
    "wage": (3_000, 8),
    "saratoga": (1_728, 15),
    "loans": (10_000, 43),
    "slid": (4_147, 4),
    "births14": (1_000, 11),
    "boston": (506, 13),
    "nass_cds": (26_217, 12),
    "mpls_stops": (51_920, 11),
    "chile": (2_532, 7),
    "hawks": (908, 15),
    "olive": (572, 8),
    "titanic": (1_309, 3),
    "hmda": (2_380, 13),
    "caravan": (5_822, 85),
    "wvs": (5_381, 5),
    "beps": (1_525, 9),
    "smokeban": (10_000, 6),
    "wells": (3_020, 4),
}
SPECS = {s.name: s for s in TABLE_SPECS}


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access during a table load")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_tables_cover_the_issue():
    assert set(SHAPES) == set(SPECS)
    assert len(SPECS) >= 20
    tasks = [s.task for s in TABLE_SPECS]
    assert 10 <= tasks.count("regression") <= 13
    assert sum(rows >= 20_000 for rows, _ in SHAPES.values()) >= 3
    assert all(500 <= rows <= MAX_ROWS for rows, _ in SHAPES.values())
    assert set(SPECS) <= set(ALL_DATASETS)  # registered in the harness
    assert not set(SPECS) & set(DATASETS)  # the seven stay the default
    assert TABLE_ROWS == {name: rows for name, (rows, _) in SHAPES.items()}
    for spec in TABLE_SPECS:
        assert set(spec.drop.values()) <= {"D1", "D2", "D3", "D4", "D5"}
        assert spec.target not in spec.drop


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_table_loads_with_its_rule(name, no_network):
    spec = SPECS[name]
    data = load_dataset(name)
    assert (len(data.y), data.X.shape[1]) == SHAPES[name]
    assert data.task == spec.task
    assert data.y.notna().all()
    columns = set(data.X.columns)
    assert spec.target not in columns
    assert "rownames" not in columns
    assert not columns & set(spec.drop)
    for col in data.X.columns:
        assert data.X[col].nunique(dropna=False) > 1, col
        if isinstance(data.X[col].dtype, pd.CategoricalDtype):
            # no identifier or free text: far fewer levels than rows
            assert data.X[col].nunique() <= 255, col
    if spec.task == "regression":
        assert data.y.dtype == np.float64
    else:
        assert pd.api.types.is_string_dtype(data.y)
        assert 2 <= data.n_classes <= 10


def test_flights_sample_is_deterministic(no_network):
    a, b = load_dataset("flights"), load_dataset("flights")
    pd.testing.assert_frame_equal(a.X, b.X)
    assert "arr_time" not in a.X and "tailnum" not in a.X


def _toy(name):
    rng = np.random.default_rng(0)
    n = 40
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["a", "b"], n)),
        }
    )
    if name == "toy_reg":
        return make_dataset(name, X, pd.Series(rng.normal(size=n)), "regression", "")
    y = pd.Series(np.where(rng.normal(size=n) > 0, "yes", "no"))
    return make_dataset(name, X, y, "classification", "")


class Counter:
    def __init__(self):
        self.fits = []

    def factory(self, model):
        def make(task, seed):
            self.fits.append((model, task, seed))
            if task == "regression":
                return DummyRegressor()
            return DummyClassifier(strategy="prior")

        return make


def _failing(task, seed):
    class Broken(DummyRegressor):
        def fit(self, X, y):
            raise ValueError("deliberately broken")

    return Broken()


def _keys(path):
    return [(r["dataset"], r["model"], r["seed"], r["fold"]) for r in read_rows(path)]


def test_run_resumes_without_refitting(tmp_path):
    out = tmp_path / "runs.csv"
    counter = Counter()
    factories = {m: counter.factory(m) for m in ("hgb", "lightgbm")}
    kwargs = dict(
        tables=["toy_reg", "toy_cls"],
        models=["hgb", "lightgbm"],
        n_folds=2,
        factories=factories,
        loader=_toy,
    )
    jobs = plan({"toy_reg": 40, "toy_cls": 40}, ["hgb", "lightgbm"], 2)
    assert len(jobs) == 2 * 2 * 2 * 3  # tables x models x folds x 3 seeds
    assert run(out, max_fits=5, **kwargs) == 5  # the "interrupt"
    assert len(_keys(out)) == 5
    with open(out, "a") as f:  # a row cut short by a kill
        f.write("toy_reg,regression,hgb,9")
    assert len(counter.fits) == 5
    assert run(out, **kwargs) == len(jobs) - 5
    assert len(counter.fits) == len(jobs)  # nothing refitted
    keys = _keys(out)
    assert len(keys) == len(set(keys)) == len(jobs)
    assert run(out, **kwargs) == 0
    rows = read_rows(out)
    assert list(rows[0]) == FIELDS
    assert all(r["score"] != "" and r["error"] == "" for r in rows)
    # fold 0 of every table and model before fold 1
    assert [r["fold"] for r in rows[:4]] == ["0"] * 4


def test_failing_fit_is_a_row(tmp_path):
    out = tmp_path / "runs.csv"
    counter = Counter()
    factories = {"hgb": counter.factory("hgb"), "catboost": _failing}
    n = run(
        out,
        tables=["toy_reg"],
        models=["hgb", "catboost"],
        n_folds=2,
        factories=factories,
        loader=_toy,
    )
    assert n == 12
    rows = read_rows(out)
    failed = [r for r in rows if r["model"] == "catboost"]
    assert len(failed) == 6
    assert all("ValueError: deliberately broken" in r["error"] for r in failed)
    assert all(r["score"] == "" for r in failed)
    assert all(r["error"] == "" for r in rows if r["model"] == "hgb")
    # a failed fit counts as done: not refitted on resume ...
    assert (
        run(
            out,
            tables=["toy_reg"],
            models=["hgb", "catboost"],
            n_folds=2,
            factories=factories,
            loader=_toy,
        )
        == 0
    )
    # ... unless asked, and the report counts it as failed
    text = report(read_rows(out))
    assert "(6 failed)" in text


def _row(table, model, fold, score, metric="rmse", seed=0):
    row = dict.fromkeys(FIELDS, "")
    row.update(
        dataset=table,
        task="regression" if metric == "rmse" else "classification",
        model=model,
        seed=seed,
        fold=fold,
        n_rows=1000,
        n_train=800,
        n_test=200,
        metric=metric,
        score=score,
        fit_time=1.6,
        finished_utc="2026-12-06 02:00:00",
    )
    return row


def test_report_on_a_hand_made_csv(tmp_path):
    scores = {
        # table a (rmse): residual clearly best, catboost within one std of hgb
        ("a", "residual_mlp"): [10.0, 11.0, 12.0],
        ("a", "hgb"): [20.0, 21.0, 22.0],
        ("a", "catboost"): [20.5, 21.5, 22.5],
        # table b (accuracy): residual worst, hgb best
        ("b", "residual_mlp"): [0.70, 0.71, 0.72],
        ("b", "hgb"): [0.90, 0.91, 0.92],
        ("b", "catboost"): [0.80, 0.81, 0.82],
    }
    rows = []
    for (table, model), values in scores.items():
        metric = "rmse" if table == "a" else "accuracy"
        rows += [_row(table, model, f, v, metric) for f, v in enumerate(values)]
    path = tmp_path / "r.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    rows = read_rows(path)

    std = np.std([10.0, 11.0, 12.0])
    a_res = Cell("rmse", {(0, i): v for i, v in enumerate([10.0, 11.0, 12.0])}, [])
    a_hgb = Cell("rmse", {(0, i): v for i, v in enumerate([20.0, 21.0, 22.0])}, [])
    a_cat = Cell("rmse", {(0, i): v for i, v in enumerate([20.5, 21.5, 22.5])}, [])
    assert 0.5 <= std  # the 0.5 gap between hgb and catboost is a tie
    assert compare(a_res, a_hgb) == "win"
    assert compare(a_hgb, a_res) == "loss"
    assert compare(a_cat, a_hgb) == "tie"
    one_fold = Cell("rmse", {(0, 0): 1.0}, [])
    assert compare(one_fold, a_hgb) is None  # fewer than 2 common fits

    norm, ranks, n_used = normalised({"r": a_res, "h": a_hgb, "c": a_cat})
    assert n_used == 3
    assert norm["r"] == 1.0 and norm["c"] == 0.0
    assert norm["h"] == pytest.approx(0.5 / 10.5)
    assert ranks == {"r": 1, "h": 2, "c": 3}

    png = tmp_path / "r.png"
    text = report(rows, figure=png)
    assert png.exists() and png.stat().st_size > 0
    lines = text.splitlines()
    res = next(line for line in lines if line.startswith("| `residual_mlp` | 1 / "))
    # vs hgb: win on a, loss on b; vs catboost: win on a, loss on b
    assert res == "| `residual_mlp` | 1 / 0 / 1 (2) | 1 / 0 / 1 (2) |"
    # mean normalised score over tables a and b: residual (1 + 0) / 2
    summary = next(line for line in lines if line.startswith("| `residual_mlp` | 2 | "))
    assert summary.startswith("| `residual_mlp` | 2 | 0.500 | 2.00 | 2.00 |")
    hgb = next(line for line in lines if line.startswith("| `hgb` | 2 | "))
    # hgb: 0.5/10.5 on a, 1 on b
    assert f"{(0.5 / 10.5 + 1) / 2:.3f}" in hgb
    assert "Fits in the CSV: 18 (0 failed)" in text
    # a: 11 vs 21 RMSE (within 2 %, ahead of catboost); b: 0.71 vs 0.91 (not)
    assert "| `residual_mlp` | 1 of 2 | 1 of 2 |" in text
    assert "tables complete" in text


def test_report_works_on_a_partial_csv(tmp_path):
    rows = [_row("a", "residual_mlp", 0, 10.0), _row("a", "hgb", 0, 12.0)]
    text = report(rows)
    assert "tables complete (every model, 5 folds, every seed): 0 of 1" in text
    text = report(rows, planned={"a": 1000, "b": 50_000})
    # a: 3 seeds x 5 folds, b: 1 x 5, for the default 7 models
    assert text.startswith("Fits planned: 140. Fits in the CSV: 2 (0 failed); ")
    assert "tables with a fit: 1 of 2; " in text
    assert "| `residual_mlp` | 0 / 0 / 0 (0) |" in text  # one fold: no verdict
    assert "| `residual_mlp` | 1 | 1.000 | 1.00 |" in text


class _FakeSearch(DummyRegressor):
    """A "search" whose trials are fixed: weight 0.5 on the initial plan,
    0.25 on a drawn trial and 0.25 on an evolved one."""

    def fit(self, X, y):
        super().fit(X, y)
        self.search_results_ = {
            "trial": np.arange(4),
            "kind": ["residual", "levels", "levels", "retrieval"],
            "generation": np.array([0, 0, 1, 1]),
            "parent": np.array([-1, -1, 0, 1]),
            "initial": np.array([True, False, False, False]),
            "status": ["ok", "ok", "ok", "stopped"],
            "score": np.array([-1.0, -2.0, -1.5, np.nan]),
            "rank": np.array([1, 3, 2, 4]),
            "ensemble_weight": np.array([0.5, 0.25, 0.25, 0.0]),
            "fit_time": np.array([1.0, 2.0, 3.0, 4.0]),
            "epochs": np.array([5, 6, 7, 2]),
            "best_epoch": np.array([3, 4, 5, 2]),
        }
        self.best_index_, self.n_trials_ = 0, 4
        return self


def test_searches_write_their_trials_and_the_weight_report(tmp_path):
    out = tmp_path / "runs.csv"
    factories = {
        "cerebros_60": lambda task, seed: _FakeSearch(),
        "hgb": Counter().factory("hgb"),
    }
    run(
        out,
        tables=["toy_reg"],
        models=["hgb", "cerebros_60"],
        n_folds=2,
        factories=factories,
        loader=_toy,
    )
    trials = read_trials(trials_path(out))
    # 3 seeds x 2 folds of the search, 4 trials each; none for hgb
    assert len(trials) == 3 * 2 * 4
    assert list(trials[0]) == TRIAL_FIELDS
    assert {t["model"] for t in trials} == {"cerebros_60"}
    assert trials[3]["status"] == "stopped" and trials[3]["kind"] == "retrieval"
    text = weight_report(trials)
    assert "### `cerebros_60`" in text
    # initial, drawn, evolved; then the kinds: levels, residual, retrieval
    assert "| toy_reg | 6 | 4 | 50% | 25% | 25% | 50% | 50% | 0% |" in text
    assert "median share 50% over 1 tables; a third or more on 1." in text
    assert weight_report([]) == ""


def test_report_of_chosen_seeds(tmp_path):
    from benchmarks.bench_tables import main

    rows = [_row("a", "residual_mlp", f, 10.0 + f) for f in range(2)]
    rows += [_row("a", "hgb", f, 20.0 + f) for f in range(2)]
    rows += [_row("a", "hgb", f, 1.0, seed=1) for f in range(2)]  # seed 1: hgb best
    out = tmp_path / "r.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    md = tmp_path / "r.md"
    main(["--out", str(out), "--report", "--seeds", "0", "--report-out", str(md)])
    assert "Fits in the CSV: 4 (0 failed)" in md.read_text()
    assert "| `residual_mlp` | 1 / 0 / 0 (1) |" in md.read_text()
    main(["--out", str(out), "--report", "--report-out", str(md)])
    assert "Fits in the CSV: 6 (0 failed)" in md.read_text()


def test_ablation_report_compares_the_search_with_its_initial_plans():
    rows = [_row("a", "cerebros_levels", f, v) for f, v in enumerate([10.0, 12.0])]
    rows += [_row("a", "cerebros_initial", f, v) for f, v in enumerate([10.2, 12.2])]
    rows += [_row("a", "cerebros_all", f, v) for f, v in enumerate([15.0, 16.0])]
    rows += [
        _row("b", "cerebros_levels", f, v, "accuracy")
        for f, v in enumerate([0.9, 0.92])
    ]
    rows += [
        _row("b", "cerebros_initial", f, v, "accuracy")
        for f, v in enumerate([0.7, 0.72])
    ]
    rows += [_row("a", "hgb", f, 11.0) for f in range(2)]
    # the ablation stays out of the main report unless named
    assert "cerebros_initial" not in report(rows)
    text = report(rows, models=["cerebros_levels", "cerebros_initial", "cerebros_all"])
    assert "against each anchor" not in text
    lines = text.splitlines()
    # a: 11.0 against 11.2 with standard deviations of 1: a tie
    assert "| a | rmse | 2 | 11 | 11.2 | +1.79% | tie | 1.00 |" in lines
    # b: 0.91 against 0.71, standard deviation 0.01: a win of 28 %
    assert "| b | accuracy | 2 | 0.91 | 0.71 | +28.17% | win | 1.00 |" in lines
    assert "Wins / ties / losses of `cerebros_levels`: 1 / 1 / 0" in text
    # cerebros_all has no table b: compared on a only, and loses there
    assert "Wins / ties / losses of `cerebros_all`: 0 / 0 / 1" in text
    assert "## `cerebros_all` against `cerebros_initial`" in text
    # each model once in the scores
    scores = next(
        line for line in lines if line.startswith("| table | metric | fits used")
    )
    assert scores.count("`cerebros_levels`") == 1


@pytest.mark.parametrize(
    "model, params",
    [
        ("cerebros", {}),
        ("cerebros_levels", {"kinds": ("levels",), "n_trials": 8}),
        ("cerebros_initial", {"n_trials": 4}),
        ("cerebros_all", {"kinds": "all", "n_trials": 8}),
        ("cerebros_all_6", {"kinds": "all", "n_trials": 6}),
    ],
)
def test_ablation_models_are_the_search_with_one_change(model, params):
    from benchmarks.bench_tables import MODELS
    from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor

    for task, cls in (
        ("regression", CerebrosRegressor),
        ("classification", CerebrosClassifier),
    ):
        built = MODELS[model](task, 3)
        assert type(built) is cls
        assert built.get_params() == cls(random_state=3, **params).get_params()


def test_the_committed_run_holds_the_figures_the_readme_quotes():
    from benchmarks.bench_tables import DEFAULT_OUT, read_rows, report

    root = Path(__file__).resolve().parents[1]
    text = report(read_rows(root / DEFAULT_OUT))
    assert "Fits in the CSV: 1505 (0 failed)" in text
    assert "tables complete (every model, 5 folds, every seed): 23 of 23" in text
    # the MLP-Mixer's line in the README, and the search's mean rank
    assert "| `mlp_mixer` | 16 of 23 | 8 of 23 |" in text
    assert "| `mlp_mixer` | 23 | 0.395 | 5.22 |" in text
    assert "| `cerebros_60` | 22 of 23 | 14 of 23 |" in text
