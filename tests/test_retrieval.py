"""The learned-retrieval network: its plan, its memory, and its place in the search."""

from __future__ import annotations

import dataclasses
import pickle

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from _search_params import TINY
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros._keras import (
    SparseRows,
    TrainSettings,
    build,
    fit_network,
    predict_array,
    rebuild,
)
from sklearn_cerebros._keras._retrieval import memory_of, memory_rows
from sklearn_cerebros.architecture import (
    MixerPlan,
    PlanError,
    RetrievalPlan,
    plan_from_dict,
    residual_plan,
)

SMALL = RetrievalPlan(width=8, k=4)
SETTINGS = TrainSettings(
    epochs=3, batch_size=32, learning_rate=1e-2, loss="squared_error"
)


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=160, n_features=5, noise=5.0, random_state=0)
    return X, y


# -- the plan -------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(1, 256),
    k=st.integers(1, 64),
    dropout=st.floats(0.0, 0.99),
    max_candidates=st.integers(1, 10_000),
    head_units=st.integers(1, 10),
    head_activation=st.sampled_from(["linear", "sigmoid", "softmax"]),
    learning_rate=st.none() | st.floats(1e-6, 1.0),
    weight_decay=st.none() | st.floats(0.0, 1.0),
    train_candidates=st.none() | st.integers(1, 10_000),
    memory_gradients=st.booleans(),
)
def test_plan_round_trips_through_its_dict(**fields):
    plan = RetrievalPlan(**fields)
    assert RetrievalPlan.from_dict(plan.to_dict()) == plan
    assert plan_from_dict(plan.to_dict()) == plan
    # a training field left unset is not written: the dict reads as before
    for name in ("learning_rate", "weight_decay"):
        assert (name in plan.to_dict()) == (fields[name] is not None)


def test_training_fields_are_described_and_change_equality():
    plan = RetrievalPlan(learning_rate=3e-4, weight_decay=1e-4)
    assert plan.describe().endswith("; trained at 0.0003, weight decay 0.0001")
    assert "weight decay" not in RetrievalPlan().describe()
    assert plan != RetrievalPlan()
    default = RetrievalPlan()
    assert "drawn" not in default.describe() + default.summary()
    assert "constant" not in default.describe() + default.summary()
    drawn = RetrievalPlan(train_candidates=256, memory_gradients=False)
    assert (
        "rows (256 drawn a training step), memory keys constant in a training step"
        in drawn.describe()
    )
    assert "among 256 drawn each step" in drawn.summary()
    assert "keys constant in a training step" in drawn.summary()
    assert drawn != default


def test_a_plan_dict_from_before_the_training_fields_reads_as_it_trained():
    old = RetrievalPlan().to_dict()
    del old["train_candidates"], old["memory_gradients"]
    plan = RetrievalPlan.from_dict(old)
    assert plan.train_candidates is None and plan.memory_gradients is True
    assert RetrievalPlan.from_dict(RetrievalPlan().to_dict()) == RetrievalPlan()
    assert set(RetrievalPlan().to_dict()) == {
        "format", "version", "width", "k", "dropout", "max_candidates",
        "head_units", "head_activation", "name", "train_candidates",
        "memory_gradients",
    }  # fmt: skip


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"width": 0}, "width must be an int of at least 1"),
        ({"k": 2.5}, "k must be an int"),
        ({"max_candidates": True}, "max_candidates must be an int"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"head_activation": "relu"}, "Unknown head activation 'relu'"),
        ({"learning_rate": 0.0}, "learning_rate must be None or a float above 0"),
        ({"learning_rate": -1e-3}, "learning_rate must be None or a float above"),
        ({"learning_rate": float("nan")}, "learning_rate must be None or a float"),
        ({"learning_rate": "fast"}, "learning_rate must be None or a float"),
        ({"learning_rate": True}, "learning_rate must be None or a float"),
        ({"weight_decay": -1e-4}, "weight_decay must be None or a float 0 or more"),
        ({"weight_decay": float("inf")}, "weight_decay must be None or a float"),
        ({"train_candidates": 0}, "train_candidates must be None or an int of at"),
        ({"train_candidates": 0.5}, "train_candidates must be None or an int"),
        ({"train_candidates": True}, "train_candidates must be None or an int"),
        ({"memory_gradients": 1}, "memory_gradients must be True or False, got 1"),
    ],
)
def test_bad_plan_fields_are_refused_by_name(fields, match):
    with pytest.raises(PlanError, match=match):
        RetrievalPlan(**fields)


