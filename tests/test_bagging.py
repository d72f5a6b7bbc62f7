"""Cross-validated bagging of the search's trials (``cv``)."""

from __future__ import annotations

import json
import pickle
import shutil

import keras
import numpy as np
import pytest
import scipy.sparse as sp
from _search_params import TINY
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros._keras import build, predict_array
from sklearn_cerebros.architecture import LevelsPlan
from sklearn_cerebros.search.trial import score_raw

BAGGED = {**TINY, "n_trials": 3, "cv": 3}


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=0)
    return X, y


def _fold_networks(path, record, n_features):
    """A bagged trial's fold networks and out-of-fold outputs, from its arrays."""
    plan = LevelsPlan.from_dict(record["plan"])
    with np.load(path / f"trial_{record['trial']:03d}.npz") as f:
        names = [n for n in f.files if n.startswith("net")]
        n_nets = len({n.split("_weight_")[0] for n in names})
        networks = []
        for net in range(n_nets):
            model = build(plan, n_features)
            count = sum(1 for n in names if n.startswith(f"net{net}_"))
            model.set_weights([f[f"net{net}_weight_{i}"] for i in range(count)])
            networks.append(model)
        return networks, f["raw"]


def test_trials_are_scored_out_of_fold_and_predict_their_folds_mean(
    tmp_path, regression_data
):
    X, y = regression_data
    folds = list(KFold(3).split(X))
    search = CerebrosRegressor(
        **{**BAGGED, "cv": KFold(3)}, ensemble_size=1, results_dir=tmp_path
    ).fit(X, y)
    records = [
        json.loads(line)
        for line in (tmp_path / "trials.jsonl").read_text().splitlines()
    ]
    Xt = search._transform_X(X, reset=False)
    scorer = check_scoring(search, scoring="neg_root_mean_squared_error")
    for record in records:
        networks, raw = _fold_networks(tmp_path, record, Xt.shape[1])
        assert len(networks) == 3 and raw.shape[0] == len(X)
        # each row's output comes from the network that did not train on it
        for network, (_, held) in zip(networks, folds, strict=True):
            np.testing.assert_allclose(
                predict_array(network, Xt[held]), raw[held], rtol=1e-5, atol=1e-6
            )
        # and the trial is ranked on those out-of-fold outputs, all rows
        assert record["score"] == pytest.approx(
            score_raw(scorer, search.target_, False, raw, Xt, y), rel=1e-6
        )
        assert len(record["fold_best_epochs"]) == 3
        assert record["best_epoch"] == int(np.median(record["fold_best_epochs"]))
    best = next(r for r in records if r["trial"] == search.best_index_)
    networks, _ = _fold_networks(tmp_path, best, Xt.shape[1])
    mean = np.mean([predict_array(n, Xt) for n in networks], axis=0)
    np.testing.assert_allclose(
        search.predict(X), search.target_.decode(mean), rtol=1e-4, atol=1e-3
    )
    # the saved best model is the trial's bagged network too
    saved = keras.saving.load_model(tmp_path / "best_model.keras", compile=False)
    np.testing.assert_allclose(predict_array(saved, Xt), mean, rtol=1e-5, atol=1e-6)


def test_bagged_ensemble_is_at_least_its_best_trial_and_reproducible(
    regression_data,
):
    X, y = regression_data
    a = CerebrosRegressor(**BAGGED).fit(X, y)
    assert a.ensemble_score_ >= a.best_score_
    assert sum(m["weight"] for m in a.ensemble_) == pytest.approx(1.0)
    # every fold network of every member is in the fitted model
    nested = {layer.name for layer in a.model_.layers}
    for member in a.ensemble_:
        for fold in range(3):
            assert f"cerebros_trial{member['trial']}_fold{fold}" in nested
    b = CerebrosRegressor(**BAGGED).fit(X, y)
    assert a.ensemble_ == b.ensemble_
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-5)
    # bagging changes what is trained and scored
    plain = CerebrosRegressor(**{**BAGGED, "cv": None}).fit(X, y)
    assert plain.search_results_["score"] != a.search_results_["score"]


