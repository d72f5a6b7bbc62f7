"""Learning-rate schedules, weight decay, label smoothing, gradient health,
checkpoints and TensorBoard logs of the one training loop."""

from __future__ import annotations

import math
import warnings

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    GradientHealthWarning,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros._keras import TrainSettings, train
from sklearn_cerebros._keras._callbacks import WeightUpdateMonitor

SMALL = dict(n_blocks=1, width=8, batch_size=16, random_state=0)
SEARCH = dict(
    levels=(1, 1),
    units_per_level=(1, 1),
    neurons_per_unit=(4, 4),
    skip_depth=(1, 2),
    batch_norm=False,
    n_trials=1,
    n_generations=1,
    epochs=3,
    batch_size=32,
    random_state=0,
)


class LRRecorder(keras.callbacks.Callback):
    """The learning rate the optimiser uses, per step and per epoch."""

    def on_train_begin(self, logs=None):
        self.steps, self.epochs = [], []

    def _lr(self):
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_train_batch_begin(self, batch, logs=None):
        self.steps.append(self._lr())

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(self._lr())


def linear_model(n_features=3):
    inputs = keras.Input((n_features,))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))


def warmup_cosine(step, lr, warmup_steps, total_steps, min_lr_fraction):
    """The stated curve, written out independently."""
    if step < warmup_steps:
        return lr * step / warmup_steps
    t = (step - warmup_steps) / (total_steps - 1 - warmup_steps)
    return lr * (
        min_lr_fraction + (1 - min_lr_fraction) * 0.5 * (1 + math.cos(math.pi * t))
    )


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ [1.0, -2.0, 0.5])[:, None].astype(np.float32)
    return X, y


# -- learning-rate schedules ---------------------------------------------------
def test_warmup_cosine_follows_the_curve_per_step(data):
    X, y = data
    rec = LRRecorder()
    settings = TrainSettings(
        epochs=6,
        batch_size=16,  # 4 steps an epoch, 24 in all
        learning_rate=0.1,
        loss="squared_error",
        early_stopping=False,
        lr_schedule="warmup_cosine",
        warmup_epochs=2,
        min_lr_fraction=0.01,
        callbacks=(rec,),
    )
    train(linear_model(), X, y, settings=settings, rng=np.random.default_rng(0))
    expected = [warmup_cosine(k, 0.1, 8, 24, 0.01) for k in range(24)]
    np.testing.assert_allclose(rec.steps, expected, rtol=1e-5, atol=1e-7)
    assert rec.steps[0] == 0.0  # warm-up from 0
    assert rec.steps[4] == pytest.approx(0.05)  # halfway through the warm-up
    assert rec.steps[8] == pytest.approx(0.1)  # peak after warm-up
    assert rec.steps[-1] == pytest.approx(0.001)  # the floor, min_lr_fraction * lr


def test_warmup_cosine_is_cut_not_squeezed_by_early_stopping():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = rng.normal(size=80)  # no signal: early stopping ends quickly
    rec = LRRecorder()
    reg = ResidualMLPRegressor(
        **SMALL,
        epochs=40,
        n_iter_no_change=2,
        lr_schedule="warmup_cosine",
        warmup_epochs=3,
        learning_rate=0.01,
        callbacks=[rec],
    ).fit(X, y)
    steps = math.ceil(72 / 16)  # 8 of 80 rows held out
    assert reg.n_iter_ < 40
    assert len(rec.steps) == reg.n_iter_ * steps
    expected = [
        warmup_cosine(k, 0.01, 3 * steps, 40 * steps, 0.01)
        for k in range(len(rec.steps))
    ]
    np.testing.assert_allclose(rec.steps, expected, rtol=1e-5, atol=1e-8)


def test_plateau_halves_after_patience_down_to_the_floor(data):
    X, y = data
    rec = LRRecorder()
    settings = TrainSettings(
        epochs=12,
        batch_size=16,
        learning_rate=0.1,
        loss="squared_error",
        early_stopping=False,
        n_iter_no_change=4,  # patience max(2, 4 // 2) = 2
        tol=1e3,  # nothing counts as an improvement
        lr_schedule="plateau",
        min_lr_fraction=0.1,
        callbacks=(rec,),
    )
    train(linear_model(), X, y, settings=settings, rng=np.random.default_rng(0))
    lr = [0.1] * 3 + [0.05] * 2 + [0.025] * 2 + [0.0125] * 2 + [0.01] * 3
    np.testing.assert_allclose(rec.epochs, lr, rtol=1e-6)


