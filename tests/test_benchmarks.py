"""Tests of the benchmark harness (``python -m benchmarks``): fast, tiny data."""

import csv
import json

import keras
import numpy as np
import pandas as pd
import pytest

from benchmarks import (
    PROFILES,
    LeakageError,
    check_no_leakage,
    make_dataset,
    run_curves,
    run_depth,
    run_quality,
    training_info,
)
from benchmarks.__main__ import main
from benchmarks._datasets import subsample
from benchmarks._estimate import DATASET_ROWS, calibrate, fit_seconds, planned_fits
from benchmarks._models import available_models
from benchmarks._profiles import with_overrides
from sklearn_cerebros import CerebrosRegressor
from sklearn_cerebros.architecture import RetrievalPlan

TINY = PROFILES["tiny"]
NETWORKS = ("residual_mlp", "cerebros", "sk_mlp")


def _regression_frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "area": rng.normal(100, 20, n),
            "rooms": rng.integers(1, 6, n),
            "zone": pd.Categorical(rng.choice(["a", "b", "c"], n)),
        }
    )
    X.loc[::7, "area"] = np.nan
    y = pd.Series(
        3 * X["area"].fillna(100) + 10 * X["rooms"] + rng.normal(0, 30, n),
        name="price",
    )
    return X, y


def _classification_frame(n=60, seed=1):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "blue"], n)),
        }
    )
    y = pd.Series(np.where(X["x1"] + rng.normal(0, 0.5, n) > 0, "yes", "no"))
    return X, y


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# -- the tiny profile end to end -----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "frame", "task", "models"),
    [
        ("toy_reg", _regression_frame, "regression", [*NETWORKS, "hgb", "linear"]),
        ("toy_clf", _classification_frame, "classification", ["residual_mlp", "hgb"]),
    ],
)
def test_tiny_quality_run_writes_csv_and_markdown(tmp_path, name, frame, task, models):
    data = [make_dataset(name, *frame(), task, "test")]
    summary = run_quality(data, models, TINY, tmp_path)

    rows = _read(tmp_path / "quality.csv")
    assert len(rows) == len(models) * TINY.n_splits
    assert [r["model"] for r in rows[:: TINY.n_splits]] == models
    for row in rows:
        assert row["backend"] == keras.backend.backend()
        score = float(row["score"])
        assert np.isfinite(score)
        if task == "classification":
            assert 0.0 <= score <= 1.0 and row["metric"] == "accuracy"
        if row["model"] in NETWORKS:
            assert 1 <= int(row["epochs_to_best"]) <= int(row["n_iter"]) <= TINY.epochs
        else:
            assert row["epochs_to_best"] == ""

    table = (tmp_path / "quality.md").read_text()
    assert "Hardware:" in table and "Versions:" in table
    assert f"Keras backend: {keras.backend.backend()} " in table
    body = [line for line in table.splitlines() if line.startswith(f"| {name} |")]
    assert len(body) == len(summary) == len(models)
    assert f"| {name} | `hgb` | {data[0].metric} |" in table


def test_tiny_curves_and_depth_write_tables_and_plots(tmp_path):
    data = [make_dataset("toy_reg", *_regression_frame(80), "regression", "test")]
    profile = with_overrides(TINY, study_folds={"depth": 1})  # curves: 2 folds
    curves = run_curves(data, ["residual_mlp", "hgb"], profile, tmp_path)
    assert {r["fraction"] for r in curves} == set(TINY.fractions)
    half = [r for r in curves if r["fraction"] == 0.5][0]
    full = [r for r in curves if r["fraction"] == 1.0][0]
    assert half["n_train"] < full["n_train"]
    depth = run_depth(data, ["residual_mlp", "plain_mlp"], profile, tmp_path)
    assert {(r["depth"], r["model"]) for r in depth} == {
        (d, m) for d in TINY.depths for m in ("residual_mlp", "plain_mlp")
    }
    assert all(r["n_fits"] == 1 for r in depth)  # study_folds
    assert {r["n_fits"] for r in curves} == {TINY.n_splits}
    assert all(np.isfinite(r["train_score_mean"]) for r in depth)
    # the dry run plans exactly the fits the studies made (KFold sizes)
    curves_rows = _read(tmp_path / "curves.csv")
    curves_done = [(r["model"], int(r["n_train"])) for r in curves_rows]
    planned = planned_fits(
        "curves", 80, ["residual_mlp", "hgb"], profile.for_study("curves")
    )
    assert sorted(curves_done) == sorted((m, n) for m, n, _ in planned)
    depth_done = [
        (r["model"], int(r["n_train"]), int(r["depth"]) / 4)
        for r in _read(tmp_path / "depth.csv")
    ]
    planned = planned_fits(
        "depth", 80, ["residual_mlp", "plain_mlp"], profile.for_study("depth")
    )
    assert sorted(depth_done) == sorted(planned)
    for name in ("curves", "depth"):
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
        assert "| toy_reg |" in (tmp_path / f"{name}.md").read_text()
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line_runs_a_bundled_dataset(tmp_path):
    main(
        [
            "--profile", "tiny", "--study", "quality", "--datasets", "diabetes",
            "--models", "linear", "hgb", "--out", str(tmp_path),
        ]
    )  # fmt: skip
    rows = _read(tmp_path / "quality.csv")
    assert [(r["dataset"], r["model"]) for r in rows] == [
        ("diabetes", "linear")
    ] * 2 + [("diabetes", "hgb")] * 2
    assert float(rows[0]["r2"]) > 0.3  # a ridge fit explains diabetes a little


