"""The search as one plain function: :func:`run_search`.

It takes plain data and settings, no estimator, and enters each role module
once, in order: the store (:class:`~.store.FinishedTrials`: what a resume
reads back), the runner (:func:`~.runner.run_trials`: the trials, proposed
and trained until the budget runs out), then the ensemble (:func:`~.ensemble.choose`,
then :func:`~.ensemble.assemble`). The estimators
(:mod:`._estimators`) prepare its inputs and keep its outcome as their
fitted attributes.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from .._backend import keras
from .ensemble import EnsembleSettings, Entry, assemble, choose
from .proposers import Proposer
from .runner import RunSettings, run_trials
from .store import FinishedTrials, ResultsStore
from .trial import TrialResult, TrialTask

__all__ = ["SearchOutcome", "run_search"]


@dataclass
class SearchOutcome:
    """What a search found.

    Attributes
    ----------
    records : list of dict
        Every finished trial's record, in index order (a resumed search's
        earlier trials too).
    entries : list of Entry
        The ensemble: trials and weights, in trial order.
    ensemble_score : float
        The ensemble's score on the held-out rows (before any refit).
    best : TrialResult
        The best-ranked trial.
    model : keras.Model
        The entries' networks averaged with their weights.
    history : dict of str to list of float
        The best trial's per-epoch losses (its retraining's with refit).
    n_iter : int
        Epochs the best trial's network was trained for, from scratch.
    search_time : float
        Seconds the trials took, resumed ones read back included.
    out_of_time : bool
        Whether ``max_time`` cut the search short.
    """

    records: list[dict[str, Any]]
    entries: list[Entry]
    ensemble_score: float
    best: TrialResult
    model: keras.Model
    history: dict[str, list[float]]
    n_iter: int
    search_time: float
    out_of_time: bool


def run_search(
    task: TrialTask,
    proposer: Proposer,
    runner: RunSettings,
    store: ResultsStore | None,
    ensemble: EnsembleSettings,
) -> SearchOutcome:
    """Run a search: train the proposed trials, then combine the best.

    Parameters
    ----------
    task : TrialTask
        What every trial is run with: the space, head, data (and bagging
        folds), training settings, target encoder and scorer.
    proposer : Proposer
        Which trials come next (generations or successive halving).
    runner : RunSettings
        Workers, the time budget, the number of trials, the progress bar.
    store : ResultsStore or None
        The results directory, written as trials finish; on resume its
        finished trials are read back rather than trained again.
    ensemble : EnsembleSettings
        The most picks of the selection, the ``scoring`` parameter, refit.

    Returns
    -------
    SearchOutcome

    Raises
    ------
    ValueError
        If every trial failed.
    """
    start = time.perf_counter()
    trials = FinishedTrials(store, task.data.n_features)
    out_of_time = run_trials(proposer, task, runner, trials, ensemble)
    search_time = time.perf_counter() - start
    records = [trials.records[i] for i in sorted(trials.records)]
    if not trials.kept:
        errors = sorted({r.get("error", "") for r in records if r.get("error")})
        raise ValueError(
            f"All {len(records)} trials of the search failed. "
            f"Errors: {'; '.join(errors)[:2000] or 'none recorded'}"
        )
    choice = choose(trials.kept, task, ensemble)
    if runner.max_time and ensemble.refit:
        # refits share the promise's last tenth: fit ends by 1.1 max_time
        end = (runner.started or time.time() - search_time) + 1.1 * runner.max_time
        settings = dataclasses.replace(task.settings, deadline=end)
        task = dataclasses.replace(task, settings=settings)
    fitted = assemble(choice, task, ensemble.refit)
    return SearchOutcome(
        records=records,
        entries=choice.entries,
        ensemble_score=choice.score,
        best=choice.best,
        model=fitted.model,
        history=fitted.history,
        n_iter=fitted.n_iter,
        search_time=search_time,
        out_of_time=out_of_time,
    )
