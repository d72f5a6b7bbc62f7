"""MLPMixerRegressor, MLPMixerClassifier and their plan, MixerPlan."""

from __future__ import annotations

import dataclasses
import json
import pickle
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_cerebros import MLPMixerClassifier, MLPMixerRegressor, PlanError
from sklearn_cerebros._keras import DropPath, build
from sklearn_cerebros.architecture import MixerPlan

# One block keeps the fits quick: a mixer has many small weights, and the
# eager steps of short fits cost per weight.
SMALL = dict(
    patch_size=4,
    hidden_dim=16,
    n_blocks=1,
    token_mlp_dim=16,
    channel_mlp_dim=32,
    epochs=15,
    batch_size=256,
    learning_rate=1e-2,
    random_state=0,
)


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=240, n_features=10, noise=5.0, random_state=0)
    return X, y * 10 + 500


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=240, n_features=10, random_state=0)
    return X, np.array(["no", "yes"])[y]


# -- the plan, without training ----------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(
    n_features=st.integers(1, 40),
    patch_size=st.integers(1, 9),
    hidden_dim=st.integers(1, 12),
    n_blocks=st.integers(0, 3),
    token=st.integers(1, 9),
    channel=st.integers(1, 9),
    units=st.integers(1, 4),
)
def test_n_params_equals_keras_count(
    n_features, patch_size, hidden_dim, n_blocks, token, channel, units
):
    plan = MixerPlan(
        patch_size=patch_size,
        hidden_dim=hidden_dim,
        n_blocks=n_blocks,
        token_mlp_dim=token,
        channel_mlp_dim=channel,
        dropout=0.1,
        stochastic_depth=0.2,
    ).with_head(units, "softmax")
    model = build(plan, n_features)
    assert model.count_params() == plan.n_params(n_features)
    assert plan.n_tokens(n_features) * patch_size >= n_features
    assert plan.padding(n_features) < patch_size


def test_features_are_padded_to_whole_patches():
    plan = MixerPlan(patch_size=4, hidden_dim=8, n_blocks=1)
    assert (plan.n_tokens(10), plan.padding(10)) == (3, 2)
    assert (plan.n_tokens(12), plan.padding(12)) == (3, 0)
    model = build(plan, 10)
    assert model.get_layer("patches").output.shape[1:] == (3, 4)
    assert "pad" not in [layer.name for layer in build(plan, 12).layers]


def test_mixer_plan_round_trips_through_json():
    plan = MixerPlan(patch_size=3, n_blocks=3, dropout=0.1, stochastic_depth=0.3)
    plan = plan.with_head(4, "softmax")
    again = MixerPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert (again.head_units, again.head_activation) == (4, "softmax")
    np.testing.assert_allclose(again.drop_path_rates(), [0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    "data, match",
    [
        ({"format": "sklearn-cerebros-plan", "version": 1}, "Not a mixer plan"),
        ({"format": "sklearn-cerebros-mixer-plan", "version": 9}, "version 9"),
        (
            {"format": "sklearn-cerebros-mixer-plan", "version": 1, "depth": 3},
            "Unknown mixer plan fields: \\['depth'\\]",
        ),
    ],
)
def test_from_dict_refuses_foreign_data(data, match):
    with pytest.raises(PlanError, match=match):
        MixerPlan.from_dict(data)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"patch_size": 0}, "patch_size must be an int of at least 1"),
        ({"hidden_dim": 2.5}, "hidden_dim must be an int"),
        ({"n_blocks": -1}, "n_blocks must be an int of at least 0"),
        ({"token_mlp_dim": True}, "token_mlp_dim must be an int"),
        ({"dropout": 1.0}, "dropout must be in \\[0, 1\\)"),
        ({"stochastic_depth": -0.1}, "stochastic_depth must be in \\[0, 1\\)"),
        ({"activation": "nope"}, "Unknown activation 'nope'"),
        ({"head_activation": "relu"}, "Unknown head activation"),
    ],
)
def test_mixer_plan_validation_names_the_field(kwargs, match):
    with pytest.raises(PlanError, match=match):
        MixerPlan(**kwargs)


def test_describe_and_summary():
    plan = MixerPlan(patch_size=4, hidden_dim=8, n_blocks=2, stochastic_depth=0.2)
    assert plan.describe().startswith("MLP-Mixer: 2 blocks, patches of 4")
    assert "drop path up to 0.2" in plan.describe()
    text = plan.summary(10)
    assert "10 features + 2 zero padding -> 3 tokens of 4" in text
    assert "block 1: token mixing 3 -> 32 -> 3" in text
    assert "drop path 0.1" in text
    assert f"parameters: {plan.n_params(10):,}" in text


