"""A real search's progress output (``verbose=1``): what a person follows.

Tiny searches, a few seconds each: the captured output shows the time used,
positive RMSEs of the best trial and of the ensemble (the ensemble's as the
search's own selection gives it after each trial), and why the search
stopped; the ticker thread is gone after ``fit``.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from _search_params import TINY
from sklearn.datasets import make_classification, make_regression

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros.search import progress as _progress
from sklearn_cerebros.search import runner as _runner

PARAMS = {**TINY, "n_trials": 3, "cv": 3}


def _tickers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "cerebros-progress"]


@pytest.fixture(scope="module")
def data():
    return make_regression(n_samples=150, n_features=4, noise=5.0, random_state=0)


@pytest.fixture
def fast_ticker(monkeypatch):
    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.05)


@pytest.fixture
def selections(monkeypatch):
    """The ensemble scores the search's selection gives while it runs."""
    scores: list[float] = []
    choose = _runner.choose

    def spy(*args, **kwargs):
        choice = choose(*args, **kwargs)
        scores.append(choice.score)
        return choice

    monkeypatch.setattr(_runner, "choose", spy)
    return scores


def test_progress_shows_time_scores_in_units_and_why_it_stopped(
    data, capsys, fast_ticker, selections
):
    X, y = data
    search = CerebrosRegressor(**PARAMS, max_time=600, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert _tickers() == []
    # the ticker drew the time used while the first trial trained
    first = err[: err.index("1/3")]
    assert re.search(r"time=[\d.]+s/10m, running=1", first)
    # scores in the metric's units: positive RMSEs
    best = -search.best_score_
    ensemble = -search.ensemble_score_
    assert best > 0 and ensemble > 0
    assert f"best rmse={best:.6g}" in err
    assert "=-" not in err
    # after each successful trial, the selection over the trials so far
    assert len(selections) == 3
    for score in selections:
        assert f"ensemble rmse={-score:.6g}" in err
    last = err.rstrip("\n").splitlines()[-1]
    assert last.startswith(
        "Cerebros search stopped: all 3 trials done (n_trials=3); time used "
    )
    assert last.endswith(
        f" of 10m; best rmse={best:.6g}; ensemble rmse={ensemble:.6g}."
    )


def test_progress_says_the_time_budget_stopped_the_search(data, capsys):
    X, y = data
    # the first trial is cut at the deadline but counts; none starts after it
    search = CerebrosRegressor(**PARAMS, max_time=0.5, verbose=1).fit(X, y)
    err = capsys.readouterr().err
    assert search.n_trials_ == 1
    assert _tickers() == []
    last = err.rstrip("\n").splitlines()[-1]
    assert last.startswith(
        "Cerebros search stopped: the time budget (max_time=0.5 s) ran out "
        "after 1 of 3 trials; a trial's training was cut at the deadline; "
        "time used "
    )
    assert "of 0.5s;" in last
    rmse = -search.best_score_
    assert rmse > 0 and f"best rmse={rmse:.6g}" in last


def test_accuracy_is_shown_as_it_is_without_an_ensemble_score(capsys, selections):
    X, y = make_classification(n_samples=150, n_features=4, random_state=0)
    search = CerebrosClassifier(
        **{**PARAMS, "n_trials": 2}, scoring="accuracy", verbose=1
    ).fit(X, y)
    err = capsys.readouterr().err
    assert 0 < search.best_score_ <= 1
    assert f"best accuracy={search.best_score_:.6g}" in err
    # accuracy has no vectorised score: the selection is too dear to run
    # after every trial
    assert selections == [] and "ensemble" not in err
    assert "Cerebros search stopped: all 2 trials done (n_trials=2)" in err


def test_quiet_search_prints_nothing_and_starts_no_thread(data, capsys, monkeypatch):
    started = []
    monkeypatch.setattr(
        _progress.TrialProgress, "_tick", lambda self, i: started.append(i)
    )
    X, y = data
    CerebrosRegressor(**{**PARAMS, "n_trials": 2}, max_time=600).fit(X, y)
    out, err = capsys.readouterr()
    assert started == [] and _tickers() == []
    assert "Cerebros" not in out + err and "rmse" not in out + err


def test_ensemble_so_far_stops_once_it_costs_too_much(data, monkeypatch, selections):
    monkeypatch.setattr(_runner, "ENSEMBLE_PROGRESS_SECONDS", 0.0)
    X, y = data
    search = CerebrosRegressor(**PARAMS, verbose=1).fit(X, y)
    # once after the first trial, then no more
    assert len(selections) == 1
    assert np.isfinite(search.ensemble_score_)


def test_the_bar_shows_each_fold_network_and_epoch_of_a_trial(
    data, capsys, fast_ticker
):
    # a ticker every 0.05 s and epochs of 0.1 s: the postfix is drawn while
    # the first trial's fold networks train
    import time

    from sklearn_cerebros._backend import keras

    class _Slow(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            time.sleep(0.1)

    X, y = data
    CerebrosRegressor(
        **{**PARAMS, "n_trials": 1, "epochs": 4, "early_stopping": False},
        callbacks=[_Slow()],
        verbose=1,
    ).fit(X, y)
    err = capsys.readouterr().err
    assert re.search(r"trial 0: epoch [1-4]/4", err)
    assert re.search(r"trial 0: folds [12]/3, epoch [1-4]/4", err)
