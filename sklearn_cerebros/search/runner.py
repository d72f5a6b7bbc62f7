"""Where and when a search's trials run: the run loops, the workers, the budget.

:func:`run_trials` asks the proposer for trials, has them trained and hands
each finished one to the search's :class:`~.store.FinishedTrials`, until the
proposer is done or the time budget is spent (:class:`TimeBudget`). It has
two loops: generations are trained batch by batch (:func:`_run_batches`), and
successive halving with several loky workers keeps every worker busy, a new
trial as soon as one finishes (:func:`_run_async`, as in ASHA).
:class:`TrialRunner` decides where a trial runs (this process, a worker
process of the search's own, joblib's workers) and :func:`worker_threads`
shares the cores among worker processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

from joblib import Parallel, delayed, effective_n_jobs
from joblib.externals.loky import ProcessPoolExecutor

from .._backend import keras
from .._compat import default_joblib_backend
from .ensemble import EnsembleSettings, batch_score, choose
from .progress import TrialProgress, score_label, trial_progress
from .proposers import HalvingProposer, Proposer
from .store import FinishedTrials
from .trial import (
    TrialResult,
    TrialSpec,
    TrialTask,
    WarmStart,
    promotion_start,
    run_trial,
)

__all__ = [
    "ENSEMBLE_PROGRESS_SECONDS",
    "IN_PROCESS_TRIALS",
    "EnsembleSoFar",
    "RunSettings",
    "TimeBudget",
    "TrialRunner",
    "run_trials",
    "worker_threads",
]

# A search with n_jobs=1 runs up to this many trials in the caller's process;
# a longer one runs them in a worker process (see TrialRunner).
IN_PROCESS_TRIALS = 20
# A search with n_trials=None and n_jobs=1 runs in the caller's process when
# its max_time is at most this (starting a worker costs seconds), in a worker
# process when longer.
UNTIL_TIME_IN_PROCESS_SECONDS = 600

# The progress bar shows the score of the ensemble the search would choose
# after each trial (ensemble.choose over the trials so far), while that stays
# cheap. Measured on 30 trials of 1,500 out-of-fold rows (2 cores): 3 ms with
# the RMSE and 27 ms with a three-class log loss, whose scores batch_score
# vectorises; a scorer called once per candidate took 190 ms (r2) and 410 ms
# (accuracy) on 30 trials of only 300 rows. So the ensemble's score is shown
# with a vectorised score only, and no longer once a selection has taken more
# than this many seconds (many trials or rows).
ENSEMBLE_PROGRESS_SECONDS = 0.05


@dataclass(frozen=True)
class RunSettings:
    """How a search runs its trials: the estimator's parameters of that name.

    ``n_trials`` is the whole budget of trials (those finished before a
    resume included; None: as many as ``max_time`` allows), ``max_time`` the
    wall-clock budget in seconds (None: none), counted from ``started`` (a
    :func:`time.time` value: when ``fit`` began; None: now), and ``verbose``
    1 or more draws a progress bar.
    """

    n_jobs: int | None
    max_time: float | None
    n_trials: int | None
    verbose: int
    started: float | None = None


class TimeBudget:
    """A search's wall-clock budget: ``max_time`` seconds from ``started``.

    No trial starts once it is spent (or nearly: see :meth:`spent`), and a
    trial still training then stops at the end of its epoch
    (:attr:`TrainSettings.deadline`): its networks count if each has a best
    epoch, and otherwise it is recorded as ``"stopped"``. The first trial is
    cut so that it counts: until one trial is kept, a trial's every network
    trains at least one epoch and a bagged trial's networks share the time
    to the deadline (:attr:`TrialTask.usable_by_deadline`), so that ``fit``
    always returns a model, by the deadline or one epoch of each network
    after. The clock is the wall clock (:func:`time.time`), which worker
    processes on this machine or a Dask cluster's share.
    """

    def __init__(self, max_time: float | None, started: float | None = None) -> None:
        self.max_time = max_time
        start = time.time() if started is None else started
        self.deadline = start + max_time if max_time else None

    def spent(self, trials: FinishedTrials) -> bool:
        """Whether no more trial should start, once a trial has finished.

        True once less time is left to the deadline than half the fastest
        kept trial took: a trial started then could not finish (a new
        network's first epoch, which compiles it, alone would pass the
        deadline), and one cut before its last fold network counts for
        nothing. Never without a deadline; before any trial has finished,
        the first one still starts.
        """
        if not trials.records or self.deadline is None:
            return False
        times = [
            float(trials.records[i].get("fit_time", 0.0))
            for i in trials.kept
            if i in trials.records
        ]
        need = 0.5 * min(times) if times else 0.0
        return self.deadline - time.time() <= need

    def bound(self, task: TrialTask, trials: FinishedTrials) -> TrialTask:
        """``task`` with the deadline in its settings; usable, until a trial is kept."""
        if self.deadline is None:
            return task
        settings = dataclasses.replace(task.settings, deadline=self.deadline)
        return dataclasses.replace(
            task, settings=settings, usable_by_deadline=not trials.kept
        )


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


class EnsembleSoFar:
    """The score of the ensemble the search would choose now, while it is cheap.

    Parameters
    ----------
    task : TrialTask
        What the trials are run with: the scored rows, target and scorer.
    settings : EnsembleSettings or None
        The search's ensemble settings; None: no score.
    enabled : bool, default=True
        False gives no score (no progress bar to show it on).

    Notes
    -----
    Calling it runs :func:`~.ensemble.choose`, the search's own selection,
    over the successful trials so far: the score it returns is the one
    ``ensemble_score_`` would have if the search stopped here. It gives None
    with a scorer :func:`~.ensemble.batch_score` has no vectorised equivalent
    for, and from the first selection that took more than
    :data:`ENSEMBLE_PROGRESS_SECONDS` on.
    """

    def __init__(
        self,
        task: TrialTask,
        settings: EnsembleSettings | None,
        enabled: bool = True,
    ) -> None:
        self.task, self.settings = task, settings
        self.enabled = (
            enabled
            and settings is not None
            and batch_score(settings.scoring, task.target, task.scored[1]) is not None
        )
        self.seconds = 0.0  # the last selection's cost

    def __call__(self, kept: Mapping[int, TrialResult]) -> float | None:
        """The ensemble's score over the successful trials ``kept``, or None."""
        if not self.enabled or not kept or self.settings is None:
            return None
        start = time.perf_counter()
        score = choose(kept, self.task, self.settings).score
        self.seconds = time.perf_counter() - start
        if self.seconds > ENSEMBLE_PROGRESS_SECONDS:
            self.enabled = False
        return score


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
        self, spec: TrialSpec, task: TrialTask, warm_start: WarmStart | None
    ) -> Future:
        """Start ``run_trial(spec, **task.arguments(), ...)`` on a free worker.

        Only in an asynchronous runner, inside its ``with`` block.
        """
        if not self.asynchronous or self._executor is None:
            raise RuntimeError("submit needs an asynchronous runner, entered.")
        return self._executor.submit(
            run_trial, spec, **task.arguments(), warm_start=warm_start
        )

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self._executor is not None:
            # On an error or interrupt, do not wait for a running trial.
            self._executor.shutdown(wait=exc_type is None, kill_workers=True)
            self._executor = None

    def run(
        self,
        specs: list[TrialSpec],
        task: TrialTask,
        starts: Mapping[int, WarmStart] | None = None,
    ) -> Iterator[TrialResult]:
        """Results of ``run_trial(spec, **task.arguments(), ...)``, in order.

        ``starts`` maps a trial's index to its warm start, if it has one.
        """
        starts = starts or {}
        calls = [(spec, starts.get(spec.index)) for spec in specs]
        arguments = task.arguments()
        if self._executor is None:
            return Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(run_trial)(spec, **arguments, warm_start=start)
                for spec, start in calls
            )
        futures = [
            self._executor.submit(run_trial, s, **arguments, warm_start=w)
            for s, w in calls
        ]
        return (future.result() for future in futures)


