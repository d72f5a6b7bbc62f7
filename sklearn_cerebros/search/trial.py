"""One trial of a Cerebros search: train, bag over folds, score.

A trial wires a structure into a plan with its own seed, builds it, trains it
with early stopping (best weights restored) and scores it on the held-out
rows; with cross-validated bagging it trains one network per fold and scores
their out-of-fold outputs on every row (:func:`bagging_folds` makes the
folds). A promoted trial of successive halving trains its parent's networks
further instead, from weights the search hands it (:class:`WarmStart`,
:func:`promotion_start`). :func:`run_trial` is a plain function of plain data
(:class:`TrialTask`) so that joblib can run it in another process or on a Dask
worker; it returns a plain record and, when it succeeded, the trained weights
and held-out outputs. :func:`trial_networks` rebuilds a finished trial's
networks from those weights.
"""

from __future__ import annotations

import dataclasses
import os
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import Tags
from sklearn.utils._tags import ClassifierTags, RegressorTags, TargetTags

from .._backend import keras
from .._keras import (
    CompiledNetwork,
    SparseRows,
    TrainSettings,
    fit_network,
    keeps_rows,
    one_off_compiled,
    predict_array,
    rebuild,
    remember,
)
from ..architecture import (
    CerebrosSpace,
    NetworkPlan,
    PlanKind,
    kind_of,
    plan_from_dict,
    plan_kinds,
    register_kind,
    wire,
)
from .progress import epoch_done, network_done, showing
from .proposers import TrialSpec

__all__ = [
    "Folds",
    "TrialData",
    "TrialResult",
    "TrialSpec",
    "TrialTask",
    "WarmStart",
    "bagging_folds",
    "bags",
    "fold_seed",
    "promotion_start",
    "run_trial",
    "score_raw",
    "trial_networks",
]

#: Bagging folds: (training rows, held-out rows) of the search's rows per fold.
Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class TrialData:
    """Encoded data shared by every trial of a search."""

    train: tuple[np.ndarray, np.ndarray, np.ndarray | None]
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None
    y_score: np.ndarray  # the scored rows' targets, in the user's units
    n_features: int
    # Bagging: (training rows, held-out rows) of ``train`` per fold, the
    # held-out rows of the folds partitioning them; None for one network.
    folds: Folds | None = None