def test_plan_dicts_of_other_kinds_or_fields_are_refused():
    with pytest.raises(PlanError, match="Not a retrieval plan"):
        RetrievalPlan.from_dict(MixerPlan().to_dict())
    with pytest.raises(PlanError, match=r"Unknown retrieval plan fields: \['depth'\]"):
        RetrievalPlan.from_dict({**RetrievalPlan().to_dict(), "depth": 2})


def test_a_retrieval_plan_has_no_joint_members():
    assert SMALL.with_head(3, "softmax", 1).head_units == 3
    with pytest.raises(PlanError, match="members=8"):
        SMALL.with_head(1, "linear", 8)


@pytest.mark.parametrize("n_features, units", [(1, 1), (7, 3), (40, 2)])
def test_parameter_count_is_the_built_networks_trainable_count(n_features, units):
    plan = RetrievalPlan(width=12, k=3).with_head(units, "linear")
    model = build(plan, n_features, memory=5)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert plan.n_params(n_features) == trainable
    assert f"{trainable:,} trainable" in plan.summary(n_features)


# -- the memory -----------------------------------------------------------------
def test_memory_is_capped_by_a_seeded_draw_of_distinct_rows():
    X = np.arange(200, dtype=np.float32).reshape(100, 2)
    y = np.arange(100, dtype=np.float32)
    plan = RetrievalPlan(max_candidates=30)
    features, targets = memory_of(plan, X, y, seed=3)
    assert features.shape == (30, 2) and targets.shape == (30, 1)
    rows = features[:, 0].astype(int) // 2
    assert len(set(rows)) == 30 and np.array_equal(targets[:, 0], rows)
    again, _ = memory_of(plan, X, y, seed=3)
    other, _ = memory_of(plan, X, y, seed=4)
    assert np.array_equal(features, again) and not np.array_equal(features, other)
    whole, _ = memory_of(RetrievalPlan(max_candidates=100), X, y, seed=3)
    assert np.array_equal(whole, X)  # all rows, in their order


def test_memory_one_hot_encodes_classes_and_densifies_sparse_rows():
    X = sp.random(20, 4, density=0.5, format="csr", random_state=0)
    y = np.arange(20) % 3
    plan = RetrievalPlan().with_head(3, "softmax")
    features, targets = memory_of(plan, SparseRows(X), y, seed=0)
    assert np.array_equal(features, X.toarray().astype(np.float32))
    assert np.array_equal(targets, np.eye(3, dtype=np.float32)[y])


def test_memory_rows_are_read_back_from_weights_and_checked():
    model = build(SMALL, 3, memory=7)
    assert memory_rows(model.get_weights(), 3) == 7
    with pytest.raises(ValueError, match="rows x 4"):
        memory_rows(model.get_weights(), 4)


# -- the network ------------------------------------------------------------------
def _network(memory_X, memory_y, seed=0):
    keras.utils.set_random_seed(seed)
    return build(SMALL, memory_X.shape[1], memory=(memory_X, memory_y))


@pytest.mark.parametrize("n_features, scale", [(3, 1.0), (600, 30.0)])
def test_a_row_never_retrieves_its_own_copy(n_features, scale):
    # wide rows of large values: float32 rounding of their distance to their
    # own copy is far above any fixed small threshold
    rng = np.random.default_rng(0)
    memory_X = (scale * rng.normal(size=(6, n_features))).astype(np.float32)
    memory_y = rng.normal(size=(6, 1)).astype(np.float32)
    model = _network(memory_X, memory_y)
    changed = memory_y.copy()
    changed[0] = 1e3  # the target of the row that equals the query
    other = _network(memory_X, changed)
    query = memory_X[:1]
    np.testing.assert_allclose(model(query), other(query), rtol=1e-6)
    # a row that is not a copy of memory row 0 does see its target
    near = query + 0.5 * scale
    assert not np.allclose(model(near), other(near))


