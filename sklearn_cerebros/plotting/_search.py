"""The picture of an architecture search: every trial's score and parent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# A marker per kind of plan (the ``kind`` column); other kinds take the next
# unused of _MORE_MARKERS.
_KIND_MARKERS = {"levels": "o", "residual": "s", "retrieval": "D", "mixer": "^"}
_MORE_MARKERS = ("v", "P", "X", "*", "h", "p", "<", ">")

# Default scorers of the searches, by task (see ``_CerebrosSearch._scoring``).
_DEFAULT_SCORING = {
    "regressor": "neg_root_mean_squared_error",
    "classifier": "neg_log_loss",
}


def _get_search_results(search: Any) -> dict[str, np.ndarray]:
    results = search if isinstance(search, Mapping) else None
    if results is None:
        results = getattr(search, "search_results_", None)
    if not isinstance(results, Mapping):
        raise TypeError(
            "Expected a fitted search with a search_results_ attribute (or that "
            f"dict itself), got {type(search).__name__}. Fit the search first."
        )
    missing = [c for c in ("trial", "score") if c not in results]
    if missing:
        raise ValueError(f"search_results_ has no {' or '.join(missing)} column.")
    n = len(results["trial"])
    if n == 0:
        raise ValueError("The search results hold no trials to plot.")

    def column(name: str, default: Any) -> list[Any]:
        values = list(results.get(name, [default] * n))
        if len(values) != n:
            raise ValueError(
                f"search_results_[{name!r}] has {len(values)} entries, "
                f"search_results_['trial'] has {n}."
            )
        return values

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    return {
        "trial": np.array([int(t) for t in column("trial", 0)]),
        "score": np.array([number(v) for v in column("score", None)]),
        "generation": np.array([int(g or 0) for g in column("generation", 0)]),
        "parent": np.array(
            [-1 if p is None else int(p) for p in column("parent", None)]
        ),
        "status": np.array([str(v) for v in column("status", "ok")]),
        "fit_time": np.array([number(v) for v in column("fit_time", None)]),
        "rank": np.array([number(v) for v in column("rank", None)]),
        "ensemble_weight": _ensemble_weights(column("ensemble_weight", None)),
        "kind": np.array(
            [None if k is None else str(k) for k in column("kind", None)],
            dtype=object,
        ),
    }


def _kind_markers(kinds: list[str]) -> dict[str, str]:
    """A marker for each kind: its own, or the next unused one."""
    markers = {k: _KIND_MARKERS[k] for k in kinds if k in _KIND_MARKERS}
    spare = iter(m for m in _MORE_MARKERS if m not in markers.values())
    for kind in kinds:
        if kind not in markers:
            markers[kind] = next(spare, "o")
    return markers


def _ensemble_weights(values: list[Any]) -> np.ndarray:
    """Each trial's weight in the search's ensemble; 0 (or missing) for non-members."""
    weights = np.array([0.0 if v is None else float(v) for v in values])
    weights = np.nan_to_num(weights, nan=0.0)
    if (weights < 0).any():
        raise ValueError(
            "search_results_['ensemble_weight'] must hold weights >= 0, got "
            f"{weights.min()}."
        )
    return weights


def _score_name(search: Any) -> str:
    scoring = getattr(search, "scoring", None)
    if isinstance(scoring, str):
        return scoring
    if scoring is None and hasattr(search, "__sklearn_tags__"):
        from sklearn.utils import get_tags

        return _DEFAULT_SCORING.get(get_tags(search).estimator_type, "score")
    return "score"


def _best_position(search: Any, data: dict[str, np.ndarray]) -> int | None:
    """Row of the best trial: ``best_index_``, else rank 1, else the top score."""
    ok = np.isfinite(data["score"]) & (data["status"] == "ok")
    best = getattr(search, "best_index_", None)
    if best is not None and best in data["trial"]:
        return int(np.flatnonzero(data["trial"] == best)[0])
    first = np.flatnonzero(ok & (data["rank"] == 1))
    if len(first):
        return int(first[0])
    if ok.any():
        return int(np.flatnonzero(ok)[np.argmax(data["score"][ok])])
    return None


def plot_search_results(
    search: Any, ax: Axes | None = None, *, x: str = "trial"
) -> Figure:
    """Plot every trial of an architecture search: its score and its parent.

    Each trial is a dot at its score, coloured by generation. A thin line
    joins a trial of a later generation to the trial it was derived from
    (its ``parent``), so the lines show which architectures the search built
    on. Failed trials, which have no score, are crosses along the bottom of
    the axes. The best trial is ringed (the legend gives its index) and,
    against the trial index, a dashed step line follows the best score so far.
    When the results have a ``kind`` column, each trial's marker says the
    kind of its plan (a circle for ``"levels"``, a square for
    ``"residual"``, a diamond for ``"retrieval"``, a triangle for
    ``"mixer"``), and the legend names the kinds. When the search keeps an
    ensemble (an ``ensemble_weight`` column), its members, the trials of
    weight above zero, get a gold ring whose area grows with their weight,
    and their weight as a percentage beside it: where the ensemble's weight
    goes.

    Scores are scikit-learn scores, so higher is better: with the default
    scorers they are negated errors (``neg_root_mean_squared_error``,
    ``neg_log_loss``) and the best trial is the one closest to zero.

    Parameters
    ----------
    search : fitted search or dict
        A fitted :class:`~sklearn_cerebros.CerebrosRegressor` or
        :class:`~sklearn_cerebros.CerebrosClassifier`, or any object with a
        ``search_results_`` dict of per-trial lists (``trial`` and ``score``
        are required; ``generation``, ``parent``, ``status``, ``fit_time``,
        ``rank``, ``kind`` and ``ensemble_weight`` are used when present),
        or that dict itself.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made otherwise.
    x : {"trial", "fit_time"}, default="trial"
        What the horizontal axis shows: the trial index (the order in which
        the search drew the trials) or each trial's training time in seconds.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the plot.

    Raises
    ------
    TypeError
        If ``search`` has no ``search_results_`` (for example, a search not
        fitted yet).
    ValueError
        If the results hold no trials, miss a required column, hold a
        negative ``ensemble_weight``, or ``x`` is not one of the choices.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from sklearn_cerebros.plotting import plot_search_results
    >>> results = {
    ...     "trial": [0, 1, 2, 3],
    ...     "generation": [0, 0, 1, 1],
    ...     "parent": [None, None, 0, 0],
    ...     "status": ["ok", "ok", "ok", "failed"],
    ...     "score": [-0.9, -1.2, -0.7, float("nan")],
    ... }
    >>> fig = plot_search_results(results)
    """
    if x not in ("trial", "fit_time"):
        raise ValueError(f"x must be 'trial' or 'fit_time', got {x!r}.")
    data = _get_search_results(search)
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    else:
        fig = ax.figure
    xs = data["trial"] if x == "trial" else data["fit_time"]
    scores = data["score"]
    has_score = np.isfinite(scores) & (data["status"] == "ok")
    scored = has_score & np.isfinite(xs)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    generations = np.unique(data["generation"])

    row = {int(t): r for r, t in enumerate(data["trial"])}
    parent_drawn = False
    for r, p in enumerate(data["parent"]):
        q = row.get(int(p))
        if q is None or not (scored[r] and scored[q]):
            continue
        ax.plot(
            [xs[q], xs[r]],
            [scores[q], scores[r]],
            color="#9a9a9a",
            lw=0.8,
            zorder=1,
            label=None if parent_drawn else "parent to child",
        )
        parent_drawn = True
    if x == "trial" and scored.any():
        order = np.argsort(data["trial"], kind="stable")
        so_far = np.fmax.accumulate(np.where(scored, scores, np.nan)[order])
        ax.step(
            xs[order],
            so_far,
            where="post",
            color="#555555",
            ls="--",
            lw=1.0,
            zorder=2,
            label="best so far",
        )
    kinds = list(dict.fromkeys(k for k in data["kind"][scored] if k is not None))
    markers = _kind_markers(kinds)
    # Trials of no named kind are circles, as every trial was before kinds.
    marker_of = np.array([markers.get(k, "o") for k in data["kind"]], dtype=object)
    shapes = list(dict.fromkeys(marker_of[scored])) or ["o"]
    for g in generations:
        mask = scored & (data["generation"] == g)
        color = colors[g % len(colors)]
        if len(shapes) > 1:
            # an empty dot names the generation; the kinds' markers follow
            ax.scatter([], [], s=36, color=color, label=f"generation {g}")
        for shape in shapes:
            these = mask & (marker_of == shape)
            if len(shapes) > 1 and not these.any():
                continue
            ax.scatter(
                xs[these],
                scores[these],
                s=36,
                marker=shape,
                color=color,
                edgecolors="white",
                linewidths=0.6,
                zorder=3,
                label=f"generation {g}" if len(shapes) == 1 else "_nolegend_",
            )
    for kind in kinds:
        ax.scatter(
            [],
            [],
            s=36,
            marker=markers[kind],
            color="#7a7a7a",
            label=f"kind: {kind}",
        )
    failed = ~scored & np.isfinite(xs)
    if failed.any():
        # Along the bottom of the axes: x in data units, y in axes units.
        ax.plot(
            xs[failed],
            np.full(failed.sum(), 0.04),
            linestyle="",
            marker="x",
            markersize=7,
            mew=1.6,
            color="#c0392b",
            transform=ax.get_xaxis_transform(),
            zorder=3,
            label="failed (no score)",
        )
    members = scored & (data["ensemble_weight"] > 0)
    if members.any():
        weights = data["ensemble_weight"][members]
        ax.scatter(
            xs[members],
            scores[members],
            s=90 + 360 * weights / weights.max(),
            marker="o",
            facecolors="none",
            edgecolors="#d4a017",
            linewidths=2.0,
            zorder=4,
            label="ensemble member",
        )
        for x_at, y_at, weight in zip(
            xs[members], scores[members], weights, strict=True
        ):
            ax.annotate(
                f"{weight:.0%}",
                (x_at, y_at),
                xytext=(7, 7),
                textcoords="offset points",
                fontsize=7,
                color="#8a6d0b",
                zorder=5,
            )
    best = _best_position(search, data)
    if best is not None and scored[best]:
        ax.scatter(
            [xs[best]],
            [scores[best]],
            s=190,
            facecolors="none",
            edgecolors="black",
            linewidths=1.5,
            zorder=4,
            label=f"best: trial {data['trial'][best]}",
        )
    ax.set_xlabel(
        "trial (order drawn)" if x == "trial" else "training time of the trial (s)"
    )
    ax.set_ylabel(f"{_score_name(search)}\n(higher is better)")
    if x == "trial":
        ax.xaxis.get_major_locator().set_params(integer=True)
    n_failed = int((~has_score).sum())
    ax.set_title(
        f"{len(scores)} trials, {len(generations)} generation"
        f"{'s' if len(generations) != 1 else ''}, {n_failed} failed",
        fontsize=10,
    )
    ax.margins(y=0.12)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig
