"""Successive halving over epochs: the search's ``strategy="halving"``."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from _search_params import TINY
from sklearn.datasets import make_regression
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_cerebros import CerebrosRegressor

# rungs of 5 and 15 epochs in all; trial 3 is the first promotion
HALVING = {**TINY, "strategy": "halving", "n_trials": 5, "epochs": 15}


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=160, n_features=5, noise=5.0, random_state=0)
    return X, y


class _StartWeights(keras.callbacks.Callback):
    """Notes each network's weights when its training begins, by model name."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, list[np.ndarray]] = {}

    def on_train_begin(self, logs=None):
        self.seen[self.model.name] = [np.array(w) for w in self.model.get_weights()]


def _records(path) -> list[dict]:
    return [
        json.loads(line) for line in (path / "trials.jsonl").read_text().splitlines()
    ]


def _saved(path, trial: int) -> dict[int, list[np.ndarray]]:
    """The weights of a trial's networks (one per fold), as written to disk."""
    with np.load(path / f"trial_{trial:03d}.npz") as f:
        names = [n[3:].split("_weight_") for n in f.files if n.startswith("net")]
        nets: dict[int, list[np.ndarray]] = {}
        for net, i in sorted((int(net), int(i)) for net, i in names):
            nets.setdefault(net, []).append(f[f"net{net}_weight_{i}"])
        return nets


def test_promoted_trials_continue_their_parents_network(tmp_path, regression_data):
    X, y = regression_data
    starts = _StartWeights()
    search = CerebrosRegressor(**HALVING, results_dir=tmp_path, callbacks=[starts]).fit(
        X, y
    )
    table = search.search_results_
    assert table["rung"] == [0, 0, 0, 1, 0]
    assert search.n_trials_ == 5 and set(table["status"]) == {"ok"}
    records = {r["trial"]: r for r in _records(tmp_path)}
    record, parent = records[3], records[records[3]["parent"]]
    assert table["parent"][3] == parent["trial"] and parent["rung"] == 0
    # the same network: the parent's plan (renamed) and its trained weights
    assert record["structure"] == parent["structure"]
    assert {**record["plan"], "name": ""} == {**parent["plan"], "name": ""}
    assert record["epoch_budget"] == 10 and parent["epoch_budget"] == 5
    assert record["start_epoch"] == parent["best_epoch"]
    begun = starts.seen["cerebros_trial3"]
    for a, b in zip(begun, _saved(tmp_path, parent["trial"])[0], strict=True):
        np.testing.assert_array_equal(a, b)
    # the promoted trial is the best of rung 0 when it was proposed
    first = [records[i]["score"] for i in range(3)]
    assert records[3]["parent"] == int(np.argmax(first))
    assert search.predict(X).shape == (len(X),)
    if search.best_index_ == 3:
        best = records[search.best_index_]
        assert search.n_iter_ == best["start_epoch"] + best["epochs"]


def test_bagged_promotions_continue_each_folds_network(tmp_path, regression_data):
    X, y = regression_data
    starts = _StartWeights()
    CerebrosRegressor(
        **{**HALVING, "n_trials": 4, "cv": 2}, results_dir=tmp_path, callbacks=[starts]
    ).fit(X, y)
    records = {r["trial"]: r for r in _records(tmp_path)}
    assert records[3]["rung"] == 1
    parent = _saved(tmp_path, records[3]["parent"])
    assert len(parent) == 2
    for fold in range(2):
        begun = starts.seen[f"cerebros_trial3_fold{fold}"]
        for a, b in zip(begun, parent[fold], strict=True):
            np.testing.assert_array_equal(a, b)


def test_halving_resumes_as_the_uninterrupted_search(tmp_path, regression_data):
    X, y = regression_data
    whole = CerebrosRegressor(**HALVING, results_dir=tmp_path / "whole").fit(X, y)
    cut = tmp_path / "cut"
    CerebrosRegressor(**HALVING, results_dir=cut).fit(X, y)
    lines = (cut / "trials.jsonl").read_text().splitlines()
    (cut / "trials.jsonl").write_text("\n".join(lines[:3]) + "\n")  # 0-2 finished

    class Count(keras.callbacks.Callback):
        n = 0

        def on_train_begin(self, logs=None):
            Count.n += 1

    resumed = CerebrosRegressor(
        **HALVING, results_dir=cut, resume=True, callbacks=[Count()]
    ).fit(X, y)
    assert Count.n == 2  # trial 3 (a promotion, from trial_NNN.npz) and 4
    for column in ("parent", "rung", "seed", "structure"):
        assert resumed.search_results_[column] == whole.search_results_[column]
    np.testing.assert_allclose(
        resumed.search_results_["score"], whole.search_results_["score"], rtol=1e-6
    )
    assert resumed.ensemble_ == whole.ensemble_
    np.testing.assert_allclose(resumed.predict(X), whole.predict(X), rtol=1e-5)


def test_same_seed_same_halving_search(regression_data):
    X, y = regression_data
    a = CerebrosRegressor(**HALVING).fit(X, y)
    b = CerebrosRegressor(**HALVING).fit(X, y)
    assert a.search_results_["parent"] == b.search_results_["parent"]
    assert a.search_results_["score"] == b.search_results_["score"]


def test_max_time_cuts_a_halving_search(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**HALVING, max_time=1e-3).fit(X, y)
    assert search.n_trials_ == 1 and search.time_budget_exhausted_


def test_refit_of_a_promoted_trial_counts_its_parents_epochs(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**HALVING, "n_trials": 4}, refit=True)
    search.fit(X, y)
    table = search.search_results_
    best = search.best_index_
    records = dict(zip(table["trial"], table["best_epoch"], strict=True))
    expected = records[best]
    if table["rung"][best]:
        expected += records[table["parent"][best]]
    assert search.n_iter_ == expected == len(search.history_["loss"])


def test_initial_plans_start_rung_zero(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(
        **{**HALVING, "n_trials": 4, "initial_plans": "residual"}
    )
    search.fit(X, y)
    table = search.search_results_
    assert table["initial"] == [True, False, False, False]
    assert table["rung"] == [0, 0, 0, 1]
    parent = table["parent"][3]
    assert {**table["plan"][3], "name": ""} == {**table["plan"][parent], "name": ""}


def test_a_bad_strategy_is_a_clear_error(regression_data):
    X, y = regression_data
    with pytest.raises(InvalidParameterError, match="strategy.*'generations'"):
        CerebrosRegressor(**{**TINY, "strategy": "hyperband"}).fit(X, y)


@pytest.mark.release
def test_halving_with_two_workers_is_asynchronous(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**HALVING, "n_trials": 10}, n_jobs=2).fit(X, y)
    table = search.search_results_
    assert search.n_trials_ == 10 and set(table["status"]) == {"ok"}
    assert 1 in table["rung"]
    for trial, parent in zip(table["trial"], table["parent"], strict=True):
        if table["rung"][trial]:
            assert table["rung"][parent] == table["rung"][trial] - 1
