"""One trial of a Cerebros search, and the on-disk record of a search.

A trial wires a structure into a plan with its own seed, builds it, trains it
with early stopping (best weights restored) and scores it on the held-out
rows; with cross-validated bagging it trains one network per fold and scores
their out-of-fold outputs on every row. A promoted trial of successive
halving trains its parent's networks further instead, from weights the search
hands it (:class:`WarmStart`). It is a plain function of plain data so that
joblib can run it in another process or on a Dask worker; it returns a plain
record and, when it succeeded, the trained weights.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
import traceback
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from joblib.externals.loky import ProcessPoolExecutor
from sklearn.utils import Tags
from sklearn.utils._tags import ClassifierTags, RegressorTags, TargetTags

from .._backend import keras
from .._compat import default_joblib_backend
from .._keras import SparseRows, TrainSettings, fit_network, predict_array, remember
from ..architecture import (
    CerebrosSpace,
    NetworkPlan,
    Plan,
    RetrievalPlan,
    plan_from_dict,
    wire,
)
from .proposers import TrialSpec

__all__ = [
    "IN_PROCESS_TRIALS",
    "ResultsStore",
    "TrialResult",
    "TrialRunner",
    "TrialSpec",
    "WarmStart",
    "run_trial",
    "score_raw",
    "worker_threads",
]

# A search with n_jobs=1 runs up to this many trials in the caller's process;
# a longer one runs them in a worker process (see TrialRunner).
IN_PROCESS_TRIALS = 20


@dataclass
class TrialData:
    """Encoded data shared by every trial of a search."""

    train: tuple[np.ndarray, np.ndarray, np.ndarray | None]
    validation: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None
    y_score: np.ndarray  # the scored rows' targets, in the user's units
    n_features: int
    # Bagging: (training rows, held-out rows) of ``train`` per fold, the
    # held-out rows of the folds partitioning them; None for one network.
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None


@dataclass
class TrialResult:
    """A trial's record (plain, JSON-ready), trained weights and held-out outputs.

    ``weights`` holds one list of weight arrays per trained network: one, or
    one per fold when the trial was bagged. ``raw`` holds the raw outputs on
    the scored rows (scaled regression values or class probabilities; out of
    fold when bagged): what ensemble selection needs.
    """

    record: dict[str, Any]
    weights: list[list[np.ndarray]] | None = field(default=None, repr=False)
    raw: np.ndarray | None = field(default=None, repr=False)


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
    levels = isinstance(plan, Plan)
    return {
        "n_levels": plan.n_levels if levels else None,
        "n_units": plan.n_units if levels else None,
        "n_neurons": sum(u.neurons for _, _, u in plan.iter_units())
        if levels
        else None,
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
) -> tuple[list[np.ndarray], dict[str, list[float]], np.ndarray]:
    """Weights, history and raw outputs on ``scored`` of one trained network.

    With ``start`` weights the network of ``plan`` trains on from them. A
    retrieval network then keeps ``every_row`` (the search's training rows)
    as its memory (see :func:`~._keras.remember`).
    """
    trained = fit_network(
        plan,
        train,
        validation,
        settings,
        seed=seed,
        n_features=n_features,
        start=start,
        rng=rng,
    )
    model = trained.model
    if every_row is not None:
        model = remember(plan, model, every_row[:2], seed, n_features)
    raw = predict_array(model, scored, compiled=False)
    return model.get_weights(), trained.history, raw


def _best_epoch(history: dict[str, list[float]]) -> int:
    return int(np.nanargmin(history.get("val_loss", history["loss"]))) + 1


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
) -> tuple[list[list[np.ndarray]], list[dict[str, list[float]]], np.ndarray]:
    """One network per fold: weights, histories and out-of-fold raw outputs.

    With ``start``, fold ``k``'s network trains on from ``start[k]``.
    """
    X = data.train[0]
    raw: np.ndarray | None = None
    weights, histories = [], []
    for fold, (train_rows, held_rows) in enumerate(data.folds or []):
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
        )
        if raw is None:
            raw = np.empty((len(X), *fold_raw.shape[1:]), fold_raw.dtype)
        raw[held_rows] = fold_raw
        weights.append(fold_weights)
        histories.append(history)
    return weights, histories, raw


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
    warm_start: WarmStart | None = None,
) -> TrialResult:
    """Wire, build, train and score one network (one per fold when bagged).

    ``spec.epochs``, when set, replaces ``settings.epochs``. With a
    ``warm_start`` the trial wires nothing: it trains the parent's plan on
    from the parent's weights (each fold's network from its own), with a
    fresh optimiser. Returns a record whatever happens: a failure is recorded
    with its error text and a NaN score, never raised (an interrupt still
    propagates).
    """
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
    start = time.perf_counter()
    try:
        rng = np.random.default_rng(spec.seed)
        name = f"cerebros_trial{spec.index}"
        units, activation, members = head
        if warm_start is not None:  # a promotion: the parent's network, on
            plan = dataclasses.replace(plan_from_dict(warm_start.plan), name=name)
        elif spec.plan is not None:  # an initial plan: as it is, its members too
            plan = dataclasses.replace(plan_from_dict(spec.plan), name=name)
            plan = plan.with_head(units, activation)
            record["initial"] = True
        else:
            plan = wire(space, spec.structure, rng, name=name)
            plan = plan.with_head(units, activation, members)
        record.update(plan=plan.to_dict(), **_summary_counts(plan, data.n_features))
        if settings.tensorboard_dir is not None:
            settings = dataclasses.replace(
                settings,
                tensorboard_dir=os.path.join(
                    settings.tensorboard_dir, f"trial_{spec.index:03d}"
                ),
            )
        scored = data.validation if data.validation is not None else data.train
        if data.folds is None:
            one, history, raw = _train_and_predict(
                plan,
                data.train,
                data.validation,
                scored[0],
                settings,
                spec.seed,
                data.n_features,
                rng,
                None if warm_start is None else warm_start.weights[0],
                # a retrieval network's memory after training: every row
                _stack_rows(data.train, data.validation)
                if isinstance(plan, RetrievalPlan)
                else None,
            )
            weights, histories = [one], [history]
        else:
            weights, histories, raw = _bagged(
                plan,
                data,
                settings,
                spec.seed,
                None if warm_start is None else warm_start.weights,
            )
            # a fold's best epoch, for a refit on every row: their median
            record["fold_best_epochs"] = [_best_epoch(h) for h in histories]
        score = score_raw(scorer, target, classifier, raw, scored[0], data.y_score)
        record.update(
            status="ok",
            score=score,
            epochs=int(np.median([len(h["loss"]) for h in histories])),
            best_epoch=int(np.median([_best_epoch(h) for h in histories])),
            history=histories[0],
            error="",
        )
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
    return TrialResult(record, weights, raw)


@contextlib.contextmanager
def worker_threads(n_jobs: int | None) -> Iterator[None]:
    """Share the cores among trial worker processes started in this block.

    Each TensorFlow process otherwise sizes its thread pools to every core, so
    two workers on two cores fight over them: measured, ``n_jobs=2`` then ran
    0.73x as many trials a minute as ``n_jobs=1``, and 1.5x to 2.25x with one
    thread each. New worker processes inherit the environment, so the block
    sets TensorFlow's thread counts there (unless the user already has). It
    changes nothing in this process, whose TensorFlow has already started, nor
    on Dask workers, which were started elsewhere. PyTorch needs nothing
    here: joblib's loky workers get ``OMP_NUM_THREADS`` of ``cores //
    n_jobs``, which PyTorch reads when it starts. JAX has no thread setting
    that took effect in our measurements (``XLA_FLAGS`` with
    ``--xla_cpu_multi_thread_eigen=false`` changed nothing).
    """
    workers = effective_n_jobs(n_jobs)
    if workers <= 1:
        yield
        return
    wanted = {
        "TF_NUM_INTRAOP_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
        "TF_NUM_INTEROP_THREADS": "1",
    }
    before = {name: os.environ.get(name) for name in wanted}
    for name, value in wanted.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class TrialRunner:
    """Run trials where their memory can be given back.

    TensorFlow keeps about 12 MB for every model trained in graph mode, and
    ``keras.backend.clear_session()`` does not return it (keras-team/keras#17458),
    so a long search in one process grows without bound. Processes give the
    memory back when they end, and loky, joblib's default backend, replaces a
    worker once it has grown by 300 MB since its first task (it measures with
    ``psutil``). So trials run in loky worker processes whenever that is
    possible without a cost the user would notice:

    - ``n_jobs`` above 1: through :class:`joblib.Parallel`, so the active
      joblib backend (loky by default, or Dask, ...) decides where.
    - ``n_jobs=1`` on TensorFlow with loky as the active backend and more than
      :data:`IN_PROCESS_TRIALS` trials to run: in one loky worker process owned
      by the search (it imports TensorFlow once, a few seconds), shut down at
      the end. Trial results do not depend on where a trial runs.
    - otherwise in this process, where the growth is bounded by
      :data:`IN_PROCESS_TRIALS` trials (JAX and PyTorch do not leak this way).

    With ``asynchronous=True``, ``n_jobs`` above 1 and loky as the active
    backend, the runner owns ``n_jobs`` loky worker processes and
    :meth:`submit` hands each trial to the next free one (successive halving
    proposes a trial whenever a worker is free); :attr:`asynchronous` says
    whether it does. Otherwise :meth:`run` trains a batch and returns when
    all of it has finished.

    Use it as a context manager; leaving it (also on an interrupt) stops the
    worker processes it started.
    """

    def __init__(
        self, n_jobs: int | None, n_trials: int, asynchronous: bool = False
    ) -> None:
        self.n_jobs = n_jobs
        workers = effective_n_jobs(n_jobs)
        self.in_worker = (
            workers == 1
            and n_trials > IN_PROCESS_TRIALS
            and keras.backend.backend() == "tensorflow"
            and default_joblib_backend()
        )
        self.asynchronous = bool(
            asynchronous and workers > 1 and default_joblib_backend()
        )
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> TrialRunner:
        if self.in_worker or self.asynchronous:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers if self.asynchronous else 1
            )
        return self

    def submit(
        self, spec: TrialSpec, warm_start: WarmStart | None, **kwargs: Any
    ) -> Future:
        """Start ``run_trial(spec, warm_start=warm_start, **kwargs)`` on a worker.

        Only in an asynchronous runner, inside its ``with`` block.
        """
        if not self.asynchronous or self._executor is None:
            raise RuntimeError("submit needs an asynchronous runner, entered.")
        return self._executor.submit(run_trial, spec, warm_start=warm_start, **kwargs)

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self._executor is not None:
            # On an error or interrupt, do not wait for a running trial.
            self._executor.shutdown(wait=exc_type is None, kill_workers=True)
            self._executor = None

    def run(
        self,
        specs: list[TrialSpec],
        starts: Mapping[int, WarmStart] | None = None,
        **kwargs: Any,
    ) -> Iterator[TrialResult]:
        """Results of ``run_trial(spec, **kwargs)`` in the order of ``specs``.

        ``starts`` maps a trial's index to its warm start, if it has one.
        """
        starts = starts or {}
        calls = [
            (spec, {**kwargs, "warm_start": starts.get(spec.index)}) for spec in specs
        ]
        if self._executor is None:
            return Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(run_trial)(spec, **args) for spec, args in calls
            )
        futures = [self._executor.submit(run_trial, s, **args) for s, args in calls]
        return (future.result() for future in futures)


class ResultsStore:
    """A search's results on disk, written as each trial finishes.

    ``trials.jsonl`` gets one JSON line per finished trial (flushed and synced
    before the next trial's result is handled); ``trial_NNN.npz`` holds a
    successful trial's weights and held-out outputs, written before its line;
    ``search.json`` describes the search so that a resume can check it
    continues the same one; ``best_model.keras`` and ``best.json`` hold the
    best model so far.

    Parameters
    ----------
    path : str or Path
        The directory; created if missing.
    fingerprint : dict
        JSON-ready description of the search (parameters, data shape, seed).
        On resume, the keys in :attr:`RECORDED` are read back from the
        directory rather than compared; every other key must be equal.
    resume : bool
        Continue the search recorded in ``path``. Without it, a directory that
        already holds trials is refused rather than overwritten.
    """

    # What a search fixes when it starts and keeps when resumed with a larger
    # budget: its seed and the number of structures a generation draws.
    RECORDED = ("seed", "generation_size")

    def __init__(self, path: str | os.PathLike, fingerprint: dict, resume: bool):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._trials = self.path / "trials.jsonl"
        meta = self.path / "search.json"
        if self._trials.exists() and self._trials.stat().st_size > 0 and not resume:
            raise ValueError(
                f"results_dir={str(self.path)!r} already holds the trials of a "
                "search. Pass resume=True to continue it, or choose an empty "
                "directory: nothing is overwritten."
            )
        if resume and meta.exists():
            stored = json.loads(meta.read_text())
            changed = sorted(
                k
                for k in set(stored) | set(fingerprint)
                if k not in self.RECORDED and stored.get(k) != fingerprint.get(k)
            )
            if changed:
                raise ValueError(
                    f"Cannot resume: results_dir={str(self.path)!r} holds a search "
                    f"with other settings or data ({', '.join(changed)} differ)."
                )
            self.fingerprint = {**fingerprint, **stored}
        else:
            self.fingerprint = fingerprint
            meta.write_text(json.dumps(fingerprint, indent=1, sort_keys=True))

    @staticmethod
    def recorded_seed(path: str | os.PathLike | None) -> int | None:
        """The seed of the search recorded in ``path``, if there is one."""
        meta = None if path is None else Path(path) / "search.json"
        if meta is None or not meta.exists():
            return None
        return int(json.loads(meta.read_text())["seed"])

    def _arrays_path(self, trial: int) -> Path:
        return self.path / f"trial_{trial:03d}.npz"

    def load(self) -> dict[int, dict[str, Any]]:
        """Finished trials by index.

        A line cut short by a kill is ignored, and so is a successful trial
        whose arrays are missing: it is trained again, to the same result.
        """
        records: dict[int, dict[str, Any]] = {}
        if not self._trials.exists():
            return records
        for line in self._trials.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the process died while writing this line
            trial = int(record["trial"])
            if record["status"] != "ok" or self._arrays_path(trial).exists():
                records[trial] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, allow_nan=True) + "\n"
        if self._trials.exists() and self._trials.stat().st_size > 0:
            with self._trials.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = "\n" + line  # a kill cut the last line short
        with self._trials.open("a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def save_arrays(self, result: TrialResult) -> None:
        """Write a successful trial's weights and held-out outputs, atomically."""
        trial = int(result.record["trial"])
        tmp = self.path / f"trial_{trial:03d}.tmp.npz"
        arrays = {
            f"net{n}_weight_{i}": w
            for n, network in enumerate(result.weights or [])
            for i, w in enumerate(network)
        }
        with tmp.open("wb") as f:
            np.savez(f, raw=result.raw, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._arrays_path(trial))

    def load_arrays(self, record: dict[str, Any]) -> TrialResult:
        """A finished trial with the weights and outputs :meth:`save_arrays` wrote."""
        with np.load(self._arrays_path(int(record["trial"]))) as f:
            shape: dict[int, int] = {}
            for name in f.files:
                if name.startswith("net"):
                    net, i = name[3:].split("_weight_")
                    shape[int(net)] = max(shape.get(int(net), 0), int(i) + 1)
            weights = [
                [f[f"net{n}_weight_{i}"] for i in range(shape[n])]
                for n in sorted(shape)
            ]
            return TrialResult(record, weights, f["raw"])

    def save_best(self, model: keras.Model, trial: int) -> None:
        tmp = self.path / "best_model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, self.path / "best_model.keras")
        (self.path / "best.json").write_text(json.dumps({"trial": trial}))