@dataclass(frozen=True)
class TrialTask:
    """What every trial of a search is run with: all but its :class:`TrialSpec`.

    ``head`` is ``(units, activation, members)`` of the output layer: a drawn
    plan gets all three, an initial plan keeps its own joint-ensemble
    members. ``target`` is the fitted target encoder, ``scorer`` the search's
    scikit-learn scorer, which ``classifier`` says how to feed. ``kinds``
    are the kinds of plan registered where the search runs, which a worker
    process registers too (a kind the user's code registered).
    ``usable_by_deadline`` (a search's first trials, before one is kept)
    asks that the settings' ``deadline`` cut the trial so that it still
    counts: every network trains at least one epoch, and a bagged trial's
    networks trained one by one share the time left (see :func:`_bagged`).
    """

    space: CerebrosSpace
    head: tuple[int, str, int]
    data: TrialData
    settings: TrainSettings
    target: Any
    scorer: Any
    classifier: bool
    kinds: tuple[PlanKind, ...] = ()
    usable_by_deadline: bool = False

    def arguments(self) -> dict[str, Any]:
        """The task as :func:`run_trial`'s keyword arguments."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @property
    def scored(self) -> tuple[Any, np.ndarray, np.ndarray | None]:
        """The rows trials are ranked on: the validation rows, or all of them.

        With bagging every training row is scored once, out of fold.
        """
        data = self.data
        return data.validation if data.validation is not None else data.train


@dataclass
class TrialResult:
    """A trial's record (plain, JSON-ready), trained weights and held-out outputs.

    ``weights`` holds one list of weight arrays per trained network: one, or
    one per fold when the trial was bagged. ``raw`` holds the raw outputs on
    the scored rows (scaled regression values or class probabilities; out of
    fold when bagged): what ensemble selection needs.

    ``stopped`` is ``"deadline"`` when the trial's deadline cut its training
    short, else None. The trial still counts (``record["status"] == "ok"``,
    with its score, weights and outputs) when every network it trains has a
    best epoch; a bagged trial that could not start all its fold networks
    is ``"stopped"``, with no score, weights or outputs (see
    :func:`run_trial`).
    """

    record: dict[str, Any]
    weights: list[list[np.ndarray]] | None = field(default=None, repr=False)
    raw: np.ndarray | None = field(default=None, repr=False)
    stopped: str | None = None


@dataclass
class WarmStart:
    """Where a promoted trial starts: its parent's plan and trained networks.

    ``weights`` holds one list of weight arrays per network of the parent
    (one per fold when bagged), ``epochs`` the epochs they have been trained
    for in all (the parent's best epoch, which early stopping restored, plus
    its own ``start_epoch``).
    """

    plan: dict[str, Any]
    weights: list[list[np.ndarray]] = field(repr=False)
    epochs: int


class _Outputs:
    """Stands in for a fitted estimator inside a scorer call.

    scikit-learn scorers take an estimator and call its ``predict`` or
    ``predict_proba``; a trial has those outputs already, computed once on the
    scored rows, so this object hands them back.
    """

    def __init__(self, target: Any, raw: np.ndarray, classifier: bool) -> None:
        self._target, self._raw, self._classifier = target, raw, classifier
        if classifier:
            self.classes_ = target.classes_

    def predict(self, X: Any) -> np.ndarray:
        if self._classifier:
            return self._target.decode(self.predict_proba(X))
        return self._target.decode(self._raw)

    def predict_proba(self, X: Any) -> np.ndarray:
        return self._target.proba(self._raw)

    def __sklearn_tags__(self) -> Tags:
        kind = "classifier" if self._classifier else "regressor"
        return Tags(
            estimator_type=kind,
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags() if self._classifier else None,
            regressor_tags=None if self._classifier else RegressorTags(),
        )


def score_raw(
    scorer: Any,
    target: Any,
    classifier: bool,
    raw: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
) -> float:
    """``scorer``'s score of raw network outputs on rows ``X`` with targets ``y``."""
    return float(scorer(_Outputs(target, raw, classifier), X, y))


def _summary_counts(plan: NetworkPlan, n_features: int) -> dict[str, Any]:
    """A trial's sizes; levels, units and neurons only for levels of units."""
    kind = kind_of(plan)
    sizes = kind.sizes(plan) if kind.levels else None
    return {
        "n_levels": len(sizes) if sizes is not None else None,
        "n_units": sum(map(len, sizes)) if sizes is not None else None,
        "n_neurons": sum(map(sum, sizes)) if sizes is not None else None,
        "n_params": plan.n_params(n_features),
        "summary": plan.describe(),
    }


def _take_rows(part: tuple, rows: np.ndarray) -> tuple:
    """The ``rows`` of an ``(X, y, sample_weight)`` triple (``X`` may be sparse)."""
    X, y, w = part
    X = SparseRows(X.matrix[rows]) if isinstance(X, SparseRows) else X[rows]
    return X, y[rows], None if w is None else w[rows]


def _stack_rows(a: tuple, b: tuple | None) -> tuple:
    """The rows of two ``(X, y, sample_weight)`` triples, one after the other."""
    if b is None:
        return a
    if isinstance(a[0], SparseRows):
        X = SparseRows(sp.vstack([a[0].matrix, b[0].matrix]))
    else:
        X = np.concatenate([a[0], b[0]])
    return X, np.concatenate([a[1], b[1]]), None


