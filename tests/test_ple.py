"""Tests for the piecewise-linear encoding of numeric columns."""

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_cerebros import ResidualMLPRegressor
from sklearn_cerebros.datasets import load_ames
from sklearn_cerebros.preprocessing import (
    PiecewiseLinearEncoder,
    SoftClipRobustScaler,
    make_tabular_preprocessor,
)

FAST = settings(max_examples=150, deadline=None)

# Finite values on a moderate scale, with many repeats so that merged
# quantiles, low-cardinality and constant columns all come up.
VALUES = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False),
    st.sampled_from([0.0, 1.0, 2.0, -3.5]),
)


@st.composite
def fitted(draw):
    """A training matrix, the encoder fitted on it, and its column extremes."""
    n_rows = draw(st.integers(1, 40))
    n_cols = draw(st.integers(1, 4))
    X = draw(arrays(np.float64, (n_rows, n_cols), elements=VALUES))
    encoder = PiecewiseLinearEncoder(n_bins=draw(st.integers(1, 20))).fit(X)
    return X, encoder


def _column_of_feature(encoder):
    return np.repeat(np.arange(encoder.n_features_in_), encoder.n_bins_)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@FAST
@given(fitted(), st.data())
def test_encoding_is_bounded_and_monotone_in_each_column(case, data):
    X, encoder = case
    low = data.draw(arrays(np.float64, (8, X.shape[1]), elements=VALUES))
    step = data.draw(arrays(np.float64, (8, X.shape[1]), elements=st.floats(0, 1e6)))
    lower, upper = encoder.transform(low), encoder.transform(low + step)
    assert np.all((lower >= 0) & (lower <= 1))
    assert np.all((upper >= 0) & (upper <= 1))
    # Each feature depends on its own column only, so raising every column
    # may only raise every feature.
    assert np.all(lower <= upper)


@FAST
@given(fitted(), st.floats(0, 1e12))
def test_encoding_saturates_at_and_beyond_the_training_extremes(case, beyond):
    X, encoder = case
    low, high = X.min(axis=0), X.max(axis=0)
    at_min, at_max = encoder.transform([low]), encoder.transform([high])
    assert np.all(at_min == 0)
    constant = (low == high)[_column_of_feature(encoder)]
    # A constant column's one feature is always 0; every other one saturates.
    np.testing.assert_array_equal(at_max[0], np.where(constant, 0.0, 1.0))
    np.testing.assert_array_equal(encoder.transform([low - beyond]), at_min)
    np.testing.assert_array_equal(encoder.transform([high + beyond]), at_max)


@FAST
@given(fitted(), st.data())
def test_encoding_inside_the_range_gives_back_the_value(case, data):
    X, encoder = case
    position = data.draw(arrays(np.float64, (5, X.shape[1]), elements=st.floats(0, 1)))
    low, high = X.min(axis=0), X.max(axis=0)
    query = low + position * (high - low)
    encoded = encoder.transform(query)
    column = _column_of_feature(encoder)
    for j, edges in enumerate(encoder.bin_edges_):
        if edges[0] == edges[-1]:
            continue
        # x = e_0 + sum over bins of (share of the bin below x) * (bin width)
        rebuilt = edges[0] + encoded[:, column == j] @ np.diff(edges)
        np.testing.assert_allclose(rebuilt, query[:, j], rtol=1e-9, atol=1e-6)


@FAST
@given(fitted())
def test_edges_are_increasing_training_values_and_bins_at_most_n_bins(case):
    X, encoder = case
    for j, edges in enumerate(encoder.bin_edges_):
        assert edges[0] == X[:, j].min() and edges[-1] == X[:, j].max()
        n_distinct = np.unique(X[:, j]).size
        if n_distinct == 1:
            np.testing.assert_array_equal(edges, [X[0, j], X[0, j]])
        else:
            assert np.all(np.diff(edges) > 0)
            assert encoder.n_bins_[j] == edges.size - 1
            assert encoder.n_bins_[j] <= min(encoder.n_bins, n_distinct - 1)
    assert encoder.transform(X).shape == (X.shape[0], encoder.n_bins_.sum())


# --------------------------------------------------------------------------
# Worked examples and special columns
# --------------------------------------------------------------------------


def test_hand_worked_quantile_edges_and_encoding():
    # Nine distinct values, two bins: edges at the 0, 0.5 and 1 quantiles.
    encoder = PiecewiseLinearEncoder(n_bins=2).fit(np.arange(9.0).reshape(-1, 1))
    np.testing.assert_array_equal(encoder.bin_edges_[0], [0.0, 4.0, 8.0])
    np.testing.assert_array_equal(
        encoder.transform([[-1.0], [0.0], [2.0], [4.0], [6.0], [8.0], [50.0]]),
        [[0, 0], [0, 0], [0.5, 0], [1, 0], [1, 0.5], [1, 1], [1, 1]],
    )