def run_trials(
    proposer: Proposer,
    task: TrialTask,
    settings: RunSettings,
    trials: FinishedTrials,
    ensemble: EnsembleSettings | None = None,
) -> bool:
    """Train what the proposer proposes until it is done or time runs out.

    Parameters
    ----------
    proposer : Proposer
        Says which trials come next, from ``trials.records``.
    task : TrialTask
        What every trial is run with.
    settings : RunSettings
        Workers, time budget, total trials and progress bar.
    trials : FinishedTrials
        The trials finished so far (a resumed search's too); each trial that
        finishes is added to it, which writes it to the results directory.
    ensemble : EnsembleSettings or None, default=None
        How the search combines its trials: the progress bar then shows the
        ensemble's score so far (see :class:`EnsembleSoFar`).

    Returns
    -------
    bool
        Whether ``max_time`` cut the search short: a proposed trial did not
        start, or a trial's training stopped at the deadline.
    """
    progress = trial_progress(
        settings.verbose,
        settings.n_trials,
        len(trials.records),
        score_label(task.scorer),
        max_time=settings.max_time,
        started=settings.started,
    )
    budget = TimeBudget(settings.max_time, settings.started)
    ensemble_so_far = EnsembleSoFar(task, ensemble, enabled=settings.verbose >= 1)
    cut_short = False

    def finished(result: TrialResult) -> None:
        nonlocal cut_short
        cut_short = cut_short or result.stopped is not None
        trials.add(result)
        index = result.record["trial"]
        progress.advance(
            trials.best_score(),
            ensemble_so_far(trials.kept) if index in trials.kept else None,
            trial=index,
        )

    runner = TrialRunner(
        settings.n_jobs,
        _trials_left(settings, len(trials.records)),
        asynchronous=isinstance(proposer, HalvingProposer),
    )
    # the bar closes on leaving the block, also on an error or interrupt
    with progress, worker_threads(settings.n_jobs), runner:
        if runner.asynchronous:
            assert isinstance(proposer, HalvingProposer)
            out_of_time = _run_async(
                proposer, runner, task, trials, finished, budget, progress
            )
        else:
            out_of_time = _run_batches(
                proposer, runner, task, trials, finished, budget, progress
            )
        n_done = len(trials.records)
        progress.close(_stop_reason(settings, n_done, out_of_time, cut_short))
    return out_of_time or cut_short


