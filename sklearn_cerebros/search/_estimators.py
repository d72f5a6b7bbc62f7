"""CerebrosRegressor and CerebrosClassifier: architecture search as an estimator.

``fit`` is to architectures what ``GridSearchCV.fit`` is to parameters: it
draws Cerebros plans generation by generation, trains each candidate (through
joblib, so in parallel, or on a Dask cluster), ranks them on held-out rows with
a scikit-learn scorer and keeps a weighted average of the best networks,
chosen by greedy ensemble selection on those rows, as the fitted model.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from numbers import Integral, Real
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import check_scoring, get_scorer_names, log_loss, make_scorer
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils._param_validation import Interval, StrOptions

from .._base import FitData, NetworkClassifier, NetworkRegressor, store_params
from .._compat import _fit_context
from .._keras import average_models, fit_network
from .._residual_mlp import ResidualMLPRegressor
from ..architecture import (
    CerebrosSpace,
    MixerPlan,
    Plan,
    RetrievalPlan,
    plan_from_dict,
    residual_plan,
)
from ._docs import SEARCH_ATTRIBUTES, SEARCH_DOC
from .ensemble import batch_score, one_by_one, select_ensemble
from .progress import trial_progress
from .proposers import (
    GenerationProposer,
    HalvingProposer,
    Proposer,
    TrialSpec,
    generation_size,
    rank_key,
)
from .records import digest, results_table, trial_networks
from .trial import (
    ResultsStore,
    TrialData,
    TrialResult,
    TrialRunner,
    WarmStart,
    score_raw,
    worker_threads,
)

__all__ = ["CerebrosClassifier", "CerebrosRegressor"]

_SPACE_FIELDS = tuple(f.name for f in dataclasses.fields(CerebrosSpace))
# Successive halving: one trial in _HALVING_ETA of a rung is promoted, and
# rung 0 trains for at least _HALVING_MIN_EPOCHS (see rung_budgets).
_HALVING_ETA = 3
_HALVING_MIN_EPOCHS = 5
# Settings that change how a search runs or reports, not which trials it holds.
# The budget (n_trials, max_time) is among them: a resumed search may grow.
_NOT_IN_FINGERPRINT = {
    "verbose",
    "n_jobs",
    "results_dir",
    "resume",
    "n_trials",
    "max_time",
    "ensemble_size",
    "callbacks",
    "checkpoint_path",
    "tensorboard_dir",
}

_SEARCH_CONSTRAINTS: dict = {
    # The space's own validation names the parameter and what it expects.
    **dict.fromkeys(_SPACE_FIELDS, "no_validation"),
    "n_trials": [Interval(Integral, 1, None, closed="left")],
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
    "initial_plans": "no_validation",  # checked by _initial_plans
}


def _named_plan(name: str, position: int) -> Plan | RetrievalPlan:
    """The plan an ``initial_plans`` entry names."""
    if name == "residual":
        # the residual estimators' default network, its joint ensemble too
        members = ResidualMLPRegressor().n_members
        return residual_plan().with_head(1, "linear", members)
    if name == "retrieval":
        return RetrievalPlan()
    raise ValueError(
        f"initial_plans[{position}]={name!r} is not known: the names are "
        "'residual' (the default architecture of ResidualMLPRegressor) and "
        "'retrieval' (RetrievalPlan(): a network that looks up similar "
        "training rows)."
    )


def _describe(value: Any) -> str:
    """A name for a non-JSON parameter that is the same in every process."""
    kind = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


class _CerebrosSearch:
    """The search shared by CerebrosRegressor and CerebrosClassifier."""

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

    def _fingerprint(self, data: FitData, n_rows: int, seed: int) -> dict[str, Any]:
        params = {
            k: v for k, v in self.get_params().items() if k not in _NOT_IN_FINGERPRINT
        }
        params["initial_plans"] = self._initial_plans()
        # through JSON once, so that it compares equal to what a resume reads back
        params = json.loads(json.dumps(params, default=_describe))
        return {
            **params,
            "n_rows": n_rows,
            "n_features": data.n_features,
            "seed": seed,
            "generation_size": self._generation_size(),
        }

    def _initial_plans(self) -> list[dict[str, Any]]:
        """``initial_plans`` as plan dicts, checked."""
        value = self.initial_plans
        if value is None:
            return []
        if isinstance(value, (str, Plan, MixerPlan, RetrievalPlan)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ValueError(
                f"initial_plans must be 'residual', 'retrieval', a plan (Plan, "
                f"MixerPlan, RetrievalPlan), a list of those, or None; got "
                f"{type(value).__name__}."
            )
        plans = []
        for i, plan in enumerate(value):
            if isinstance(plan, str):
                plan = _named_plan(plan, i)
            elif isinstance(plan, dict):
                plan = plan_from_dict(plan)
            if not isinstance(plan, (Plan, MixerPlan, RetrievalPlan)):
                raise ValueError(
                    f"initial_plans[{i}] must be 'residual', 'retrieval' or a "
                    f"plan (Plan, MixerPlan or RetrievalPlan), got "
                    f"{type(plan).__name__}."
                )
            plans.append(plan.to_dict())
        return plans

    def _generation_size(self) -> int:
        """Structures a generation draws, fixed when a search starts."""
        return generation_size(self.n_trials, self.n_generations, self.n_wirings)

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
        space = self._space()
        if self.resume and self.results_dir is None:
            raise ValueError(
                "resume=True continues the search recorded in results_dir; "
                "set results_dir too."
            )
        # A resumed search reuses the recorded seed, so it redraws the same split
        # and the same trials even when random_state is None.
        seed = ResultsStore.recorded_seed(self.results_dir) if self.resume else None
        data = self._prepare_fit(X, y, sample_weight, X_val, y_val, seed=seed)
        folds = self._folds(data)
        store = None
        if self.results_dir is not None:
            fingerprint = self._fingerprint(data, len(data.train[0]), data.seed)
            if folds is not None:
                fingerprint["folds"] = digest(folds)
            store = ResultsStore(self.results_dir, fingerprint, self.resume)
        records = store.load() if store is not None else {}
        proposer = self._proposer(space, store, np.random.default_rng(data.seed))
        start = time.perf_counter()
        kept, out_of_time = self._run_trials(
            proposer, self._trial_arguments(space, data, folds), records, store, data
        )
        self._finish(records, kept, data, time.perf_counter() - start, out_of_time)
        if self.checkpoint_path is not None:
            self.model_.save(os.fspath(self.checkpoint_path))
        return self

    def _proposer(
        self,
        space: CerebrosSpace,
        store: ResultsStore | None,
        rng: np.random.Generator,
    ) -> Proposer:
        """The strategy's proposer, drawing from the search's master generator."""
        if self.strategy == "halving":
            return HalvingProposer(
                space,
                n_trials=self.n_trials,
                epochs=self.epochs,
                rng=rng,
                eta=_HALVING_ETA,
                min_epochs=_HALVING_MIN_EPOCHS,
                # without a worker of its own each (see TrialRunner), the
                # search trains n_jobs trials and waits for all of them
                batch=effective_n_jobs(self.n_jobs),
                initial_plans=self._initial_plans(),
            )
        return GenerationProposer(
            space,
            n_trials=self.n_trials,
            # A resumed search keeps the generation size it started with, so a
            # larger n_trials adds generations and redraws the same earlier trials.
            generation_size=store.fingerprint["generation_size"]
            if store is not None
            else self._generation_size(),
            n_wirings=self.n_wirings,
            rng=rng,
            initial_plans=self._initial_plans(),
        )

    def _folds(self, data: FitData) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Bagging folds of the training rows, from ``cv`` (None: no bagging)."""
        if data.validation is not None or not self._bags(len(data.train[0])):
            return None  # X_val ranks the trials, or too few rows to bag
        X, y, _ = data.train
        stratify = self._stratify(y)
        if isinstance(self.cv, Integral):
            splitter = KFold(self.cv, shuffle=True, random_state=data.seed % 2**32)
            if stratify is not None:
                counts = np.unique(stratify, return_counts=True)[1]
                if counts.min() >= self.cv:
                    splitter = StratifiedKFold(
                        self.cv, shuffle=True, random_state=data.seed % 2**32
                    )
        else:
            splitter = check_cv(self.cv)
        labels = np.zeros(len(X)) if stratify is None else stratify
        folds = [
            (np.asarray(a, np.intp), np.asarray(b, np.intp))
            for a, b in splitter.split(np.zeros((len(X), 1)), labels)
        ]
        held = np.concatenate([b for _, b in folds]) if folds else np.array([])
        if len(folds) < 2 or np.sort(held).tolist() != list(range(len(X))):
            raise ValueError(
                f"cv={self.cv!r} must hold out every row of X exactly once over "
                f"at least 2 folds (as KFold does): the out-of-fold outputs rank "
                f"the trials. It gave {len(folds)} folds holding out "
                f"{len(held)} rows of {len(X)}, {len(np.unique(held))} distinct."
            )
        if any(len(a) == 0 for a, _ in folds):
            raise ValueError(f"cv={self.cv!r} gave a fold with no training rows.")
        return folds

    def _trial_arguments(
        self,
        space: CerebrosSpace,
        data: FitData,
        folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> dict[str, Any]:
        """What every trial of this search is run with (see ``run_trial``)."""
        scored = data.validation if data.validation is not None else data.train
        head = self.target_.head
        # Trials save no checkpoint (the fitted network is saved after the
        # search) and log to tensorboard_dir/trial_NNN (see run_trial).
        settings = dataclasses.replace(
            self._settings(), verbose=max(0, self.verbose - 1), checkpoint_path=None
        )
        return dict(
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
        )

    def _run_trials(
        self,
        proposer: Proposer,
        arguments: dict[str, Any],
        records: dict[int, dict[str, Any]],
        store: ResultsStore | None,
        data: FitData,
    ) -> tuple[dict[int, TrialResult], bool]:
        """Train what the proposer proposes until it is done or time runs out.

        Fills ``records`` as trials finish (and the store, when there is one);
        returns the successful trials (with their weights and held-out
        outputs) and whether ``max_time`` cut the search short.
        With ``max_time`` set, trials start ``n_jobs`` at a time so that the
        budget is checked between them. Successive halving with several
        loky workers runs asynchronously (see :meth:`_run_async`).
        """
        kept = self._kept_of(records, store)
        progress = trial_progress(self.verbose, self.n_trials, len(records))
        start = time.perf_counter()

        def out_of_time() -> bool:
            return bool(self.max_time) and time.perf_counter() - start > self.max_time

        def finished(result: TrialResult) -> None:
            records[result.record["trial"]] = result.record
            self._keep(result, kept, store, data.n_features)
            if store is not None:
                store.append(result.record)
            progress.advance(
                max((r.record["score"] for r in kept.values()), default=None)
            )

        runner = TrialRunner(
            self.n_jobs,
            self.n_trials - len(records),
            asynchronous=isinstance(proposer, HalvingProposer),
        )
        with worker_threads(self.n_jobs), runner:
            if runner.asynchronous:
                assert isinstance(proposer, HalvingProposer)
                cut = self._run_async(
                    proposer, runner, arguments, records, kept, finished, out_of_time
                )
                progress.close()
                return kept, cut
            while specs := proposer.next_trials(records):
                todo = [s for s in specs if s.index not in records]
                step = effective_n_jobs(self.n_jobs) if self.max_time else len(todo)
                for lo in range(0, len(todo), max(1, step)):
                    if out_of_time():
                        progress.close()
                        return kept, True
                    batch = todo[lo : lo + step]
                    starts = {
                        s.index: w
                        for s in batch
                        if (w := self._warm_start(s, kept)) is not None
                    }
                    for result in runner.run(batch, starts, **arguments):
                        finished(result)
        progress.close()
        return kept, False

    def _run_async(
        self,
        proposer: HalvingProposer,
        runner: TrialRunner,
        arguments: dict[str, Any],
        records: dict[int, dict[str, Any]],
        kept: dict[int, TrialResult],
        finished: Callable[[TrialResult], None],
        out_of_time: Callable[[], bool],
    ) -> bool:
        """Keep every worker busy: a new trial as soon as one finishes (ASHA).

        Returns whether ``max_time`` stopped the search; the trials running
        then finish first.
        """
        running: dict[Future, int] = {}
        cut = False
        while True:
            while len(running) < runner.workers and not cut:
                cut = out_of_time()
                spec = None if cut else proposer.next_trial(records)
                if spec is None:
                    break
                future = runner.submit(spec, self._warm_start(spec, kept), **arguments)
                running[future] = spec.index
            if not running:
                return cut
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.__getitem__):
                del running[future]
                finished(future.result())

    def _warm_start(
        self, spec: TrialSpec, kept: dict[int, TrialResult]
    ) -> WarmStart | None:
        """A promoted trial's start: its parent's plan and trained weights."""
        if spec.rung == 0 or spec.parent is None:
            return None
        parent = kept[spec.parent]
        record = parent.record
        trained = record["best_epoch"] if self.early_stopping else record["epochs"]
        return WarmStart(
            record["plan"], parent.weights, record.get("start_epoch", 0) + trained
        )

    def _bags(self, n_rows: int) -> bool:
        """Whether trials are bagged: ``cv`` set, and enough rows for its folds."""
        if self.cv is None:
            return False
        # an int cv needs 2 rows a fold; with fewer, one split as without cv
        return not isinstance(self.cv, Integral) or n_rows >= 2 * self.cv

    def _holds_out(self, n_rows: int) -> bool:
        # a split ranks the trials, unless bagging holds out each fold in turn
        return not self._bags(n_rows)

    def _scoring(self) -> Any:
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

    def _kept_of(
        self, records: dict[int, dict[str, Any]], store: ResultsStore | None
    ) -> dict[int, TrialResult]:
        """The successful trials loaded from a results directory, with arrays."""
        if store is None:
            return {}
        return {
            i: store.load_arrays(r)
            for i, r in records.items()
            if r["status"] == "ok" and np.isfinite(r["score"])
        }

    def _keep(
        self,
        result: TrialResult,
        kept: dict[int, TrialResult],
        store: ResultsStore | None,
        n_features: int,
    ) -> None:
        """Keep a successful trial for the ensemble; save it (and the best model)."""
        record = result.record
        if record["status"] != "ok" or not np.isfinite(record["score"]):
            return
        best = min(kept.values(), key=lambda r: rank_key(r.record), default=None)
        kept[record["trial"]] = result
        if store is None:
            return
        store.save_arrays(result)
        if best is None or rank_key(record) < rank_key(best.record):
            store.save_best(
                average_models(*trial_networks(record, result.weights, n_features)),
                record["trial"],
            )

    def _finish(
        self,
        records: dict[int, dict[str, Any]],
        kept: dict[int, TrialResult],
        data: FitData,
        elapsed: float,
        out_of_time: bool,
    ) -> None:
        ordered = [records[i] for i in sorted(records)]
        if not kept:
            errors = sorted({r.get("error", "") for r in ordered if r.get("error")})
            raise ValueError(
                f"All {len(ordered)} trials of the search failed. "
                f"Errors: {'; '.join(errors)[:2000] or 'none recorded'}"
            )
        # candidates best first, so that selection breaks ties as the ranking does
        candidates = sorted(kept.values(), key=lambda r: rank_key(r.record))
        best = candidates[0]
        scored = data.validation if data.validation is not None else data.train
        scorer = check_scoring(self, scoring=self._scoring())
        classifier = not isinstance(self, NetworkRegressor)
        y_score = self.target_.inverse(scored[1])

        def score(raw: np.ndarray) -> float:
            return score_raw(scorer, self.target_, classifier, raw, scored[0], y_score)

        # The default scorers have vectorised equivalents: 200 trials and 50
        # picks then take a fraction of a second rather than minutes.
        fast = batch_score(self.scoring, self.target_, scored[1])
        weights = select_ensemble(
            [r.raw for r in candidates],
            fast or one_by_one(score),
            self.ensemble_size,
            start=0,  # the best-ranked trial, so that size 1 is that trial
        )
        members = sorted(
            ((r, float(w)) for r, w in zip(candidates, weights, strict=True) if w > 0),
            key=lambda m: m[0].record["trial"],
        )
        by_trial = {m.record["trial"]: w for m, w in members}
        self.search_results_ = results_table(ordered)
        self.search_results_["ensemble_weight"] = [
            by_trial.get(r["trial"], 0.0) for r in ordered
        ]
        self.ensemble_ = [{"trial": m.record["trial"], "weight": w} for m, w in members]
        # in the members' float32, as model_ averages them
        self.ensemble_score_ = score(sum(w * m.raw for m, w in members))
        self.best_index_ = int(best.record["trial"])
        self.best_score_ = float(best.record["score"])
        self.best_plan_ = plan_from_dict(best.record["plan"])
        self.plan_ = self.best_plan_
        self.history_ = {k: list(v) for k, v in best.record["history"].items()}
        self.n_iter_ = int(best.record.get("start_epoch", 0) + best.record["epochs"])
        self.n_trials_ = len(ordered)
        self.search_time_ = elapsed
        self.time_budget_exhausted_ = out_of_time
        networks, shares = [], []
        for m, weight in members:
            if self.refit:
                nets, parts = [self._refit(data, m.record, len(members) > 1)], [1.0]
            else:
                nets, parts = trial_networks(m.record, m.weights, data.n_features)
            networks += nets
            shares += [weight * part for part in parts]
        self.model_ = average_models(networks, shares)

    def _refit(
        self, data: FitData, record: dict[str, Any], per_member_logs: bool
    ) -> Any:
        """Retrain a trial's plan on training and validation rows together.

        Trains for the trial's best epoch count (counted from scratch for a
        promoted trial of successive halving: its ``start_epoch`` plus its
        own), from its seed; the best trial's history becomes ``history_``.
        """
        X, y, w = data.train
        if data.validation is not None:
            Xv, yv, wv = data.validation
            X, y = np.concatenate([X, Xv]), np.concatenate([y, yv])
            if w is not None:
                w = np.concatenate([w, np.ones(len(Xv), w.dtype) if wv is None else wv])
        logs = None
        if self.tensorboard_dir is not None:
            logs = os.path.join(self.tensorboard_dir, "refit")
            if per_member_logs:
                logs = os.path.join(logs, f"trial_{record['trial']:03d}")
        settings = dataclasses.replace(
            self._settings(),
            epochs=int(record.get("start_epoch", 0) + record["best_epoch"]),
            early_stopping=False,
            verbose=max(0, self.verbose - 1),
            checkpoint_path=None,
            tensorboard_dir=logs,
        )
        trained = fit_network(
            plan_from_dict(record["plan"]),
            (X, y, w),
            None,
            settings,
            seed=record["seed"],
            n_features=data.n_features,
        )
        if record["trial"] == self.best_index_:
            self.history_, self.n_iter_ = trained.history, settings.epochs
        return trained.model


class CerebrosRegressor(_CerebrosSearch, NetworkRegressor):
    __doc__ = (
        """Cerebros neural architecture search for regression.

    ``fit`` samples networks of levels of parallel Dense units, wired at random
    to units one or several levels up (skip connections) and beside them
    (lateral connections, some gated), trains the candidates, ranks them on
    held-out rows and keeps a weighted average of the best (an ensemble).
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
        n_trials: int = 8,
        n_generations: int = 2,
        n_wirings: int = 1,
        initial_plans: Any = ("residual", "retrieval", "retrieval", "retrieval"),
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

    ``fit`` samples networks of levels of parallel Dense units, wired at random
    to units one or several levels up (skip connections) and beside them
    (lateral connections, some gated), trains the candidates, ranks them on
    held-out rows (stratified when every class allows it) and keeps a
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
        n_trials: int = 8,
        n_generations: int = 2,
        n_wirings: int = 1,
        initial_plans: Any = ("residual", "retrieval", "retrieval", "retrieval"),
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
