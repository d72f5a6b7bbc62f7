"""The search's progress bar: trials, time, scores, work within a trial, the end.

With ``verbose=1`` a search draws one bar over its trials (text in a
terminal, a widget in a notebook with ``ipywidgets``). The bar counts the
trials done; its postfix, refreshed about once a second by a small daemon
thread while a trial trains, shows::

    time=12s/60s, running=1, best rmse=24170, ensemble rmse=23100,
    trial 3: folds 2/5, epoch 7/100

- ``time``: the time since ``fit`` began, over ``max_time`` when it is set;
- ``running``: trials training now;
- ``best ...``: the best single trial's score so far, and ``ensemble ...``
  the score of the ensemble the search would choose now, both in the
  metric's own units: a scikit-learn scorer negates an error
  (``neg_root_mean_squared_error``) so that greater is better, and the bar
  shows the error itself (``rmse=24170``, not ``-2.417e+04``);
- ``trial 3: ...``: the fold networks and epochs a trial training in this
  process has finished, when its training reports them
  (:func:`network_done`, :func:`epoch_done`).

When the search ends the bar closes and one line says why it stopped, the
time used and the scores.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from typing import Any

__all__ = [
    "TrialProgress",
    "epoch_done",
    "format_duration",
    "network_done",
    "score_label",
    "trial_progress",
]

# Short names of the errors scikit-learn's scorers negate.
_SHORT = {
    "root_mean_squared_error": "rmse",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "log_loss": "log_loss",
}

# Seconds between the ticker's refreshes of the postfix.
TICK_SECONDS = 1.0


def score_label(scorer: Any) -> tuple[str, int]:
    """The name a scorer's values are shown under, and the sign of its units.

    A scorer that negates an error (``neg_root_mean_squared_error``, the
    search's log loss) is shown as the error, with the sign flipped back.

    Parameters
    ----------
    scorer : callable
        A scikit-learn scorer (from :func:`sklearn.metrics.get_scorer` or
        :func:`sklearn.metrics.make_scorer`).

    Returns
    -------
    name : str
        ``"rmse"``, ``"accuracy"``, ... (``"score"`` for a plain callable).
    sign : int
        ``-1`` when the scorer negates the metric, else ``1``.
    """
    func = getattr(scorer, "_score_func", None)
    name = getattr(func, "__name__", "score")
    name = _SHORT.get(name, name.removesuffix("_score"))
    return name, -1 if getattr(scorer, "_sign", 1) < 0 else 1


def format_duration(seconds: float) -> str:
    """A duration as a person reads it: ``12s``, ``60s``, ``3m05s``, ``5m``, ``1h02m``.

    Parameters
    ----------
    seconds : float
        The duration, rounded to the tenth of a second below 10 s and to the
        second above; a negative one counts as 0.

    Returns
    -------
    str
        Seconds below 100 s, then minutes and seconds, then hours and
        minutes; a part that is zero is left out after the first.
    """
    if 0 < seconds < 9.95:  # a short budget (max_time=0.5) is not "0s"
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = max(0, int(round(seconds)))
    if whole < 100:
        return f"{whole}s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes}m{rest:02d}s" if rest else f"{minutes}m"
    hours, minutes = divmod(whole // 60, 60)
    return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"


class TrialProgress:
    """A progress bar over a search's trials, with a postfix that keeps moving.

    Without a bar every method does nothing and no thread is started. With
    one, a daemon thread refreshes the postfix every ``interval`` seconds
    until :meth:`close`. Every method may be called from any thread.

    Parameters
    ----------
    bar : tqdm.tqdm or None, default=None
        The bar to drive; None draws nothing.
    label : tuple of (str, int), default=("best", 1)
        The score's name and the sign that turns a scorer's value into the
        metric's units (see :func:`score_label`).
    max_time : float or None, default=None
        The search's time budget in seconds, shown after the time used.
    started : float or None, default=None
        When the budget's clock started, a :func:`time.time` value (when
        ``fit`` began); None: now.
    interval : float or None, default=None
        Seconds between the ticker's refreshes (None: :data:`TICK_SECONDS`);
        0 starts no ticker (the postfix then changes when a trial finishes).

    Notes
    -----
    Used as a context manager, the bar is the one :func:`network_done` and
    :func:`epoch_done` report to inside the ``with`` block, and it is closed
    on leaving it (also on an error or interrupt).
    """

    def __init__(
        self,
        bar: Any = None,
        label: tuple[str, int] = ("best", 1),
        *,
        max_time: float | None = None,
        started: float | None = None,
        interval: float | None = None,
    ) -> None:
        self._bar = bar
        self._name, self._sign = label
        self._max_time = max_time
        self._started = time.time() if started is None else started
        self._lock = threading.RLock()
        self._best: float | None = None
        self._ensemble: float | None = None
        self._running = 0
        # trial index -> {"folds": (done, total), "epoch": (done, total)}
        self._within: dict[int, dict[str, tuple[int, int]]] = {}
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._previous: TrialProgress | None = None
        interval = TICK_SECONDS if interval is None else interval
        if bar is not None and interval > 0:
            self._ticker = threading.Thread(
                target=self._tick,
                args=(interval,),
                name="cerebros-progress",
                daemon=True,
            )
            self._ticker.start()

    # -- what the search reports ------------------------------------------

    def set_running(self, count: int) -> None:
        """Say how many trials are training now."""
        with self._lock:
            self._running = max(0, int(count))

    def advance(
        self,
        best_score: float | None,
        ensemble_score: float | None = None,
        *,
        trial: int | None = None,
    ) -> None:
        """Count one finished trial.

        Parameters
        ----------
        best_score : float or None
            The best trial's score so far, as the scorer gives it; None (or
            NaN) keeps the one shown.
        ensemble_score : float or None, default=None
            The score of the ensemble chosen over the trials so far, as the
            scorer gives it; None keeps the one shown.
        trial : int or None, default=None
            The finished trial's index: its folds and epochs are no longer
            shown.
        """
        if self._bar is None:
            return
        with self._lock:
            if best_score is not None and math.isfinite(best_score):
                self._best = best_score
            if ensemble_score is not None and math.isfinite(ensemble_score):
                self._ensemble = ensemble_score
            if trial is not None:
                self._within.pop(trial, None)
            if not self._closed:
                self._bar.set_postfix_str(self.postfix(), refresh=False)
                self._bar.update(1)

    def network_done(self, trial: int, done: int, total: int) -> None:
        """Say that ``done`` of trial ``trial``'s ``total`` fold networks are trained.

        Shown as ``trial 3: folds 2/5`` until the trial finishes; the epoch
        count shown with it starts again for the next network.
        """
        if self._bar is None:
            return
        with self._lock:
            within = self._within.setdefault(int(trial), {})
            within["folds"] = (int(done), int(total))
            within.pop("epoch", None)

    def epoch_done(self, trial: int, epoch: int, epochs: int) -> None:
        """Say that a trial's network has trained ``epoch`` of ``epochs`` epochs.

        Shown as ``trial 3: epoch 7/100`` (after the folds, when bagged)
        until the trial finishes.
        """
        if self._bar is None:
            return
        with self._lock:
            within = self._within.setdefault(int(trial), {})
            within["epoch"] = (int(epoch), int(epochs))

    # -- what is shown ----------------------------------------------------

    def _units(self, score: float) -> str:
        return f"{self._sign * score:.6g}"

    def postfix(self) -> str:
        """The postfix as it would be drawn now.

        Returns
        -------
        str
            ``time=12s/60s, running=1, best rmse=24170, ensemble rmse=23100,
            trial 3: folds 2/5, epoch 7/100``; the parts not known yet are
            left out.
        """
        with self._lock:
            used = format_duration(time.time() - self._started)
            if self._max_time:
                used += f"/{format_duration(self._max_time)}"
            parts = [f"time={used}"]
            if self._running:
                parts.append(f"running={self._running}")
            named = "" if self._name == "best" else f" {self._name}"
            if self._best is not None:
                parts.append(f"best{named}={self._units(self._best)}")
            if self._ensemble is not None:
                parts.append(f"ensemble{named}={self._units(self._ensemble)}")
            for trial in sorted(self._within):
                shown = ", ".join(
                    f"{what} {done}/{total}"
                    for what, (done, total) in self._within[trial].items()
                )
                parts.append(f"trial {trial}: {shown}")
            return ", ".join(parts)

    def refresh(self) -> None:
        """Redraw the bar with the postfix as it is now."""
        if self._bar is None:
            return
        with self._lock:
            if not self._closed:
                self._bar.set_postfix_str(self.postfix(), refresh=True)

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
            except Exception:  # a closed notebook or stream: stop quietly
                return

    # -- the end ----------------------------------------------------------

    @property
    def ticking(self) -> bool:
        """Whether the ticker thread is running."""
        return self._ticker is not None and self._ticker.is_alive()

    def summary(self) -> str:
        """The time used and the scores, as the last line gives them.

        Returns
        -------
        str
            ``time used 61s of 60s; best rmse=24170; ensemble rmse=23100``.
        """
        with self._lock:
            used = format_duration(time.time() - self._started)
            if self._max_time:
                used += f" of {format_duration(self._max_time)}"
            parts = [f"time used {used}"]
            named = "" if self._name == "best" else f" {self._name}"
            if self._best is not None:
                parts.append(f"best{named}={self._units(self._best)}")
            if self._ensemble is not None:
                parts.append(f"ensemble{named}={self._units(self._ensemble)}")
            return "; ".join(parts)

    def close(self, reason: str | None = None) -> None:
        """Stop the ticker, close the bar and, given ``reason``, say why it stopped.

        The last line reads ``Cerebros search stopped: <reason>; time used
        ...; best rmse=...; ensemble rmse=....``. Closing again does nothing.
        """
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self._bar is None:
            return
        with self._lock:
            if self._closed:
                return
            self._within.clear()
            self._running = 0
            self._bar.set_postfix_str(self.postfix(), refresh=False)
            self._bar.close()
            self._closed = True
            if reason:
                out = getattr(self._bar, "fp", None)
                line = f"Cerebros search stopped: {reason}; {self.summary()}."
                self._bar.write(line, file=out)

    def __enter__(self) -> TrialProgress:
        global _ACTIVE
        with _ACTIVE_LOCK:
            self._previous, _ACTIVE = _ACTIVE, self
        return self

    def __exit__(self, *exc: Any) -> None:
        global _ACTIVE
        with _ACTIVE_LOCK:
            if _ACTIVE is self:
                _ACTIVE = self._previous
            self._previous = None
        self.close()


# The bar of the search running in this process (see TrialProgress's Notes).
_ACTIVE: TrialProgress | None = None
_ACTIVE_LOCK = threading.Lock()


def network_done(trial: int, done: int, total: int) -> None:
    """Report to the search's bar that ``done`` of ``total`` fold networks are trained.

    For trial training code: it does nothing when no search with a bar runs
    in this process (``verbose=0``, or a trial in a worker process).

    Parameters
    ----------
    trial : int
        The trial's index (``TrialSpec.index``).
    done, total : int
        Fold networks trained so far, and in all.
    """
    bar = _ACTIVE
    if bar is not None:
        bar.network_done(trial, done, total)


def epoch_done(trial: int, epoch: int, epochs: int) -> None:
    """Report to the search's bar that a trial's network has trained ``epoch`` epochs.

    For trial training code: it does nothing when no search with a bar runs
    in this process (``verbose=0``, or a trial in a worker process).

    Parameters
    ----------
    trial : int
        The trial's index (``TrialSpec.index``).
    epoch, epochs : int
        Epochs trained so far by the network training now, and its most.
    """
    bar = _ACTIVE
    if bar is not None:
        bar.epoch_done(trial, epoch, epochs)


def showing() -> bool:
    """Whether a search's bar is shown in this process (hooks then count)."""
    return _ACTIVE is not None


