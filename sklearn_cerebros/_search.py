"""CerebrosRegressor and CerebrosClassifier: architecture search as an estimator.

``fit`` is to architectures what ``GridSearchCV.fit`` is to parameters: it
draws Cerebros plans generation by generation, trains each candidate (through
joblib, so in parallel, or on a Dask cluster), ranks them on held-out rows with
a scikit-learn scorer and keeps a weighted average of the best networks,
chosen by greedy ensemble selection on those rows, as the fitted model.
"""

from __future__ import annotations

import dataclasses
import hashlib
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

from ._base import FitData, NetworkClassifier, NetworkRegressor, store_params
from ._compat import _fit_context
from ._ensemble import batch_score, one_by_one, select_ensemble
from ._keras import average_models, build, fit_network
from ._progress import trial_progress
from ._proposer import (
    GenerationProposer,
    HalvingProposer,
    Proposer,
    TrialSpec,
    generation_size,
    rank_key,
)
from ._residual_mlp import ResidualMLPRegressor
from ._trials import (
    ResultsStore,
    TrialData,
    TrialResult,
    TrialRunner,
    WarmStart,
    score_raw,
    worker_threads,
)
from .architecture import CerebrosSpace, Plan, residual_plan

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
        if isinstance(value, str):
            if value != "residual":
                raise ValueError(
                    f"initial_plans={value!r} is not known: pass 'residual' (the "
                    "default architecture of ResidualMLPRegressor), a list of "
                    "Plan objects, or None."
                )
            # the residual estimators' default network, its joint ensemble too
            members = ResidualMLPRegressor().n_members
            return [residual_plan().with_head(1, "linear", members).to_dict()]
        if not isinstance(value, (list, tuple)):
            raise ValueError(
                f"initial_plans must be 'residual', a list of Plan objects or "
                f"None, got {type(value).__name__}."
            )
        plans = []
        for i, plan in enumerate(value):
            if isinstance(plan, dict):
                plan = Plan.from_dict(plan)
            if type(plan) is not Plan:
                raise ValueError(
                    f"initial_plans[{i}] must be a Plan (a network of levels of "
                    f"units, as residual_plan or wire give), got "
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
                fingerprint["folds"] = _digest(folds)
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
                average_models(*_networks(record, result.weights, n_features)),
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
        self.search_results_ = _results_table(ordered)
        self.search_results_["ensemble_weight"] = [
            by_trial.get(r["trial"], 0.0) for r in ordered
        ]
        self.ensemble_ = [{"trial": m.record["trial"], "weight": w} for m, w in members]
        # in the members' float32, as model_ averages them
        self.ensemble_score_ = score(sum(w * m.raw for m, w in members))
        self.best_index_ = int(best.record["trial"])
        self.best_score_ = float(best.record["score"])
        self.best_plan_ = Plan.from_dict(best.record["plan"])
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
                nets, parts = _networks(m.record, m.weights, data.n_features)
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
            Plan.from_dict(record["plan"]),
            (X, y, w),
            None,
            settings,
            seed=record["seed"],
            n_features=data.n_features,
        )
        if record["trial"] == self.best_index_:
            self.history_, self.n_iter_ = trained.history, settings.epochs
        return trained.model


def _networks(
    record: dict[str, Any], weights: list[list[np.ndarray]], n_features: int
) -> tuple[list[Any], list[float]]:
    """A trial's trained networks (one per fold when bagged), equal shares each."""
    plan = Plan.from_dict(record["plan"])
    networks = []
    for fold, arrays in enumerate(weights):
        if len(weights) > 1:  # named as in training (see run_trial)
            name = f"{plan.name}_fold{fold}"
            network = build(dataclasses.replace(plan, name=name), n_features)
        else:
            network = build(plan, n_features)
        network.set_weights(arrays)
        networks.append(network)
    return networks, [1.0 / len(networks)] * len(networks)


