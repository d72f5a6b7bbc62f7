"""The search's ensemble: greedy selection over its trials, and the averaged model.

**Selection** (:func:`select_ensemble`, Caruana et al., 2004) is plain numpy
on the held-out outputs that every trial keeps: start from an empty ensemble
(or from a given candidate), repeatedly add, with replacement, the candidate
whose addition gives the best score of the averaged outputs, and keep the
best-scoring prefix of the picks (as AutoGluon does), so the ensemble never
scores below its first pick on the selection rows. The weights are pick
counts over the number of picks kept. Each step scores every candidate, so
the score function takes a batch of averaged outputs. :func:`batch_score`
gives vectorised equivalents of the search's default scorers; any other
scorer is called once per candidate.

**Entries.** The trials selected, each with its weight, are the ensemble's
*entries* (:class:`Entry`). The word "members" belongs to the joint
ensemble inside one network (``n_members``: members sharing its hidden units,
each with its own output layer), which a trial's network may have too.
:func:`choose` selects the entries from the
successful trials, :func:`assemble` averages their networks into one Keras
model, retraining each on every row first with ``refit=True``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._backend import keras
from .._keras import TrainedNetwork, average_models, fit_network
from .._targets import PROBA_MIN
from ..architecture import plan_from_dict
from .records import rank_key
from .trial import TrialResult, TrialTask, score_raw, trial_networks

__all__ = [
    "Assembled",
    "Choice",
    "EnsembleSettings",
    "Entry",
    "assemble",
    "batch_score",
    "choose",
    "one_by_one",
    "select_ensemble",
]

BatchScore = Callable[[np.ndarray], np.ndarray]

# scikit-learn scorer names with a vectorised equivalent here (regression).
_REGRESSION = {
    "neg_root_mean_squared_error": lambda e: -np.sqrt(np.mean(e**2, axis=1)),
    "neg_mean_squared_error": lambda e: -np.mean(e**2, axis=1),
    "neg_mean_absolute_error": lambda e: -np.mean(np.abs(e), axis=1),
}


def select_ensemble(
    predictions: Sequence[np.ndarray],
    score: BatchScore,
    size: int,
    *,
    start: int | None = None,
) -> np.ndarray:
    """Weights over candidates by greedy forward selection with replacement.

    Parameters
    ----------
    predictions : sequence of ndarray, all of one shape
        Each candidate's raw outputs on the selection rows (scaled regression
        values or class probabilities), in order of preference: among equal
        scores the earlier candidate is picked.
    score : callable
        Maps a stack of averaged outputs, shape ``(k, *shape)``, to their
        ``k`` scores, greater is better (NaN counts as the worst).
    size : int
        Largest number of picks, at least 1.
    start : int, optional
        Candidate picked first, whatever its score (the search passes its
        best-ranked trial). By default the first pick is the best-scoring
        candidate, so ``size=1`` returns it.

    Returns
    -------
    ndarray of shape (len(predictions),)
        Non-negative weights summing to 1: pick counts over picks kept.
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}.")
    if not predictions:
        raise ValueError("select_ensemble needs at least one candidate.")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    total = np.zeros_like(stacked[0])
    picks: list[int] = []
    best_score, best_length = -np.inf, 0
    for step in range(1, size + 1):
        if step == 1 and start is not None:
            chosen = start
            chosen_score = float(score(stacked[start : start + 1])[0])
        else:
            scores = np.asarray(score((total + stacked) / step), dtype=np.float64)
            scores = np.where(np.isnan(scores), -np.inf, scores)
            chosen = int(np.argmax(scores))  # the first of equal scores
            chosen_score = float(scores[chosen])
            if not np.isfinite(chosen_score):
                break  # no candidate scores at all: nothing left to add
        total += stacked[chosen]
        picks.append(chosen)
        # the first pick always counts; on ties the shorter prefix is kept
        if chosen_score > best_score or step == 1:
            best_score, best_length = chosen_score, step
    if best_length == 0:
        raise ValueError("No candidate has a finite score.")
    counts = np.bincount(picks[:best_length], minlength=len(stacked))
    return counts / best_length


