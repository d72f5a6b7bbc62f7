"""The preprocessor's fast path for a few rows gives the standard path's output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sklearn_cerebros._fast_tabular import FAST_MAX_ROWS, transform_table
from sklearn_cerebros.datasets import load_ames
from sklearn_cerebros.preprocessing import make_tabular_preprocessor


@pytest.fixture(scope="module", params=["robust", "piecewise_linear"])
def ames(request):
    X, _ = load_ames(return_X_y=True)
    # Fitted on few rows, so that many levels are rare (merged) or unseen.
    return X, make_tabular_preprocessor(numeric=request.param).fit(X.iloc[:300])


def _assert_same(pre, frame):
    expected = pre.transform(frame)
    got = transform_table(pre, frame)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)


def _perturbed(X: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A few random Ames rows with missing, unseen, rare and extreme entries."""
    frame = X.iloc[rng.choice(len(X), size=rng.integers(1, 9))].copy()
    categorical = frame.select_dtypes(exclude="number").columns
    numeric = frame.select_dtypes(include="number").columns
    if rng.random() < 0.5:  # object columns can take any value
        frame[categorical] = frame[categorical].astype(object)
        for _ in range(rng.integers(0, 6)):
            column = rng.choice(categorical)
            frame.iloc[rng.integers(len(frame)), frame.columns.get_loc(column)] = (
                rng.choice(["unseen level", None, np.nan, "A_agr", "Grvl"])
            )
    for _ in range(rng.integers(0, 6)):
        column = rng.choice(numeric)
        frame[column] = frame[column].astype(float)
        frame.iloc[rng.integers(len(frame)), frame.columns.get_loc(column)] = (
            rng.choice([np.nan, 1e12, -1e12, 0.0, 3.5])
        )
    return frame


def test_fast_path_equals_transform_on_random_ames_rows(ames):
    X, pre = ames
    rng = np.random.default_rng(0)
    for _ in range(150):
        _assert_same(pre, _perturbed(X, rng))


def _mixed_frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "int_na": pd.array(rng.choice([1, 2, 3, None], size=n), dtype="Int64"),
            "flag": rng.random(n) < 0.5,
            "nullable_flag": pd.array(
                rng.choice([True, False, None], size=n), dtype="boolean"
            ),
            "x": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n) * 1e3),
            "city": pd.array(
                rng.choice(
                    ["a", "b", "c", "d", None], size=n, p=[0.4, 0.3, 0.2, 0.05, 0.05]
                ),
                dtype="string",
            ),
            "size": pd.Categorical(rng.choice([1, 2, 30], size=n)),
            "other": rng.choice(["u", "v", None], size=n).astype(object),
        }
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"min_frequency": 5, "max_categories": 3},
        {"min_frequency": None, "clip": None, "add_indicator": False},
        {"numeric": "piecewise_linear"},
        {"numeric": "piecewise_linear", "n_bins": 3, "add_indicator": False},
    ],
)
def test_fast_path_equals_transform_on_mixed_dtypes(options):
    rng = np.random.default_rng(1)
    pre = make_tabular_preprocessor(**options).fit(_mixed_frame(200, rng))
    for n in (1, 2, 7, FAST_MAX_ROWS):
        for _ in range(10):
            _assert_same(pre, _mixed_frame(n, rng))
    larger = _mixed_frame(FAST_MAX_ROWS + 1, rng)
    _assert_same(pre, larger)


@pytest.mark.parametrize("numeric", ["robust", "piecewise_linear"])
def test_fast_path_equals_transform_on_arrays(numeric):
    rng = np.random.default_rng(2)
    train = rng.normal(size=(100, 4))
    train[rng.random(train.shape) < 0.1] = np.nan
    pre = make_tabular_preprocessor(numeric=numeric).fit(train)
    for n in (1, 3, 10):
        rows = rng.normal(size=(n, 4)) * 10
        rows[rng.random(rows.shape) < 0.2] = np.nan
        _assert_same(pre, rows)
        _assert_same(pre, rows.astype(np.float32))


def test_fast_path_raises_the_standard_errors(ames):
    X, pre = ames
    row = X.iloc[[0]]
    for bad in (
        row.drop(columns=row.columns[0]),
        row[row.columns[::-1]],
        row.assign(Lot_Area=np.inf),
        row.iloc[:0],
        sp.csr_matrix(np.ones((1, row.shape[1]))),
    ):
        with pytest.raises((ValueError, TypeError)) as standard:
            pre.transform(bad)
        with pytest.raises(type(standard.value), match=str(standard.value)[:40]):
            transform_table(pre, bad)


def test_fast_path_follows_a_refit():
    rng = np.random.default_rng(3)
    pre = make_tabular_preprocessor(min_frequency=None)
    frame = _mixed_frame(50, rng)
    pre.fit(frame)
    _assert_same(pre, frame.iloc[:2])
    renamed = frame.assign(city=frame["city"].str.upper())
    pre.fit(renamed)
    _assert_same(pre, renamed.iloc[:2])


def test_few_rows_skip_the_standard_transform(ames, monkeypatch):
    X, fitted = ames
    rng = np.random.default_rng(4)
    cases = [
        (fitted, X.iloc[[5]]),
        (make_tabular_preprocessor().fit(_mixed_frame(100, rng)), _mixed_frame(3, rng)),
        (make_tabular_preprocessor().fit(rng.normal(size=(50, 3))), np.ones((2, 3))),
        (
            make_tabular_preprocessor(numeric="piecewise_linear").fit(
                rng.normal(size=(50, 3))
            ),
            np.ones((2, 3)) * 9,  # beyond the training range
        ),
    ]
    for pre, rows in cases:
        expected = pre.transform(rows)

        def refuse(X):
            raise AssertionError("the standard path was taken")

        monkeypatch.setattr(pre, "transform", refuse)
        np.testing.assert_array_equal(transform_table(pre, rows), expected)
