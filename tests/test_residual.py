"""ResidualMLPRegressor and ResidualMLPClassifier in real use."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_cerebros import PlanError, ResidualMLPClassifier, ResidualMLPRegressor

SMALL = dict(n_blocks=1, width=16, epochs=15, learning_rate=1e-2, random_state=0)


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=200, n_features=6, noise=5.0, random_state=0)
    return X, y * 10 + 500


@pytest.fixture(scope="module")
def binary_data():
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    return X, np.array(["no", "yes"])[y]


# -- the basics a user relies on ------------------------------------------------
def test_regressor_predicts_in_target_units(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**SMALL).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == y.shape
    assert abs(pred.mean() - y.mean()) < 0.2 * y.std()
    assert reg.score(X, y) > 0.8
    assert reg.n_iter_ == len(reg.history_["loss"]) == len(reg.history_["val_loss"])


def test_same_seed_gives_identical_predictions(regression_data):
    X, y = regression_data
    a = ResidualMLPRegressor(**SMALL).fit(X, y).predict(X)
    b = ResidualMLPRegressor(**SMALL).fit(X, y).predict(X)
    c = ResidualMLPRegressor(**{**SMALL, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_leaves_global_random_state_alone(regression_data):
    X, y = regression_data
    # the user's legacy global generator is what must stay untouched
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.rand()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    ResidualMLPRegressor(**{**SMALL, "epochs": 2}).fit(X, y)
    assert np.random.rand() == expected  # noqa: NPY002


def test_multi_output_regression(regression_data):
    X, y = regression_data
    Y = np.column_stack([y, -2 * y])
    reg = ResidualMLPRegressor(**SMALL).fit(X, Y)
    assert reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.8


def test_classifier_string_labels_and_proba_columns(binary_data):
    X, y = binary_data
    clf = ResidualMLPClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    pred = clf.predict(X)
    assert set(pred) <= {"no", "yes"}
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) > 0.85


def test_multiclass_and_multilabel():
    X, y = make_classification(
        n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    labels = np.array([10, 20, 30])[y]
    clf = ResidualMLPClassifier(**SMALL).fit(X, labels)
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.score(X, labels) > 0.7
    assert clf.plan_.head.activation == "softmax"

    X, Y = make_multilabel_classification(n_samples=200, n_classes=3, random_state=0)
    clf = ResidualMLPClassifier(**SMALL).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.plan_.head.activation == "sigmoid"


def test_small_and_large_inputs_predict_the_same(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**SMALL).fit(X, y)
    big = np.tile(X, (60, 1))  # 12,000 rows: more than one prediction chunk
    one_by_one = np.array([reg.predict(X[i : i + 1])[0] for i in range(10)])
    from_big = reg.predict(big)
    np.testing.assert_allclose(from_big[:10], one_by_one, rtol=1e-5)
    np.testing.assert_allclose(from_big[-len(X) :], reg.predict(X), rtol=1e-5)


# -- training behaviour ---------------------------------------------------------
def test_early_stopping_keeps_the_best_epoch(regression_data):
    X, y = regression_data
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, random_state=0)
    reg = ResidualMLPRegressor(
        n_blocks=1,
        width=64,
        epochs=60,
        learning_rate=5e-2,
        n_iter_no_change=3,
        random_state=0,
    ).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    val = reg.history_["val_loss"]
    assert reg.n_iter_ < 60  # it did stop early
    scaled = (y_val - reg.target_.mean_[0]) / reg.target_.scale_[0]
    pred = (reg.predict(X_val) - reg.target_.mean_[0]) / reg.target_.scale_[0]
    kept = np.mean((pred - scaled) ** 2)
    assert kept == pytest.approx(min(val), rel=1e-4)
    assert kept < val[-1] or np.argmin(val) == len(val) - 1


def test_without_early_stopping_runs_all_epochs(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**{**SMALL, "early_stopping": False, "epochs": 7})
    reg.fit(X, y)
    assert reg.n_iter_ == 7
    assert "val_loss" not in reg.history_


def test_sample_weight_zero_rows_are_ignored():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(np.arange(300) < 150, 100.0, -100.0)  # contradictory halves
    w = (np.arange(300) < 150).astype(float)
    reg = ResidualMLPRegressor(**{**SMALL, "early_stopping": False, "epochs": 30})
    pred = reg.fit(X, y, sample_weight=w).predict(X)
    assert pred.mean() > 50  # the weighted-out half (-100) pulls nothing


def test_class_weight_balanced_favours_the_rare_class():
    X, y = make_classification(
        n_samples=400, n_features=5, weights=[0.92], flip_y=0.1, random_state=0
    )
    plain = ResidualMLPClassifier(**SMALL).fit(X, y).predict(X).mean()
    balanced = ResidualMLPClassifier(**SMALL, class_weight="balanced").fit(X, y)
    assert balanced.predict(X).mean() > plain


def test_warm_start_continues_training(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**{**SMALL, "early_stopping": False, "epochs": 3})
    reg.set_params(warm_start=True).fit(X, y)
    first_model = reg.model_
    reg.fit(X, y)
    assert reg.model_ is first_model
    assert reg.n_iter_ == 6


def test_user_callbacks_run_every_epoch(regression_data):
    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1
            assert "loss" in logs and "val_loss" in logs

    X, y = regression_data
    reg = ResidualMLPRegressor(**SMALL, callbacks=[Count()]).fit(X, y)
    assert Count.epochs == reg.n_iter_


# -- scikit-learn tools -----------------------------------------------------------
def test_pipeline_with_column_transformer_on_a_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "area": rng.uniform(50, 300, 300),
            "rooms": rng.integers(1, 7, 300),
            "city": rng.choice(["north", "south", "east"], 300),
        }
    )
    price = (
        frame["area"] * 3 + (frame["city"] == "north") * 200 + rng.normal(0, 20, 300)
    )
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["area", "rooms"]),
            ("cat", OneHotEncoder(), ["city"]),
        ]
    )
    pipe = Pipeline([("columns", columns), ("net", ResidualMLPRegressor(**SMALL))])
    assert pipe.fit(frame, price).score(frame, price) > 0.8


def test_grid_search_over_two_parameters(regression_data):
    X, y = regression_data
    grid = GridSearchCV(
        ResidualMLPRegressor(**{**SMALL, "epochs": 5}),
        {"width": [8, 16], "n_blocks": [1, 2]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_estimator_.width in (8, 16)


def test_randomized_search_runs(binary_data):
    X, y = binary_data
    search = RandomizedSearchCV(
        ResidualMLPClassifier(**{**SMALL, "epochs": 5}),
        {"learning_rate": [1e-3, 1e-2], "width": [8, 16]},
        n_iter=2,
        cv=2,
        random_state=0,
    ).fit(X, y)
    assert search.best_score_ > 0.5


def test_cross_val_score_uses_stratified_folds_and_roc_auc(binary_data):
    X, y = binary_data
    clf = ResidualMLPClassifier(**SMALL)
    scores = cross_val_score(clf, X, y, cv=3, scoring="roc_auc")
    assert np.all(np.isfinite(scores)) and scores.mean() > 0.85
    # cv=3 on a classifier means StratifiedKFold(3): same scores
    same = cross_val_score(clf, X, y, cv=StratifiedKFold(3), scoring="roc_auc")
    np.testing.assert_allclose(scores, same)


def test_clone_and_pickle_in_process(binary_data):
    X, y = binary_data
    clf = ResidualMLPClassifier(**SMALL).fit(X, y)
    assert not hasattr(clone(clf), "model_")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


@pytest.mark.slow
def test_pickle_survives_a_fresh_process(tmp_path, binary_data):
    X, y = binary_data
    clf = make_pipeline(StandardScaler(), ResidualMLPClassifier(**SMALL)).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    script = textwrap.dedent(
        f"""
        import pickle, numpy as np
        model = pickle.loads(open({str(path)!r}, "rb").read())
        got = model.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
        np.testing.assert_array_equal(got, np.load({str(tmp_path / "expected.npy")!r}))
        print("same")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "same" in out.stdout


