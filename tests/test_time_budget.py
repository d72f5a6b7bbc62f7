"""``max_time`` is a promise: a long trial stops at an epoch's end at the deadline.

The trials here run in this process, so one callback object sees every
epoch of the search: it lets the first trial train at full speed and then
makes every epoch take a second, so that the second trial alone would
run far past the budget. Margins are generous: these are not timings.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from _search_params import TINY
from sklearn.datasets import make_regression

from sklearn_cerebros import CerebrosRegressor
from sklearn_cerebros._backend import keras

EPOCHS = 30
PAUSE = 1.0
MAX_TIME = 10.0
# The search's trials as the tests give them: three, every epoch run.
PARAMS = {**TINY, "n_trials": 3, "epochs": EPOCHS, "early_stopping": False}


class _SlowAfter(keras.callbacks.Callback):
    """Every epoch after the first ``fast`` of the search takes ``pause`` s."""

    def __init__(self, fast: int, pause: float) -> None:
        super().__init__()
        self.fast, self.pause, self.seen = fast, pause, 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.seen += 1
        if self.seen > self.fast:
            time.sleep(self.pause)


@pytest.fixture(scope="module")
def data():
    return make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)


def _fit(data, cv=None, **params):
    X, y = data
    # the first trial trains every fold network at full speed
    fast = EPOCHS * (cv or 1)
    slow = _SlowAfter(fast, PAUSE)
    search = CerebrosRegressor(
        **{**PARAMS, "cv": cv, **params}, max_time=MAX_TIME, callbacks=[slow]
    )
    start = time.monotonic()
    search.fit(X, y)
    return search, time.monotonic() - start


def test_a_trial_running_at_the_deadline_stops_and_counts(data):
    search, elapsed = _fit(data)
    table = search.search_results_
    # Without the budget, the second trial alone would take EPOCHS * PAUSE
    # = 30 s; the promise is MAX_TIME plus a tenth, or plus an epoch.
    assert elapsed < MAX_TIME * 1.1 + PAUSE + 5.0
    assert search.time_budget_exhausted_
    assert search.n_trials_ == 2  # the third never started
    assert table["stopped"] == [None, "deadline"]
    # one network with a best epoch: it counts, with its score
    assert table["status"] == ["ok", "ok"]
    assert np.isfinite(table["score"][1])
    assert table["epochs"][1] < EPOCHS


def test_a_bagged_trial_cut_before_its_last_fold_is_stopped_then_resumed(
    data, tmp_path
):
    search, elapsed = _fit(data, cv=2, results_dir=tmp_path)
    table = search.search_results_
    assert elapsed < MAX_TIME * 1.1 + PAUSE + 5.0
    assert search.time_budget_exhausted_
    # the second trial's second fold network never started: no out-of-fold
    # prediction for every row, so it is recorded as stopped, with no score
    assert table["status"] == ["ok", "stopped"]
    assert table["stopped"] == [None, "deadline"]
    assert np.isnan(table["score"][1])
    assert [e["trial"] for e in search.ensemble_] == [0]
    # resumed with no budget, the stopped trial is trained again and the
    # search goes on to its third trial
    X, y = data
    resumed = CerebrosRegressor(
        **{**PARAMS, "cv": 2}, results_dir=tmp_path, resume=True
    ).fit(X, y)
    assert resumed.search_results_["status"] == ["ok", "ok", "ok"]
    assert resumed.search_results_["stopped"] == [None, None, None]
    assert not resumed.time_budget_exhausted_


def test_progress_says_why_the_search_stopped_in_the_scores_units(data, capsys):
    search, _ = _fit(data, verbose=1)
    err = capsys.readouterr().err
    assert "Cerebros search stopped: the time budget (max_time=10 s) ran out" in err
    scores = [s for s in search.search_results_["score"] if np.isfinite(s)]
    rmse = -max(scores)  # the best score, as the scorer negates the error
    assert rmse > 0
    assert f"rmse={rmse:.6g}" in err
    assert "best=-" not in err


@pytest.mark.parametrize("cv", [None, 2])
def test_the_first_trial_is_cut_at_the_deadline_but_still_counts(data, cv):
    # a budget spent before the first epoch ends: every network of the first
    # trial trains one epoch (both fold networks when bagged), and fit
    # returns their model
    X, y = data
    search = CerebrosRegressor(**{**PARAMS, "cv": cv}, max_time=1e-3).fit(X, y)
    table = search.search_results_
    assert search.n_trials_ == 1 and search.time_budget_exhausted_
    assert table["status"] == ["ok"] and table["stopped"] == ["deadline"]
    assert table["epochs"] == [1] and table["best_epoch"] == [1]
    assert np.isfinite(table["score"][0])
    assert search.predict(X[:3]).shape == (3,)


def test_the_first_trials_networks_share_the_budget_one_by_one(data):
    # every epoch slow from the start; trained one by one (the callback keeps
    # them from being packed), the first trial's two fold networks each get
    # about half of the budget: the second starts, and the trial counts
    X, y = data
    search = CerebrosRegressor(
        **{**PARAMS, "cv": 2, "n_trials": 1},
        max_time=MAX_TIME,
        callbacks=[_SlowAfter(0, PAUSE)],
    )
    start = time.monotonic()
    search.fit(X, y)
    elapsed = time.monotonic() - start
    table = search.search_results_
    assert elapsed < MAX_TIME * 1.1 + 2 * PAUSE + 5.0
    assert table["status"] == ["ok"] and table["stopped"] == ["deadline"]
    # each network ran several epochs, neither all of them
    assert 2 <= table["epochs"][0] < EPOCHS


@pytest.mark.slow  # a 20 s budget, spent
def test_n_trials_none_trains_until_max_time_and_starts_as_the_default(data, capsys):
    # the first 8 trials' epochs run at full speed, then every epoch takes a
    # second: with no count of trials the search goes on past the default
    # n_trials=6, into a third generation, until the deadline
    X, y = data
    params = {**PARAMS, "epochs": 3}
    fast = 8 * params["epochs"]
    until = CerebrosRegressor(
        **{**params, "n_trials": None},
        max_time=20.0,
        callbacks=[_SlowAfter(fast, PAUSE)],
        verbose=1,
    )
    start = time.monotonic()
    until.fit(X, y)
    elapsed = time.monotonic() - start
    table = until.search_results_
    assert elapsed < 20.0 * 1.1 + PAUSE + 5.0
    assert until.time_budget_exhausted_
    assert until.n_trials_ > 8
    assert max(table["generation"]) >= 2
    assert "ran out after" in capsys.readouterr().err
    # its first trials are the default-sized search's, seeds and plans
    default = CerebrosRegressor(**{**params, "n_trials": 6}).fit(X, y)
    for column in ("seed", "plan", "parent", "generation", "score"):
        assert table[column][:6] == default.search_results_[column], column


def test_n_trials_none_needs_max_time(data):
    X, y = data
    with pytest.raises(ValueError, match=r"n_trials=None .* set max_time"):
        CerebrosRegressor(**{**PARAMS, "n_trials": None}).fit(X, y)