# -- the dry run (--estimate) -------------------------------------------------------
def _write_calibration(path, rows):
    fields = ["model", "dataset", "n_train", "fit_time", "n_trials", "n_iter"]
    fields += ["load_1min", "depth", "backend"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({"load_1min": 1.0, "backend": "tensorflow", **row})


def _flat_calibration(tmp_path):
    """Every fit 2 s, whatever its size; a Cerebros trial 10 s."""
    rows = []
    for n in (500, 1000):
        for model in ("residual_mlp", "plain_mlp", "sk_mlp", "hgb", "linear"):
            rows.append(dict(model=model, dataset="x", n_train=n, fit_time=2.0))
        rows.append(
            dict(model="cerebros", dataset="x", n_train=n, fit_time=20.0, n_trials=2)
        )
    rows.append(dict(model="lightgbm", dataset="x", n_train=500, fit_time=2.0))
    _write_calibration(tmp_path / "flat.csv", rows)
    return tmp_path


def test_estimate_prints_the_fits_of_the_protocol(tmp_path, capsys):
    calibration = _flat_calibration(tmp_path)
    main(
        [
            "--profile", "small", "--study", "all", "--estimate",
            "--calibration", str(calibration), "--out", str(tmp_path / "none"),
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    small = PROFILES["small"]
    folds = small.max_folds * len(small.seeds)
    assert folds == 2 and len(small.fractions) == 4 and len(small.depths) == 3
    assert small.for_study("curves").max_folds == 1
    # 2 folds x 1 seed; the curves: 1 fold x 4 fractions; the depth study: x 3 depths
    assert "| quality | ames | `hgb` | 2 | 2.0 | 4 s |" in out
    assert "| quality | breast_cancer | `cerebros` | 2 | 20.0 | 40 s |" in out
    assert "| curves | ames | `sk_mlp` | 4 | 2.0 | 8 s |" in out
    assert "| depth | ames | `plain_mlp` | 6 |" in out
    n_models = len(available_models(small.quality_models))
    n_quality = folds * len(small.quality_datasets) * n_models
    n_curves = 1 * 4 * len(small.curves_models)
    n_depth = folds * 3 * len(small.depth_models)
    assert f"| quality | {n_quality} |" in out
    assert f"| **total** | {n_quality + n_curves + n_depth} |" in out
    assert not (tmp_path / "none").exists()  # nothing was run


def test_estimate_prices_the_cerebros_budget_and_the_depth(tmp_path):
    rows = [
        dict(model="cerebros", dataset="x", n_train=1000, fit_time=30.0, n_trials=3),
        dict(model="cerebros", dataset="x", n_train=2000, fit_time=60.0, n_trials=3),
        dict(model="plain_mlp", dataset="x", n_train=1000, fit_time=1.0, depth=4),
        dict(model="plain_mlp", dataset="x", n_train=1000, fit_time=4.0, depth=16),
    ]
    _write_calibration(tmp_path / "c.csv", rows)
    cal = calibrate([tmp_path / "c.csv"])
    full = PROFILES["full"]

    def price(model, profile, size=1.0):
        return fit_seconds(cal, model, "ames", 1000, size, profile)

    # a trial of 10 s: 12 trials would take 120 s, the budget stops at 120 + 10
    budget = with_overrides(full, cerebros={"n_trials": 12, "max_time": 50})
    assert price("cerebros", budget) == pytest.approx(60.0)
    few = with_overrides(full, cerebros={"n_trials": 3, "max_time": 500})
    assert price("cerebros", few) == pytest.approx(30.0)
    # the depth study's 16 layers are priced from the 16-layer fits
    assert price("plain_mlp", full, size=16 / 4) == pytest.approx(4.0)
    assert price("plain_mlp", full, size=1.0) == pytest.approx(1.0)


def test_estimate_prices_each_dataset_and_the_epoch_cap(tmp_path):
    rows = [
        dict(model="hgb", dataset="ames", n_train=1000, fit_time=1.0),
        dict(model="hgb", dataset="ames", n_train=2000, fit_time=2.0),
        dict(model="hgb", dataset="digits", n_train=1000, fit_time=4.0),
        dict(model="hgb", dataset="digits", n_train=2000, fit_time=8.0),
        dict(model="sk_mlp", dataset="ames", n_train=1000, fit_time=5.0, n_iter=50),
    ]
    _write_calibration(tmp_path / "c.csv", rows)
    cal = calibrate([tmp_path / "c.csv"])
    full = PROFILES["full"]
    # one line for the model (2.5 s per 1,000 rows), scaled to each table's level
    assert fit_seconds(cal, "hgb", "ames", 3000, 1.0, full) == pytest.approx(3.0)
    assert fit_seconds(cal, "hgb", "digits", 3000, 1.0, full) == pytest.approx(12.0)
    assert fit_seconds(cal, "hgb", "wine", 3000, 1.0, full) == pytest.approx(7.5)
    # a network capped at 5 epochs, where the calibration ran 50: a tenth
    capped = with_overrides(full, epochs=5)
    assert fit_seconds(cal, "sk_mlp", "ames", 1000, 1.0, full) == pytest.approx(5.0)
    assert fit_seconds(cal, "sk_mlp", "ames", 1000, 1.0, capped) == pytest.approx(0.5)


def test_estimate_knows_the_rows_of_every_dataset():
    from benchmarks import load_dataset

    for name, n_rows in DATASET_ROWS.items():
        assert len(load_dataset(name).y) == n_rows


def test_default_calibration_prices_every_model_of_every_profile():
    from benchmarks.__main__ import DEFAULT_CALIBRATION

    cal = calibrate(sorted(DEFAULT_CALIBRATION.rglob("*.csv")))
    assert cal.backend == "tensorflow"
    studies = ("quality", "curves", "depth")
    full = PROFILES["full"]
    models = {m for s in studies for m in getattr(full, f"{s}_models")}
    models = set(available_models(sorted(models)))
    assert models <= set(cal.lines)
    datasets = {d for s in studies for d in getattr(full, f"{s}_datasets")}
    assert {d for _, d in cal.levels} >= datasets


def test_plain_mlp_has_no_skip_connections():
    from benchmarks import make_model

    plain = make_model("plain_mlp", "regression", 0, TINY, depth=3)
    residual = make_model("residual_mlp", "regression", 0, TINY, depth=4)
    assert plain._make_plan().summary() != residual._make_plan().summary()
    assert plain.n_blocks == 0 and tuple(plain.head_layers) == (TINY.width,) * 3
    assert (residual.n_blocks, residual.layers_per_block) == (2, 2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_training_info_reads_the_best_epoch_of_sklearn_mlp():
    from sklearn.neural_network import MLPRegressor

    X, y = _regression_frame()
    X = X[["rooms"]].astype(float)
    mlp = MLPRegressor(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=30, random_state=0
    )
    mlp.fit(X, y)
    info = training_info(mlp)
    assert info["n_iter"] == mlp.n_iter_
    assert info["epochs_to_best"] == int(np.argmax(mlp.validation_scores_)) + 1


# -- subsets for the learning curves -------------------------------------------------
def test_subsample_is_nested_and_keeps_every_class():
    X, y = _classification_frame(200)
    train = np.arange(0, 200, 2)
    small = subsample(train, 0.1, y, "classification", seed=3)
    large = subsample(train, 0.5, y, "classification", seed=3)
    assert set(small) <= set(large) <= set(train)
    assert set(y.iloc[small]) == set(y.iloc[train])
    reg = subsample(train, 0.25, y, "regression", seed=3)
    assert len(reg) == 25 and set(reg) <= set(train)


# -- leakage guard -------------------------------------------------------------------
def test_leakage_guard_refuses_the_target_column():
    X, y = _regression_frame()
    with pytest.raises(LeakageError, match="'price'"):
        check_no_leakage(X.assign(price=y), y)
    with pytest.raises(LeakageError, match="'price'"):
        make_dataset("leaky", X.assign(price=y), y, "regression", "test")


@pytest.mark.parametrize(
    "copy",
    [
        lambda y: y * 100.0,  # cents
        lambda y: np.log(y - y.min() + 1.0),  # monotone, not linear
        lambda y: y.astype(str),  # the price as text
        lambda y: y + np.random.default_rng(0).normal(0, 1e-3 * y.std(), len(y)),
    ],
    ids=["scaled", "log", "text", "near_copy"],
)
def test_leakage_guard_refuses_a_copy_of_the_target(copy):
    X, y = _regression_frame()
    with pytest.raises(LeakageError, match="'sale_value'"):
        check_no_leakage(X.assign(sale_value=copy(y)), y)


def test_leakage_guard_refuses_relabelled_classes():
    X, y = _classification_frame()
    leaked = X.assign(outcome=y.map({"yes": "left", "no": "stayed"}))
    with pytest.raises(LeakageError, match="'outcome'"):
        check_no_leakage(leaked, y, task="classification")


def test_leakage_guard_passes_a_clean_frame():
    X, y = _regression_frame()
    # strongly related but not a copy: |corr| about 0.9
    noisy = y + np.random.default_rng(1).normal(0, 0.5 * y.std(), len(y))
    check_no_leakage(X.assign(estimate=noisy), y)
    Xc, yc = _classification_frame()
    check_no_leakage(Xc, yc, task="classification")


def test_bench_defaults_tables_summarise_the_csv(tmp_path):
    from benchmarks.bench_defaults import FIELDS, rst_table, table

    path = tmp_path / "defaults.csv"
    rows = [
        ["ames", "residual", 0, 0, 30000.0, 4.0, "tensorflow"],
        ["ames", "residual", 0, 1, 20000.0, 6.0, "tensorflow"],
        ["ames", "residual", 1, 0, 26000.0, 6.0, "tensorflow"],
        ["ames", "hgb", 0, 0, 24000.0, 10.0, "tensorflow"],
        ["wine", "residual", 0, 0, 0.9, 1.0, "tensorflow"],
    ]
    path.write_text(
        ",".join(FIELDS) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
    )
    md = table(path).splitlines()
    assert md[0] == "| data set | residual | hgb |"
    assert md[2] == "| ames | 25,333 ± 5,033 (6 s, n=3) | 24,000 ± 0 (10 s, n=1) |"
    assert md[3] == "| wine | 0.9 ± 0 (1 s, n=1) |  |"
    rst = rst_table(path)
    assert "   * - ames\n     - 25,333 ± 5,033 (6 s, n=3)" in rst
    # a table of some rows only: the first fold of seed 0, configs in the order asked
    only = table(path, {"configs": ["hgb", "residual"], "seeds": [0], "folds": 1})
    assert only.splitlines()[0] == "| data set | hgb | residual |"
    assert "| ames | 24,000 ± 0 (10 s, n=1) | 30,000 ± 0 (4 s, n=1) |" in only


def test_bench_defaults_builds_each_estimator_at_its_defaults():
    from benchmarks.bench_defaults import ESTIMATORS, factory

    for name, classes in ESTIMATORS.items():
        for task, cls in zip(("regression", "classification"), classes, strict=True):
            built = factory(name)(task, 3)
            assert type(built) is cls
            assert built.get_params() == cls(random_state=3).get_params()
    with pytest.raises(SystemExit, match="Unknown config 'ple_k8'; known: mixer"):
        factory("ple_k8")


@pytest.mark.parametrize(
    "name, params",
    [
        ("search_levels", {"kinds": ("levels",), "n_trials": 8}),
        ("search_all", {"kinds": "all", "n_trials": 8}),
        ("search_initial", {"n_trials": 4}),
        ("search_all_6", {"kinds": "all", "n_trials": 6}),
        ("search_patience_5", {"n_iter_no_change": 5}),
        ("search_cv3", {"cv": 3}),
        ("search_until_300", {"n_trials": None, "max_time": 300}),
        (
            "search_draw_256",
            {
                "kinds": ("levels",),
                "n_trials": 8,
                "initial_plans": (
                    "residual",
                    *[RetrievalPlan(train_candidates=256)] * 3,
                ),
            },
        ),
        ("search_60", {"max_time": 60}),
        ("search_60_cv3", {"max_time": 60, "cv": 3}),
        ("search_30_holdout", {"max_time": 30, "cv": None}),
        (
            "retrieval_256",
            {
                "n_trials": 1,
                "cv": None,
                "initial_plans": [
                    RetrievalPlan(train_candidates=256, memory_gradients=True)
                ],
            },
        ),
        (
            "retrieval_constant",
            {
                "n_trials": 1,
                "cv": None,
                "initial_plans": [RetrievalPlan(memory_gradients=False)],
            },
        ),
        (
            "search_constant_keys",
            {
                "kinds": ("levels",),
                "n_trials": 8,
                "initial_plans": (
                    "residual",
                    *[RetrievalPlan(memory_gradients=False)] * 3,
                ),
            },
        ),
    ],
)
def test_bench_defaults_builds_the_searches_its_experiments_name(name, params):
    from benchmarks.bench_defaults import factory

    built = factory(name)("regression", 0)
    assert (
        built.get_params() == CerebrosRegressor(random_state=0, **params).get_params()
    )


def test_committed_results_hold_the_figures_the_readme_quotes():
    from benchmarks.bench_defaults import DEFAULT_CSV, ESTIMATORS, table

    with DEFAULT_CSV.open() as f:
        rows = list(csv.DictReader(f))
    # the search's rows are of its previous defaults (search_levels)
    known = {*ESTIMATORS, "search_levels", "hgb", "lightgbm", "catboost"}
    assert {r["config"] for r in rows} <= known
    ames = {"datasets": ["ames"]}
    assert "| ames | 24,542 ± 3,267 " in table(
        DEFAULT_CSV, {**ames, "configs": ["residual"]}
    )
    for config, seed, figure in [
        ("search_levels", 0, "22,517"),
        ("search_levels", 1, "22,679"),
        ("hgb", 0, "23,874"),
        ("catboost", 0, "22,969"),
    ]:
        cell = table(DEFAULT_CSV, {**ames, "configs": [config], "seeds": [seed]})
        assert f"| ames | {figure} ± " in cell, (config, seed)
    # the search at its current defaults, measured in its ablation
    ablation = DEFAULT_CSV.with_name("search_ablation.csv")
    cell = table(ablation, {**ames, "configs": ["search_all_6"], "seeds": [0]})
    assert "| ames | 22,401 ± " in cell
    # after the retrieval network's arithmetic was cut
    after = DEFAULT_CSV.with_name("search_ablation_retrieval.csv")
    cell = table(after, {**ames, "configs": ["search"], "seeds": [0]})
    assert "| ames | 22,500 ± " in cell
    # and after a bagged retrieval trial's memories were given one size: the
    # figure the README quotes for the code as it is
    once = DEFAULT_CSV.with_name("search_compile_once.csv")
    cell = table(once, {**ames, "configs": ["search"], "seeds": [0]})
    assert "| ames | 22,452 ± " in cell


def test_bench_defaults_saves_each_search_s_trials(tmp_path):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from benchmarks.bench_defaults import TRIAL_COLUMNS, save_trials, saved_trials
    from benchmarks.bench_tables import weight_report
    from sklearn_cerebros import CerebrosRegressor
    from sklearn_cerebros.architecture import RetrievalPlan

    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    search = CerebrosRegressor(
        n_trials=2,
        epochs=2,
        cv=None,
        initial_plans=[RetrievalPlan(width=8, k=4)],
        kinds=("levels",),  # an initial plan, then a drawn levels structure
        random_state=0,
    )
    wrapped = TransformedTargetRegressor(make_pipeline(StandardScaler(), search))
    wrapped.fit(X, y)
    path = save_trials(wrapped, tmp_path / "trials", ("ames", "search", "0", "3"))
    assert path.name == "ames_search_s0_f3.json"
    saved = json.loads(path.read_text())
    assert set(saved) == set(TRIAL_COLUMNS)
    assert saved["trial"] == [0, 1] and saved["initial"] == [True, False]
    assert saved["kind"] == ["retrieval", "levels"]
    assert sum(saved["ensemble_weight"]) == pytest.approx(1.0)
    # read back as the trials CSV's rows, and summarised by where weight goes
    rows = saved_trials(tmp_path / "trials")
    assert [(r["dataset"], r["model"], r["seed"], r["fold"]) for r in rows] == [
        ("ames", "search", 0, 3)
    ] * 2
    assert [r["kind"] for r in rows] == ["retrieval", "levels"]
    text = weight_report(rows)
    assert "| ames | 1 | 2 | " in text
    # an estimator that is not a search writes nothing
    assert (
        save_trials(Ridge().fit(X, y), tmp_path / "none", ("a", "b", "0", "0")) is None
    )
    assert not (tmp_path / "none").exists()


def test_saved_trials_of_before_kinds_were_kept(tmp_path):
    """Files that kept the plan's format: the kind comes from it and the tree."""
    from benchmarks.bench_defaults import saved_trials

    fmt = {"l": "sklearn-cerebros-plan", "r": "sklearn-cerebros-retrieval-plan"}
    data = {
        "trial": [0, 1, 2, 3, 4],
        "generation": [0, 0, 0, 1, 1],
        "parent": [-1, -1, -1, 0, 1],
        "initial": [True, True, False, False, False],
        "ensemble_weight": [0.5, 0.25, 0.0, 0.25, 0.0],
        "kind": [fmt[c] for c in "lrllr"],
    }
    (tmp_path / "breast_cancer_search_all_s0_f1.json").write_text(json.dumps(data))
    (tmp_path / "notes.txt").write_text("not a trials file")
    rows = saved_trials(tmp_path)
    assert {(r["dataset"], r["model"], r["seed"], r["fold"]) for r in rows} == {
        ("breast_cancer", "search_all", 0, 1)
    }
    # an initial levels-format plan is the residual network, a drawn one a
    # levels network, and trial 3 (a child of the residual) is residual
    assert [r["kind"] for r in rows] == [
        "residual",
        "retrieval",
        "levels",
        "residual",
        "retrieval",
    ]


def test_bench_defaults_saves_predictions_and_blends_them(
    tmp_path, capsys, monkeypatch
):
    from sklearn.linear_model import Ridge

    from benchmarks import bench_defaults
    from benchmarks._datasets import load_dataset
    from benchmarks.bench_defaults import main, score, splits

    # a second quick regressor that needs nothing beyond scikit-learn
    ridge = (lambda task, seed: Ridge(), None)
    monkeypatch.setitem(bench_defaults.ANCHORS, "ridge", ridge)

    out = tmp_path / "scores.csv"
    preds = tmp_path / "preds"
    common = ["--datasets", "diabetes", "--seeds", "0", "--folds", "2"]
    main([*common, "--configs", "hgb", "ridge", "--out", str(out),
          "--predictions-dir", str(preds)])  # fmt: skip
    names = sorted(p.name for p in preds.iterdir())
    assert names == [
        f"diabetes_{c}_s0_f{f}.npz" for c in ("hgb", "ridge") for f in (0, 1)
    ]
    dataset = load_dataset("diabetes")
    test = splits(dataset, 5)[1][1]
    with np.load(preds / "diabetes_hgb_s0_f1.npz") as saved:
        np.testing.assert_array_equal(saved["rows"], test)
        hgb = saved["predicted"]
    with np.load(preds / "diabetes_ridge_s0_f1.npz") as saved:
        ridge_pred = saved["predicted"]
    # the scores written are those of the saved predictions
    with out.open() as f:
        rows = {(r["config"], r["fold"]): float(r["score"]) for r in csv.DictReader(f)}
    assert rows["hgb", "1"] == pytest.approx(score(dataset, dataset.y.iloc[test], hgb))
    capsys.readouterr()
    main([*common, "--predictions-dir", str(preds), "--blend", "hgb", "ridge"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| seed | fold | hgb | ridge | mean of them |"
    assert len(lines) == 5  # header, rule, two folds, the mean
    mean = score(dataset, dataset.y.iloc[test], (hgb + ridge_pred) / 2)
    assert lines[3].split(" | ")[-1].rstrip(" |") == f"{mean:.4g}"
    # a config without predictions, a classification data set, no directory
    with pytest.raises(SystemExit, match="No \\(seed, fold\\) of diabetes"):
        main([*common, "--predictions-dir", str(preds), "--blend", "hgb", "lightgbm"])
    with pytest.raises(SystemExit, match="wine is not one"):
        main(["--datasets", "wine", "--predictions-dir", str(preds), "--blend", "hgb"])
    with pytest.raises(SystemExit):
        main([*common, "--blend", "hgb"])
    assert "--blend reads --predictions-dir" in capsys.readouterr().err