def _values_one_neighbour_at_a_time(layer, rows):
    """The retrieval layer's output, each neighbour's value made in full."""
    ops = keras.ops
    memory = ops.convert_to_tensor(layer.memory)
    encoded, query = layer._encode(rows, False)
    _, keys = layer._encode(memory, False)
    scale = ops.sum(rows * rows, axis=1, keepdims=True) + ops.expand_dims(
        ops.sum(memory * memory, axis=1), 0
    )
    distance = ops.sum((ops.expand_dims(query, 1) - keys[None]) ** 2, axis=-1)
    same = ops.sum((ops.expand_dims(rows, 1) - memory[None]) ** 2, -1) <= 1e-4 * scale
    similarity, nearest = ops.top_k(ops.where(same, -1e9, -distance), layer.k)
    weights = ops.softmax(similarity, axis=-1) * ops.cast(similarity > -1e8, "float32")
    targets = ops.take(ops.convert_to_tensor(layer.memory_targets), nearest, axis=0)
    difference = ops.expand_dims(query, 1) - ops.take(keys, nearest, axis=0)
    values = layer.label(targets) + layer.difference_out(
        layer.difference_in(difference)
    )
    return encoded + ops.sum(ops.expand_dims(weights, -1) * values, axis=1)


def _with_random_biases(layer, rng):
    for dense in (layer.label, layer.difference_in):
        dense.bias.assign(rng.normal(size=dense.bias.shape).astype(np.float32))


def _assert_as_made_in_full(layer, rows):
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(rows)),
        keras.ops.convert_to_numpy(_values_one_neighbour_at_a_time(layer, rows)),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "n_memory, n_features, k, copies",
    [(12, 3, 4, False), (300, 40, 32, False), (6, 3, 4, True)],
)
def test_the_neighbours_values_are_summed_as_each_made_in_full(
    n_memory, n_features, k, copies
):
    # the layer sums the neighbours' values before their affine layers: the
    # same outputs as making each neighbour's value in full, before and
    # after training through it
    rng = np.random.default_rng(4)
    memory_X = rng.normal(size=(n_memory, n_features)).astype(np.float32)
    if copies:  # every memory row the same: its copy retrieves nothing
        memory_X[:] = memory_X[0]
    memory_y = rng.normal(size=(n_memory, 1)).astype(np.float32)
    plan = dataclasses.replace(SMALL, k=k, dropout=0.0)
    keras.utils.set_random_seed(0)
    model = build(plan, n_features, memory=(memory_X, memory_y))
    layer = model.get_layer("retrieval")
    _with_random_biases(layer, rng)
    # three rows that are memory rows (which retrieve from the others only)
    rows = np.concatenate([memory_X[:3], rng.normal(size=(5, n_features))])
    rows = keras.ops.convert_to_tensor(rows.astype(np.float32))
    _assert_as_made_in_full(layer, rows)
    trained = fit_network(
        plan,
        (memory_X, memory_y[:, 0], None),
        None,
        SETTINGS,
        seed=3,
        n_features=n_features,
    )
    _assert_as_made_in_full(trained.model.get_layer("retrieval"), rows)


def _twins(memory_X, memory_y, train_candidates, dropout=0.1):
    """A network and its copy (same weights) drawing ``train_candidates``."""
    plan = dataclasses.replace(SMALL, dropout=dropout)
    keras.utils.set_random_seed(0)
    whole = build(plan, memory_X.shape[1], memory=(memory_X, memory_y))
    drawing = build(
        dataclasses.replace(plan, train_candidates=train_candidates),
        memory_X.shape[1],
        memory=len(memory_X),
    )
    drawing.set_weights(whole.get_weights())
    return whole, drawing


def _training_pass(model, rows):
    return keras.ops.convert_to_numpy(model(rows, training=True))


def test_constant_memory_keys_train_otherwise_and_predict_the_same():
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    X, y = X.astype(np.float32), (y / y.std()).astype(np.float32)
    fitted = {}
    for through in (True, False):
        plan = dataclasses.replace(SMALL, memory_gradients=through)
        fitted[through] = fit_network(
            plan, (X, y, None), None, SETTINGS, seed=3, n_features=4
        )
        # the forward pass is the same: before training, the same outputs
        keras.utils.set_random_seed(0)
        fresh = build(plan, 4, memory=(X[:30], y[:30, None]))
        fitted[through, "fresh"] = predict_array(fresh, X)
    np.testing.assert_allclose(
        fitted[True, "fresh"], fitted[False, "fresh"], rtol=1e-6, atol=1e-7
    )
    # trained, the memory's keys took (or did not take) part in each step
    a, b = (predict_array(fitted[t].model, X) for t in (True, False))
    assert not np.allclose(a, b)
    assert fitted[False].model.get_layer("retrieval").memory_gradients is False


