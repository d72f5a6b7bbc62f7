"""CerebrosRegressor and CerebrosClassifier: the search as an estimator."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest
from _search_params import TINY as _TINY
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor, LevelsPlan
from sklearn_cerebros.architecture import residual_plan

TINY = {**_TINY, "n_trials": 3}


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=160, n_features=5, noise=5.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=160, n_features=5, random_state=0)
    return X, np.array(["a", "b"])[y]


class _Interrupt(keras.callbacks.Callback):
    """Interrupts the n-th trial of an in-process search, like Ctrl-C."""

    started = 0

    def __init__(self, at_trial: int) -> None:
        super().__init__()
        self.at_trial = at_trial

    def on_train_begin(self, logs=None):
        type(self).started += 1
        if type(self).started == self.at_trial + 1:
            raise KeyboardInterrupt


class _FailSome(keras.callbacks.Callback):
    """Fails every trial whose plan has exactly one level."""

    def on_train_begin(self, logs=None):
        if not any(layer.name.startswith("level2") for layer in self.model.layers):
            raise RuntimeError("planned failure")


def test_search_fits_predicts_and_reports(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**TINY).fit(X, y)
    table = pd.DataFrame(search.search_results_)
    assert len(table) == 3 == search.n_trials_
    assert set(table["status"]) == {"ok"}
    assert table.loc[search.best_index_, "rank"] == 1
    assert search.best_score_ == table["score"].max()
    assert list(table["generation"]) == [0, 0, 1]
    # sampled structures have parent -1, so pandas keeps the column integer
    assert table["parent"].dtype == np.int64
    assert list(table["parent"][:2]) == [-1, -1]
    # generation 1 grows from the best trial of generation 0
    assert (
        table.loc[2, "parent"] == table.loc[table["generation"] == 0, "score"].idxmax()
    )
    assert isinstance(search.best_plan_, LevelsPlan)
    assert search.best_plan_.to_dict() == table.loc[search.best_index_, "plan"]
    assert search.n_network_inputs_ == search.model_.inputs[0].shape[1]
    assert (
        search.best_plan_.n_params(search.n_network_inputs_)
        == (table.loc[search.best_index_, "n_params"])
    )
    assert search.predict(X).shape == (len(X),)
    assert (
        search.n_iter_
        == len(search.history_["loss"])
        == table.loc[search.best_index_, "epochs"]
    )
    # the kept model is the one that earned best_score_ (RMSE on held-out rows)
    assert -search.best_score_ < y.std()


@pytest.mark.parametrize("ensemble_size", [1, 25])
def test_fitted_model_is_the_scored_one(regression_data, ensemble_size):
    X, y = regression_data
    X_val, y_val = X[:40], y[:40]
    search = CerebrosRegressor(**TINY, ensemble_size=ensemble_size)
    search.fit(X[40:], y[40:], X_val=X_val, y_val=y_val)
    rmse = np.sqrt(np.mean((search.predict(X_val) - y_val) ** 2))
    assert -search.ensemble_score_ == pytest.approx(rmse, rel=1e-5)
    if ensemble_size == 1:
        assert search.ensemble_score_ == search.best_score_
        assert search.ensemble_ == [{"trial": search.best_index_, "weight": 1.0}]


def test_classifier_search_with_roc_auc_scoring(binary_data):
    X, y = binary_data
    search = CerebrosClassifier(**TINY, scoring="roc_auc").fit(X, y)
    assert set(search.classes_) == {"a", "b"}
    assert search.predict_proba(X).shape == (len(X), 2)
    assert 0.5 < search.best_score_ <= 1.0
    assert search.score(X, y) > 0.7


def test_same_seed_same_search(regression_data):
    X, y = regression_data
    a = CerebrosRegressor(**TINY).fit(X, y)
    b = CerebrosRegressor(**TINY).fit(X, y)
    assert a.search_results_["score"] == b.search_results_["score"]
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


class _RecordThreads(keras.callbacks.Callback):
    """Notes the TensorFlow thread setting each trial's process started with."""

    def __init__(self, folder) -> None:
        super().__init__()
        self.folder = str(folder)

    def on_train_begin(self, logs=None):
        import os

        value = os.environ.get("TF_NUM_INTRAOP_THREADS", "unset")
        open(os.path.join(self.folder, f"{os.getpid()}-{value}.txt"), "a").close()


