"""CerebrosRegressor and CerebrosClassifier: architecture search as an estimator.

``fit`` is to architectures what ``GridSearchCV.fit`` is to parameters: it
draws Cerebros plans generation by generation, trains each candidate (through
joblib, so in parallel, or on a Dask cluster), ranks them on held-out rows with
a scikit-learn scorer and keeps a weighted average of the best networks,
chosen by greedy ensemble selection on those rows, as the fitted model.

The estimators are a thin shell over :func:`~.core.run_search`: they check
their parameters and the data, turn them into the plain inputs of the search
(its task, proposer, run settings, store and ensemble settings), and keep
its outcome as fitted attributes. The search calls nothing back on them.
"""

from __future__ import annotations

import dataclasses
import os
import time
from numbers import Integral, Real
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring, get_scorer_names, log_loss, make_scorer
from sklearn.utils._param_validation import Interval, StrOptions

from .._base import FitData, NetworkClassifier, NetworkRegressor, store_params
from .._compat import _fit_context
from ..architecture import CerebrosSpace, plan_from_dict, plan_kinds
from ._docs import SEARCH_ATTRIBUTES, SEARCH_DOC, SEARCH_INTRO
from .core import SearchOutcome, run_search
from .ensemble import EnsembleSettings
from .proposers import (
    UNBOUNDED,
    UNTIL_TIME_GENERATIONS_OF,
    Proposer,
    generation_size,
    make_proposer,
    resolve_initial_plans,
)
from .records import results_table
from .runner import RunSettings
from .space import resolve_kinds, resolve_space, space_description
from .store import ResultsStore, fingerprint, recorded_seed
from .trial import Folds, TrialData, TrialTask, bagging_folds, bags

__all__ = ["CerebrosClassifier", "CerebrosRegressor"]

_SPACE_FIELDS = tuple(f.name for f in dataclasses.fields(CerebrosSpace))

_SEARCH_CONSTRAINTS: dict = {
    # The space's own validation names the parameter and what it expects.
    **dict.fromkeys(_SPACE_FIELDS, "no_validation"),
    "n_trials": [Interval(Integral, 1, None, closed="left"), None],
    "ensemble_size": [Interval(Integral, 1, None, closed="left")],
    "n_generations": [Interval(Integral, 1, None, closed="left")],
    "n_wirings": [Interval(Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"generations", "halving"})],
    "max_time": [Interval(Real, 0, None, closed="neither"), None],
    "scoring": [StrOptions(set(get_scorer_names())), callable, None],
    "refit": ["boolean"],
    "n_jobs": [Integral, None],
    "results_dir": "no_validation",  # a str or os.PathLike, checked on use
    "resume": ["boolean"],
    "n_members": [Interval(Integral, 1, None, closed="left")],
    "cv": ["cv_object"],
    "initial_plans": "no_validation",  # checked by resolve_initial_plans
    "kinds": "no_validation",  # checked by space.resolve_kinds
    "space": "no_validation",  # checked by space.resolve_space
}


