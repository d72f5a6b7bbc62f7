"""Greedy ensemble selection, the averaged Keras model, and the search's ensemble."""

from __future__ import annotations

import pickle

import keras
import numpy as np
import pytest
from _search_params import TINY
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros._keras import average_models, build, predict_array
from sklearn_cerebros._targets import ClassificationTarget, RegressionTarget
from sklearn_cerebros.architecture import CerebrosSpace, sample_structure, wire
from sklearn_cerebros.search.ensemble import batch_score, select_ensemble
from sklearn_cerebros.search.trial import score_raw


@pytest.fixture(scope="module")
def regression_data():
    X, y = make_regression(n_samples=160, n_features=5, noise=5.0, random_state=0)
    return X, y


# -- selection -------------------------------------------------------------------


@st.composite
def _candidates(draw):
    n, rows = draw(st.integers(1, 8)), draw(st.integers(3, 20))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    target = rng.normal(size=rows)
    # a few exact copies, so that ties are exercised
    preds = [
        target + rng.normal(scale=rng.uniform(0.1, 2), size=rows) for _ in range(n)
    ]
    preds += [preds[0].copy() for _ in range(draw(st.integers(0, 2)))]
    return target, preds, draw(st.integers(1, 30))


def _neg_mse(target):
    return lambda pred: -float(np.mean((pred - target) ** 2))


def _batch(score):
    return lambda batch: np.array([score(b) for b in batch])


@settings(max_examples=60, deadline=None)
@given(_candidates())
def test_selection_weights_are_a_distribution_never_worse_than_the_best(case):
    target, preds, size = case
    score = _neg_mse(target)
    weights = select_ensemble(preds, _batch(score), size)
    assert weights.shape == (len(preds),)
    assert np.all(weights >= 0)
    assert weights.sum() == pytest.approx(1.0)
    # weights are pick counts over at most `size` picks
    assert any(
        np.allclose(np.round(weights * k), weights * k) for k in range(1, size + 1)
    )
    averaged = sum(w * p for w, p in zip(weights, preds, strict=True))
    assert score(averaged) >= max(score(p) for p in preds) - 1e-12
    np.testing.assert_array_equal(weights, select_ensemble(preds, _batch(score), size))
    # started from any candidate, the ensemble still scores at least as well
    start = len(preds) - 1
    started = select_ensemble(preds, _batch(score), size, start=start)
    assert started[start] > 0
    averaged = sum(w * p for w, p in zip(started, preds, strict=True))
    assert score(averaged) >= score(preds[start]) - 1e-12


@settings(max_examples=40, deadline=None)
@given(_candidates())
def test_selection_of_one_is_the_first_best_candidate(case):
    target, preds, _ = case
    score = _neg_mse(target)
    scores = [score(p) for p in preds]
    expected = np.zeros(len(preds))
    expected[int(np.argmax(scores))] = 1.0  # argmax: the first of equal scores
    np.testing.assert_array_equal(select_ensemble(preds, _batch(score), 1), expected)


def test_selection_combines_complementary_candidates():
    target = np.array([1.0, -1.0, 1.0, -1.0])
    preds = [target + [1, 1, -1, -1], target + [-1, -1, 1, 1], target + 1.1]
    weights = select_ensemble(preds, _batch(_neg_mse(target)), 10)
    np.testing.assert_array_equal(weights, [0.5, 0.5, 0.0])  # their errors cancel


def test_selection_refuses_no_candidates_or_no_picks():
    with pytest.raises(ValueError, match="at least one candidate"):
        select_ensemble([], _batch(lambda p: 0.0), 3)
    with pytest.raises(ValueError, match="size must be at least 1"):
        select_ensemble([np.zeros(3)], _batch(lambda p: 0.0), 0)


@pytest.mark.parametrize(
    ("kind", "scoring"),
    [
        ("regression", None),
        ("regression", "neg_mean_squared_error"),
        ("regression", "neg_mean_absolute_error"),
        ("two outputs", "neg_root_mean_squared_error"),
        ("binary", None),
        ("multiclass", None),
    ],
)
def test_vectorised_scores_equal_the_search_scorers(kind, scoring):
    rng = np.random.default_rng(0)
    if kind in ("regression", "two outputs"):
        y = rng.normal(3, 2, size=(40, 2) if kind == "two outputs" else 40)
        est, classifier = CerebrosRegressor(scoring=scoring), False
        est.target_ = RegressionTarget()
        y_enc = est.target_.fit_transform(y)
        raws = [y_enc + rng.normal(size=y_enc.shape) for _ in range(5)]
    else:
        y = rng.integers(0, 2 if kind == "binary" else 4, size=40)
        est, classifier = CerebrosClassifier(scoring=scoring), True
        est.target_ = ClassificationTarget()
        y_enc = est.target_.fit_transform(y)
        if kind == "binary":  # sigmoid outputs
            raws = [rng.uniform(size=(40, 1)) for _ in range(5)]
        else:  # softmax outputs
            raws = [rng.dirichlet(np.ones(4), 40) for _ in range(5)]
        raws[0][:3, 0] = 0.0  # probabilities clipped at the edges
    scorer = check_scoring(est, scoring=est._scoring())
    y_user = est.target_.inverse(y_enc)
    X = np.zeros((40, 1))
    expected = [score_raw(scorer, est.target_, classifier, r, X, y_user) for r in raws]
    fast = batch_score(scoring, est.target_, y_enc)
    np.testing.assert_allclose(fast(np.stack(raws)), expected, rtol=1e-9)