@pytest.mark.slow
def test_parallel_workers_share_the_cores(tmp_path, monkeypatch, regression_data):
    import os

    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    X, y = regression_data
    CerebrosRegressor(**TINY, n_jobs=2, callbacks=[_RecordThreads(tmp_path)]).fit(X, y)
    seen = {p.stem.split("-")[1] for p in tmp_path.glob("*.txt")}
    assert seen == {str(max(1, os.cpu_count() // 2))}
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ  # this process left as it was


@pytest.mark.slow
def test_n_jobs_does_not_change_the_results(regression_data):
    X, y = regression_data
    one = CerebrosRegressor(**TINY, n_jobs=1).fit(X, y)
    two = CerebrosRegressor(**TINY, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(
        one.search_results_["score"], two.search_results_["score"], rtol=1e-6
    )
    assert one.search_results_["plan"] == two.search_results_["plan"]
    np.testing.assert_allclose(one.predict(X), two.predict(X), rtol=1e-5)


def test_failed_trials_are_recorded_not_fatal(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "n_trials": 4}, callbacks=[_FailSome()])
    search.fit(X, y)
    status = search.search_results_["status"]
    assert "failed" in status and "ok" in status
    failed = status.index("failed")
    assert "planned failure" in search.search_results_["error"][failed]
    assert np.isnan(search.search_results_["score"][failed])
    assert search.search_results_["status"][search.best_index_] == "ok"


def test_every_trial_failing_is_a_clear_error(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "levels": (1, 1)}, callbacks=[_FailSome()])
    with pytest.raises(ValueError, match="All 3 trials .* failed.*planned failure"):
        search.fit(X, y)


@pytest.mark.parametrize(
    "where, n_trials, at_trial",
    [
        ("this process", 4, 2),  # between generations
        ("this process", 6, 4),  # in the middle of the second generation
        pytest.param("worker process", 4, 2, marks=pytest.mark.release),
    ],
)
def test_results_dir_interrupt_and_resume(
    tmp_path, monkeypatch, regression_data, where, n_trials, at_trial
):
    from sklearn_cerebros.search import runner as _trials

    if where == "worker process":  # a long n_jobs=1 search: trials run in a worker
        monkeypatch.setattr(_trials, "IN_PROCESS_TRIALS", 2)
    X, y = regression_data
    params = {**TINY, "n_trials": n_trials, "results_dir": str(tmp_path)}
    _Interrupt.started = 0
    with pytest.raises(KeyboardInterrupt):
        CerebrosRegressor(**params, callbacks=[_Interrupt(at_trial)]).fit(X, y)
    lines = (tmp_path / "trials.jsonl").read_text().splitlines()
    assert [json.loads(line)["trial"] for line in lines] == list(range(at_trial))
    assert (tmp_path / "best_model.keras").exists()

    with pytest.raises(ValueError, match="resume=True"):
        CerebrosRegressor(**params).fit(X, y)

    class Count(keras.callbacks.Callback):
        n = 0

        def on_train_begin(self, logs=None):
            Count.n += 1

    resumed = CerebrosRegressor(**params, resume=True, callbacks=[Count()]).fit(X, y)
    assert Count.n == n_trials - at_trial  # only the unfinished trials trained
    assert resumed.n_trials_ == n_trials
    fresh = CerebrosRegressor(**{**TINY, "n_trials": n_trials}).fit(X, y)
    assert resumed.search_results_["structure"] == fresh.search_results_["structure"]
    assert resumed.search_results_["seed"] == fresh.search_results_["seed"]
    np.testing.assert_allclose(
        resumed.search_results_["score"], fresh.search_results_["score"], rtol=1e-6
    )
    assert resumed.ensemble_ == fresh.ensemble_  # rebuilt from trial_NNN.npz
    np.testing.assert_allclose(resumed.predict(X), fresh.predict(X), rtol=1e-5)


def test_resume_refuses_a_different_search(tmp_path, regression_data):
    X, y = regression_data
    CerebrosRegressor(**{**TINY, "n_trials": 1}, results_dir=tmp_path).fit(X, y)
    other = CerebrosRegressor(
        **{**TINY, "n_trials": 1, "levels": (2, 2)}, results_dir=tmp_path, resume=True
    )
    with pytest.raises(ValueError, match="levels"):
        other.fit(X, y)


def test_no_results_dir_writes_nothing(tmp_path, monkeypatch, regression_data):
    monkeypatch.chdir(tmp_path)
    X, y = regression_data
    CerebrosRegressor(**{**TINY, "n_trials": 1}).fit(X, y)
    assert list(tmp_path.iterdir()) == []


def test_max_time_stops_the_search(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "n_trials": 6}, max_time=1e-3).fit(X, y)
    assert search.n_trials_ == 1 and search.time_budget_exhausted_


def test_refit_trains_on_all_rows_for_the_best_epoch_count(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**TINY, refit=True).fit(X, y)
    best = search.search_results_["best_epoch"][search.best_index_]
    assert search.n_iter_ == best == len(search.history_["loss"])
    assert "val_loss" not in search.history_


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"levels": (5, 2)}, "levels"),
        ({"neurons_per_unit": (-4, 8)}, "neurons_per_unit"),
        ({"skip_depth": (1, 9)}, "skip_depth"),
        ({"p_lateral": 1.5}, "p_lateral"),
        ({"affinity_decay": "fast"}, "affinity_decay"),
        ({"n_trials": 0}, "n_trials"),
        ({"resume": True}, "results_dir"),
    ],
)
def test_bad_ranges_fail_before_training(regression_data, params, match):
    X, y = regression_data

    class NoTraining(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            raise AssertionError("training started")

    with pytest.raises(ValueError, match=match):
        CerebrosRegressor(**{**TINY, **params}, callbacks=[NoTraining()]).fit(X, y)


def test_grid_search_over_levels_in_a_pipeline(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), CerebrosRegressor(**{**TINY, "n_trials": 2}))
    grid = GridSearchCV(pipe, {"cerebrosregressor__levels": [(1, 1), (2, 2)]}, cv=2)
    grid.fit(X, y)
    best_levels = grid.best_params_["cerebrosregressor__levels"]
    assert grid.best_estimator_[-1].best_plan_.n_levels == best_levels[0]