def test_constant_schedule_is_the_default(data):
    X, y = data
    rec = LRRecorder()
    settings = TrainSettings(
        epochs=3,
        batch_size=16,
        learning_rate=0.02,
        loss="squared_error",
        early_stopping=False,
        callbacks=(rec,),
    )
    train(linear_model(), X, y, settings=settings, rng=np.random.default_rng(0))
    np.testing.assert_allclose(rec.steps, 0.02, rtol=1e-6)
    assert ResidualMLPRegressor().lr_schedule == "constant"


# -- weight decay and label smoothing ------------------------------------------
def test_weight_decay_switches_to_adamw_and_shrinks_weights():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 4)), rng.normal(size=64)  # no signal
    params = dict(**SMALL, epochs=15, early_stopping=False, learning_rate=1e-2)
    plain = ResidualMLPRegressor(**params).fit(X, y)
    decayed = ResidualMLPRegressor(**params, weight_decay=0.5).fit(X, y)
    assert type(plain.model_.optimizer) is keras.optimizers.Adam
    assert isinstance(decayed.model_.optimizer, keras.optimizers.AdamW)
    assert decayed.model_.optimizer.weight_decay == pytest.approx(0.5)

    def norm(model):
        return sum(float(np.sum(w**2)) for w in model.get_weights())

    assert norm(decayed.model_) < 0.9 * norm(plain.model_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_caps_confidence_and_keeps_valid_output(n_classes):
    rng = np.random.default_rng(0)
    y = np.arange(90) % n_classes
    X = np.eye(n_classes)[y] * 4 + rng.normal(scale=0.1, size=(90, n_classes))
    params = dict(**SMALL, epochs=40, early_stopping=False, learning_rate=2e-2)
    sharp = ResidualMLPClassifier(**params).fit(X, y)
    smooth = ResidualMLPClassifier(**params, label_smoothing=0.3).fit(X, y)
    loss = smooth.model_.loss
    assert loss.get_config()["label_smoothing"] == pytest.approx(0.3)
    if n_classes > 2:  # sparse targets were one-hot encoded for the smoothing
        assert isinstance(loss, keras.losses.CategoricalCrossentropy)
    proba = smooth.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert (smooth.predict(X) == y).mean() > 0.9
    # smoothed targets keep the network from becoming certain
    assert proba.max(axis=1).mean() < sharp.predict_proba(X).max(axis=1).mean() - 0.05
    assert smooth.history_["loss"][-1] > sharp.history_["loss"][-1]


def test_label_smoothing_with_validation_and_early_stopping():
    X = np.repeat(np.eye(3), 20, axis=0)
    y = np.repeat([0, 1, 2], 20)
    clf = ResidualMLPClassifier(**SMALL, epochs=5, label_smoothing=0.1).fit(X, y)
    assert np.isfinite(clf.history_["val_loss"]).all()


# -- parameters on every estimator -----------------------------------------------
NEW = {
    "lr_schedule": "constant",
    "warmup_epochs": 5,
    "min_lr_fraction": 0.01,
    "weight_decay": 0.0,
    "checkpoint_path": None,
    "tensorboard_dir": None,
}


@pytest.mark.parametrize(
    "cls",
    [
        ResidualMLPRegressor,
        ResidualMLPClassifier,
        CerebrosRegressor,
        CerebrosClassifier,
    ],
)
def test_new_parameters_and_defaults_on_every_estimator(cls):
    params = cls().get_params()
    assert {k: params[k] for k in NEW} == NEW
    assert ("label_smoothing" in params) == cls.__name__.endswith("Classifier")
    for name in [*NEW, "label_smoothing"]:
        assert (f"{name} :" in cls.__doc__) == (name in params)


@pytest.mark.parametrize(
    "bad",
    [
        dict(lr_schedule="cosine"),
        dict(weight_decay=-1.0),
        dict(warmup_epochs=-1),
        dict(min_lr_fraction=2.0),
        dict(label_smoothing=1.0),
    ],
)
def test_bad_training_parameters_are_refused(bad):
    X, y = np.eye(4), [0, 1, 0, 1]
    with pytest.raises(InvalidParameterError):
        ResidualMLPClassifier(**bad).fit(X, y)


def test_checkpoint_path_must_be_a_keras_file(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras"):
        ResidualMLPRegressor(checkpoint_path=tmp_path / "m.h5").fit(np.eye(4), range(4))


# -- gradient health -------------------------------------------------------------
def vanishing_stack(depth=8):
    """Sigmoid layers with tiny weights: the gradient below the top is ~0."""
    tiny = keras.initializers.RandomNormal(stddev=1e-3, seed=0)
    inputs = keras.Input((4,))
    h = inputs
    for _ in range(depth):
        h = keras.layers.Dense(8, activation="sigmoid", kernel_initializer=tiny)(h)
    return keras.Model(inputs, keras.layers.Dense(1)(h))


def test_gradient_monitor_warns_once_on_a_vanishing_network():
    keras.utils.set_random_seed(0)
    model = vanishing_stack()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    # No signal, and the network already predicts the mean: the loss is flat.
    noise = rng.normal(size=(64, 1))
    y = (model.predict(X, verbose=0) + noise - noise.mean()).astype(np.float32)
    settings = TrainSettings(
        epochs=6,
        batch_size=16,
        learning_rate=1e-3,
        loss="squared_error",
        early_stopping=False,
    )
    with pytest.warns(GradientHealthWarning, match="vanished") as record:
        history = train(model, X, y, settings=settings, rng=np.random.default_rng(0))
    assert len([w for w in record if w.category is GradientHealthWarning]) == 1
    assert len(history["smallest_layer_update"]) == 6
    assert max(history["smallest_layer_update"]) < 1e-9


def test_gradient_monitor_needs_a_flat_loss_and_three_epochs():
    monitor = WeightUpdateMonitor()
    monitor.set_model(vanishing_stack(depth=2))
    monitor.on_train_begin()
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        for epoch, loss in enumerate([1.0, 1.0, 0.5, 0.25]):  # not flat
            monitor.on_epoch_begin(epoch)
            monitor.on_epoch_end(epoch, {"loss": loss})
    assert monitor.smallest_layer_update == [0.0] * 4 and not monitor.warned
    assert set(monitor.per_layer) == {layer.name for layer in monitor.model.layers[1:]}
    with pytest.warns(GradientHealthWarning):
        monitor.on_epoch_begin(4)
        monitor.on_epoch_end(4, {"loss": 0.25})
    assert monitor.warned


def test_gradient_monitor_is_quiet_on_a_healthy_residual_mlp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X[:, 0] - 2 * X[:, 1] + rng.normal(scale=0.1, size=120)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientHealthWarning)
        reg = ResidualMLPRegressor(**SMALL, epochs=25, early_stopping=False).fit(X, y)
    updates = reg.history_["smallest_layer_update"]
    assert len(updates) == reg.n_iter_ == 25
    assert min(updates) > 1e-5


# -- checkpoints and TensorBoard ---------------------------------------------------
def test_checkpoint_saves_the_best_model(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 3)), rng.normal(size=80)
    path = tmp_path / "best.keras"
    reg = ResidualMLPRegressor(
        **SMALL, epochs=50, n_iter_no_change=3, checkpoint_path=str(path)
    ).fit(X, y)
    assert reg.n_iter_ < 50  # stopped early, so the best weights were restored
    loaded = keras.models.load_model(path)
    Xt = reg._transform_X(X, reset=False)
    np.testing.assert_allclose(
        loaded.predict(Xt, verbose=0), reg.model_.predict(Xt, verbose=0), rtol=1e-5
    )


