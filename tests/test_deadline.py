"""A training deadline: networks stop at an epoch end, trials record what stopped.

The clock the deadline is read from is replaced by an epoch counter that a
callback advances at every epoch end, so that the tests say exactly after
which epoch the deadline passes, whatever the machine's load.
"""

from __future__ import annotations

import dataclasses
import time
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from sklearn.metrics import get_scorer

from sklearn_cerebros._keras import TrainSettings, _callbacks, _training, train
from sklearn_cerebros._targets import RegressionTarget
from sklearn_cerebros.architecture import CerebrosSpace, Structure
from sklearn_cerebros.search import trial as _trials
from sklearn_cerebros.search.trial import TrialData, TrialSpec, run_trial

ENGINES = ("own_loop", "fit")


class _Clock(keras.callbacks.Callback):
    """A clock that reads the number of epoch ends so far; counts trainings."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.trainings = 0
        self.weights: list[list[np.ndarray]] = []

    def time(self) -> float:
        return self.now

    def on_train_begin(self, logs=None):
        self.trainings += 1
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.now += 1.0
        self.weights.append([np.array(w) for w in self.model.get_weights()])


@pytest.fixture
def clock(monkeypatch):
    """The epoch clock, read by the training deadline and by trials."""
    clock = _Clock()
    fake = SimpleNamespace(time=clock.time, perf_counter=time.perf_counter)
    monkeypatch.setattr(_callbacks, "time", fake)
    monkeypatch.setattr(_trials, "time", fake)
    return clock


@pytest.fixture(params=ENGINES)
def engine(request, monkeypatch):
    """Train through our own loop or through ``model.fit``, on any backend."""
    chosen = (
        _training.train_own_loop
        if request.param == "own_loop"
        else _training.train_with_fit
    )
    monkeypatch.setattr(_training, "_engine", lambda backend: chosen)
    return request.param


def _linear_model() -> keras.Model:
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))


def _drifting_data():
    """Training rows and held-out rows whose targets go the other way.

    Fitting the training rows worsens the held-out loss, so the best epoch
    is the first and the last epochs' weights are not the best.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    Xv = rng.normal(size=(32, 3)).astype(np.float32)
    w = np.array([[1.0], [2.0], [3.0]], np.float32)
    return X, X @ w, (Xv, -(Xv @ w), None)


def _settings(clock: _Clock, **changes) -> TrainSettings:
    base = TrainSettings(
        epochs=30,
        batch_size=16,
        learning_rate=0.05,
        loss="squared_error",
        callbacks=(clock,),
    )
    return dataclasses.replace(base, **changes)