# -- the estimators ------------------------------------------------------------------
def test_regressor_learns_and_stochastic_depth_is_off_in_inference(regression_data):
    X, y = regression_data
    reg = MLPMixerRegressor(**{**SMALL, "n_blocks": 2}, stochastic_depth=0.3)
    reg.fit(X, y)
    assert isinstance(reg.plan_, MixerPlan)
    assert reg.plan_.head_units == 1
    assert reg.model_.count_params() == reg.plan_.n_params(reg.n_network_inputs_)
    assert reg.predict(X).shape == y.shape
    assert reg.score(X, y) > 0.7
    # one DropPath per sub-block, active in training only
    assert sum(isinstance(layer, DropPath) for layer in reg.model_.layers) == 4
    np.testing.assert_array_equal(reg.predict(X), reg.predict(X))
    Xt = reg.preprocessor_.transform(X).astype(np.float32)
    a = keras.ops.convert_to_numpy(reg.model_(Xt, training=True))
    b = keras.ops.convert_to_numpy(reg.model_(Xt, training=True))
    assert not np.allclose(a, b)
    # with the same weights, a network built without stochastic depth agrees
    plain = build(dataclasses.replace(reg.plan_, stochastic_depth=0.0), Xt.shape[1])
    plain.set_weights(reg.model_.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(plain(Xt, training=False)),
        keras.ops.convert_to_numpy(reg.model_(Xt, training=False)),
        rtol=1e-5,
    )


def test_classifier_labels_multiclass_and_smoothing():
    X, y = make_classification(
        n_samples=300, n_features=9, n_informative=5, n_classes=3, random_state=0
    )
    labels = np.array(["a", "b", "c"])[y]
    # Robust scaling keeps 9 features as 9 inputs (3 tokens of patch 4 with
    # padding): the quality floor below was set for that width; 16 bins a
    # feature make the 15-epoch mixer land near it on JAX (0.64).
    clf = MLPMixerClassifier(
        **SMALL, label_smoothing=0.1, class_weight="balanced", preprocessing="robust"
    )
    clf.fit(X, labels)
    assert clf.plan_.head_activation == "softmax"
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X)) <= {"a", "b", "c"}
    assert clf.score(X, labels) > 0.7


def test_frame_with_categoricals_nan_and_sample_weight():
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame(
        {
            "area": rng.normal(100, 20, n),
            "rooms": rng.integers(1, 6, n).astype(float),
            "city": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "style": rng.choice(["x", "y", None], n),
        }
    )
    price = 3 * frame["area"] + 20 * frame["rooms"] + frame["city"].cat.codes * 30
    frame.loc[::7, "area"] = np.nan
    frame.loc[::5, "city"] = np.nan
    weight = np.where(frame["rooms"] > 3, 2.0, 1.0)
    reg = MLPMixerRegressor(**SMALL).fit(frame, price, sample_weight=weight)
    assert np.isfinite(reg.predict(frame)).all()
    assert reg.score(frame, price) > 0.5


def test_grid_search_over_patch_size_in_a_pipeline(regression_data):
    X, y = regression_data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mixer", MLPMixerRegressor(**{**SMALL, "epochs": 3}, preprocessing=None)),
        ]
    )
    grid = GridSearchCV(pipe, {"mixer__patch_size": [2, 5]}, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    assert grid.best_estimator_[-1].plan_.patch_size in (2, 5)


def test_x_val_warm_start_and_schedule(regression_data):
    X, y = regression_data
    reg = MLPMixerRegressor(
        **{**SMALL, "epochs": 3},
        early_stopping=False,
        lr_schedule="warmup_cosine",
        warmup_epochs=1,
        weight_decay=1e-4,
        warm_start=True,
    )
    reg.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    assert len(reg.history_["val_loss"]) == 3
    model = reg.model_
    reg.fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    assert reg.model_ is model and reg.n_iter_ == 6


def test_same_seed_same_model_pickle_and_keras_save(tmp_path, binary_data):
    X, y = binary_data
    params = dict(**SMALL, dropout=0.1, stochastic_depth=0.2)
    clf = MLPMixerClassifier(**params).fit(X, y)
    expected = clf.predict_proba(X)
    again = MLPMixerClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)
    assert restored.plan_ == clf.plan_
    path = tmp_path / "mixer.keras"
    clf.model_.save(path)
    loaded = keras.models.load_model(path)
    Xt = clf.preprocessor_.transform(X).astype(np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(Xt, training=False)),
        keras.ops.convert_to_numpy(clf.model_(Xt, training=False)),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"patch_size": 0}, "'patch_size' parameter"),
        ({"hidden_dim": 0}, "'hidden_dim' parameter"),
        ({"n_blocks": -1}, "'n_blocks' parameter"),
        ({"token_mlp_dim": 1.5}, "'token_mlp_dim' parameter"),
        ({"channel_mlp_dim": None}, "'channel_mlp_dim' parameter"),
        ({"activation": "nope"}, "'activation' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"stochastic_depth": 1.0}, "'stochastic_depth' parameter"),
        ({"lr_schedule": "cyclic"}, "'lr_schedule' parameter"),
    ],
)
def test_invalid_parameters_are_named(regression_data, params, match):
    X, y = regression_data
    with pytest.raises(InvalidParameterError, match=match):
        MLPMixerRegressor(**params).fit(X, y)


def test_plot_architecture_explains_it_cannot_draw_a_mixer():
    pytest.importorskip("matplotlib")
    from sklearn_cerebros.plotting import plot_architecture

    fitted_like = SimpleNamespace(plan_=MixerPlan())
    for target in (MixerPlan(), fitted_like):
        with pytest.raises(TypeError, match="MLP-Mixer.*summary"):
            plot_architecture(target)
