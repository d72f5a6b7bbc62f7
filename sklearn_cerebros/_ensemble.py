"""Greedy ensemble selection over a search's trials (Caruana et al., 2004).

Plain numpy on the held-out predictions that every trial keeps: start from an
empty ensemble, repeatedly add (with replacement) the candidate whose addition
gives the best score of the averaged predictions, and keep the best-scoring
prefix of the picks (as AutoGluon does), so the ensemble never scores below its
best single candidate on the selection rows. The weights are pick counts over
the number of picks kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["select_ensemble"]


def select_ensemble(
    predictions: Sequence[np.ndarray],
    score: Callable[[np.ndarray], float],
    size: int,
) -> np.ndarray:
    """Weights over candidates by greedy forward selection with replacement.

    Parameters
    ----------
    predictions : sequence of ndarray, all of one shape
        Each candidate's raw outputs on the selection rows (scaled regression
        values or class probabilities), in order of preference: among equal
        scores the earlier candidate is picked, so pass them best first.
    score : callable
        Maps averaged predictions to a score, greater is better.
    size : int
        Largest number of picks, at least 1; 1 returns the best candidate.

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
        chosen, chosen_score = 0, -np.inf
        for i, candidate in enumerate(stacked):
            s = score((total + candidate) / step)
            if s > chosen_score:  # strict: ties keep the earlier candidate
                chosen, chosen_score = i, s
        if not np.isfinite(chosen_score):
            break  # no candidate scores at all: nothing left to add
        total += stacked[chosen]
        picks.append(chosen)
        if chosen_score > best_score:  # strict: the shorter prefix on ties
            best_score, best_length = chosen_score, step
    if best_length == 0:
        raise ValueError("No candidate has a finite score.")
    counts = np.bincount(picks[:best_length], minlength=len(stacked))
    return counts / best_length