# -- bad input: clear errors --------------------------------------------------------
def test_nan_and_inf_are_refused_by_a_strict_estimator(regression_data):
    X, y = regression_data
    strict = ResidualMLPRegressor(**SMALL, preprocessing=None)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        strict.fit(X_nan, y)
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    for est in (strict, ResidualMLPRegressor(**SMALL)):
        with pytest.raises(ValueError, match="[Ii]nfinity"):
            est.fit(X_inf, y)
    y_nan = y.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        ResidualMLPRegressor(**SMALL).fit(X, y_nan)


def test_string_columns_are_refused_without_preprocessing():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "y"]})
    with pytest.raises(ValueError, match="Column 'b' of X holds non-numeric"):
        ResidualMLPRegressor(**SMALL, preprocessing=None).fit(frame, [1, 2, 3, 4])


def test_feature_count_must_match_at_predict(regression_data):
    X, y = regression_data
    reg = ResidualMLPRegressor(**{**SMALL, "epochs": 1}).fit(X, y)
    with pytest.raises(ValueError, match="6 features"):
        reg.predict(X[:, :4])


def test_single_class_empty_input_and_bad_y_shape(binary_data):
    X, y = binary_data
    with pytest.raises(ValueError, match="only one class"):
        ResidualMLPClassifier(**SMALL).fit(X, np.full(len(X), "yes"))
    with pytest.raises(ValueError, match="0 sample"):
        ResidualMLPRegressor(**SMALL).fit(np.empty((0, 3)), [])
    with pytest.raises(ValueError, match="y must be 1-D or 2-D"):
        ResidualMLPRegressor(**SMALL).fit(X, np.zeros((len(X), 2, 2)))
    with pytest.raises(ValueError, match="continuous"):
        ResidualMLPClassifier(**SMALL).fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(NotFittedError):
        ResidualMLPRegressor().predict(X)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"width": 0}, "'width' parameter"),
        ({"learning_rate": -1.0}, "'learning_rate' parameter"),
        ({"activation": "rleu"}, "'activation' parameter"),
        ({"validation_fraction": 1.5}, "'validation_fraction' parameter"),
        ({"loss": "log"}, "'loss' parameter"),
        ({"preprocessing": "minmax"}, "'preprocessing' parameter"),
        ({"width": 8, "layers_per_block": 3, "taper": 4}, "taper"),
    ],
)
def test_invalid_parameters_are_named(regression_data, params, match):
    X, y = regression_data
    with pytest.raises((ValueError, PlanError), match=match):
        ResidualMLPRegressor(**{**SMALL, **params}).fit(X, y)