def test_an_interrupted_bagged_search_resumes_to_the_same_ensemble(
    tmp_path, regression_data
):
    X, y = regression_data
    whole = CerebrosRegressor(**BAGGED, results_dir=tmp_path / "whole").fit(X, y)
    # keep the first two trials, as if the search had been killed in the third
    cut = tmp_path / "cut"
    shutil.copytree(tmp_path / "whole", cut)
    lines = (cut / "trials.jsonl").read_text().splitlines()
    (cut / "trials.jsonl").write_text("\n".join(lines[:2]) + "\n")
    resumed = CerebrosRegressor(**BAGGED, results_dir=cut, resume=True).fit(X, y)
    assert resumed.ensemble_ == whole.ensemble_
    np.testing.assert_allclose(resumed.predict(X), whole.predict(X), rtol=1e-5)
    # other folds are another search
    with pytest.raises(ValueError, match="folds"):
        CerebrosRegressor(
            **{**BAGGED, "cv": 4}, results_dir=tmp_path / "whole", resume=True
        ).fit(X, y)


def test_refit_replaces_a_members_folds_by_one_network(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**BAGGED, refit=True).fit(X, y)
    best_epoch = search.search_results_["best_epoch"][search.best_index_]
    assert len(search.history_["loss"]) == best_epoch == search.n_iter_
    names = {layer.name for layer in search.model_.layers} | {search.model_.name}
    assert not any("_fold" in name for name in names)


def test_classifier_bags_stratified_folds_and_falls_back_for_rare_classes():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    search = CerebrosClassifier(**BAGGED).fit(X, y)
    np.testing.assert_allclose(search.predict_proba(X).sum(axis=1), 1, rtol=1e-5)
    assert search.ensemble_score_ >= search.best_score_
    # one class with 2 rows cannot be stratified over 3 folds: plain KFold
    y_rare = y.copy()
    y_rare[:2] = 3
    y_rare[2:][y_rare[2:] == 3] = 0
    rare = CerebrosClassifier(**BAGGED).fit(X, y_rare)
    assert list(rare.classes_) == [0, 1, 2, 3]
    assert np.isfinite(rare.best_score_)


def test_bagging_takes_sparse_input(regression_data):
    X, y = regression_data
    dense = CerebrosRegressor(**BAGGED, preprocessing="standard").fit(X, y)
    sparse = CerebrosRegressor(**BAGGED, preprocessing="standard").fit(
        sp.csr_matrix(X), y
    )
    assert np.isfinite(sparse.best_score_)
    assert sparse.predict(sp.csr_matrix(X)).shape == dense.predict(X).shape


def test_bagged_search_in_a_grid_search_and_a_pickle(regression_data):
    X, y = regression_data
    pipe = make_pipeline(
        StandardScaler(), CerebrosRegressor(**{**BAGGED, "n_trials": 2})
    )
    grid = GridSearchCV(pipe, {"cerebrosregressor__cv": [None, 2]}, cv=2).fit(X, y)
    assert set(grid.cv_results_["param_cerebrosregressor__cv"]) == {None, 2}
    clone = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(clone.predict(X), grid.predict(X))


@pytest.mark.parametrize(
    "params, fit_kwargs, error, match",
    [
        ({"cv": 1}, {}, InvalidParameterError, "'cv' parameter"),
        ({"cv": "five"}, {}, InvalidParameterError, "'cv' parameter"),
        ({"cv": ShuffleSplit(3, random_state=0)}, {}, ValueError, "exactly once"),
    ],
)
def test_bad_cv_is_a_clear_error(regression_data, params, fit_kwargs, error, match):
    X, y = regression_data
    kwargs = {"X_val": X[:10], "y_val": y[:10]} if fit_kwargs else {}
    with pytest.raises(error, match=match):
        CerebrosRegressor(**{**BAGGED, **params}).fit(X, y, **kwargs)


def test_x_val_or_too_few_rows_rank_without_bagging(regression_data):
    X, y = regression_data
    given = CerebrosRegressor(**BAGGED).fit(X, y, X_val=X[:20], y_val=y[:20])
    assert "_fold" not in " ".join(layer.name for layer in given.model_.layers)
    # 3 folds need 6 rows: 5 rows train one network per trial
    few = CerebrosRegressor(**{**BAGGED, "n_trials": 1}).fit(X[:5], y[:5])
    assert "_fold" not in " ".join(layer.name for layer in few.model_.layers)