def one_by_one(score: Callable[[np.ndarray], float]) -> BatchScore:
    """A batch score from a score of one averaged output (any scorer)."""
    return lambda batch: np.array([score(b) for b in batch], dtype=np.float64)


def batch_score(scoring: Any, target: Any, y_encoded: np.ndarray) -> BatchScore | None:
    """A vectorised batch score equal to the search's scorer, where there is one.

    Parameters
    ----------
    scoring : str, callable or None
        The search's ``scoring`` parameter.
    target : RegressionTarget or ClassificationTarget
        The fitted target encoder that decodes raw outputs.
    y_encoded : ndarray
        The encoded targets of the selection rows.

    Returns
    -------
    callable or None
        For regression with ``scoring`` None or one of
        ``"neg_root_mean_squared_error"``, ``"neg_mean_squared_error"``,
        ``"neg_mean_absolute_error"`` (averaged over outputs, as
        scikit-learn does), and for binary or multiclass classification with
        ``scoring=None`` (the log loss over all classes); None otherwise.
    """
    if hasattr(target, "scale_"):  # regression: errors in the user's units
        if not isinstance(scoring, str | None):
            return None
        metric = _REGRESSION.get(scoring or "neg_root_mean_squared_error")
        if metric is None:
            return None
        y = np.asarray(y_encoded, dtype=np.float64).reshape(len(y_encoded), -1)
        scale = np.asarray(target.scale_, dtype=np.float64)

        def regression(batch: np.ndarray) -> np.ndarray:
            errors = (batch.reshape(*batch.shape[:2], -1) - y) * scale
            return np.mean(metric(errors), axis=-1)

        return regression
    if scoring is not None or target.kind_ not in ("binary", "multiclass"):
        return None
    codes = np.asarray(y_encoded).reshape(len(y_encoded), -1)[:, 0].astype(int)
    rows = np.arange(len(codes))
    eps = np.finfo(np.float64).eps

    def log_loss(batch: np.ndarray) -> np.ndarray:
        # as ClassificationTarget.proba
        raw = np.clip(batch, PROBA_MIN, 1.0 - PROBA_MIN)
        if target.kind_ == "binary":
            p1 = raw[:, :, 0]
            true = np.where(codes == 1, p1, 1.0 - p1)
        else:
            true = raw[:, rows, codes] / raw.sum(axis=2)
        return np.mean(np.log(np.clip(true, eps, 1 - eps)), axis=1)

    return log_loss


@dataclass(frozen=True)
class EnsembleSettings:
    """How a search combines its trials: the estimator's parameters.

    ``size`` is ``ensemble_size`` (the most picks), ``scoring`` the
    ``scoring`` parameter (its defaults have a vectorised score, see
    :func:`batch_score`) and ``refit`` whether the entries are retrained on
    every row before they are averaged.
    """

    size: int
    scoring: Any
    refit: bool


class Entry(NamedTuple):
    """A trial in the ensemble and its weight (its share of the picks kept)."""

    result: TrialResult
    weight: float


@dataclass
class Choice:
    """The ensemble chosen over a search's trials.

    ``entries`` are in trial order with positive weights summing to 1;
    ``score`` is the ensemble's score on the held-out rows, before any
    refit; ``best`` is the best-ranked trial.
    """

    entries: list[Entry]
    score: float
    best: TrialResult