def test_other_scorers_have_no_vectorised_score():
    target = ClassificationTarget()
    y_enc = target.fit_transform(np.array([0, 1, 1, 0]))
    assert batch_score("roc_auc", target, y_enc) is None
    regression = RegressionTarget()
    y_enc = regression.fit_transform(np.arange(4.0))
    assert batch_score("r2", regression, y_enc) is None
    assert batch_score(lambda est, X, y: 0.0, regression, y_enc) is None


# -- the averaged model ----------------------------------------------------------


def _networks(n, n_features=5, head=(1, "linear")):
    space = CerebrosSpace(levels=(1, 2), neurons_per_unit=(4, 8))
    rng = np.random.default_rng(0)
    models = []
    for i in range(n):
        plan = wire(space, sample_structure(space, rng), rng, name=f"member{i}")
        models.append(build(plan.with_head(*head), n_features))
    return models


def test_average_models_outputs_the_weighted_average_and_round_trips(tmp_path):
    models = _networks(3)
    X = np.random.default_rng(1).normal(size=(9, 5)).astype("float32")
    weights = [0.5, 0.3, 0.2]
    expected = sum(
        w * np.asarray(keras.ops.convert_to_numpy(m(X)))
        for w, m in zip(weights, models, strict=True)
    )
    averaged = average_models(models, weights)
    np.testing.assert_allclose(predict_array(averaged, X), expected, rtol=1e-5)
    np.testing.assert_allclose(
        predict_array(averaged, X, compiled=False), expected, rtol=1e-5
    )
    averaged.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(predict_array(loaded, X), expected, rtol=1e-5)
    unpickled = pickle.loads(pickle.dumps(averaged))
    np.testing.assert_allclose(predict_array(unpickled, X), expected, rtol=1e-5)


def test_average_of_one_model_is_that_model():
    (model,) = _networks(1)
    assert average_models([model], [1.0]) is model


def test_average_models_refuses_mismatched_or_duplicate_members():
    a, b = _networks(2)
    with pytest.raises(ValueError, match="one weight per model"):
        average_models([a, b], [1.0])
    with pytest.raises(ValueError, match="distinct"):
        average_models([a, a], [0.5, 0.5])


# -- the search ------------------------------------------------------------------


def test_ensemble_of_one_is_the_best_trial(tmp_path, regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**TINY, ensemble_size=1, results_dir=tmp_path)
    search.fit(X, y)
    assert search.ensemble_ == [{"trial": search.best_index_, "weight": 1.0}]
    assert search.ensemble_score_ == search.best_score_
    best = keras.saving.load_model(tmp_path / "best_model.keras", compile=False)
    for ours, saved in zip(
        search.model_.get_weights(), best.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(ours, saved)
    np.testing.assert_array_equal(
        search.predict(X),
        search.target_.decode(predict_array(best, search._transform_X(X, reset=False))),
    )
    weights = search.search_results_["ensemble_weight"]
    assert weights[search.best_index_] == 1.0 and sum(weights) == 1.0


def test_ensemble_scores_at_least_its_best_member(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "n_trials": 6}).fit(X, y)
    assert search.ensemble_score_ >= search.best_score_
    members = {m["trial"]: m["weight"] for m in search.ensemble_}
    assert search.best_index_ in members  # the first pick is the best trial
    assert sum(members.values()) == pytest.approx(1.0)
    assert all(w > 0 for w in members.values())
    table = search.search_results_["ensemble_weight"]
    assert {i: w for i, w in enumerate(table) if w > 0} == members
    assert search.n_iter_ == search.search_results_["epochs"][search.best_index_]