def test_a_draw_of_candidates_changes_training_steps_not_predictions():
    rng = np.random.default_rng(2)
    memory_X = rng.normal(size=(40, 3)).astype(np.float32)
    memory_y = rng.normal(size=(40, 1)).astype(np.float32)
    rows = rng.normal(size=(6, 3)).astype(np.float32)
    whole, drawing = _twins(memory_X, memory_y, 5, dropout=0.0)
    assert drawing.get_layer("retrieval").draws_candidates
    # prediction retrieves from the whole memory, as without a draw
    np.testing.assert_allclose(
        predict_array(drawing, rows), predict_array(whole, rows), rtol=1e-5
    )
    # a training pass retrieves from 5 rows drawn anew at each call: with
    # dropout off, only the draw moves the output
    first, second = (_training_pass(drawing, rows) for _ in range(2))
    assert not np.allclose(first, second)
    np.testing.assert_allclose(_training_pass(whole, rows), _training_pass(whole, rows))


@pytest.mark.parametrize("train_candidates", [8, 100])
def test_a_draw_of_at_least_the_memory_is_the_whole_memory(train_candidates):
    rng = np.random.default_rng(3)
    memory_X = rng.normal(size=(8, 3)).astype(np.float32)
    memory_y = rng.normal(size=(8, 1)).astype(np.float32)
    whole, drawing = _twins(memory_X, memory_y, train_candidates, dropout=0.0)
    assert not drawing.get_layer("retrieval").draws_candidates
    rows = rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        _training_pass(drawing, rows), _training_pass(whole, rows), rtol=1e-5
    )


def test_a_network_drawing_candidates_trains_the_same_twice_and_saves(tmp_path):
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    X, y = X.astype(np.float32), (y / y.std()).astype(np.float32)
    plan = dataclasses.replace(SMALL, train_candidates=16)
    runs = [
        fit_network(plan, (X, y, None), None, SETTINGS, seed=3, n_features=4)
        for _ in range(2)
    ]
    predicted = [predict_array(run.model, X) for run in runs]
    np.testing.assert_array_equal(predicted[0], predicted[1])
    # the same network without a draw trains otherwise
    whole = fit_network(SMALL, (X, y, None), None, SETTINGS, seed=3, n_features=4)
    assert not np.allclose(predict_array(whole.model, X), predicted[0])
    # a saved network comes back drawing (and predicting) as it did
    path = tmp_path / "drawn.keras"
    runs[0].model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_layer("retrieval").train_candidates == 16
    np.testing.assert_allclose(predict_array(loaded, X), predicted[0], rtol=1e-5)