def _train_and_predict(
    plan: NetworkPlan,
    train: tuple,
    validation: tuple | None,
    scored: np.ndarray,
    settings: TrainSettings,
    seed: int,
    n_features: int,
    rng: np.random.Generator,
    start: list[np.ndarray] | None = None,
    every_row: tuple | None = None,
    compiled: CompiledNetwork | None = None,
    memory_limit: int | None = None,
) -> tuple[list[np.ndarray], dict[str, list[float]], np.ndarray]:
    """Weights, history and raw outputs on ``scored`` of one trained network.

    With ``start`` weights the network of ``plan`` trains on from them. A
    retrieval network then keeps ``every_row`` (the search's training rows)
    as its memory (see :func:`~._keras.remember`). With ``compiled``, the
    network trains in that compiled model when it has its structure (see
    :class:`~._keras.CompiledNetwork`). A retrieval network trains with
    at most ``memory_limit`` rows in its memory.
    """
    trained = (fit_network if compiled is None else compiled.fit)(
        plan,
        train,
        validation,
        settings,
        seed=seed,
        n_features=n_features,
        start=start,
        rng=rng,
        memory_limit=memory_limit,
    )
    model = trained.model
    if every_row is not None:
        model = remember(plan, model, every_row[:2], seed, n_features)
    raw = predict_array(model, scored, compiled=one_off_compiled())
    return model.get_weights(), trained.history, raw


class _TrialStopped(Exception):
    """The deadline passed before a trial's next network could start."""

    def __init__(self, trained: int) -> None:
        super().__init__(f"deadline passed with {trained} networks trained")
        self.trained = trained


def _check_deadline(settings: TrainSettings, trained: int) -> None:
    """Raise :class:`_TrialStopped` when the settings' deadline has passed."""
    if settings.deadline is not None and time.time() >= settings.deadline:
        raise _TrialStopped(trained)


def _best_epoch(history: dict[str, list[float]]) -> int:
    return int(np.nanargmin(history.get("val_loss", history["loss"]))) + 1


#: Whether fold networks trained one by one share one compiled model (see
#: :class:`~._keras.CompiledNetwork`); the tests compare both ways.
REUSE_COMPILED = True


def fold_seed(seed: int, fold: int) -> int:
    """The seed of a bagged trial's network for ``fold`` (fold 0: the trial's)."""
    if fold == 0:
        return seed
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0] >> 1)


def _bagged(
    plan: NetworkPlan,
    data: TrialData,
    settings: TrainSettings,
    seed: int,
    start: list[list[np.ndarray]] | None = None,
    index: int = -1,
    usable_by_deadline: bool = False,
) -> tuple[list[list[np.ndarray]], list[dict[str, list[float]]], np.ndarray]:
    """One network per fold: weights, histories and out-of-fold raw outputs.

    With ``start``, fold ``k``'s network trains on from ``start[k]``. The
    networks train one by one in one compiled model (see
    :class:`~._keras.CompiledNetwork`). ``index`` is the trial's, for the
    progress bar. A fold network starts only before
    the settings' ``deadline`` (:class:`_TrialStopped` otherwise); one that
    is running then stops at an epoch end (see :class:`~._keras.History`).
    With ``usable_by_deadline`` every network starts: one by one, network
    ``i`` of ``k`` stops by the ``(i + 1) / k`` share of the time left to
    the deadline (after at least one epoch), so that all train by then.
    """
    X = data.train[0]
    raw: np.ndarray | None = None
    weights, histories = [], []
    compiled = CompiledNetwork() if REUSE_COMPILED else None
    if showing():  # each epoch on the search's bar
        settings = dataclasses.replace(
            settings,
            callbacks=(*settings.callbacks, _EpochShown(index, settings.epochs)),
        )
    began, k = time.time(), len(data.folds or [])
    deadline = settings.deadline
    # every fold network's memory (a retrieval network's) of one size, that
    # of the smallest fold, so that all train in one compiled model: folds
    # differ by a row where the rows do not divide evenly
    limit = min((len(rows) for rows, _ in data.folds or []), default=None)
    for fold, (train_rows, held_rows) in enumerate(data.folds or []):
        if usable_by_deadline and deadline is not None:
            share = began + max(0.0, deadline - began) * (fold + 1) / k
            settings = dataclasses.replace(settings, deadline=share)
        else:
            _check_deadline(settings, fold)
        held = _take_rows(data.train, held_rows)
        fold_weights, history, fold_raw = _train_and_predict(
            dataclasses.replace(plan, name=f"{plan.name}_fold{fold}"),
            _take_rows(data.train, train_rows),
            held,
            held[0],
            settings,
            fold_seed(seed, fold),
            data.n_features,
            np.random.default_rng(fold_seed(seed, fold)),
            None if start is None else start[fold],
            data.train,
            compiled,
            limit,
        )
        if raw is None:
            raw = np.empty((len(X), *fold_raw.shape[1:]), fold_raw.dtype)
        raw[held_rows] = fold_raw
        weights.append(fold_weights)
        histories.append(history)
        network_done(index, fold + 1, len(data.folds or []))
    return weights, histories, raw


