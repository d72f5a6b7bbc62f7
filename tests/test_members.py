"""Joint ensembles (TabM-mini): plan field, layers, training loss, early
stopping on the members' average, persistence and estimator checks."""

from __future__ import annotations

import dataclasses
import json
import pickle

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from sklearn_cerebros import (
    CerebrosRegressor,
    MLPMixerClassifier,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros._keras import TrainSettings, build, train
from sklearn_cerebros._keras._forward import predict_array
from sklearn_cerebros._keras._members import MembersLoss, members_view
from sklearn_cerebros._keras._training import make_loss
from sklearn_cerebros.architecture import (
    Level,
    LevelsPlan,
    MixerPlan,
    OutputHead,
    PlanError,
    Unit,
    residual_plan,
)

SMALL = dict(n_blocks=1, width=8, epochs=8, batch_size=32, random_state=0)


def tiny_plan(members: int, units: int = 1, activation: str = "linear") -> LevelsPlan:
    return LevelsPlan(
        levels=(Level((Unit(4, inputs=((0, 0),)),)),),
        head=OutputHead(inputs=((1, 0),), units=units, activation=activation),
        members=members,
    )


def gated_plan(members: int) -> LevelsPlan:
    """Two levels, a gated lateral, a skip, batch norm, dropout, drop path."""
    return LevelsPlan(
        levels=(
            Level(
                (
                    Unit(5, inputs=((0, 0),), batch_norm=True),
                    Unit(3, inputs=((0, 0),), laterals=(0,), gated=(0,)),
                )
            ),
            Level((Unit(6, inputs=((1, 0), (1, 1), (0, 0)), dropout=0.1),)),
        ),
        head=OutputHead(inputs=((2, 0), (1, 1)), units=2, activation="softmax"),
        members=members,
    )


# -- the plan field ----------------------------------------------------------
@pytest.mark.parametrize("members", [1, 2, 7])
def test_n_params_counts_the_built_weights(members):
    plans = [
        tiny_plan(members),
        gated_plan(members),
        dataclasses.replace(
            residual_plan(n_blocks=2, width=16, batch_norm=True, stochastic_depth=0.2),
            members=members,
        ).with_head(3, "softmax"),
    ]
    for plan in plans:
        keras.utils.set_random_seed(0)
        assert build(plan, 9).count_params() == plan.n_params(9)
    mixer = MixerPlan(patch_size=3, hidden_dim=8, n_blocks=2, members=members)
    for n_features in (7, 9):  # with and without padding
        model = build(mixer.with_head(2, "sigmoid"), n_features)
        assert model.count_params() == mixer.with_head(2, "sigmoid").n_params(
            n_features
        )


@pytest.mark.parametrize("make", [gated_plan, lambda k: MixerPlan(members=k)])
def test_members_round_trip_through_json(make):
    plan = make(5)
    data = json.loads(json.dumps(plan.to_dict()))
    assert data["members"] == 5
    assert type(plan).from_dict(data) == plan
    del data["members"]  # written before the field existed
    assert type(plan).from_dict(data).members == 1
    assert "5 members" in plan.describe()
    assert "one per member of 5" in plan.summary(9)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
@pytest.mark.parametrize("cls", ["plan", "mixer"])
def test_bad_members_are_refused(bad, cls):
    with pytest.raises(PlanError, match="members must be an int of at least 1"):
        if cls == "plan":
            dataclasses.replace(tiny_plan(1), members=bad)
        else:
            MixerPlan(members=bad)


# -- the built network -------------------------------------------------------
def test_one_member_builds_the_plain_network():
    """Same layers, same weights for the same seed as a hand-built model."""
    keras.utils.set_random_seed(3)
    model = build(tiny_plan(1, units=2), 5)
    keras.utils.set_random_seed(3)
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    reference = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    assert [type(layer) for layer in model.layers] == [
        type(layer) for layer in reference.layers
    ]
    for ours, theirs in zip(model.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert members_view(model) is None


def test_members_layers_shapes_and_seeded_signs():
    keras.utils.set_random_seed(1)
    model = build(gated_plan(4), 6)
    scale = model.get_layer("members_input").get_weights()[0]
    assert scale.shape == (4, 6)
    assert set(np.unique(scale)) == {-1.0, 1.0}
    keras.utils.set_random_seed(1)
    again = build(gated_plan(4), 6)
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert tuple(model.get_layer("head").output.shape) == (None, 4, 2)
    assert tuple(model.output.shape) == (None, 2)
    assert tuple(members_view(model).output.shape) == (None, 4, 2)


@pytest.mark.parametrize(
    "build",
    [
        lambda: build(gated_plan(3), 6),
        lambda: build(
            MixerPlan(patch_size=4, hidden_dim=8, n_blocks=1, members=3).with_head(
                2, "softmax"
            ),
            6,
        ),
    ],
)
def test_output_is_the_mean_of_the_members_and_the_compiled_pass_agrees(build):
    keras.utils.set_random_seed(0)
    model = build()
    X = np.random.default_rng(0).normal(size=(11, 6)).astype(np.float32)
    members = keras.ops.convert_to_numpy(members_view(model)(X))
    assert members.shape == (11, 3, 2)
    # the members start apart (own signs, own heads)
    assert np.abs(members[:, 0] - members[:, 1]).max() > 1e-3
    np.testing.assert_allclose(members.sum(axis=-1), 1.0, rtol=1e-5)  # softmax
    mean = members.mean(axis=1)
    np.testing.assert_allclose(predict_array(model, X), mean, rtol=1e-5, atol=1e-6)
    direct = predict_array(model, X, compiled=False)
    np.testing.assert_allclose(direct, mean, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "build",
    [
        lambda: build(gated_plan(3), 6),
        lambda: build(MixerPlan(patch_size=4, hidden_dim=8, members=3), 6),
    ],
    ids=["plan", "mixer"],
)
def test_saved_and_loaded_models_keep_the_members(build, tmp_path):
    keras.utils.set_random_seed(0)
    model = build()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    X = np.random.default_rng(1).normal(size=(7, 6)).astype(np.float32)
    np.testing.assert_allclose(
        predict_array(loaded, X, compiled=False),
        predict_array(model, X, compiled=False),
        rtol=1e-6,
    )
    assert tuple(members_view(loaded).output.shape)[1] == 3


# -- the training loss -------------------------------------------------------
def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


CASES = {
    # loss, head units, head activation, targets, per (row, member) loss by hand
    "squared_error": (
        "squared_error",
        1,
        "linear",
        lambda rng, n: rng.normal(size=n),
        lambda p, y: (p[..., 0] - y[:, None]) ** 2,
    ),
    "binary": (
        "binary_crossentropy",
        1,
        "sigmoid",
        lambda rng, n: rng.integers(0, 2, n).astype(float),
        lambda p, y: (
            -(y[:, None] * np.log(p[..., 0]) + (1 - y[:, None]) * np.log(1 - p[..., 0]))
        ),
    ),
    "multiclass": (
        "categorical_crossentropy",
        3,
        "softmax",
        lambda rng, n: rng.integers(0, 3, n).astype(float),
        lambda p, y: (
            -np.log(np.take_along_axis(p, y[:, None, None].astype(int), 2))[..., 0]
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("column", [False, True], ids=["y(n,)", "y(n,1)"])
def test_training_loss_is_the_mean_of_the_members_losses(case, column):
    """Checked by hand, for targets of shape (n,) and (n, 1): Keras's rank
    matching must not squeeze the member axis of a (n, k, 1) prediction."""
    loss, units, activation, draw, by_hand = CASES[case]
    rng = np.random.default_rng(0)
    n, k = 24, 4
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = draw(rng, n).astype(np.float32)
    w = rng.uniform(0.5, 2.0, n).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = build(tiny_plan(k, units, activation), 3)
    p = keras.ops.convert_to_numpy(members_view(model)(X)).astype(np.float64)
    per_member = by_hand(p, y.astype(np.float64))
    assert per_member.shape == (n, k)
    expected = np.mean(per_member.mean(axis=1) * w)
    y_in = y[:, None] if column else y
    value = MembersLoss(make_loss(loss))(y_in, p.astype(np.float32), w)
    np.testing.assert_allclose(float(value), expected, rtol=1e-5)
    # the loss the training loop reports, with steps too small to move weights
    settings = TrainSettings(
        epochs=1, batch_size=n, learning_rate=1e-30, loss=loss, early_stopping=False
    )
    history = train(
        model, X, y_in, settings=settings, rng=rng, sample_weight=w, validation=None
    )
    np.testing.assert_allclose(history["loss"][0], expected, rtol=1e-5)


def test_early_stopping_keeps_the_best_epoch_of_the_average():
    X, y = make_regression(160, 5, noise=20.0, random_state=0)
    X, y = X.astype(np.float32), (y / y.std()).astype(np.float32)[:, None]
    Xv, yv = X[120:], y[120:]
    keras.utils.set_random_seed(0)
    model = build(gated_plan(4).with_head(1, "linear"), 5)
    settings = TrainSettings(
        epochs=30, batch_size=16, learning_rate=3e-2, loss="squared_error",
        n_iter_no_change=3,
    )  # fmt: skip
    history = train(
        model, X[:120], y[:120], settings=settings,
        rng=np.random.default_rng(0), validation=(Xv, yv, None),
    )  # fmt: skip
    mse = make_loss("squared_error")
    kept_mean = float(mse(yv, predict_array(model, Xv, compiled=False)))
    members = keras.ops.convert_to_numpy(members_view(model)(Xv))
    kept_members = float(MembersLoss(mse)(yv, members))
    # val_loss is the average's loss, and the kept weights are its best epoch's
    assert kept_mean == pytest.approx(min(history["val_loss"]), rel=1e-4)
    assert kept_members > kept_mean * 1.01
    assert len(history["val_loss"]) < 30
    # the members differ after training
    assert np.abs(members[:, 0] - members[:, 1]).mean() > 1e-3


# -- estimators --------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted():
    X, y = make_regression(120, 6, noise=5.0, random_state=0)
    return ResidualMLPRegressor(**SMALL, n_members=3).fit(X, y), X


def test_estimator_builds_members_and_predicts_their_mean(fitted):
    reg, X = fitted
    assert reg.plan_.members == 3
    members = keras.ops.convert_to_numpy(
        members_view(reg.model_)(reg._transform_X(X, reset=False))
    )
    raw = predict_array(reg.model_, reg._transform_X(X, reset=False))
    np.testing.assert_allclose(raw, members.mean(axis=1), rtol=1e-5, atol=1e-6)
    assert len(reg.history_["val_loss"]) == reg.n_iter_


def test_pickle_and_keras_save_keep_the_members(fitted, tmp_path):
    reg, X = fitted
    expected = reg.predict(X)
    np.testing.assert_allclose(
        pickle.loads(pickle.dumps(reg)).predict(X), expected, rtol=1e-6
    )
    path = tmp_path / "members.keras"
    reg.model_.save(path)
    loaded = keras.models.load_model(path)
    Xt = reg._transform_X(X, reset=False)
    np.testing.assert_allclose(
        predict_array(loaded, Xt), predict_array(reg.model_, Xt), rtol=1e-6
    )
    assert tuple(members_view(loaded).output.shape) == (None, 3, 1)


def test_checkpoint_saves_the_mean_model(tmp_path):
    X, y = make_regression(80, 4, random_state=0)
    path = tmp_path / "best.keras"
    ResidualMLPRegressor(**SMALL, n_members=2, checkpoint_path=path).fit(X, y)
    assert tuple(keras.models.load_model(path).output.shape) == (None, 1)


def test_classifiers_average_probabilities_with_weights_and_smoothing():
    X, y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)
    clf = ResidualMLPClassifier(
        **{**SMALL, "epochs": 40, "learning_rate": 1e-2},
        n_members=4,
        label_smoothing=0.1,
        class_weight="balanced",
    ).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clf.score(X, y) > 0.6
    mixer = MLPMixerClassifier(
        patch_size=2, hidden_dim=8, n_blocks=1, epochs=5, random_state=0, n_members=3
    ).fit(X, y == 0, sample_weight=np.linspace(0.5, 1.5, len(y)))
    assert mixer.plan_.members == 3
    np.testing.assert_allclose(mixer.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)


def test_every_search_trial_gets_the_members():
    X, y = make_regression(100, 4, random_state=0)
    search = CerebrosRegressor(
        levels=(1, 1), skip_depth=(1, 2), neurons_per_unit=(4, 8), n_trials=2,
        epochs=3, ensemble_size=1,  # model_ is then the best trial's network
        n_members=3, random_state=0, initial_plans=None, cv=None,
        kinds=("levels",),  # n_members is for the drawn levels structures
    ).fit(X, y)  # fmt: skip
    assert search.best_plan_.members == 3
    assert all(
        json.loads(json.dumps(plan))["members"] == 3
        for plan in search.search_results_["plan"]
    )
    assert members_view(search.model_) is not None
