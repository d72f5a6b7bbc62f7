"""A bagged trial's fold networks trained one by one in one compiled model.

Compiling once must change nothing but the time: the same out-of-fold
outputs, scores, epochs and best epochs as building and compiling each fold
network on its own with the same seeds (to float tolerance), on every
backend (CI runs this file on TensorFlow, JAX and PyTorch).
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np
from sklearn.datasets import make_classification, make_regression

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros._keras import CompiledNetwork, TrainSettings, fit_network
from sklearn_cerebros.architecture import RetrievalPlan, residual_plan
from sklearn_cerebros.search import trial

# Tiny networks, a few epochs; patience 2 so that folds stop at their own epochs.
SMALL = dict(
    levels=(1, 2),
    units_per_level=(1, 2),
    neurons_per_unit=(4, 8),
    epochs=12,
    n_iter_no_change=2,
    batch_size=32,
    cv=3,
    random_state=0,
    kinds=("levels",),  # drawn levels structures (tiny) beside the given plans
)


def _both_ways(monkeypatch, make, X, y):
    """The same search with fold networks compiled once, and each compiled."""
    fitted = {}
    for reuse in (True, False):
        monkeypatch.setattr(trial, "REUSE_COMPILED", reuse)
        fitted[reuse] = make().fit(X, y)
    return fitted[True], fitted[False]


def _check_same(once, separate, X, rtol=1e-4):
    a, b = once.search_results_, separate.search_results_
    assert a["status"] == b["status"]
    assert a["epochs"] == b["epochs"]
    assert a["best_epoch"] == b["best_epoch"]
    np.testing.assert_allclose(a["score"], b["score"], rtol=rtol)
    out = "predict_proba" if hasattr(once, "predict_proba") else "predict"
    np.testing.assert_allclose(
        getattr(once, out)(X), getattr(separate, out)(X), rtol=rtol, atol=1e-6
    )


def test_classifier_with_label_smoothing_matches(monkeypatch):
    # three classes and label smoothing: one-hot targets in the packed model
    X, y = make_classification(150, 6, n_informative=4, n_classes=3, random_state=0)
    packed, separate = _both_ways(
        monkeypatch,
        lambda: CerebrosClassifier(
            n_trials=2, initial_plans=(), label_smoothing=0.1, **SMALL
        ),
        X,
        y,
    )
    _check_same(packed, separate, X)


def _parts(n=90, k=3, features=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features)).astype(np.float32)
    y = (X @ rng.normal(size=features)).astype(np.float32)[:, None]
    folds = np.array_split(rng.permutation(n), k)
    parts, held = [], []
    for i in range(k):
        train_rows = np.concatenate([f for j, f in enumerate(folds) if j != i])
        parts.append((X[train_rows], y[train_rows], None))
        held.append((X[folds[i]], y[folds[i]], None))
    return parts, held


TORCH = keras.backend.backend() == "torch"


def _plans(k, dropout=0.0 if TORCH else 0.1):
    # on PyTorch unseeded dropout is compiled anew for every network
    base = residual_plan(width=8, n_blocks=1, layers_per_block=1, dropout=dropout)
    base = base.with_head(1, "linear")
    return [dataclasses.replace(base, name=f"net_fold{i}") for i in range(k)]


SETTINGS = TrainSettings(
    epochs=30,
    batch_size=16,
    learning_rate=3e-2,
    loss="squared_error",
    n_iter_no_change=2,
)


def test_fold_networks_in_one_compiled_model_match_fresh_ones(monkeypatch):
    # drawn levels-and-wiring networks, a residual joint ensemble with
    # dropout and retrieval networks (a memory of their own fold's rows), one
    # drawing its candidates (a seed state of its own) at each step
    X, y = make_regression(150, 6, noise=5.0, random_state=0)
    once, separate = _both_ways(
        monkeypatch,
        lambda: CerebrosRegressor(
            n_trials=4,  # the last retrieval plan's keys constant in a step
            initial_plans=(
                residual_plan(width=16, n_blocks=1, dropout=0.1),
                RetrievalPlan(width=16, k=4),
                RetrievalPlan(
                    width=16, k=4, train_candidates=20, memory_gradients=False
                ),
            ),
            **SMALL,
        ),
        X,
        y,
    )
    _check_same(once, separate, X)
    assert {"residual", "retrieval", "levels"} <= set(once.search_results_["kind"])


def test_each_network_is_the_one_compiled_alone():
    parts, held = _parts()
    plans = _plans(3)
    compiled = CompiledNetwork()
    lengths = set()
    for i, (plan, part, h) in enumerate(zip(plans, parts, held, strict=True)):
        once = compiled.fit(plan, part, h, SETTINGS, seed=i, n_features=5)
        weights = once.model.get_weights()
        alone = fit_network(plan, part, h, SETTINGS, seed=i, n_features=5)
        assert len(once.history["loss"]) == len(alone.history["loss"])
        np.testing.assert_allclose(
            once.history["val_loss"], alone.history["val_loss"], rtol=1e-4
        )
        for a, b in zip(weights, alone.model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        lengths.add(len(once.history["loss"]))
    # early stopping is each network's own
    assert len(lengths) > 1


def test_unseeded_dropout_is_compiled_again_on_pytorch_only():
    # PyTorch draws unseeded dropout masks from one global generator, which
    # a network's first compiled pass draws from too
    parts, held = _parts()
    plans = _plans(2, dropout=0.1)
    compiled = CompiledNetwork()
    first = compiled.fit(plans[0], parts[0], held[0], SETTINGS, seed=0, n_features=5)
    second = compiled.fit(plans[1], parts[1], held[1], SETTINGS, seed=1, n_features=5)
    assert (second.model is first.model) != TORCH


def test_a_compiled_network_is_trained_again_only_with_its_shapes():
    parts, held = _parts(n=90, k=3)
    plan = _plans(1)[0]
    compiled = CompiledNetwork()
    first = compiled.fit(plan, parts[0], held[0], SETTINGS, seed=0, n_features=5)
    second = compiled.fit(plan, parts[1], held[1], SETTINGS, seed=1, n_features=5)
    assert second.model is first.model
    # each network's own deadline (a first trial's share of the budget)
    later = dataclasses.replace(SETTINGS, deadline=time.time() + 3600)
    again = compiled.fit(plan, parts[1], held[1], later, seed=1, n_features=5)
    assert again.model is first.model
    other = dataclasses.replace(
        residual_plan(width=4, n_blocks=1, layers_per_block=1).with_head(1, "linear"),
        name="other",
    )
    third = compiled.fit(other, parts[2], held[2], SETTINGS, seed=2, n_features=5)
    assert third.model is not first.model


def test_a_bagged_retrieval_trial_compiles_once_when_its_folds_differ_by_a_row(
    monkeypatch,
):
    # 151 rows in 3 folds: training parts of 101, 100 and 100 rows. Every
    # fold network's memory holds 100 of them, so all three train in one
    # compiled model, and as they would each compiled on its own (without
    # dropout, which PyTorch compiles anew for every network: see
    # test_unseeded_dropout_is_compiled_again_on_pytorch_only).
    models = []
    fit = CompiledNetwork.fit

    def recording(self, *args, **kwargs):
        trained = fit(self, *args, **kwargs)
        models.append(trained.model)
        return trained

    monkeypatch.setattr(CompiledNetwork, "fit", recording)
    X, y = make_regression(151, 6, noise=5.0, random_state=0)
    once, separate = _both_ways(
        monkeypatch,
        lambda: CerebrosRegressor(
            n_trials=1,
            initial_plans=[RetrievalPlan(width=16, k=4, dropout=0.0)],
            **SMALL,
        ),
        X,
        y,
    )
    _check_same(once, separate, X)
    assert len(models) == 3
    assert all(model is models[0] for model in models)


def test_a_training_step_is_traced_once_on_tensorflow(monkeypatch):
    # the optimiser's variables are made before the first step, so that
    # tf.function does not trace the step a second time; in a traced graph
    # the Python train_step runs once a trace
    if keras.backend.backend() != "tensorflow":
        return
    from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

    traces = []
    step = TensorFlowTrainer.train_step

    def counting(self, data):
        traces.append(self.name)
        return step(self, data)

    monkeypatch.setattr(TensorFlowTrainer, "train_step", counting)
    parts, held = _parts()
    settings = dataclasses.replace(SETTINGS, epochs=8, n_iter_no_change=8)
    fit_network(_plans(1)[0], parts[0], held[0], settings, seed=0, n_features=5)
    assert len(traces) == 1  # 8 epochs of 4 steps: traced, not eager