def choose(
    kept: Mapping[int, TrialResult], task: TrialTask, settings: EnsembleSettings
) -> Choice:
    """Select the ensemble's entries among the successful trials.

    Parameters
    ----------
    kept : mapping of int to TrialResult
        The successful trials, with their held-out (or out-of-fold) outputs;
        at least one.
    task : TrialTask
        What the trials were run with: the scored rows, target and scorer.
    settings : EnsembleSettings
        The most picks and the ``scoring`` parameter.
    """
    # candidates best first, so that selection breaks ties as the ranking does
    candidates = sorted(kept.values(), key=lambda r: rank_key(r.record))
    X, y_encoded = task.scored[:2]

    def score(raw: np.ndarray) -> float:
        return score_raw(
            task.scorer, task.target, task.classifier, raw, X, task.data.y_score
        )

    # The default scorers have vectorised equivalents: 200 trials and 50
    # picks then take a fraction of a second rather than minutes.
    fast = batch_score(settings.scoring, task.target, y_encoded)
    weights = select_ensemble(
        [r.raw for r in candidates],
        fast or one_by_one(score),
        settings.size,
        start=0,  # the best-ranked trial, so that size 1 is that trial
    )
    entries = sorted(
        (Entry(r, float(w)) for r, w in zip(candidates, weights, strict=True) if w > 0),
        key=lambda e: e.result.record["trial"],
    )
    # in the networks' float32, as the averaged model computes it
    ensemble_score = score(sum(e.weight * e.result.raw for e in entries))
    return Choice(entries, ensemble_score, candidates[0])


@dataclass
class Assembled:
    """The fitted network of a search, and the training that produced it.

    ``history`` and ``n_iter`` are the best trial's (its retraining's with
    ``refit``): its per-epoch losses and the epochs counted from scratch.
    """

    model: keras.Model
    history: dict[str, list[float]]
    n_iter: int


def assemble(choice: Choice, task: TrialTask, refit: bool) -> Assembled:
    """One Keras model that averages the entries' networks with their weights.

    Without ``refit`` a bagged entry brings its fold networks, each with an
    equal share of its weight. With ``refit`` each entry is retrained on
    every row first (:func:`refit_network`), one network in place of its
    folds.
    """
    best = choice.best.record
    history = {k: list(v) for k, v in best["history"].items()}
    n_iter = int(best.get("start_epoch", 0) + best["epochs"])
    networks, shares = [], []
    for entry in choice.entries:
        record = entry.result.record
        if refit:
            trained, epochs = refit_network(record, task, len(choice.entries) > 1)
            nets, parts = [trained.model], [1.0]
            if record["trial"] == best["trial"]:
                history, n_iter = trained.history, epochs
        else:
            nets, parts = trial_networks(
                record, entry.result.weights, task.data.n_features
            )
        networks += nets
        shares += [entry.weight * part for part in parts]
    return Assembled(average_models(networks, shares), history, n_iter)


def refit_network(
    record: Mapping[str, Any], task: TrialTask, per_entry_logs: bool
) -> tuple[TrainedNetwork, int]:
    """Retrain a trial's plan on training and validation rows together.

    Trains for the trial's best epoch count (counted from scratch for a
    promoted trial of successive halving: its ``start_epoch`` plus its
    own), from its seed, without early stopping. Returns the trained network
    (``model`` and ``history``) and its epochs. With ``per_entry_logs``
    TensorBoard logs go to ``refit/trial_NNN`` rather than ``refit``.
    """
    data, settings = task.data, task.settings
    X, y, w = data.train
    if data.validation is not None:
        Xv, yv, wv = data.validation
        X, y = np.concatenate([X, Xv]), np.concatenate([y, yv])
        if w is not None:
            w = np.concatenate([w, np.ones(len(Xv), w.dtype) if wv is None else wv])
    logs = None
    if settings.tensorboard_dir is not None:
        logs = os.path.join(settings.tensorboard_dir, "refit")
        if per_entry_logs:
            logs = os.path.join(logs, f"trial_{record['trial']:03d}")
    epochs = int(record.get("start_epoch", 0) + record["best_epoch"])
    settings = dataclasses.replace(
        settings, epochs=epochs, early_stopping=False, tensorboard_dir=logs
    )
    trained = fit_network(
        plan_from_dict(record["plan"]),
        (X, y, w),
        None,
        settings,
        seed=record["seed"],
        n_features=data.n_features,
    )
    return trained, epochs