def test_the_deadline_stops_training_at_an_epoch_end_with_the_best_weights(
    clock, engine
):
    X, y, validation = _drifting_data()
    model = _linear_model()
    history = train(
        model,
        X,
        y,
        validation=validation,
        settings=_settings(clock, deadline=3.0),
        rng=np.random.default_rng(0),
    )
    # the deadline passed at the end of the third epoch, long before patience
    assert len(history["loss"]) == len(history["val_loss"]) == 3
    assert history.stopped == "deadline"
    best = int(np.argmin(history["val_loss"]))
    assert best < 2  # what is restored is not merely the last epoch
    for got, expected in zip(model.get_weights(), clock.weights[best], strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_deadline_already_passed_trains_one_epoch(clock, engine):
    X, y, validation = _drifting_data()
    model = _linear_model()
    history = train(
        model,
        X,
        y,
        validation=validation,
        settings=_settings(clock, deadline=-1.0),
        rng=np.random.default_rng(0),
    )
    assert len(history["loss"]) == 1 and history.stopped == "deadline"
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("early_stopping", [True, False])
def test_a_deadline_that_does_not_cut_training_is_not_reported(
    clock, engine, early_stopping
):
    X, y, validation = _drifting_data()
    settings = _settings(
        clock,
        epochs=4,
        n_iter_no_change=2,
        early_stopping=early_stopping,
        # passes at the epoch end where early stopping stops, or the last one
        deadline=3.0 if early_stopping else 4.0,
    )
    history = train(
        _linear_model(),
        X,
        y,
        validation=validation,
        settings=settings,
        rng=np.random.default_rng(0),
    )
    # early stopping ends it after 3 epochs; without it, all 4 ran
    assert len(history["loss"]) == (3 if early_stopping else 4)
    assert history.stopped is None


@pytest.mark.parametrize("deadline", [None, 1e12])
def test_no_deadline_or_one_never_reached_changes_nothing(engine, deadline):
    X, y, validation = _drifting_data()
    results = []
    for settings in (
        TrainSettings(epochs=5, batch_size=16, learning_rate=0.05, loss="huber"),
        TrainSettings(
            epochs=5,
            batch_size=16,
            learning_rate=0.05,
            loss="huber",
            deadline=deadline,
        ),
    ):
        keras.utils.set_random_seed(0)
        model = _linear_model()
        history = train(
            model,
            X,
            y,
            validation=validation,
            settings=settings,
            rng=np.random.default_rng(0),
        )
        assert history.stopped is None
        results.append((dict(history), model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_array_equal(a, b)


# A bagged trial: 3 fold networks of 4 epochs each, the clock one per epoch.


def _trial(
    clock: _Clock | None,
    folds: int | None = 3,
    settings_deadline: float | None = None,
    **kwargs,
):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype(np.float32)
    y_user = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    target = RegressionTarget()
    y = target.fit_transform(y_user)
    split = None
    if folds is not None:
        rows = np.arange(len(X))
        held = np.array_split(rows, folds)
        split = [(np.setdiff1d(rows, h), h) for h in held]
        data = TrialData((X, y, None), None, y_user, 3, split)
    else:
        data = TrialData((X[:45], y[:45], None), (X[45:], y[45:], None), y_user[45:], 3)
    settings = TrainSettings(
        epochs=4,
        batch_size=16,
        learning_rate=0.02,
        loss="squared_error",
        callbacks=() if clock is None else (clock,),
        deadline=settings_deadline,
    )
    return run_trial(
        TrialSpec(index=0, generation=0, seed=7, structure=Structure(((4,),))),
        space=CerebrosSpace(
            levels=(1, 1), units_per_level=(1, 1), neurons_per_unit=(4, 4)
        ),
        head=(1, "linear", 1),
        data=data,
        settings=settings,
        target=target,
        scorer=get_scorer("neg_root_mean_squared_error"),
        classifier=False,
        **kwargs,
    )


def test_a_bagged_trial_past_its_deadline_is_stopped_and_trains_no_further_fold(
    clock,
):
    # fold 0 trains its 4 epochs, fold 1 stops after 2, fold 2 never starts
    result = _trial(clock, deadline=6.0)
    record = result.record
    assert clock.trainings == 2 and clock.now == 6.0
    assert record["status"] == "stopped" and record["stopped"] == "deadline"
    assert record["networks_trained"] == 2
    assert np.isnan(record["score"]) and record["error"] == ""
    assert result.stopped == "deadline"
    assert result.weights is None and result.raw is None


def test_a_bagged_trial_whose_last_fold_is_cut_still_counts(clock):
    # folds 0 and 1 train their 4 epochs, fold 2 stops after 2 with a best epoch
    result = _trial(clock, deadline=10.0)
    record = result.record
    assert clock.trainings == 3 and clock.now == 10.0
    assert record["status"] == "ok" and np.isfinite(record["score"])
    assert record["stopped"] == "deadline" and result.stopped == "deadline"
    assert len(result.weights) == 3 and result.raw.shape == (60, 1)
    assert record["fold_best_epochs"][2] <= 2


def test_a_trial_started_past_its_deadline_trains_nothing(clock):
    result = _trial(clock, folds=None, deadline=0.0)
    assert clock.trainings == 0
    assert result.record["status"] == "stopped"
    assert result.record["networks_trained"] == 0 and result.stopped == "deadline"


@pytest.mark.parametrize(
    "deadlines", [(2.0, None), (None, 2.0), (2.0, 100.0), (100.0, 2.0)]
)
def test_the_earlier_of_the_settings_and_the_argument_deadline_holds(clock, deadlines):
    in_settings, argument = deadlines
    result = _trial(clock, folds=None, settings_deadline=in_settings, deadline=argument)
    # one network of 4 epochs, stopped after its second
    assert result.record["status"] == "ok" and result.record["epochs"] == 2
    assert result.record["stopped"] == "deadline" and clock.now == 2.0


def test_a_trial_without_a_deadline_is_as_before():
    """deadline=None, or one never reached, leaves record and weights alone."""
    plain = _trial(None)
    far = _trial(None, deadline=time.time() + 3600)
    assert plain.stopped is None and far.stopped is None
    assert "stopped" not in plain.record and "stopped" not in far.record
    drop = {"fit_time"}
    assert {k: v for k, v in plain.record.items() if k not in drop} == {
        k: v for k, v in far.record.items() if k not in drop
    }
    for a, b in zip(plain.weights, far.weights, strict=True):
        for wa, wb in zip(a, b, strict=True):
            np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(plain.raw, far.raw)