def event_files(directory):
    return sorted(directory.rglob("events.out.tfevents*"))


def test_tensorboard_logs_the_epochs(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import (
        EventAccumulator,
    )

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    user = LRRecorder()
    reg = ResidualMLPRegressor(
        **SMALL,
        epochs=4,
        early_stopping=False,
        tensorboard_dir=tmp_path,
        callbacks=[user],
    ).fit(X, y)
    files = event_files(tmp_path / "train")
    assert files
    accumulator = EventAccumulator(str(files[0].parent)).Reload()
    assert len(accumulator.Tensors("epoch_loss")) == reg.n_iter_ == 4
    assert len(user.epochs) == 4  # user callbacks still run


def test_search_logs_each_trial_and_saves_the_fitted_network(tmp_path):
    pytest.importorskip("tensorboard")
    X = np.random.default_rng(0).normal(size=(50, 3))
    y = X[:, 0]
    search = CerebrosRegressor(
        **SEARCH,
        tensorboard_dir=tmp_path / "tb",
        checkpoint_path=tmp_path / "search.keras",
        lr_schedule="warmup_cosine",
        warmup_epochs=1,
        weight_decay=1e-3,
    ).fit(X, y)
    assert event_files(tmp_path / "tb" / "trial_000")
    loaded = keras.models.load_model(tmp_path / "search.keras")
    Xt = search._transform_X(X, reset=False)
    np.testing.assert_allclose(
        loaded.predict(Xt, verbose=0), search.model_.predict(Xt, verbose=0), rtol=1e-5
    )
    assert "smallest_layer_update" in search.history_


# -- batches of one shape --------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 300),
    batch_size=st.integers(1, 64),
    seed=st.integers(0, 2**16),
    weighted=st.booleans(),
)
def test_every_batch_has_one_shape_and_the_same_mean(n, batch_size, seed, weighted):
    from sklearn_cerebros._keras._epochs import epoch_batches

    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    losses = rng.uniform(0.0, 3.0, n)  # a per-row loss to average
    batch_size = min(batch_size, n)
    seen = []
    for rows, w, own in epoch_batches(order, batch_size, weights):
        assert len(rows) == len(w) == batch_size  # one shape: one compiled step
        assert np.all(w[own:] == 0)  # the filler rows weigh nothing
        seen.extend(rows[:own])
        # Keras's mean over the batch equals the weighted mean over its own rows
        # divided the same way as for a batch of ``own`` rows
        keras_mean = np.sum(w * losses[rows]) / batch_size
        own_mean = np.sum(weights[rows[:own]] * losses[rows[:own]]) / own
        np.testing.assert_allclose(keras_mean, own_mean, rtol=1e-12)
        assert set(rows[own:]) <= set(order)  # filled up with rows of this epoch
    assert sorted(seen) == list(range(n))  # every row once per epoch