def test_rows_are_predicted_independently_of_their_batch():
    rng = np.random.default_rng(1)
    memory_X = rng.normal(size=(10, 3)).astype(np.float32)
    model = _network(memory_X, rng.normal(size=(10, 1)).astype(np.float32))
    rows = rng.normal(size=(5, 3)).astype(np.float32)
    together = predict_array(model, rows)
    alone = np.concatenate([predict_array(model, rows[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_fit_network_keeps_the_training_rows_and_rebuilds_from_weights(tmp_path):
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    X, y = X.astype(np.float32), (y / y.std()).astype(np.float32)
    trained = fit_network(
        SMALL,
        (X[:40], y[:40], None),
        (X[40:], y[40:], None),
        SETTINGS,
        seed=0,
        n_features=4,
    )
    weights = trained.model.get_weights()
    np.testing.assert_array_equal(weights[0], X[:40])
    np.testing.assert_array_equal(weights[1][:, 0], y[:40])
    expected = predict_array(trained.model, X[40:])
    np.testing.assert_array_equal(
        predict_array(rebuild(SMALL, 4, weights), X[40:]), expected
    )
    path = tmp_path / "retrieval.keras"
    trained.model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict_array(loaded, X[40:]), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "field, plan_value, estimator_value",
    [("learning_rate", 1e-3, 1e-2), ("weight_decay", 0.1, 0.0)],
)
def test_a_plans_own_training_settings_replace_the_estimators(
    field, plan_value, estimator_value
):
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    X, y = X.astype(np.float32), (y / y.std()).astype(np.float32)

    def weights(plan, value):
        settings = dataclasses.replace(SETTINGS, **{field: value})
        parts = (X[:40], y[:40], None), (X[40:], y[40:], None)
        trained = fit_network(plan, *parts, settings, seed=0, n_features=4)
        return trained.model.get_weights()

    own = weights(dataclasses.replace(SMALL, **{field: plan_value}), estimator_value)
    given = weights(SMALL, plan_value)
    for a, b in zip(own, given, strict=True):
        np.testing.assert_array_equal(a, b)
    # and the estimator's value alone trains a different network
    other = weights(SMALL, estimator_value)
    assert any(not np.array_equal(a, b) for a, b in zip(own, other, strict=True))


def test_build_refuses_what_a_retrieval_network_cannot_be():
    with pytest.raises(ValueError, match="built with its memory"):
        build(SMALL, 3)
    with pytest.raises(ValueError, match="Only a retrieval plan keeps a memory"):
        build(residual_plan(), 3, memory=4)
    with pytest.raises(ValueError, match="cannot be built on a base_model"):
        build(SMALL, base_model=keras.Sequential([keras.Input((3,))]), memory=4)
    with pytest.raises(ValueError, match=r"rows x 3 features and rows x 1 targets"):
        build(SMALL, 3, memory=(np.zeros((4, 2)), np.zeros((4, 1))))


# -- in the search ----------------------------------------------------------------
RETRIEVAL_SEARCH = {**TINY, "n_trials": 2, "initial_plans": [SMALL]}


def test_search_trains_a_retrieval_initial_plan_and_can_keep_it(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**RETRIEVAL_SEARCH).fit(X, y)
    table = search.search_results_
    assert table["initial"] == [True, False]
    assert plan_from_dict(table["plan"][0]) == SMALL
    encoded = search.model_.inputs[0].shape[1]  # the preprocessed features
    assert table["n_levels"][0] is None
    assert table["n_params"][0] == SMALL.n_params(encoded)
    assert table["summary"][0].startswith("Learned retrieval")
    # one retrieval network alone as the model
    alone = CerebrosRegressor(**{**RETRIEVAL_SEARCH, "n_trials": 1}).fit(X, y)
    assert alone.best_plan_ == SMALL and alone.ensemble_ == [
        {"trial": 0, "weight": 1.0}
    ]
    # trained with its 128 training rows as memory, it predicts with all 160
    assert alone.model_.get_layer("retrieval").memory_rows == len(X)
    restored = pickle.loads(pickle.dumps(alone))
    np.testing.assert_array_equal(restored.predict(X), alone.predict(X))
    assert restored.best_plan_ == SMALL


@pytest.mark.parametrize("refit", [False, True])
def test_a_search_trains_a_plan_at_its_own_learning_rate(regression_data, refit):
    X, y = regression_data
    params = {**RETRIEVAL_SEARCH, "n_trials": 1, "refit": refit}
    slow = dataclasses.replace(SMALL, learning_rate=3e-3)
    own = CerebrosRegressor(**{**params, "initial_plans": [slow]}).fit(X, y)
    given = CerebrosRegressor(**{**params, "learning_rate": 3e-3}).fit(X, y)
    assert own.best_plan_ == slow and own.best_plan_.learning_rate == 3e-3
    np.testing.assert_array_equal(own.predict(X), given.predict(X))
    plain = CerebrosRegressor(**params).fit(X, y)
    assert not np.array_equal(own.predict(X), plain.predict(X))


@pytest.mark.parametrize(
    "data, n_classes",
    [
        (make_classification(n_samples=120, n_features=5, random_state=0), 2),
        (
            make_classification(
                n_samples=120,
                n_features=5,
                n_informative=3,
                n_classes=3,
                random_state=0,
            ),
            3,
        ),
    ],
)
def test_search_classifier_with_retrieval_gives_probabilities(data, n_classes):
    X, y = data
    search = CerebrosClassifier(
        **{**RETRIEVAL_SEARCH, "n_trials": 1, "epochs": 15}
    ).fit(X, y)
    proba = search.predict_proba(X)
    assert proba.shape == (len(X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert search.score(X, y) > 0.7


def test_bagged_retrieval_trial_predicts_with_every_row(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**RETRIEVAL_SEARCH, "n_trials": 1, "cv": 4}).fit(X, y)
    folds = [m for m in search.model_.layers if isinstance(m, keras.Model)]
    # each trained on three quarters of the rows, all predict with every row
    assert [m.get_layer("retrieval").memory_rows for m in folds] == [160] * 4
    memories = [m.get_layer("retrieval").memory.numpy() for m in folds]
    assert all(np.array_equal(memories[0], m) for m in memories[1:])
    assert search.search_results_["epochs"][0] >= 1


def test_retrieval_trials_resume_and_are_promoted_by_halving(tmp_path, regression_data):
    X, y = regression_data
    params = {
        **TINY,
        "n_trials": 4,
        "strategy": "halving",
        "epochs": 15,
        "initial_plans": [SMALL, SMALL, RetrievalPlan(width=4, k=2)],
        "results_dir": tmp_path,
    }
    first = CerebrosRegressor(**{**params, "n_trials": 2}).fit(X, y)
    resumed = CerebrosRegressor(**params, resume=True).fit(X, y)
    whole = CerebrosRegressor(**{**params, "results_dir": None}).fit(X, y)
    assert resumed.search_results_["score"][:2] == first.search_results_["score"]
    assert resumed.search_results_["score"] == whole.search_results_["score"]
    assert resumed.ensemble_ == whole.ensemble_
    np.testing.assert_allclose(resumed.predict(X), whole.predict(X), rtol=1e-5)
    # the fourth trial trains the best of the three retrieval networks further
    table = whole.search_results_
    assert table["rung"][3] == 1 and table["parent"][3] == int(
        np.argmax(table["score"][:3])
    )
    assert table["summary"][3] == table["summary"][table["parent"][3]]


def test_retrieval_search_in_a_grid_search_and_cross_validation(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), CerebrosRegressor(**RETRIEVAL_SEARCH))
    grid = GridSearchCV(
        pipe, {"cerebrosregressor__initial_plans": [[SMALL], None]}, cv=2
    ).fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    scores = cross_val_score(CerebrosRegressor(**RETRIEVAL_SEARCH), X, y, cv=2)
    assert np.all(np.isfinite(scores))


def test_initial_plans_may_be_named_or_any_kind_of_plan(regression_data):
    X, y = regression_data
    mixer = MixerPlan(
        patch_size=2, hidden_dim=4, n_blocks=1, token_mlp_dim=4, channel_mlp_dim=4
    )
    search = CerebrosRegressor(
        **{**TINY, "n_trials": 2, "epochs": 2, "initial_plans": ["retrieval", mixer]}
    )
    search.fit(X, y)
    kinds = [plan_from_dict(p) for p in search.search_results_["plan"]]
    assert kinds[0] == RetrievalPlan() and isinstance(kinds[1], MixerPlan)


def test_the_default_search_starts_from_a_residual_and_three_retrieval_networks(
    regression_data,
):
    X, y = regression_data
    search = CerebrosRegressor(n_trials=5, epochs=2, cv=2, random_state=0).fit(X, y)
    table = search.search_results_
    assert table["initial"] == [True, True, True, True, False]
    plans = [plan_from_dict(p) for p in table["plan"]]
    assert plans[0] == residual_plan().with_head(1, "linear", 8)
    assert plans[1:4] == [RetrievalPlan()] * 3
    assert len(set(table["seed"][1:4])) == 3  # each retrieval under its own seed
    # then a child of the best of them, of its kind (the default kinds="all")
    assert table["generation"] == [0, 0, 0, 0, 1]
    best = min(range(4), key=lambda i: table["rank"][i])
    assert table["parent"][4] == best
    assert table["kind"][4] == table["kind"][best]
    assert plans[4] != plans[best]


def test_sparse_rows_become_a_dense_memory_of_every_row(regression_data):
    X, y = regression_data
    X = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    search = CerebrosRegressor(
        **{**RETRIEVAL_SEARCH, "n_trials": 1}, preprocessing=None
    ).fit(X, y)
    memory = search.model_.get_layer("retrieval").memory.numpy()
    # the training rows, then the held-out ones: every row once
    order = np.lexsort(memory.T)
    expected = X.toarray().astype(np.float32)
    np.testing.assert_array_equal(memory[order], expected[np.lexsort(expected.T)])
    assert np.isfinite(search.predict(X)).all()


def test_plot_architecture_points_a_retrieval_plan_to_its_summary():
    pytest.importorskip("matplotlib")
    from sklearn_cerebros.plotting import plot_architecture

    with pytest.raises(TypeError, match="learned-retrieval network.*summary"):
        plot_architecture(SMALL)


@pytest.mark.release
def test_retrieval_trials_in_worker_processes_give_the_same_ensemble(
    regression_data,
):
    X, y = regression_data
    params = {**RETRIEVAL_SEARCH, "n_trials": 3, "cv": 3}
    one = CerebrosRegressor(**params, n_jobs=1).fit(X, y)
    two = CerebrosRegressor(**params, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(
        one.search_results_["score"], two.search_results_["score"], rtol=1e-6
    )
    assert one.ensemble_ == two.ensemble_
    np.testing.assert_allclose(one.predict(X), two.predict(X), rtol=1e-5)