class _EpochShown(keras.callbacks.Callback):
    """Tells the search's progress bar each epoch a trial's network ends."""

    async_safe = True  # reads no logs

    def __init__(self, index: int, epochs: int) -> None:
        super().__init__()
        self.index, self.epochs = index, epochs

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        epoch_done(self.index, epoch + 1, self.epochs)


def _trial_plan(
    spec: TrialSpec,
    task: TrialTask,
    warm_start: WarmStart | None,
    rng: np.random.Generator,
) -> tuple[NetworkPlan, bool]:
    """The plan a trial trains, named for it, and whether it is an initial plan.

    A promotion trains its parent's plan; an initial plan (or a plan drawn
    from the search space, ``spec.drawn``) gets the task's output units and
    activation and keeps its own joint-ensemble members; a
    drawn structure is wired with ``rng`` and gets the whole head.
    """
    name = f"cerebros_trial{spec.index}"
    units, activation, members = task.head
    if warm_start is not None:  # a promotion: the parent's network, on
        return dataclasses.replace(plan_from_dict(warm_start.plan), name=name), False
    if spec.plan is not None:  # an initial or drawn plan: as it is, its members too
        plan = dataclasses.replace(plan_from_dict(spec.plan), name=name)
        return plan.with_head(units, activation), not spec.drawn
    plan = wire(task.space, spec.structure, rng, name=name)
    return plan.with_head(units, activation, members), False


def _train(
    plan: NetworkPlan,
    task: TrialTask,
    settings: TrainSettings,
    seed: int,
    rng: np.random.Generator,
    warm_start: WarmStart | None,
    index: int = -1,
) -> tuple[list[list[np.ndarray]], list[dict[str, list[float]]], np.ndarray]:
    """A trial's networks: weights and histories of each, raw scored outputs.

    One network, or one per fold when the task bags (out-of-fold outputs);
    with a ``warm_start`` each trains on from its parent's weights.
    """
    data = task.data
    if data.folds is not None:
        starts = None if warm_start is None else warm_start.weights
        return _bagged(
            plan, data, settings, seed, starts, index, task.usable_by_deadline
        )
    if not task.usable_by_deadline:
        _check_deadline(settings, 0)
    one, history, raw = _train_and_predict(
        plan,
        data.train,
        data.validation,
        task.scored[0],
        settings,
        seed,
        data.n_features,
        rng,
        None if warm_start is None else warm_start.weights[0],
        # a retrieval network's memory after training: every row
        _stack_rows(data.train, data.validation) if keeps_rows(plan) else None,
    )
    return [one], [history], raw