def _tqdm_class() -> type:
    # tqdm.auto draws a widget in a notebook, but without ipywidgets it warns
    # ("IProgress not found") before falling back to text: fall back quietly
    # (``pip install "sklearn-cerebros[notebook]"`` brings the widget).
    if importlib.util.find_spec("ipywidgets") is None:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


def trial_progress(
    verbose: int,
    total: int | None,
    done: int,
    label: tuple[str, int] = ("best", 1),
    *,
    max_time: float | None = None,
    started: float | None = None,
    interval: float | None = None,
    **options: Any,
) -> TrialProgress:
    """The bar of a search of ``total`` trials, ``done`` of them already run.

    Parameters
    ----------
    verbose : int
        0 draws nothing and starts no thread; 1 draws the bar, whose postfix
        a ticker refreshes every ``interval`` seconds; 2 or more draws it
        without the ticker, as Keras's per-epoch bars then show each trial's
        progress (and a ticker would draw over them).
    total, done : int
        Trials in all (``n_trials``; None when ``max_time`` alone ends the
        search) and already finished (on resume).
    label : tuple of (str, int), default=("best", 1)
        The score's name and sign (see :func:`score_label`).
    max_time, started : float or None, default=None
        The time budget and when its clock started (see
        :class:`TrialProgress`).
    interval : float or None, default=None
        Seconds between the ticker's refreshes (None: :data:`TICK_SECONDS`;
        0: no ticker).
    **options
        Passed to ``tqdm`` (``file=`` for example).

    Returns
    -------
    TrialProgress
    """
    if verbose < 1:
        return TrialProgress()
    bar = _tqdm_class()(
        total=total, initial=done, desc="Cerebros trials", unit="trial", **options
    )
    return TrialProgress(
        bar,
        label,
        max_time=max_time,
        started=started,
        interval=interval if verbose == 1 else 0,
    )