def test_repeated_quantiles_are_merged():
    # Half the rows are 0: the 0 and 1/3 quantiles coincide and merge.
    X = np.array([0.0] * 4 + [1.0, 2.0, 3.0, 4.0]).reshape(-1, 1)
    encoder = PiecewiseLinearEncoder(n_bins=3).fit(X)
    np.testing.assert_allclose(encoder.bin_edges_[0], [0.0, 5 / 3, 4.0])
    assert encoder.n_bins_.tolist() == [2]


def test_low_cardinality_columns_use_their_values_as_edges():
    X = np.array([[0, 5, 1], [1, 5, 2], [0, 5, 4], [1, 5, 2]], dtype=float)
    encoder = PiecewiseLinearEncoder(n_bins=16).fit(X)
    assert encoder.n_bins_.tolist() == [1, 1, 2]
    np.testing.assert_array_equal(encoder.bin_edges_[2], [1.0, 2.0, 4.0])
    out = encoder.transform(X)
    # The binary column is itself; the constant one is 0 at any value.
    np.testing.assert_array_equal(out[:, 0], X[:, 0])
    np.testing.assert_array_equal(out[:, 1], 0.0)
    np.testing.assert_array_equal(
        encoder.transform([[0, -1e9, 3], [1, 1e9, 3]])[:, 1], 0
    )
    np.testing.assert_array_equal(out[:, 2:], [[0, 0], [1, 0], [1, 1], [1, 0]])
    assert encoder.get_feature_names_out(["a", "b", "c"]).tolist() == [
        "a_bin0",
        "b_bin0",
        "c_bin0",
        "c_bin1",
    ]


def test_missing_values_are_ignored_at_fit_and_stay_missing():
    X = np.array([[1.0, 0.0], [np.nan, 1.0], [2.0, 2.0], [3.0, 3.0]])
    encoder = PiecewiseLinearEncoder(n_bins=4).fit(X)
    np.testing.assert_array_equal(encoder.bin_edges_[0], [1.0, 2.0, 3.0])
    out = encoder.transform(X)
    assert np.isnan(out[1, :2]).all()
    assert not np.isnan(np.delete(out, 1, axis=0)).any()
    assert not np.isnan(out[:, 2:]).any()


def test_pandas_output_and_feature_names():
    frame = pd.DataFrame({"area": [50.0, 80.0, 120.0, 200.0], "pool": [0, 1, 0, 1]})
    out = PiecewiseLinearEncoder(n_bins=2).set_output(transform="pandas")
    encoded = out.fit_transform(frame)
    assert list(encoded.columns) == ["area_bin0", "area_bin1", "pool_bin0"]
    np.testing.assert_array_equal(encoded["pool_bin0"], [0, 1, 0, 1])


def test_pickled_encoder_encodes_the_same():
    X = np.random.default_rng(0).normal(size=(100, 3))
    encoder = PiecewiseLinearEncoder().fit(X)
    clone = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(clone.transform(X * 3), encoder.transform(X * 3))


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_error_names_a_non_numeric_column():
    frame = pd.DataFrame({"area": [1.0, 2.0], "city": ["a", "b"]})
    with pytest.raises(ValueError, match="Column 'city' cannot be encoded as numbers"):
        PiecewiseLinearEncoder().fit(frame)
    array = np.array([[1.0, "a"], [2.0, "b"]], dtype=object)
    with pytest.raises(ValueError, match="Column 'x1' cannot be encoded"):
        PiecewiseLinearEncoder().fit(array)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_error_names_a_column_with_infinities_at_fit_and_transform(value):
    good = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    bad = good.assign(b=[3.0, value])
    with pytest.raises(ValueError, match="Column 'b' contains infinite values"):
        PiecewiseLinearEncoder().fit(bad)
    encoder = PiecewiseLinearEncoder().fit(good)
    with pytest.raises(ValueError, match="Column 'b' contains infinite values"):
        encoder.transform(bad)


def test_error_names_a_column_with_only_missing_values():
    with pytest.raises(ValueError, match="Column 'x1' has only missing values"):
        PiecewiseLinearEncoder().fit([[1.0, np.nan], [2.0, np.nan]])


