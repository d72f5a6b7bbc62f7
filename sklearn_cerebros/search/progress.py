"""The search's progress bar: trials done, the best score, why it stopped.

The best score is shown in the metric's own units: a scikit-learn scorer
negates an error (``neg_root_mean_squared_error``) so that greater is
better, and the bar shows the error itself (``rmse=24170``, not
``best=-2.417e+04``).
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

__all__ = ["TrialProgress", "score_label", "trial_progress"]

# Short names of the errors scikit-learn's scorers negate.
_SHORT = {
    "root_mean_squared_error": "rmse",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "log_loss": "log_loss",
}


def score_label(scorer: Any) -> tuple[str, int]:
    """The name a scorer's values are shown under, and the sign of its units.

    A scorer that negates an error (``neg_root_mean_squared_error``, the
    search's log loss) is shown as the error, with the sign flipped back.
    """
    func = getattr(scorer, "_score_func", None)
    name = getattr(func, "__name__", "score")
    name = _SHORT.get(name, name.removesuffix("_score"))
    return name, -1 if getattr(scorer, "_sign", 1) < 0 else 1


class TrialProgress:
    """A progress bar over trials that shows the best score in its postfix.

    Parameters
    ----------
    bar : tqdm.tqdm or None
        The bar to drive; None draws nothing.
    label : tuple of (str, int), default=("best", 1)
        The score's name and the sign that turns a scorer's value into the
        metric's units (see :func:`score_label`).
    """

    def __init__(self, bar: Any = None, label: tuple[str, int] = ("best", 1)) -> None:
        self._bar = bar
        self._name, self._sign = label

    def advance(self, best_score: float | None) -> None:
        """Count one finished trial; ``best_score`` is the best so far, if any."""
        if self._bar is None:
            return
        if best_score is not None and math.isfinite(best_score):
            shown = self._sign * best_score
            self._bar.set_postfix({self._name: f"{shown:.6g}"}, refresh=False)
        self._bar.update(1)

    def close(self, reason: str | None = None) -> None:
        """Close the bar, and print why the search stopped, when given."""
        if self._bar is None:
            return
        self._bar.close()
        if reason:
            out = getattr(self._bar, "fp", None)
            self._bar.write(f"Cerebros search stopped: {reason}.", file=out)


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
    total: int,
    done: int,
    label: tuple[str, int] = ("best", 1),
    **options: Any,
) -> TrialProgress:
    """The bar of a search of ``total`` trials, ``done`` of them already run.

    Nothing is drawn when ``verbose`` is 0. ``label`` names the score (see
    :func:`score_label`); ``options`` go to ``tqdm``.
    """
    if verbose < 1:
        return TrialProgress()
    bar = _tqdm_class()(
        total=total, initial=done, desc="Cerebros trials", unit="trial", **options
    )
    return TrialProgress(bar, label)