def _digest(folds: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """A short fingerprint of the held-out rows of each fold."""
    h = hashlib.sha256()
    for _, held in folds:
        h.update(np.asarray(held, np.int64).tobytes() + b"|")
    return h.hexdigest()[:16]


_COLUMNS = (
    "trial",
    "generation",
    "parent",
    "initial",
    "rung",
    "seed",
    "status",
    "score",
    "rank",
    "epochs",
    "best_epoch",
    "fit_time",
    "n_levels",
    "n_units",
    "n_neurons",
    "n_params",
    "summary",
    "structure",
    "plan",
    "error",
)


def _results_table(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns of per-trial values, like ``cv_results_``; rank 1 is the best."""
    ok = sorted((r for r in records if r["status"] == "ok"), key=rank_key)
    rank = {r["trial"]: i + 1 for i, r in enumerate(ok)}
    table: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    for record in records:
        for column in _COLUMNS:
            if column == "rank":
                table[column].append(rank.get(record["trial"], len(records)))
            elif column == "parent":
                # -1, not None, so that pandas keeps the column integer
                parent = record.get(column)
                table[column].append(-1 if parent is None else parent)
            elif column == "initial":
                table[column].append(bool(record.get(column, False)))
            elif column == "rung":
                table[column].append(record.get(column, 0))
            else:
                table[column].append(record.get(column))
    return table


_SEARCH_DOC = """
    The seed's search shape is kept with scikit-learn names. The original's
    ``number_of_architecture_moities_to_try`` (structures a generation),
    ``number_of_tries_per_architecture_moity`` (``n_wirings``) and
    ``number_of_generations`` (``n_generations``) multiply to ``n_trials``:
    each generation draws ``ceil(n_trials / (n_generations * n_wirings))``
    structures and wires each ``n_wirings`` times, until ``n_trials`` trials
    are reached. ``metric_to_rank_by`` and ``direction`` become ``scoring``
    (a scikit-learn scorer, greater is better), ``validation_split`` becomes
    ``validation_fraction``, ``patience`` ``n_iter_no_change``, ``seed``
    ``random_state`` and ``project_name`` ``results_dir``.

    **Generations.** Generation 0 draws its structures at random from the
    space. Every later generation takes the ``max(1, s // 2)`` best successful
    trials so far (``s`` structures a generation; one trial per distinct
    structure, ranked by score, ties broken by fewer parameters) as parents;
    structure slot ``i`` moves parent ``i mod n_parents`` by one step with
    :func:`~sklearn_cerebros.architecture.perturb_structure` (add or remove a
    level or a unit, or resize a unit, within the ranges) and draws fresh
    wiring for it.

    **Successive halving** (``strategy="halving"``, asynchronous as in ASHA,
    Li et al., 2020) trains many structures briefly and the best longer.
    The epochs a network has trained for in all climb a ladder of rungs,
    ``epochs / 3**k`` for ``k = n-1, ..., 1, 0`` with the smallest rung of at
    least 5 epochs (``epochs=200``: 7, 22, 67 and 200). Rung 0 trains a
    structure drawn at random from the space, wired once, for the first
    budget (``initial_plans`` are its first trials). Once a rung holds ``n``
    finished trials, its best ``n // 3`` (failed trials never) are
    *promoted*, best first: a promotion is a trial of its own (its own
    index, seed and record, ``parent`` the trial it continues, ``rung`` one
    higher) that trains the parent's network on from its weights (each
    fold's network from its own with ``cv``) for the difference between the
    two rungs' budgets, with early stopping as ever (``start_epoch`` in
    ``trials.jsonl``: the epochs its weights had). The
    optimiser starts afresh (its moments and a ``lr_schedule`` are not
    carried over). Each next trial is the best promotable trial of the
    highest rung that has one, else a fresh structure, until ``n_trials``
    trials, promotions included; every trial is scored and can join the
    ensemble.
    ``n_generations`` and ``n_wirings`` play no part. With ``n_jobs=1`` the
    search repeats with ``random_state`` and a resumed search goes on as the
    uninterrupted one would; with ``n_jobs`` above 1 on joblib's default
    (loky) backend each worker takes the next trial as soon as it is free,
    so which trials finish first shapes the promotions and the results vary
    from run to run (under another joblib backend, such as Dask, ``n_jobs``
    trials run at a time and the next ones are chosen when all have
    finished). It suits a large ``n_trials`` under a ``max_time``: with a
    handful of trials most of them stop at the lowest rung.

    **Trials.** Each trial has its own seed, drawn from ``random_state``: it
    wires its plan, initialises and trains the network with early stopping
    (best weights restored, so the score and the kept model agree) and is
    scored on the held-out rows. A failing trial is recorded with its error
    and the search goes on; only when every trial fails does ``fit`` raise.
    Trials of a generation run through joblib with ``n_jobs`` workers, so
    ``with joblib.parallel_backend("dask"):`` spreads them over a Dask
    cluster. A trial's plan, initial weights and training come from its seed
    alone, so it gives the same result in-process, in joblib's worker
    processes and on Dask workers, freshly started ones included; the results
    of generations do not depend on ``n_jobs`` (with ``max_time`` set, where
    the budget cuts the search does).

    **Bagging.** With ``cv`` (say ``cv=5``) every trial trains one network
    per fold, each early-stopped on its held-out fold, and is ranked on its
    out-of-fold outputs: every row is scored once, by the network that did
    not train on it, so ranking and selection see all rows instead of a
    ``validation_fraction`` share. The trial then predicts the mean of its
    fold networks.

    **After the search** the trials are combined by greedy ensemble selection
    (Caruana et al., 2004, as in auto-sklearn and AutoGluon): starting from
    none, ``ensemble_size`` times the trial (repeats allowed) whose addition
    gives the best ``scoring`` of the averaged held-out (or out-of-fold)
    outputs (predictions for regression, probabilities for classification)
    is added; the
    best-scoring prefix of those picks is kept (ties: the shorter), and a
    trial's weight is its share of the kept picks. The first pick is the best
    trial, so the ensemble scores at least as well as it on the held-out rows
    (``ensemble_score_`` against ``best_score_``), and ``ensemble_size=1``
    keeps the best trial alone. Ties between trials go to the one with fewer
    parameters, then to the earlier one. ``model_`` is one Keras network that
    averages its members with those weights, so it predicts, saves and
    pickles like a single one. With ``refit=False`` (the default) the members
    are the very networks that were scored, early-stopped on held-out rows.
    ``refit=True`` retrains every member's plan on all rows, each for its own
    best number of epochs and from its own seed, and keeps the weights; it
    uses more data but gives up early stopping and the reported scores.

    Parameters
    ----------
    levels : (int, int), default=(1, 4)
        Range of the number of hidden levels (the output level is not
        counted).
    units_per_level : (int, int), default=(1, 4)
        Range of parallel units per level.
    neurons_per_unit : (int, int), default=(8, 64)
        Range of neurons per unit.
    skip_depth : (int, int), default=(1, 3)
        Range of levels a predecessor connection may span; at most
        ``levels[1] + 1``.
    affinity_first, affinity_main : float, default=1.0
        Expected share of an earlier level's units a unit connects to.
    rounding_first, rounding_main : {"ceil", "floor", "round"}, default="ceil"
        How expected counts of connections are rounded.
    affinity_decay : {"0.7", "0.95", "none"}, default="0.7"
        Decay of ``affinity_main`` with the distance between levels.
    p_lateral : float, default=0.2
        Probability of a lateral connection per try.
    lateral_decay : {"0.7", "0.95", "none"}, default="0.95"
        Decay of ``p_lateral`` with the distance between units.
    lateral_tries_per_unit : int, default=1
        Tries per possible lateral source.
    max_consecutive_laterals : int, default=2
        Longest run of successful lateral tries of a unit.
    gate_every : int, default=2
        Every n-th lateral connection of a unit is gated; 0 for none.
    gate_activation : str, default="sigmoid"
        Activation of the gates.
    activation : str, default="relu"
        Activation of every unit.
    dropout : float, default=0.0
        Dropout after every unit.
    batch_norm : bool, default=True
        Batch-normalise each unit's input.
    n_members : int, default=1
        Members of a joint ensemble in every trial's network (see
        :class:`~sklearn_cerebros.ResidualMLPRegressor`): members share the
        wired units, each has its own input multipliers and output layer,
        and the network predicts their mean.
    initial_plans : "residual", list of Plan or None, default="residual"
        Plans trained first, as they are, before the drawn ones: trials 0,
        1, ... of generation 0 (they count in ``n_trials``, are ranked and
        can join the ensemble like any trial, and are never perturbed into
        parents). ``"residual"`` is the architecture of
        :class:`~sklearn_cerebros.ResidualMLPRegressor`'s defaults
        (:func:`~sklearn_cerebros.architecture.residual_plan`, with its 8
        joint-ensemble members), a strong start that the drawn networks are
        then combined with, as AutoGluon starts from a portfolio of
        known-good configurations. Each gets the search's output head and
        keeps its own ``members``; ``n_members`` is for the drawn plans.
        With ``strategy="halving"`` they are the first trials of rung 0,
        promoted like any other.
    n_trials : int, default=8
        Networks to train in all.
    n_generations : int, default=2
        Generations of the search (``strategy="generations"``).
    n_wirings : int, default=1
        Wirings tried for each structure (``strategy="generations"``).
    strategy : {"generations", "halving"}, default="generations"
        Which trials the search trains (see above): ``"generations"`` of
        random structures and perturbations of the best, each trained for up
        to ``epochs``; or ``"halving"``, successive halving over epochs, many
        random structures trained briefly and the best trained on from their
        weights. On Ames within ``max_time=120`` (``python -m
        benchmarks.bench_halving``) halving did not beat generations, so
        generations stay the default.
    max_time : float, default=None
        Wall-clock budget in seconds: no new trial starts after it (running
        trials finish). ``time_budget_exhausted_`` says whether it ran out.
    scoring : str or callable, default=None
        Ranks the trials on the held-out rows; None means
        ``"neg_root_mean_squared_error"`` for regression and ``"neg_log_loss"``
        for classification.
    ensemble_size : int, default=25
        Largest number of picks of the greedy ensemble selection (see above);
        1 keeps the best trial alone. It changes no trial, so a search resumed
        from ``results_dir`` with another ``ensemble_size`` trains nothing.
        On Ames with the default 8 trials, 10, 25 and 50 picks scored alike
        (about 10 % lower RMSE than the best trial alone) and 5 picks a
        little worse; 25 leaves room for finer weights over larger searches.
    cv : int, cross-validation splitter or None, default=5
        Cross-validated bagging of every trial. With an int ``k``, each trial
        trains ``k`` networks, one per fold of a shuffled ``KFold``
        (``StratifiedKFold`` for a classifier whose every class has ``k``
        rows), each early-stopped on its held-out fold, as AutoGluon bags its
        models. The out-of-fold outputs, one for every row, rank the trials
        and choose the ensemble, and a trial predicts the mean of its ``k``
        networks. A splitter (``KFold(...)``, ...) must hold out every row
        exactly once. ``None`` trains one network per trial and ranks on a
        ``validation_fraction`` split. ``X_val`` passed to ``fit`` ranks the
        trials instead, without bagging, and so do fewer than ``2 * k`` rows.
        Bagging costs ``k`` times the training per trial, so fewer trials fit
        in a ``max_time``; it ranks and selects on all rows rather than a
        fifth of them. The rule behind the default: on Ames, 5-fold bagging
        took the default search from 25,348 to 23,855 dollars RMSE (5 folds,
        JAX) for about 1.7 times the time (median 164 s a fold against 94,
        2 cores under load), and kept it within 2 % of
        HistGradientBoosting on the other tables of the benchmark harness
        (see the benchmarks page); take ``cv=None`` when time matters more.
    refit : bool, default=False
        Retrain the ensemble's members on all rows after the search (see
        above); with ``cv``, each member for the median of its folds' best
        epoch counts, one network in place of its ``k``.
    n_jobs : int, default=None
        Trials trained at once (joblib). Worker processes started by the
        search get their share of the cores for TensorFlow
        (``TF_NUM_INTRAOP_THREADS``, unless you set it), so that two workers
        on two cores do not fight over them. TensorFlow keeps about 12 MB
        for every network it trains, whatever Keras clears, so trials run
        where that memory is given back: with ``n_jobs`` above 1 in joblib's
        worker processes, which loky replaces once they have grown by
        300 MB; with ``n_jobs=1`` and more than 20 trials, in one worker
        process of the search's own (the same results as in this process;
        it costs a few seconds to start). Your process stays flat either way.
    results_dir : str or path-like, default=None
        Where to write every finished trial as it finishes
        (``trials.jsonl``), each successful trial's weights and held-out
        outputs (``trial_NNN.npz``, what the ensemble is selected and built
        from), the search's settings and seed (``search.json``) and the best
        single model so far (``best_model.keras``, with its trial number in
        ``best.json``). None writes nothing.
    resume : bool, default=False
        Continue the search recorded in ``results_dir``: finished trials are
        read back, not retrained, and the ensemble is selected again over all
        of them. The budget may grow: with a larger ``n_trials`` (or
        ``max_time``) the search adds trials. A search keeps the generation
        size it started with, ``ceil(n_trials / (n_generations * n_wirings))``
        structures, so a larger ``n_trials`` adds generations, and a search
        of 4 trials resumed to 8 holds the same trials as one of 8 trials
        with that generation size.
    epochs : int, default=200
        Largest number of epochs per trial.
    batch_size : int, default=64
        Rows per optimiser step.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    early_stopping : bool, default=True
        Early stopping in each trial, on the held-out rows.
    validation_fraction : float, default=0.2
        Share of rows held out for early stopping and ranking when
        ``X_val, y_val`` are not given.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=0.0
        Smallest improvement that counts.
    lr_schedule : {"constant", "warmup_cosine", "plateau"}, default="constant"
        Learning-rate schedule of every trial, as for
        :class:`~sklearn_cerebros.ResidualMLPRegressor`.
    warmup_epochs : int, default=5
        Warm-up length of ``"warmup_cosine"``, capped at ``epochs``.
    min_lr_fraction : float, default=0.01
        Floor of the scheduled learning rate, as a fraction of
        ``learning_rate``.
    weight_decay : float, default=0.0
        Above 0, every trial trains with AdamW and this decoupled decay.
    preprocessing : {"auto", "robust", "piecewise_linear", "standard"} or None, \
            default="auto"
        How ``X`` is prepared, as for
        :class:`~sklearn_cerebros.ResidualMLPRegressor` (``"auto"``:
        piecewise-linear encoded numeric columns).
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks, run in every trial.
    checkpoint_path : str or path-like, default=None
        File ending in ``.keras`` where the fitted network (the best trial's,
        or the refitted one) is saved at the end of ``fit``.
    tensorboard_dir : str or path-like, default=None
        Directory for TensorBoard logs: one subdirectory per trial
        (``trial_000``, ...) and ``refit`` (``refit/trial_NNN`` per member
        when the ensemble has several; needs the ``tensorboard`` package).
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the structures and each trial.
    verbose : int, default=0
        ``0`` silent; ``1`` a progress bar over trials; ``2`` also Keras's
        per-epoch progress bars."""

_SEARCH_ATTRIBUTES = """
    Attributes
    ----------
    search_results_ : dict of str to list
        One entry per trial, like ``cv_results_`` (load it with
        ``pandas.DataFrame``): trial, generation (with successive halving the
        rung), parent (the trial whose structure was perturbed, or whose
        network a promotion continues; -1 for a sampled one), initial
        (whether it is one of ``initial_plans``), rung (0 for a network
        trained from scratch), seed, status, score,
        rank, epochs, best_epoch, fit_time, sizes, a one-line summary, the
        structure, the plan as a dict, the error text of a failed trial, and
        its ``ensemble_weight`` (0 outside the ensemble).
    best_index_ : int
        Index of the best trial.
    best_score_ : float
        Its score on the held-out rows.
    ensemble_ : list of dict
        The ensemble's members, ``{"trial": index, "weight": weight}`` in
        trial order; the weights are positive and sum to 1.
    ensemble_score_ : float
        The ensemble's score on the held-out rows (before any refit), at
        least ``best_score_``.
    best_plan_, plan_ : Plan
        The best trial's architecture.
    model_ : keras.Model
        The fitted network: the members averaged with their weights (the
        best trial's network itself when it is the only member).
    history_ : dict of str to list of float
        The best trial's per-epoch losses (of its own epochs only when it
        continued another trial's network).
    n_iter_ : int
        Epochs the fitted network was trained for, counted from scratch.
    n_trials_ : int
        Trials finished.
    search_time_ : float
        Seconds the search took.
    time_budget_exhausted_ : bool
        Whether ``max_time`` stopped the search early.
    n_features_in_ : int
        Number of features seen during fit.
    n_network_inputs_ : int
        Width of the network's input: the columns after preprocessing (one
        per one-hot level, missing-value indicators), which the parameter
        count of ``plan_.summary(n_network_inputs_)`` needs.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` is a DataFrame."""


class CerebrosRegressor(_CerebrosSearch, NetworkRegressor):
    __doc__ = (
        """Cerebros neural architecture search for regression.

    ``fit`` samples networks of levels of parallel Dense units, wired at random
    to units one or several levels up (skip connections) and beside them
    (lateral connections, some gated), trains the candidates, ranks them on
    held-out rows and keeps a weighted average of the best (an ensemble).
"""
        + _SEARCH_DOC
        + """
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        Training loss on the standardised targets.
"""
        + _SEARCH_ATTRIBUTES
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
        initial_plans: Any = "residual",
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
        + _SEARCH_DOC
        + """
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    label_smoothing : float, default=0.0
        Label smoothing of the cross-entropy in every trial, in ``[0, 1)``,
        as for :class:`~sklearn_cerebros.ResidualMLPClassifier`.
"""
        + _SEARCH_ATTRIBUTES
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
        initial_plans: Any = "residual",
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