class _CerebrosSearch:
    """The shell shared by CerebrosRegressor and CerebrosClassifier."""

    def _space(self) -> CerebrosSpace:
        space = CerebrosSpace(**{name: getattr(self, name) for name in _SPACE_FIELDS})
        low_skip, high_skip = space.skip_depth
        most = space.levels[1] + 1  # the head counts as the level after the last
        if high_skip > most or low_skip > space.levels[1]:
            raise ValueError(
                f"skip_depth={self.skip_depth} does not fit levels={self.levels}: a "
                f"connection can span at most {most} levels (the deepest network "
                "plus its head), and the minimum must not exceed levels[1]."
            )
        return space

    def _scoring(self) -> Any:
        """The scorer that ranks the trials: ``scoring``, or the task's default."""
        if self.scoring is not None:
            return self.scoring
        if is_regressor(self):
            return "neg_root_mean_squared_error"
        if self.target_.kind_ == "multilabel-indicator":
            return "neg_log_loss"
        # held-out rows may miss a rare class: name them all
        return make_scorer(
            log_loss,
            greater_is_better=False,
            response_method="predict_proba",
            labels=self.target_.classes_,
        )

    # -- fit -------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        X_val: Any = None,
        y_val: Any = None,
    ):
        """Search Cerebros architectures and keep the best network.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-row weights of the training loss.
        X_val, y_val : array-like, default=None
            Held-out rows for early stopping and ranking; by default a
            ``validation_fraction`` split of ``X``.

        Returns
        -------
        self
            The fitted search.
        """
        started = time.time()  # max_time counts from here
        if self.n_trials is None and self.max_time is None:
            raise ValueError(
                "n_trials=None trains trials until max_time runs out, and "
                "max_time is None: set max_time (seconds), or give n_trials."
            )
        space = self._space()
        # a bad kind or space key fails before any data is read
        resolve_space(self.space, resolve_kinds(self.kinds))
        if self.resume and self.results_dir is None:
            raise ValueError(
                "resume=True continues the search recorded in results_dir; "
                "set results_dir too."
            )
        # A resumed search reuses the recorded seed, so it redraws the same split
        # and the same trials even when random_state is None.
        seed = recorded_seed(self.results_dir) if self.resume else None
        # A split ranks the trials, unless bagging holds out each fold in turn.
        data = self._prepare_fit(
            X,
            y,
            sample_weight,
            X_val,
            y_val,
            seed=seed,
            hold_out=lambda n_rows: not bags(self.cv, n_rows),
        )
        folds = self._folds(data)
        store, proposer = self._store_and_proposer(space, data, folds)
        outcome = run_search(
            self._trial_task(space, data, folds),
            proposer,
            RunSettings(
                self.n_jobs, self.max_time, self.n_trials, self.verbose, started
            ),
            store,
            EnsembleSettings(self.ensemble_size, self.scoring, self.refit),
        )
        self._keep_outcome(outcome)
        if self.checkpoint_path is not None:
            self.model_.save(os.fspath(self.checkpoint_path))
        return self

    def _folds(self, data: FitData) -> Folds | None:
        """Bagging folds of the training rows, from ``cv`` (None: no bagging)."""
        n_rows = len(data.train[0])
        if data.validation is not None or not bags(self.cv, n_rows):
            return None  # X_val ranks the trials, or too few rows to bag
        # stratified on what the validation split would stratify on
        strata = self._stratify(data.train[1])
        return bagging_folds(self.cv, n_rows, strata, data.seed)

    def _store_and_proposer(
        self, space: CerebrosSpace, data: FitData, folds: Folds | None
    ) -> tuple[ResultsStore | None, Proposer]:
        """The results directory when there is one, and the strategy's proposer.

        The store comes first: a resumed search keeps the generation size it
        started with, so a larger ``n_trials`` adds generations and redraws
        the same earlier trials.
        """
        initial_plans = resolve_initial_plans(self.initial_plans)
        kinds = resolve_kinds(self.kinds)
        narrowed = resolve_space(self.space, kinds)
        # with no count of trials, generations as large as the default
        # count gives them, so that the first trials are the default search's
        size = generation_size(
            UNTIL_TIME_GENERATIONS_OF if self.n_trials is None else self.n_trials,
            self.n_generations,
            self.n_wirings,
        )
        store = None
        if self.results_dir is not None:
            described = fingerprint(
                self.get_params(),
                initial_plans,
                kinds=kinds,
                space=space_description(narrowed),
                n_rows=len(data.train[0]),
                n_features=data.n_features,
                seed=data.seed,
                generation_size=size,
                folds=folds,
            )
            store = ResultsStore(self.results_dir, described, self.resume)
            size = store.fingerprint["generation_size"]
        proposer = make_proposer(
            self.strategy,
            space,
            n_trials=UNBOUNDED if self.n_trials is None else self.n_trials,
            epochs=self.epochs,
            generation_size=size,
            n_wirings=self.n_wirings,
            rng=np.random.default_rng(data.seed),
            batch=effective_n_jobs(self.n_jobs),
            initial_plans=initial_plans,
            kinds=kinds,
            narrow=self.space,
        )
        return store, proposer

    def _trial_task(
        self, space: CerebrosSpace, data: FitData, folds: Folds | None
    ) -> TrialTask:
        """What every trial of this search is run with (see ``run_trial``)."""
        scored = data.validation if data.validation is not None else data.train
        head = self.target_.head
        # Trials save no checkpoint (the fitted network is saved after the
        # search) and log to tensorboard_dir/trial_NNN (see run_trial).
        settings = dataclasses.replace(
            self._settings(), verbose=max(0, self.verbose - 1), checkpoint_path=None
        )
        return TrialTask(
            space=space,
            head=(head.units, head.activation, self.n_members),
            data=TrialData(
                data.train,
                data.validation,
                self.target_.inverse(scored[1]),
                data.n_features,
                folds,
            ),
            settings=settings,
            target=self.target_,
            scorer=check_scoring(self, scoring=self._scoring()),
            classifier=is_classifier(self),
            kinds=plan_kinds(),  # for trials in worker processes
        )

    def _keep_outcome(self, outcome: SearchOutcome) -> None:
        """The search's outcome as fitted attributes."""
        best = outcome.best.record
        weights = {e.result.record["trial"]: e.weight for e in outcome.entries}
        self.search_results_ = results_table(outcome.records, weights)
        self.ensemble_ = [{"trial": t, "weight": w} for t, w in weights.items()]
        self.ensemble_score_ = outcome.ensemble_score
        self.best_index_ = int(best["trial"])
        self.best_score_ = float(best["score"])
        self.best_plan_ = plan_from_dict(best["plan"])
        self.plan_ = self.best_plan_
        self.history_ = outcome.history
        self.n_iter_ = outcome.n_iter
        self.n_trials_ = len(outcome.records)
        self.search_time_ = outcome.search_time
        self.time_budget_exhausted_ = outcome.out_of_time
        self.model_ = outcome.model