# -- tandem mode ------------------------------------------------------------------
def _backbone() -> keras.Model:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, x, name="backbone")


@pytest.mark.parametrize("trainable", [0, 2, "all"])
def test_tandem_mode_freezes_what_is_asked(trainable):
    rng = np.random.default_rng(0)
    images = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    labels = (images.mean(axis=(1, 2, 3)) > 0).astype(int)
    base = _backbone()
    before = {
        layer.name: [w.copy() for w in layer.get_weights()] for layer in base.layers
    }
    clf = ResidualMLPClassifier(
        **{**SMALL, "epochs": 3}, base_model=base, base_trainable_layers=trainable
    ).fit(images, labels)
    assert clf.predict_proba(images).shape == (64, 2)
    # the user's model is never trained
    for layer in base.layers:
        for w0, w1 in zip(before[layer.name], layer.get_weights(), strict=True):
            np.testing.assert_array_equal(w0, w1)
    trained = clf.model_
    conv1_moved = not np.array_equal(
        trained.get_layer("conv1").get_weights()[0], before["conv1"][0]
    )
    conv2_moved = not np.array_equal(
        trained.get_layer("conv2").get_weights()[0], before["conv2"][0]
    )
    # layers: input, conv1, conv2, pool; 2 trainable = conv2 and pool
    assert conv2_moved == (trainable != 0)
    assert conv1_moved == (trainable == "all")


@pytest.mark.parametrize("preprocessing", ["standard", "piecewise_linear"])
def test_tandem_mode_refuses_tabular_encodings(preprocessing):
    with pytest.raises(ValueError, match=f"'{preprocessing}'.*base_model"):
        ResidualMLPRegressor(base_model=_backbone(), preprocessing=preprocessing).fit(
            np.zeros((4, 8, 8, 1)), [1.0, 2.0, 3.0, 4.0]
        )


# -- scikeras interop ---------------------------------------------------------------
def test_residual_builder_works_as_a_scikeras_model(regression_data):
    wrappers = pytest.importorskip("scikeras.wrappers")
    from sklearn_cerebros.scikeras import residual_mlp_model

    X, y = regression_data
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    reg = wrappers.KerasRegressor(
        model=residual_mlp_model,
        loss="mse",
        optimizer="adam",
        model__width=16,
        model__n_blocks=1,
        epochs=20,
        verbose=0,
        random_state=0,
    ).fit(X, y)
    assert reg.score(X, y) > 0.5
    assert any(layer.name == "level1_unit0_dense" for layer in reg.model_.layers)
    clf = wrappers.KerasClassifier(
        model=residual_mlp_model,
        loss="categorical_crossentropy",
        model__width=8,
        epochs=2,
        verbose=0,
        random_state=0,
    ).fit(X, np.array([0, 1, 2, 3])[np.arange(len(X)) % 4])
    assert clf.predict_proba(X).shape == (len(X), 4)


# -- quality sanity on bundled data ------------------------------------------------
@pytest.mark.slow
def test_quality_at_least_scikit_learn_mlp_defaults():
    X, y = load_diabetes(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    ours = ResidualMLPRegressor(random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    with pytest.warns(Warning):  # sklearn's MLP does not converge in 200 epochs
        theirs = MLPRegressor(random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    assert ours >= theirs

    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0, stratify=y)
    ours = ResidualMLPClassifier(random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    theirs = MLPClassifier(random_state=0).fit(X_tr, y_tr).score(X_te, y_te)
    assert ours >= theirs


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow",
    reason="TensorFlow always trains with the library's own loop",
)
def test_fit_path_learns_what_the_own_loop_learns(monkeypatch, regression_data):
    """Off TensorFlow training goes through model.fit with the same batches."""
    from sklearn_cerebros._keras import _training

    X, y = regression_data
    params = dict(n_blocks=1, width=16, epochs=8, batch_size=32, random_state=0)
    through_fit = ResidualMLPRegressor(**params).fit(X, y)
    monkeypatch.setattr(_training, "_engine", lambda backend: _training.train_own_loop)
    own_loop = ResidualMLPRegressor(**params).fit(X, y)
    assert through_fit.n_iter_ == own_loop.n_iter_
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(
            through_fit.history_[key], own_loop.history_[key], rtol=1e-4
        )
    np.testing.assert_allclose(through_fit.predict(X), own_loop.predict(X), rtol=1e-4)