def run_trial(
    spec: TrialSpec,
    *,
    space: CerebrosSpace,
    head: tuple[int, str, int],
    data: TrialData,
    settings: TrainSettings,
    target: Any,
    scorer: Any,
    classifier: bool,
    kinds: tuple[PlanKind, ...] = (),
    usable_by_deadline: bool = False,
    warm_start: WarmStart | None = None,
    deadline: float | None = None,
) -> TrialResult:
    """Wire, build, train and score one network (one per fold when bagged).

    The keyword arguments up to ``kinds`` are a :class:`TrialTask`'s
    fields (:meth:`TrialTask.arguments`). ``spec.epochs``, when set,
    replaces ``settings.epochs``. With a ``warm_start`` the trial wires
    nothing: it trains the parent's plan on from the parent's weights (each
    fold's network from its own), with a fresh optimiser. Returns a record
    whatever happens: a failure is recorded with its error text and a NaN
    score, never raised (an interrupt still propagates).

    ``deadline`` (a :func:`time.time` value; the earlier of it and
    ``settings.deadline`` holds) bounds the trial's training: a network
    starts only before it, and a network still training when it passes
    stops at the end of its epoch, with its best epoch's weights. A trial
    whose networks all trained counts as usual, with ``record["stopped"]``
    and :attr:`TrialResult.stopped` set to ``"deadline"`` when the deadline
    cut one short. A trial with a network that did not start (a bagged
    trial's later folds) has no out-of-fold outputs for every row: its
    record has ``status="stopped"``, ``stopped="deadline"``, a NaN score
    and ``networks_trained``, the number of networks it trained, and it
    returns no weights or outputs. Without a deadline nothing changes.
    """
    known = {kind.format for kind in plan_kinds()}
    for kind in kinds:
        if kind.format not in known:
            register_kind(kind)
    task = TrialTask(
        space,
        head,
        data,
        settings,
        target,
        scorer,
        classifier,
        kinds,
        usable_by_deadline,
    )
    # Clearing Keras's global state keeps memory flat over many trials; the
    # dtype policy is the caller's setting, so it survives the clearing.
    policy = keras.config.dtype_policy()
    keras.backend.clear_session()
    keras.config.set_dtype_policy(policy)
    record: dict[str, Any] = {
        "trial": spec.index,
        "generation": spec.generation,
        "parent": spec.parent,
        "rung": spec.rung,
        "seed": spec.seed,
        "structure": [list(level) for level in spec.structure.neurons],
        "start_epoch": 0 if warm_start is None else warm_start.epochs,
    }
    if spec.epochs is not None:
        record["epoch_budget"] = spec.epochs
        settings = dataclasses.replace(settings, epochs=spec.epochs)
    if deadline is not None:
        if settings.deadline is not None:
            deadline = min(deadline, settings.deadline)
        settings = dataclasses.replace(settings, deadline=deadline)
    stopped = None
    start = time.perf_counter()
    try:
        # one generator for the wiring, then the training, in that order
        rng = np.random.default_rng(spec.seed)
        plan, initial = _trial_plan(spec, task, warm_start, rng)
        if initial:
            record["initial"] = True
        record.update(plan=plan.to_dict(), **_summary_counts(plan, data.n_features))
        if settings.tensorboard_dir is not None:
            settings = dataclasses.replace(
                settings,
                tensorboard_dir=os.path.join(
                    settings.tensorboard_dir, f"trial_{spec.index:03d}"
                ),
            )
        weights, histories, raw = _train(
            plan, task, settings, spec.seed, rng, warm_start, spec.index
        )
        if data.folds is not None:
            # a fold's best epoch, for a refit on every row: their median
            record["fold_best_epochs"] = [_best_epoch(h) for h in histories]
        score = score_raw(
            task.scorer,
            task.target,
            task.classifier,
            raw,
            task.scored[0],
            data.y_score,
        )
        if any(getattr(h, "stopped", None) for h in histories):
            stopped = record["stopped"] = "deadline"
        record.update(
            status="ok",
            score=score,
            epochs=int(np.median([len(h["loss"]) for h in histories])),
            best_epoch=int(np.median([_best_epoch(h) for h in histories])),
            history=histories[0],
            error="",
        )
    except _TrialStopped as stop:  # out of time, not failed
        stopped = "deadline"
        record.update(
            status="stopped",
            stopped=stopped,
            networks_trained=stop.trained,
            score=float("nan"),
            epochs=0,
            error="",
        )
        weights, raw = None, None
    except Exception as exc:  # a failed trial is a result, not a crash
        record.update(
            status="failed",
            score=float("nan"),
            epochs=0,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=5),
        )
        weights, raw = None, None
    record["fit_time"] = time.perf_counter() - start
    return TrialResult(record, weights, raw, stopped)