def _linear_model(n_features: int) -> keras.Model:
    """One seeded Dense unit on ``n_features`` inputs."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((n_features,))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))


def test_other_threads_drawing_from_pythons_generator_leave_weights_alone():
    """Keras draws the seeds of unseeded initializers from Python's generator,
    which every thread of the process shares (a Dask worker's event loop draws
    from it); a seeded fit draws them from a generator of its own (issue 17)."""
    import random
    import threading

    from sklearn_cerebros._keras import seeded

    def initial_weights() -> np.ndarray:
        with seeded(0):
            inputs = x = keras.Input((5,))
            for _ in range(8):
                x = keras.layers.Dense(4)(x)
            weights = keras.Model(inputs, x).get_weights()
        return np.concatenate([w.ravel() for w in weights])

    alone = initial_weights()
    stop = threading.Event()

    def draw() -> None:
        while not stop.wait(1e-4):
            random.random()

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        crowded = [initial_weights() for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    for weights in crowded:
        np.testing.assert_array_equal(weights, alone)
    # the caller's own stream is left where it was
    random.seed(1)
    expected = random.random()
    random.seed(1)
    initial_weights()
    assert random.random() == expected


def test_training_loss_is_the_mean_over_the_rows():
    """With a ragged last batch, history's loss is still the mean over all rows."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = rng.normal(size=(50, 1)).astype(np.float32)
    model = _linear_model(3)
    settings_ = TrainSettings(
        epochs=1,
        batch_size=16,
        learning_rate=0.0,
        loss="squared_error",
        early_stopping=False,
        clipnorm=None,
    )  # learning rate 0: the weights never move, so every batch sees one model
    history = train(model, X, y, settings=settings_, rng=np.random.default_rng(0))
    expected = np.mean((model.predict(X, verbose=0) - y) ** 2)
    np.testing.assert_allclose(history["loss"][0], expected, rtol=1e-5)


class _BatchCounter(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)


def test_batch_callbacks_see_every_batch():
    """Whatever the backend runs per execution, a user's batch hook sees each batch."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(70, 3)).astype(np.float32)
    y = rng.normal(size=(70, 1)).astype(np.float32)
    counter = _BatchCounter()
    model = _linear_model(3)
    settings_ = TrainSettings(
        epochs=2,
        batch_size=16,
        learning_rate=1e-2,
        loss="squared_error",
        early_stopping=False,
        callbacks=(counter,),
    )
    train(model, X, y, settings=settings_, rng=np.random.default_rng(0))
    assert counter.batches == [0, 1, 2, 3, 4] * 2


def test_steps_per_execution_rule():
    from sklearn_cerebros._keras._fit_path import steps_per_execution

    plain = keras.callbacks.EarlyStopping()
    jax = keras.backend.backend() == "jax"
    # all full batches in one execution, the padded last batch in another
    assert steps_per_execution(10, [plain], verbose=0) == (9 if jax else 1)
    assert steps_per_execution(1, [plain], verbose=0) == 1
    # a progress bar or a per-batch callback needs every batch
    assert steps_per_execution(10, [plain], verbose=1) == 1
    assert steps_per_execution(10, [plain, _BatchCounter()], verbose=0) == 1