def test_huge_values_encode_and_a_range_beyond_float64_is_refused():
    huge = np.array([[-1e300], [0.0], [1.0], [2.0], [1e300]])
    out = PiecewiseLinearEncoder(n_bins=2).fit(huge).transform(huge * 1.5)
    np.testing.assert_array_equal(out[[0, -1]], [[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="Column 'x0' spans .* wider than"):
        PiecewiseLinearEncoder().fit([[-1.7e308], [1.7e308]])


def test_invalid_n_bins_is_refused():
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        PiecewiseLinearEncoder(n_bins=0).fit([[1.0], [2.0]])
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        make_tabular_preprocessor(numeric="piecewise_linear", n_bins=0)
    with pytest.raises(ValueError, match="numeric must be one of"):
        make_tabular_preprocessor(numeric="quantile")


@parametrize_with_checks([PiecewiseLinearEncoder(), PiecewiseLinearEncoder(n_bins=2)])
def test_encoder_is_sklearn_compatible(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------
# In pipelines, the tabular preprocessor and the estimators
# --------------------------------------------------------------------------


def test_grid_search_over_n_bins_prefers_enough_bins_for_a_curve():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(300, 1))
    y = np.sin(2 * x[:, 0]) + 0.05 * rng.normal(size=300)
    search = GridSearchCV(
        make_pipeline(PiecewiseLinearEncoder(), Ridge(alpha=1e-3)),
        {"piecewiselinearencoder__n_bins": [1, 16]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(x, y)
    assert search.best_params_ == {"piecewiselinearencoder__n_bins": 16}
    assert search.best_score_ > 0.95


def test_tabular_preprocessor_numeric_choice():
    rng = np.random.default_rng(0)
    area = rng.normal(100.0, 20.0, 60)
    area[[3, 17]] = np.nan
    frame = pd.DataFrame({"area": area, "city": rng.choice(["a", "b"], 60)})
    robust = make_tabular_preprocessor().fit(frame)
    numeric = robust.named_steps["encode"].named_transformers_["num"]
    assert isinstance(numeric.named_steps["scale"], SoftClipRobustScaler)

    pre = make_tabular_preprocessor(numeric="piecewise_linear", n_bins=8).fit(frame)
    names = pre.get_feature_names_out().tolist()
    assert names[:8] == [f"num__area_bin{b}" for b in range(8)]
    assert "missing__missingindicator_area" in names
    out = pre.transform(frame)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert out[:, :8].min() == 0 and out[:, :8].max() == 1
    # A missing value becomes the encoding of the training median (an even
    # number of observed values: the mean of the two middle encodings).
    encoder = pre.named_steps["encode"].named_transformers_["num"]["encode"]
    middle = pd.DataFrame({"area": np.sort(area[~np.isnan(area)])[28:30]})
    np.testing.assert_allclose(
        out[3, :8], encoder.transform(middle).mean(axis=0), rtol=1e-6
    )


@pytest.fixture(scope="module")
def ames_subset():
    X, y = load_ames(return_X_y=True)
    return X.iloc[:400], y.iloc[:400], X.iloc[400:500], y.iloc[400:500]


def test_estimator_with_piecewise_linear_fits_ames_and_saturates(ames_subset):
    X, y, X_test, y_test = ames_subset
    model = ResidualMLPRegressor(
        preprocessing="piecewise_linear", epochs=30, random_state=0
    ).fit(X, y)
    assert any("_bin" in n for n in model.preprocessor_.get_feature_names_out())
    pred = model.predict(X_test)
    assert pred.shape == (100,) and np.isfinite(pred).all()
    # Better than predicting the mean price.
    assert np.mean((pred - y_test) ** 2) < np.mean((y.mean() - y_test) ** 2)
    # Houses larger than any in training are priced like the largest one.
    largest = X_test.assign(Gr_Liv_Area=X["Gr_Liv_Area"].max())
    huge = X_test.assign(Gr_Liv_Area=10 * X["Gr_Liv_Area"].max())
    np.testing.assert_array_equal(model.predict(huge), model.predict(largest))


def test_estimator_with_piecewise_linear_takes_a_numeric_array(ames_subset):
    X, y, X_test, _ = ames_subset
    numeric = X.select_dtypes("number").to_numpy()
    model = ResidualMLPRegressor(
        preprocessing="piecewise_linear", epochs=3, random_state=0
    ).fit(numeric, y)
    test = X_test.select_dtypes("number").to_numpy()
    assert np.isfinite(model.predict(test)).all()


def test_invalid_preprocessing_names_the_choices():
    with pytest.raises(InvalidParameterError, match="piecewise_linear"):
        ResidualMLPRegressor(preprocessing="quantile").fit([[0.0], [1.0]], [0.0, 1.0])