def promotion_start(
    spec: TrialSpec, kept: Mapping[int, TrialResult], early_stopping: bool
) -> WarmStart | None:
    """Where a promoted trial starts: its parent's plan and trained weights.

    None for a trial trained from scratch (rung 0). ``kept`` holds the
    successful trials by index, the parent among them; with early stopping
    the parent's networks hold the weights of its best epoch.
    """
    if spec.rung == 0 or spec.parent is None:
        return None
    parent = kept[spec.parent]
    record = parent.record
    trained = record["best_epoch"] if early_stopping else record["epochs"]
    return WarmStart(
        record["plan"], parent.weights, record.get("start_epoch", 0) + trained
    )


def bags(cv: Any, n_rows: int) -> bool:
    """Whether trials are bagged: ``cv`` set, and enough rows for its folds."""
    if cv is None:
        return False
    # an int cv needs 2 rows a fold; with fewer, one split as without cv
    return not isinstance(cv, Integral) or n_rows >= 2 * cv


def bagging_folds(cv: Any, n_rows: int, strata: np.ndarray | None, seed: int) -> Folds:
    """The bagging folds of ``n_rows`` training rows, from the search's ``cv``.

    Parameters
    ----------
    cv : int or cross-validation splitter
        An int ``k`` gives a shuffled ``KFold``, stratified on ``strata``
        when every class has ``k`` rows; a splitter is used as it is.
    n_rows : int
        The training rows.
    strata : ndarray or None
        The class of each row for a classifier (what its validation split
        stratifies on), None otherwise.
    seed : int
        The search's seed, which shuffles the rows.

    Returns
    -------
    list of (ndarray, ndarray)
        Training and held-out rows of each fold; the held-out rows
        partition the rows.

    Raises
    ------
    ValueError
        If the folds do not hold out every row exactly once over at least
        two folds, or a fold has no training rows.
    """
    if isinstance(cv, Integral):
        splitter = KFold(cv, shuffle=True, random_state=seed % 2**32)
        if strata is not None:
            counts = np.unique(strata, return_counts=True)[1]
            if counts.min() >= cv:
                splitter = StratifiedKFold(cv, shuffle=True, random_state=seed % 2**32)
    else:
        splitter = check_cv(cv)
    labels = np.zeros(n_rows) if strata is None else strata
    folds = [
        (np.asarray(a, np.intp), np.asarray(b, np.intp))
        for a, b in splitter.split(np.zeros((n_rows, 1)), labels)
    ]
    held = np.concatenate([b for _, b in folds]) if folds else np.array([])
    if len(folds) < 2 or np.sort(held).tolist() != list(range(n_rows)):
        raise ValueError(
            f"cv={cv!r} must hold out every row of X exactly once over "
            f"at least 2 folds (as KFold does): the out-of-fold outputs rank "
            f"the trials. It gave {len(folds)} folds holding out "
            f"{len(held)} rows of {n_rows}, {len(np.unique(held))} distinct."
        )
    if any(len(a) == 0 for a, _ in folds):
        raise ValueError(f"cv={cv!r} gave a fold with no training rows.")
    return folds


def trial_networks(
    record: Mapping[str, Any], weights: list[list[np.ndarray]], n_features: int
) -> tuple[list[keras.Model], list[float]]:
    """A trial's trained networks (one per fold when bagged), equal shares each."""
    plan = plan_from_dict(record["plan"])
    networks = []
    for fold, arrays in enumerate(weights):
        if len(weights) > 1:  # named as in training (see _bagged)
            name = f"{plan.name}_fold{fold}"
            network = rebuild(dataclasses.replace(plan, name=name), n_features, arrays)
        else:
            network = rebuild(plan, n_features, arrays)
        networks.append(network)
    return networks, [1.0 / len(networks)] * len(networks)