def _trials_left(settings: RunSettings, n_done: int) -> int:
    """Trials the search may still train, as :class:`TrialRunner` counts them.

    With ``n_trials=None`` only ``max_time`` ends the search: one of at most
    :data:`UNTIL_TIME_IN_PROCESS_SECONDS` counts as a short one (in the
    caller's process, where it starts at once), a longer one as a long one.
    """
    if settings.n_trials is not None:
        return settings.n_trials - n_done
    assert settings.max_time is not None  # the estimator checks
    if settings.max_time <= UNTIL_TIME_IN_PROCESS_SECONDS:
        return IN_PROCESS_TRIALS
    return IN_PROCESS_TRIALS + 1


def _stop_reason(
    settings: RunSettings, n_done: int, out_of_time: bool, cut_short: bool
) -> str:
    """Why a search stopped, in words, for the progress output."""
    if out_of_time or cut_short:
        cut = "; a trial's training was cut at the deadline" if cut_short else ""
        of = "" if settings.n_trials is None else f" of {settings.n_trials}"
        return (
            f"the time budget (max_time={settings.max_time:g} s) ran out after "
            f"{n_done}{of} trials{cut}"
        )
    return f"all {n_done} trials done (n_trials={settings.n_trials})"


def _run_batches(
    proposer: Proposer,
    runner: TrialRunner,
    task: TrialTask,
    trials: FinishedTrials,
    finished: Callable[[TrialResult], None],
    budget: TimeBudget,
    progress: TrialProgress | None = None,
) -> bool:
    """Train each batch the proposer proposes, waiting for all of it.

    With ``max_time`` set, trials start ``n_jobs`` at a time so that the
    budget is checked between them. Returns whether the budget ran out.
    ``progress`` is told how many trials are training.
    """
    progress = progress or TrialProgress()
    early_stopping = task.settings.early_stopping
    while specs := proposer.next_trials(trials.records):
        todo = [s for s in specs if s.index not in trials.records]
        step = runner.workers if budget.max_time else len(todo)
        for lo in range(0, len(todo), max(1, step)):
            if budget.spent(trials):
                return True
            batch = todo[lo : lo + step]
            starts = {
                s.index: w
                for s in batch
                if (w := promotion_start(s, trials.kept, early_stopping)) is not None
            }
            progress.set_running(min(len(batch), runner.workers))
            results = runner.run(batch, budget.bound(task, trials), starts)
            for n_done, result in enumerate(results, 1):
                progress.set_running(min(len(batch) - n_done, runner.workers))
                finished(result)
    return False


def _run_async(
    proposer: HalvingProposer,
    runner: TrialRunner,
    task: TrialTask,
    trials: FinishedTrials,
    finished: Callable[[TrialResult], None],
    budget: TimeBudget,
    progress: TrialProgress | None = None,
) -> bool:
    """Keep every worker busy: a new trial as soon as one finishes (ASHA).

    Returns whether the budget stopped the search; the trials running then
    finish first. ``progress`` is told how many trials are training.
    """
    progress = progress or TrialProgress()
    early_stopping = task.settings.early_stopping
    running: dict[Future, int] = {}
    cut = False
    while True:
        while len(running) < runner.workers and not cut:
            cut = budget.spent(trials)
            spec = None if cut else proposer.next_trial(trials.records)
            if spec is None:
                break
            start = promotion_start(spec, trials.kept, early_stopping)
            bound = budget.bound(task, trials)
            running[runner.submit(spec, bound, start)] = spec.index
        progress.set_running(len(running))
        if not running:
            return cut
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in sorted(done, key=running.__getitem__):
            del running[future]
            progress.set_running(len(running))
            finished(future.result())