def test_resume_with_another_ensemble_size_trains_nothing(tmp_path, regression_data):
    X, y = regression_data
    params = {**TINY, "results_dir": tmp_path}
    large = CerebrosRegressor(**params, ensemble_size=25).fit(X, y)

    class NoTraining(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            raise AssertionError("training started")

    one = CerebrosRegressor(
        **params, ensemble_size=1, resume=True, callbacks=[NoTraining()]
    ).fit(X, y)
    assert one.ensemble_ == [{"trial": large.best_index_, "weight": 1.0}]
    again = CerebrosRegressor(**params, ensemble_size=25, resume=True).fit(X, y)
    assert again.ensemble_ == large.ensemble_
    np.testing.assert_allclose(again.predict(X), large.predict(X), rtol=1e-5)


class _Count(keras.callbacks.Callback):
    n = 0

    def on_train_begin(self, logs=None):
        type(self).n += 1


def test_resume_with_a_larger_budget_adds_trials(tmp_path, regression_data):
    X, y = regression_data
    # 4 trials in 2 generations: 2 structures a generation, fixed for the search
    CerebrosRegressor(**TINY, results_dir=tmp_path).fit(X, y)
    _Count.n = 0
    grown = CerebrosRegressor(
        **{**TINY, "n_trials": 8},
        results_dir=tmp_path,
        resume=True,
        callbacks=[_Count()],
    ).fit(X, y)
    assert _Count.n == 4 and grown.n_trials_ == 8
    assert grown.search_results_["generation"] == [0, 0, 1, 1, 2, 2, 3, 3]
    # the same as 8 trials with that generation size, uninterrupted
    fresh = CerebrosRegressor(**{**TINY, "n_trials": 8, "n_generations": 4}).fit(X, y)
    assert grown.search_results_["plan"] == fresh.search_results_["plan"]
    np.testing.assert_allclose(
        grown.search_results_["score"], fresh.search_results_["score"], rtol=1e-6
    )
    assert grown.ensemble_ == fresh.ensemble_
    np.testing.assert_allclose(grown.predict(X), fresh.predict(X), rtol=1e-5)


def test_resume_with_a_larger_time_budget_adds_trials(tmp_path, regression_data):
    X, y = regression_data
    params = {**TINY, "results_dir": tmp_path}
    short = CerebrosRegressor(**params, max_time=1e-3).fit(X, y)
    assert short.n_trials_ == 1 and short.time_budget_exhausted_
    longer = CerebrosRegressor(**params, resume=True).fit(X, y)
    assert longer.n_trials_ == 4 and not longer.time_budget_exhausted_
    fresh = CerebrosRegressor(**TINY).fit(X, y)
    assert longer.ensemble_ == fresh.ensemble_


def test_refit_retrains_every_member(regression_data):
    X, y = regression_data
    search = CerebrosRegressor(**{**TINY, "n_trials": 6}, refit=True).fit(X, y)
    members = [m["trial"] for m in search.ensemble_]
    epochs = search.search_results_["best_epoch"]
    assert search.n_iter_ == epochs[search.best_index_] == len(search.history_["loss"])
    assert "val_loss" not in search.history_
    if len(members) > 1:
        nested = {layer.name for layer in search.model_.layers}
        assert {f"cerebros_trial{i}" for i in members} <= nested
    assert search.predict(X).shape == (len(X),)


def test_classifier_ensemble_averages_probabilities():
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    search = CerebrosClassifier(**{**TINY, "n_trials": 5}).fit(X, y)
    proba = search.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert search.ensemble_score_ >= search.best_score_
    clone = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(clone.predict_proba(X), proba)


def test_grid_search_over_ensemble_size_in_a_pipeline(regression_data):
    X, y = regression_data
    pipe = make_pipeline(StandardScaler(), CerebrosRegressor(**TINY))
    grid = GridSearchCV(pipe, {"cerebrosregressor__ensemble_size": [1, 10]}, cv=2)
    grid.fit(X, y)
    assert len(grid.cv_results_["mean_test_score"]) == 2
    assert grid.best_estimator_[-1].ensemble_size in (1, 10)
    scores = cross_val_score(CerebrosRegressor(**TINY), X, y, cv=2)
    assert np.all(np.isfinite(scores))


def test_bad_ensemble_size_is_a_clear_error(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match="ensemble_size"):
        CerebrosRegressor(**TINY, ensemble_size=0).fit(X, y)


@pytest.mark.release
def test_n_jobs_does_not_change_the_ensemble(regression_data):
    X, y = regression_data
    one = CerebrosRegressor(**TINY, n_jobs=1).fit(X, y)
    two = CerebrosRegressor(**TINY, n_jobs=2).fit(X, y)
    assert one.ensemble_ == two.ensemble_
    np.testing.assert_allclose(one.predict(X), two.predict(X), rtol=1e-5)