class CerebrosRegressor(_CerebrosSearch, NetworkRegressor):
    __doc__ = (
        """Cerebros neural architecture search for regression.
"""
        + SEARCH_INTRO
        + """
    Each trial is bagged over folds and ranked on the rows it did not train
    on, and the search keeps a weighted average of the best (an ensemble).
"""
        + SEARCH_DOC
        + """
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        Training loss on the standardised targets.
"""
        + SEARCH_ATTRIBUTES
        + """

    See Also
    --------
    CerebrosClassifier : The same search for classification.
    ResidualMLPRegressor : One fixed residual network.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn_cerebros import CerebrosRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> search = CerebrosRegressor(n_trials=2, epochs=5, random_state=0).fit(X, y)
    >>> len(search.search_results_["score"])
    2
    """
    )

    _parameter_constraints: dict = {
        **NetworkRegressor._parameter_constraints,
        **_SEARCH_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        levels: tuple[int, int] = (1, 4),
        units_per_level: tuple[int, int] = (1, 4),
        neurons_per_unit: tuple[int, int] = (8, 64),
        skip_depth: tuple[int, int] = (1, 3),
        affinity_first: float = 1.0,
        affinity_main: float = 1.0,
        rounding_first: str = "ceil",
        rounding_main: str = "ceil",
        affinity_decay: str = "0.7",
        p_lateral: float = 0.2,
        lateral_decay: str = "0.95",
        lateral_tries_per_unit: int = 1,
        max_consecutive_laterals: int = 2,
        gate_every: int = 2,
        gate_activation: str = "sigmoid",
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = True,
        n_members: int = 1,
        n_trials: int = 6,
        n_generations: int = 2,
        n_wirings: int = 1,
        initial_plans: Any = ("residual", "retrieval", "retrieval", "retrieval"),
        kinds: Any = "all",
        space: dict | None = None,
        strategy: str = "generations",
        max_time: float | None = None,
        ensemble_size: int = 25,
        cv: Any = 5,
        scoring: Any = None,
        refit: bool = False,
        n_jobs: int | None = None,
        results_dir: Any = None,
        resume: bool = False,
        loss: str = "squared_error",
        epochs: int = 200,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        early_stopping: bool = True,
        validation_fraction: float = 0.2,
        n_iter_no_change: int = 10,
        tol: float = 0.0,
        lr_schedule: str = "constant",
        warmup_epochs: int = 5,
        min_lr_fraction: float = 0.01,
        weight_decay: float = 0.0,
        preprocessing: str | None = "auto",
        callbacks: list | None = None,
        checkpoint_path: Any = None,
        tensorboard_dir: Any = None,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        store_params(self, locals())


class CerebrosClassifier(_CerebrosSearch, NetworkClassifier):
    __doc__ = (
        """Cerebros neural architecture search for classification.
"""
        + SEARCH_INTRO
        + """
    Each trial is bagged over folds (stratified when every class allows it)
    and ranked on the rows it did not train on, and the search keeps a
    weighted average of the best (an ensemble of their probabilities).
    The output layer follows the task as in
    :class:`~sklearn_cerebros.ResidualMLPClassifier`.
"""
        + SEARCH_DOC
        + """
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    label_smoothing : float, default=0.0
        Label smoothing of the cross-entropy in every trial, in ``[0, 1)``,
        as for :class:`~sklearn_cerebros.ResidualMLPClassifier`.
"""
        + SEARCH_ATTRIBUTES
        + """
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of ``predict_proba``'s columns.

    See Also
    --------
    CerebrosRegressor : The same search for regression.
    ResidualMLPClassifier : One fixed residual network.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_cerebros import CerebrosClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> search = CerebrosClassifier(n_trials=2, epochs=5, random_state=0).fit(X, y)
    >>> search.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _parameter_constraints: dict = {
        **NetworkClassifier._parameter_constraints,
        **_SEARCH_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        levels: tuple[int, int] = (1, 4),
        units_per_level: tuple[int, int] = (1, 4),
        neurons_per_unit: tuple[int, int] = (8, 64),
        skip_depth: tuple[int, int] = (1, 3),
        affinity_first: float = 1.0,
        affinity_main: float = 1.0,
        rounding_first: str = "ceil",
        rounding_main: str = "ceil",
        affinity_decay: str = "0.7",
        p_lateral: float = 0.2,
        lateral_decay: str = "0.95",
        lateral_tries_per_unit: int = 1,
        max_consecutive_laterals: int = 2,
        gate_every: int = 2,
        gate_activation: str = "sigmoid",
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = True,
        n_members: int = 1,
        n_trials: int = 6,
        n_generations: int = 2,
        n_wirings: int = 1,
        initial_plans: Any = ("residual", "retrieval", "retrieval", "retrieval"),
        kinds: Any = "all",
        space: dict | None = None,
        strategy: str = "generations",
        max_time: float | None = None,
        ensemble_size: int = 25,
        cv: Any = 5,
        scoring: Any = None,
        refit: bool = False,
        n_jobs: int | None = None,
        results_dir: Any = None,
        resume: bool = False,
        class_weight: dict | str | None = None,
        label_smoothing: float = 0.0,
        epochs: int = 200,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        early_stopping: bool = True,
        validation_fraction: float = 0.2,
        n_iter_no_change: int = 10,
        tol: float = 0.0,
        lr_schedule: str = "constant",
        warmup_epochs: int = 5,
        min_lr_fraction: float = 0.01,
        weight_decay: float = 0.0,
        preprocessing: str | None = "auto",
        callbacks: list | None = None,
        checkpoint_path: Any = None,
        tensorboard_dir: Any = None,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        store_params(self, locals())
