"""Greedy ensemble selection over a search's trials (Caruana et al., 2004).

Plain numpy on the held-out outputs that every trial keeps: start from an
empty ensemble (or from a given candidate), repeatedly add, with replacement,
the candidate whose addition gives the best score of the averaged outputs,
and keep the best-scoring prefix of the picks (as AutoGluon does), so the
ensemble never scores below its first pick on the selection rows. The weights
are pick counts over the number of picks kept.

Each step scores every candidate, so the score function takes a batch of
averaged outputs. :func:`batch_score` gives vectorised equivalents of the
search's default scorers; any other scorer is called once per candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._targets import PROBA_MIN

__all__ = ["batch_score", "one_by_one", "select_ensemble"]

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
