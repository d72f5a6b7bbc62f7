"""Packed fold networks: a bagged trial's networks trained as one Keras model.

Packing must change nothing but the time: the same out-of-fold outputs,
scores, epochs and best epochs as training the fold networks one at a time
with the same seeds (to float tolerance), on every backend (CI runs this
file on TensorFlow, JAX and PyTorch).
"""

from __future__ import annotations

import dataclasses
import time

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from sklearn_cerebros import CerebrosClassifier, CerebrosRegressor
from sklearn_cerebros._keras import (
    CompiledNetwork,
    TrainSettings,
    fit_network,
    fit_packed,
)
from sklearn_cerebros._keras._packed import can_pack
from sklearn_cerebros._keras._rows import SparseRows
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
)


def _both_ways(monkeypatch, make, X, y):
    """The same search fitted with packed and with separate fold networks."""
    fitted = {}
    for pack in (True, False):
        monkeypatch.setattr(trial, "PACK_FOLDS", pack)
        fitted[pack] = make().fit(X, y)
    return fitted[True], fitted[False]


def _check_same(packed, separate, X, rtol=1e-4):
    a, b = packed.search_results_, separate.search_results_
    assert a["status"] == b["status"]
    assert a["epochs"] == b["epochs"]
    assert a["best_epoch"] == b["best_epoch"]
    np.testing.assert_allclose(a["score"], b["score"], rtol=rtol)
    out = "predict_proba" if hasattr(packed, "predict_proba") else "predict"
    np.testing.assert_allclose(
        getattr(packed, out)(X), getattr(separate, out)(X), rtol=rtol, atol=1e-6
    )


def test_packed_search_matches_separate_networks(monkeypatch):
    # drawn levels-and-wiring networks, a residual joint ensemble and a
    # retrieval network (a memory of its own fold's rows) in one search
    X, y = make_regression(150, 6, noise=5.0, random_state=0)
    packed, separate = _both_ways(
        monkeypatch,
        lambda: CerebrosRegressor(
            n_trials=3,
            initial_plans=(
                residual_plan(width=16, n_blocks=1),
                RetrievalPlan(width=16, k=4),
            ),
            **SMALL,
        ),
        X,
        y,
    )
    _check_same(packed, separate, X)
    kinds = packed.search_results_["kind"]
    assert {"residual", "retrieval", "levels"} <= set(kinds)


def test_packed_classifier_with_label_smoothing_matches(monkeypatch):
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
    # on PyTorch unseeded dropout is not packed (see draws_in_order)
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


def test_each_packed_network_is_the_one_trained_alone():
    parts, held = _parts()
    plans = _plans(3)
    seeds = [3, 4, 5]
    packed = fit_packed(plans, parts, held, SETTINGS, seeds=seeds, n_features=5)
    assert packed is not None
    lengths = set()
    for plan, part, h, seed, one in zip(plans, parts, held, seeds, packed, strict=True):
        alone = fit_network(plan, part, h, SETTINGS, seed=seed, n_features=5)
        assert len(one.history["loss"]) == len(alone.history["loss"])
        np.testing.assert_allclose(
            one.history["val_loss"], alone.history["val_loss"], rtol=1e-4
        )
        for a, b in zip(
            one.model.get_weights(), alone.model.get_weights(), strict=True
        ):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        lengths.add(len(one.history["loss"]))
    # each network stopped at its own epoch, not at the last one's
    assert len(lengths) > 1


def test_a_passed_deadline_stops_every_network_after_one_epoch():
    parts, held = _parts()
    settings = dataclasses.replace(SETTINGS, early_stopping=False, deadline=time.time())
    packed = fit_packed(_plans(3), parts, held, settings, seeds=[0, 1, 2], n_features=5)
    for one in packed:
        assert len(one.history["loss"]) == 1
        assert one.stopped == "deadline"


def test_on_epoch_is_told_each_epoch():
    parts, held = _parts()
    seen = []
    settings = dataclasses.replace(SETTINGS, early_stopping=False, epochs=4)
    fit_packed(
        _plans(3),
        parts,
        held,
        settings,
        seeds=[0, 1, 2],
        n_features=5,
        on_epoch=seen.append,
    )
    assert seen == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "change",
    [
        {"lr_schedule": "plateau"},
        {"verbose": 1},
        {"checkpoint_path": "model.keras"},
    ],
)
def test_what_cannot_be_packed_is_refused(change):
    parts, held = _parts()
    settings = dataclasses.replace(SETTINGS, **change)
    assert not can_pack(parts, held, settings)
    assert (
        fit_packed(_plans(3), parts, held, settings, seeds=[0, 1, 2], n_features=5)
        is None
    )


def test_cannot_pack_one_network_missing_validation_or_sparse_rows():
    import scipy.sparse as sp

    parts, held = _parts()
    assert can_pack(parts, held, SETTINGS)
    assert not can_pack(parts[:1], held[:1], SETTINGS)
    assert not can_pack(parts, [None, *held[1:]], SETTINGS)
    sparse = [(SparseRows(sp.csr_matrix(X)), y, w) for X, y, w in parts]
    assert not can_pack(sparse, held, SETTINGS)


def test_networks_with_different_step_counts_are_not_packed():
    # 32 and 33 training rows in batches of 16: 2 and 3 steps an epoch
    parts, held = _parts(n=99, k=3)
    parts[0] = tuple(a[:32] if a is not None else None for a in parts[0])
    parts[1] = tuple(a[:33] if a is not None else None for a in parts[1])
    assert not can_pack(parts, held, SETTINGS)


def test_unseeded_dropout_is_packed_except_on_pytorch():
    # PyTorch draws unseeded dropout masks from one global generator: packed,
    # the networks would draw them in another order than one by one
    parts, held = _parts()
    packed = fit_packed(
        _plans(3, dropout=0.1), parts, held, SETTINGS, seeds=[0, 1, 2], n_features=5
    )
    assert (packed is None) == TORCH


def test_fold_networks_in_one_compiled_model_match_fresh_ones(monkeypatch):
    # trained one by one: one compiled model loaded with each fold's
    # initial state, or a model compiled for each fold
    monkeypatch.setattr(trial, "PACK_FOLDS", False)
    X, y = make_regression(150, 6, noise=5.0, random_state=0)
    fitted = {}
    for reuse in (True, False):
        monkeypatch.setattr(trial, "REUSE_COMPILED", reuse)
        fitted[reuse] = CerebrosRegressor(
            n_trials=3,
            initial_plans=(
                residual_plan(width=16, n_blocks=1, dropout=0.1),
                RetrievalPlan(width=16, k=4),
            ),
            **SMALL,
        ).fit(X, y)
    _check_same(fitted[True], fitted[False], X)


def test_a_compiled_network_is_trained_again_only_with_its_shapes():
    parts, held = _parts(n=90, k=3)
    plan = _plans(1)[0]
    compiled = CompiledNetwork()
    first = compiled.fit(plan, parts[0], held[0], SETTINGS, seed=0, n_features=5)
    second = compiled.fit(plan, parts[1], held[1], SETTINGS, seed=1, n_features=5)
    assert second.model is first.model
    other = dataclasses.replace(
        residual_plan(width=4, n_blocks=1, layers_per_block=1).with_head(1, "linear"),
        name="other",
    )
    third = compiled.fit(other, parts[2], held[2], SETTINGS, seed=2, n_features=5)
    assert third.model is not first.model
