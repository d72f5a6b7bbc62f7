"""The search's progress bar: trials done, and the best score so far."""

from __future__ import annotations

import importlib.util
import math
from typing import Any

__all__ = ["TrialProgress", "trial_progress"]


class TrialProgress:
    """A progress bar over trials that shows the best score in its postfix.

    Parameters
    ----------
    bar : tqdm.tqdm or None
        The bar to drive; None draws nothing.
    """

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    def advance(self, best_score: float | None) -> None:
        """Count one finished trial; ``best_score`` is the best so far, if any."""
        if self._bar is None:
            return
        if best_score is not None and math.isfinite(best_score):
            self._bar.set_postfix(best=f"{best_score:.4g}", refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


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
    verbose: int, total: int, done: int, **options: Any
) -> TrialProgress:
    """The bar of a search of ``total`` trials, ``done`` of them already run.

    Nothing is drawn when ``verbose`` is 0. ``options`` go to ``tqdm``.
    """
    if verbose < 1:
        return TrialProgress()
    bar = _tqdm_class()(
        total=total, initial=done, desc="Cerebros trials", unit="trial", **options
    )
    return TrialProgress(bar)
