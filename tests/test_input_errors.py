"""Bad input fails with an error that names the column or the argument."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sklearn_cerebros import (
    CerebrosRegressor,
    GradientHealthWarning,
    MLPMixerRegressor,
    ResidualMLPClassifier,
    ResidualMLPRegressor,
)

QUICK = dict(n_blocks=1, width=8, epochs=2, random_state=0)
N = 40


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"area": np.linspace(50.0, 200.0, N), "rooms": np.arange(N)})


@pytest.mark.parametrize("preprocessing", ["auto", "standard", None])
@pytest.mark.parametrize(
    ("column", "advice"),
    [
        (pd.date_range("2020-01-01", periods=N), r"\.dt\.year"),
        (pd.to_timedelta(np.arange(N), unit="D"), r"\.dt\.total_seconds\(\)"),
        (pd.date_range("2020-01-01", periods=N, tz="UTC"), r"\.dt\.year"),
    ],
    ids=["datetime", "timedelta", "datetime_tz"],
)
def test_time_column_next_to_numbers_is_named(frame, column, advice, preprocessing):
    X = frame.assign(sold=column)
    with pytest.raises(TypeError, match=f"Column 'sold' of X has dtype .*{advice}"):
        ResidualMLPRegressor(**QUICK, preprocessing=preprocessing).fit(X, np.arange(N))


@pytest.mark.parametrize("preprocessing", ["standard", None])
def test_text_column_without_encoding_is_named(frame, preprocessing):
    X = frame.assign(city=["a", 1.5] * (N // 2))
    with pytest.raises(ValueError, match="Column 'city' of X holds .* 'a'"):
        ResidualMLPRegressor(**QUICK, preprocessing=preprocessing).fit(X, np.arange(N))
    objects = X.to_numpy(dtype=object)
    with pytest.raises(ValueError, match=r"Column 2 \(0-based\) of X holds"):
        ResidualMLPRegressor(**QUICK, preprocessing=preprocessing).fit(
            objects, np.arange(N)
        )


@pytest.mark.parametrize("preprocessing", ["auto", "standard", None])
@pytest.mark.parametrize(
    ("cells", "kind"),
    [([[1, 2], [3]], "list"), ([{"a": 1}, {"b": 2}], "dict"), ([(1,), (2,)], "tuple")],
)
def test_column_of_containers_is_named(frame, cells, kind, preprocessing):
    X = frame.assign(tags=cells * (N // 2))
    with pytest.raises(TypeError, match=f"Column 'tags' of X holds {kind} values"):
        ResidualMLPRegressor(**QUICK, preprocessing=preprocessing).fit(X, np.arange(N))


def test_column_of_lists_is_named_by_the_tabular_preprocessor(frame):
    from sklearn_cerebros.preprocessing import make_tabular_preprocessor

    X = frame.assign(tags=[["a", "b"], ["c"]] * (N // 2))
    with pytest.raises(TypeError, match="Column 'tags' of X holds list values"):
        make_tabular_preprocessor().fit(X)


@pytest.mark.parametrize("preprocessing", ["auto", "standard", None])
def test_frame_with_no_columns_says_so(preprocessing):
    X = pd.DataFrame(index=range(N))
    with pytest.raises(
        ValueError, match=r"DataFrame with no columns \(shape \(40, 0\)\)"
    ):
        ResidualMLPRegressor(**QUICK, preprocessing=preprocessing).fit(X, np.arange(N))


def test_array_at_predict_after_a_frame_with_text_says_pass_a_frame(frame):
    X = frame.assign(city=["north", "south"] * (N // 2))
    reg = ResidualMLPRegressor(**QUICK).fit(X, np.arange(N))
    for given in (X.to_numpy(), X.to_numpy().tolist()):
        with pytest.raises(
            ValueError, match=r"fitted on a DataFrame with text .*'city'"
        ):
            reg.predict(given)
    # a frame of numbers only may still be predicted from an array, as in sklearn
    numbers = ResidualMLPRegressor(**QUICK).fit(frame, np.arange(N))
    with pytest.warns(UserWarning, match="feature names"):
        assert numbers.predict(frame.to_numpy()).shape == (N,)


def test_text_in_an_array_with_tabular_encoding_advises_a_frame(frame):
    objects = frame.assign(city=["north", "south"] * (N // 2)).to_numpy(dtype=object)
    with pytest.raises(
        ValueError, match=r"Column 2 \(0-based\) .* pass X as a DataFrame"
    ):
        ResidualMLPRegressor(**QUICK).fit(objects, np.arange(N))


@pytest.mark.parametrize(
    "regressor", [ResidualMLPRegressor(**QUICK), MLPMixerRegressor(epochs=2)]
)
def test_text_target_of_a_regressor_says_y(frame, regressor):
    y = np.array(["cheap", "dear"] * (N // 2))
    with pytest.raises(ValueError, match="a regressor: y must be numeric.*'cheap'"):
        regressor.fit(frame, y)
    with pytest.raises(ValueError, match=r"holds '0'. Convert .* y.astype\(float\)"):
        regressor.fit(frame, np.arange(N).astype(str))


@pytest.mark.parametrize(
    "labels",
    [["a", None], [0, None], [0.0, np.nan], pd.Series(["a", None], dtype="string")],
    ids=["str_none", "int_none", "float_nan", "string_na"],
)
def test_missing_class_labels_are_named(frame, labels):
    y = np.asarray(list(labels) * (N // 2) + ["b" if isinstance(labels[0], str) else 1])
    y = y[:N]
    with pytest.raises(ValueError, match="class labels y contain None or NaN"):
        ResidualMLPClassifier(**QUICK).fit(frame, y)


@pytest.mark.parametrize(
    "estimator",
    [ResidualMLPRegressor(**QUICK), CerebrosRegressor(n_trials=1, epochs=2)],
)
def test_negative_sample_weight_is_refused(frame, estimator):
    weights = np.ones(N)
    weights[3] = -1.0
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        estimator.fit(frame, np.arange(N), sample_weight=weights)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_unscaled_inputs_draw_advice_on_scale(frame, sparse):
    X = frame.to_numpy() * 1e12
    y = frame["area"].to_numpy()
    with pytest.warns(UserWarning, match="preprocessing='auto'") as caught:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                ResidualMLPRegressor(**QUICK, preprocessing=None).fit(
                    sp.csr_matrix(X) if sparse else X, y
                )
            except ValueError:
                pass  # diverged; the warning came first
    assert any("Column 0 of X reaches 2e+14" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ResidualMLPRegressor(**QUICK).fit(frame * 1e12, y)  # scaled by "auto"


def test_stall_advice_names_the_input_scale():
    assert "preprocessing='auto'" in _stall_message()


def _stall_message() -> str:
    import keras

    from sklearn_cerebros._keras import WeightUpdateMonitor

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    monitor = WeightUpdateMonitor(min_epochs=1)
    monitor.set_model(model)
    monitor.on_train_begin()
    with pytest.warns(GradientHealthWarning) as caught:
        for epoch in range(2):
            monitor.on_epoch_begin(epoch)
            monitor.on_epoch_end(epoch, {"loss": 1.0})
    return str(caught[0].message)
