"""The predict path: the direct call and the compiled forward pass agree."""

from __future__ import annotations

import gc
import pickle
import weakref

import keras
import numpy as np
import pytest

from sklearn_cerebros import (
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros._keras import _forward
from sklearn_cerebros._keras._forward import predict_array

SMALL = dict(n_blocks=2, width=16, epochs=3, learning_rate=1e-2, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 7))
    y = X @ rng.normal(size=7) + 0.1 * rng.normal(size=300)
    reg = ResidualMLPRegressor(preprocessing=None, **SMALL).fit(X, y)
    return reg, X.astype(np.float32)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the row padding that makes this exact is TensorFlow's",
)
def test_mixer_row_prediction_does_not_depend_on_its_place_in_the_batch():
    """LayerNorm's reductions round leftover rows differently unless padded."""
    rng = np.random.default_rng(2)
    X = 3 * rng.uniform(size=(20, 3))  # 20 rows: 4 past a packet of 16
    reg = MLPMixerRegressor(preprocessing=None, epochs=2, random_state=0)
    first = reg.fit(X, X[:, 0]).predict(X)
    order = rng.permutation(len(X))
    if keras.backend.backend() == "torch":
        # PyTorch runs the model directly: the members' einsum rounds a row by
        # its place in the batch (1e-7 relative), which only the padded
        # compiled passes of TensorFlow and JAX make exact.
        np.testing.assert_allclose(reg.predict(X[order]), first[order], rtol=1e-6)
    else:
        np.testing.assert_array_equal(reg.predict(X[order]), first[order])
    alone = np.concatenate([reg.predict(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_array_equal(alone, first)


@pytest.mark.parametrize("n_rows", [1, 3, 100, 10_000])
def test_compiled_and_direct_calls_agree(fitted, n_rows):
    reg, X = fitted
    rows = np.resize(X, (n_rows, X.shape[1]))
    direct = predict_array(reg.model_, rows, compiled=False)
    compiled = predict_array(reg.model_, rows, compiled=True)
    assert compiled.shape == direct.shape == (n_rows, 1)
    assert compiled.dtype == np.float64
    np.testing.assert_allclose(compiled, direct, rtol=1e-5, atol=1e-6)


def test_chunks_of_the_compiled_pass_agree(fitted):
    reg, X = fitted
    rows = np.resize(X, (1000, X.shape[1]))
    whole = predict_array(reg.model_, rows, compiled=True)
    # uneven chunks: padded (JAX) and unpadded ones
    chunked = predict_array(reg.model_, rows, chunk_size=300, compiled=True)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)


def test_every_prediction_takes_the_same_path():
    """The same rows give the same numbers, first call or later, in any order."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 4))
    reg = ResidualMLPRegressor(preprocessing=None, **SMALL).fit(X, X[:, 0])
    first = reg.predict(X)
    assert reg.model_ in _forward._COMPILED  # compiled on the first prediction
    np.testing.assert_array_equal(reg.predict(X), first)
    order = rng.permutation(len(X))
    if keras.backend.backend() == "torch":
        # PyTorch runs the model directly: the members' einsum rounds a row by
        # its place in the batch (1e-7 relative), which only the padded
        # compiled passes of TensorFlow and JAX make exact.
        np.testing.assert_allclose(reg.predict(X[order]), first[order], rtol=1e-6)
    else:
        np.testing.assert_array_equal(reg.predict(X[order]), first[order])


def test_compiled_pass_sees_new_weights(fitted):
    """A compiled pass reads the current weights, never a copy taken at compile."""
    reg, X = fitted
    model = keras.models.clone_model(reg.model_)
    model.set_weights(reg.model_.get_weights())
    before = predict_array(model, X[:10], compiled=True)
    model.set_weights([w * 0.5 for w in model.get_weights()])
    after = predict_array(model, X[:10], compiled=True)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(
        after, predict_array(model, X[:10], compiled=False), rtol=1e-5, atol=1e-6
    )


def test_warm_start_refit_predicts_with_the_new_weights():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 5))
    y = X[:, 0] - X[:, 1]
    reg = ResidualMLPRegressor(preprocessing=None, warm_start=True, **SMALL).fit(X, y)
    model = reg.model_
    old = reg.predict(X)
    assert model in _forward._COMPILED
    reg.fit(X, y)
    assert reg.model_ is model  # the same model, trained further
    Xt = X.astype(np.float32)
    np.testing.assert_allclose(
        predict_array(model, Xt),
        predict_array(model, Xt, compiled=False),
        rtol=1e-5,
        atol=1e-6,
    )
    assert not np.allclose(reg.predict(X), old)


def test_model_and_its_compiled_pass_are_freed():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    reg = ResidualMLPRegressor(preprocessing=None, **SMALL).fit(X, X[:, 0])
    reg.predict(X)
    reg.predict(X)
    ref = weakref.ref(reg.model_)
    assert ref() in _forward._COMPILED
    del reg
    gc.collect()
    assert ref() is None


def test_pickle_after_compiled_predictions():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 4))
    y = (X[:, 0] > 0).astype(int)
    clf = ResidualMLPClassifier(preprocessing=None, **SMALL).fit(X, y)
    clf.predict_proba(X)
    expected = clf.predict_proba(X)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-5)
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-5)


def test_predict_array_refuses_empty_input(fitted):
    reg, X = fitted
    with pytest.raises(ValueError, match="empty"):
        predict_array(reg.model_, X[:0])


def test_one_off_predictions_are_compiled_only_on_jax():
    # a search trial's held-out rows: JAX's direct call runs op by op, so
    # they take the compiled pass there; elsewhere the direct call
    from sklearn_cerebros._keras import one_off_compiled

    assert one_off_compiled() is (keras.backend.backend() == "jax")
