"""Stochastic depth: the plan field, the DropPath layer, the residual estimators."""

from __future__ import annotations

import json
import pickle

import keras
import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_cerebros import PlanError, ResidualMLPClassifier, ResidualMLPRegressor
from sklearn_cerebros._keras import DropPath, build
from sklearn_cerebros.architecture import (
    Level,
    LevelsPlan,
    OutputHead,
    Unit,
    drop_path_rates,
    residual_plan,
)

SMALL = dict(
    n_blocks=2, width=16, epochs=8, batch_size=256, learning_rate=1e-2, random_state=0
)


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=0)
    return X.astype(np.float32), y


# -- the plan ------------------------------------------------------------------
def test_residual_plan_puts_linearly_growing_rates_on_each_block_output():
    plan = residual_plan(n_blocks=4, layers_per_block=2, width=8, stochastic_depth=0.4)
    rates = [unit.drop_path for _, _, unit in plan.iter_units()]
    # only a block's last layer (its output into the concatenation) is dropped
    assert rates[0::2] == [0.0] * 4
    np.testing.assert_allclose(rates[1::2], [0.1, 0.2, 0.3, 0.4])
    assert drop_path_rates(0.0, 3) == [0.0, 0.0, 0.0]


def test_head_layers_are_never_dropped():
    plan = residual_plan(n_blocks=1, width=8, head_layers=(4,), stochastic_depth=0.2)
    assert plan.unit(plan.n_levels, 0).drop_path == 0.0


def test_plan_with_drop_path_round_trips_through_json():
    plan = residual_plan(n_blocks=3, width=8, stochastic_depth=0.3)
    again = LevelsPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.unit(6, 0).drop_path == pytest.approx(0.3)
    assert plan != residual_plan(n_blocks=3, width=8)


def test_a_dict_written_before_drop_path_still_loads():
    data = residual_plan(n_blocks=1, width=8).to_dict()
    for units in data["levels"]:
        for unit in units:
            del unit["drop_path"]
    assert LevelsPlan.from_dict(data) == residual_plan(n_blocks=1, width=8)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5])
def test_drop_path_out_of_range_is_refused_by_name(rate):
    with pytest.raises(PlanError, match="drop_path must be in"):
        LevelsPlan(
            levels=(Level((Unit(4, inputs=((0, 0),), drop_path=rate),)),),
            head=OutputHead(inputs=((1, 0),)),
        )
    with pytest.raises(PlanError, match="stochastic_depth must be in"):
        residual_plan(n_blocks=2, stochastic_depth=rate)


def test_describe_and_summary_show_drop_path():
    plan = residual_plan(n_blocks=2, width=8, stochastic_depth=0.2)
    assert "drop path on 2 units (up to 0.2)" in plan.describe()
    assert "drop path 0.1" in plan.summary()
    assert "drop path" not in residual_plan(n_blocks=2, width=8).describe()


# -- the layer -----------------------------------------------------------------
def test_drop_path_layer_zeroes_whole_rows_and_rescales_the_rest():
    layer = DropPath(0.5, seed=0)
    x = np.ones((400, 3, 5), dtype=np.float32)
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    per_row = out.reshape(400, -1)
    zero = np.all(per_row == 0, axis=1)
    kept = np.all(np.isclose(per_row, 2.0), axis=1)
    assert np.all(zero | kept)  # a row is dropped whole or kept whole
    assert 0.35 < zero.mean() < 0.65
    again = keras.ops.convert_to_numpy(layer(x, training=True))
    assert not np.array_equal(out, again)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), x)


def test_drop_path_layer_config_and_bad_rate():
    layer = DropPath(0.25, seed=3, name="dp")
    clone = DropPath.from_config(layer.get_config())
    assert (clone.rate, clone.seed, clone.name) == (0.25, 3, "dp")
    with pytest.raises(ValueError, match="rate must be in"):
        DropPath(1.0)


# -- the estimators --------------------------------------------------------------
def test_stochastic_depth_is_active_in_training_only(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**SMALL, stochastic_depth=0.5).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), reg.predict(X))
    Xt = reg.preprocessor_.transform(X).astype(np.float32)
    a = keras.ops.convert_to_numpy(reg.model_(Xt, training=True))
    b = keras.ops.convert_to_numpy(reg.model_(Xt, training=True))
    assert not np.allclose(a, b)
    # inference equals the same weights in a network built without it
    plain_plan = residual_plan(n_blocks=2, width=16)
    plain = build(plain_plan.with_head(1, "linear", reg.plan_.members), Xt.shape[1])
    plain.set_weights(reg.model_.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(plain(Xt, training=False)),
        keras.ops.convert_to_numpy(reg.model_(Xt, training=False)),
        rtol=1e-6,
    )
    assert reg.score(X, y) > 0.5


def test_stochastic_depth_changes_training_and_is_seeded(regression_data):
    X, y = regression_data
    a = ResidualMLPRegressor(**SMALL, stochastic_depth=0.3).fit(X, y).predict(X)
    b = ResidualMLPRegressor(**SMALL, stochastic_depth=0.3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    off = ResidualMLPRegressor(**SMALL).fit(X, y).predict(X)
    assert not np.allclose(a, off)


def test_model_with_stochastic_depth_saves_loads_and_pickles(tmp_path):
    X = np.random.default_rng(0).normal(size=(120, 5))
    y = (X[:, 0] > 0).astype(int)
    clf = ResidualMLPClassifier(**SMALL, stochastic_depth=0.2).fit(X, y)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)
    path = tmp_path / "model.keras"
    clf.model_.save(path)
    loaded = keras.models.load_model(path)
    assert any(isinstance(layer, DropPath) for layer in loaded.layers)
    Xt = clf.preprocessor_.transform(X).astype(np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(Xt, training=False)),
        keras.ops.convert_to_numpy(clf.model_(Xt, training=False)),
        rtol=1e-6,
    )


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_bad_stochastic_depth_is_named(regression_data, rate):
    X, y = regression_data
    with pytest.raises(InvalidParameterError, match="'stochastic_depth' parameter"):
        ResidualMLPRegressor(stochastic_depth=rate).fit(X, y)