def test_cross_val_score_is_stratified_for_the_classifier(binary_data):
    X, y = binary_data
    clf = CerebrosClassifier(**{**TINY, "n_trials": 2})
    scores = cross_val_score(clf, X, y, cv=2, scoring="roc_auc")
    same = cross_val_score(clf, X, y, cv=StratifiedKFold(2), scoring="roc_auc")
    np.testing.assert_allclose(scores, same)
    assert scores.mean() > 0.6


@pytest.mark.slow
def test_search_pickles_into_a_fresh_process(tmp_path, binary_data):
    X, y = binary_data
    search = CerebrosClassifier(**TINY).fit(X, y)
    (tmp_path / "s.pkl").write_bytes(pickle.dumps(search))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "p.npy", search.predict_proba(X))
    script = textwrap.dedent(
        f"""
        import pickle, numpy as np
        s = pickle.loads(open({str(tmp_path / "s.pkl")!r}, "rb").read())
        p = s.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        np.testing.assert_array_equal(p, np.load({str(tmp_path / "p.npy")!r}))
        assert s.best_plan_.n_levels >= 1
        print("same")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]


class _RecordProcess(keras.callbacks.Callback):
    """Notes which process trains each trial, in a folder shared with workers."""

    def __init__(self, folder) -> None:
        super().__init__()
        self.folder = str(folder)

    def on_train_begin(self, logs=None):
        import os

        open(os.path.join(self.folder, f"{os.getpid()}.pid"), "a").close()


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="only TensorFlow keeps memory per trained model; others train in process",
)
def test_long_single_job_search_trains_in_a_worker_process(
    tmp_path, monkeypatch, regression_data
):
    import os

    import psutil

    from sklearn_cerebros.search import runner as _trials

    X, y = regression_data
    params = {**TINY, "n_trials": 4}
    (tmp_path / "here").mkdir()
    (tmp_path / "away").mkdir()
    here = CerebrosRegressor(
        **params, callbacks=[_RecordProcess(tmp_path / "here")]
    ).fit(X, y)
    assert {int(p.stem) for p in (tmp_path / "here").glob("*.pid")} == {os.getpid()}

    monkeypatch.setattr(_trials, "IN_PROCESS_TRIALS", 3)  # 4 trials: a long search
    away = CerebrosRegressor(
        **params, callbacks=[_RecordProcess(tmp_path / "away")]
    ).fit(X, y)
    ran_in = {int(p.stem) for p in (tmp_path / "away").glob("*.pid")}
    assert len(ran_in) == 1 and os.getpid() not in ran_in
    worker = ran_in.pop()
    assert not psutil.pid_exists(worker) or psutil.Process(worker).status() in (
        psutil.STATUS_ZOMBIE,
        psutil.STATUS_DEAD,
    )  # the search stopped its worker
    # where a trial runs does not change what it learns
    assert away.search_results_["plan"] == here.search_results_["plan"]
    np.testing.assert_allclose(
        away.search_results_["score"], here.search_results_["score"], rtol=1e-6
    )
    np.testing.assert_allclose(away.predict(X), here.predict(X), rtol=1e-5)


def test_trial_runner_keeps_short_or_parallel_searches_with_joblib(monkeypatch):
    import joblib

    from sklearn_cerebros.search.runner import IN_PROCESS_TRIALS, TrialRunner

    assert not TrialRunner(1, IN_PROCESS_TRIALS).in_worker
    tensorflow = keras.backend.backend() == "tensorflow"
    assert TrialRunner(1, IN_PROCESS_TRIALS + 1).in_worker == tensorflow
    assert not TrialRunner(2, 1000).in_worker  # loky workers, replaced by loky
    with joblib.parallel_config(backend="threading"):
        assert not TrialRunner(1, 1000).in_worker  # the user chose a backend


def _draw_from_pythons_generator():
    """Draw from Python's global generator in a thread until the process ends.

    A Dask worker's event loop does so itself (``dask.sizeof`` samples the
    lists and dicts it sizes while data arrives), at moments that depend on
    timing; this thread makes such draws certain during every trial.
    """
    import random
    import threading
    import time

    def draw():
        while True:
            random.random()
            time.sleep(1e-3)

    threading.Thread(target=draw, daemon=True).start()


@pytest.mark.release
def test_trials_spread_over_a_dask_cluster(tmp_path, regression_data):
    distributed = pytest.importorskip("dask.distributed")
    import os

    import joblib

    X, y = regression_data
    local = CerebrosRegressor(**TINY).fit(X, y)
    # A fresh cluster: the first trials are the first its workers train.
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
        joblib.parallel_backend("dask"),
    ):
        workers = set(client.run(os.getpid).values())
        client.run(_draw_from_pythons_generator)
        remote = CerebrosRegressor(
            **TINY, n_jobs=2, callbacks=[_RecordProcess(tmp_path)]
        ).fit(X, y)
    ran_in = {int(p.stem) for p in tmp_path.glob("*.pid")}
    assert ran_in and ran_in <= workers and os.getpid() not in ran_in
    assert remote.n_trials_ == 3 and set(remote.search_results_["status"]) == {"ok"}
    # Every trial is the one it is in-process, on a fresh worker too (issue 17):
    # its wiring and initial weights come from its own seed wherever it runs.
    assert remote.search_results_["plan"] == local.search_results_["plan"]
    np.testing.assert_allclose(
        remote.search_results_["score"], local.search_results_["score"], rtol=1e-5
    )
    assert [m["trial"] for m in remote.ensemble_] == [
        m["trial"] for m in local.ensemble_
    ]
    np.testing.assert_allclose(remote.predict(X), local.predict(X), rtol=1e-5)


def test_verbose_zero_is_silent_and_one_shows_progress(capfd, regression_data):
    X, y = regression_data
    CerebrosRegressor(**{**TINY, "n_trials": 1}).fit(X, y)
    out, err = capfd.readouterr()
    assert out == "" and "Cerebros trials" not in err
    CerebrosRegressor(**{**TINY, "n_trials": 1}, verbose=1).fit(X, y)
    out, err = capfd.readouterr()
    assert "Cerebros trials" in err and "1/1" in err


def test_a_line_cut_short_by_a_kill_loses_no_later_trial(tmp_path, regression_data):
    X, y = regression_data
    params = {**TINY, "n_trials": 2, "results_dir": tmp_path}
    CerebrosRegressor(**{**params, "n_trials": 1}).fit(X, y)
    trials = tmp_path / "trials.jsonl"
    first = trials.read_text()
    trials.write_text(first + first[: len(first) // 2])  # a half-written record
    CerebrosRegressor(**params, resume=True).fit(X, y)
    again = CerebrosRegressor(**params, resume=True).fit(X, y)
    assert again.n_trials_ == 2
    parsed = []
    for line in trials.read_text().splitlines():
        try:
            parsed.append(json.loads(line)["trial"])
        except json.JSONDecodeError:
            pass  # the half-written line, kept apart from the records after it
    assert sorted(parsed) == [0, 1]


def test_trials_keep_the_callers_dtype_policy(regression_data):
    X, y = regression_data
    keras.config.set_dtype_policy("float32")
    before = keras.config.dtype_policy().name
    keras.config.set_dtype_policy("float64")
    try:
        CerebrosRegressor(**{**TINY, "n_trials": 1}).fit(X, y)
        assert keras.config.dtype_policy().name == "float64"
    finally:
        keras.config.set_dtype_policy(before)


def test_ranking_uses_held_out_rows_even_without_early_stopping(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "n_trials": 1}, early_stopping=False)
    search.fit(X, y)
    assert "val_loss" in search.history_  # rows were held out and scored


def test_initial_plans_are_trained_first_as_they_are(tmp_path, regression_data):
    X, y = regression_data
    mine = residual_plan(n_blocks=1, layers_per_block=1, width=16)
    search = CerebrosRegressor(
        **{**TINY, "initial_plans": [mine]}, results_dir=tmp_path
    ).fit(X, y)
    table = search.search_results_
    assert table["initial"] == [True, False, False]
    assert LevelsPlan.from_dict(table["plan"][0]).levels == mine.levels
    assert table["parent"][0] == -1 and table["generation"][0] == 0
    # a resume with the same plans trains nothing new; other plans are refused
    again = CerebrosRegressor(
        **{**TINY, "initial_plans": [mine]}, results_dir=tmp_path, resume=True
    ).fit(X, y)
    assert again.search_results_["score"] == table["score"]
    with pytest.raises(ValueError, match="initial_plans"):
        CerebrosRegressor(
            **{**TINY, "initial_plans": "residual"}, results_dir=tmp_path, resume=True
        ).fit(X, y)


def test_residual_initial_plan_is_the_residual_estimators_architecture(
    regression_data,
):
    X, y = regression_data
    search = CerebrosRegressor(
        **{**TINY, "n_trials": 2, "initial_plans": "residual"}, n_members=2
    ).fit(X, y)
    first, drawn = (LevelsPlan.from_dict(p) for p in search.search_results_["plan"])
    assert first.levels == residual_plan().levels
    # the initial plan keeps the residual estimators' members, drawn ones not
    assert first.members == 8 and drawn.members == 2


@pytest.mark.parametrize(
    "value, match",
    [
        ("resnet", r"initial_plans\[0\]='resnet' is not known.*'retrieval'"),
        (42, "initial_plans must be 'residual', 'retrieval', a plan"),
        ([residual_plan(), 42], r"initial_plans\[1\] must be 'residual'"),
    ],
)
def test_bad_initial_plans_are_a_clear_error(regression_data, value, match):
    X, y = regression_data
    with pytest.raises(ValueError, match=match):
        CerebrosRegressor(**{**TINY, "initial_plans": value}).fit(X, y)
