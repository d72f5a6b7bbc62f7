"""Pictures of network plans, of training histories and of searches.

Matplotlib is an optional dependency: it is imported when a function here is
called, and a missing install says which extra to add.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .architecture import MixerPlan, Plan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_architecture", "plot_history", "plot_search_results"]

_INSTALL_HINT = 'pip install "sklearn-cerebros[examples]"'

# Layout in data units: levels are rows LEVEL_GAP apart, units UNIT_GAP apart.
_LEVEL_GAP = 1.5
_UNIT_GAP = 1.2
_MAX_RADIUS = 0.34
_MIN_RADIUS = 0.12
_END_HALF = 0.22  # half the side of the input and head squares

_STYLES: dict[str, dict[str, Any]] = {
    "predecessor": {"color": "#404040", "ls": "-", "lw": 1.0, "alpha": 0.9},
    "skip": {"color": "#1f77b4", "ls": "--", "lw": 0.9, "alpha": 0.6},
    "lateral": {"color": "#e6850e", "ls": "-", "lw": 1.7, "alpha": 0.95},
    "gated": {"color": "#c0392b", "ls": "-", "lw": 1.7, "alpha": 0.95},
}
_LABELS = {
    "predecessor": "predecessor (next level)",
    "skip": "skip (spans 2+ levels)",
    "lateral": "lateral (same level)",
    "gated": "gated lateral",
}
_UNIT_FACE = "#cfe3f3"
_UNIT_EDGE = "#1f4e79"
_END_FACE = "#e8e8e8"
_INCHES = 0.75  # figure inches per data unit
_LEGEND_INCHES = 2.6


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs the optional package 'matplotlib'. Install it with: "
            + _INSTALL_HINT
        ) from exc
    return plt


def _get_plan(plan_or_estimator: Any) -> Plan:
    if isinstance(plan_or_estimator, Plan):
        return plan_or_estimator
    for attribute in ("plan_", "best_plan_"):
        plan = getattr(plan_or_estimator, attribute, None)
        if isinstance(plan, Plan):
            return plan
    mixer = getattr(plan_or_estimator, "plan_", plan_or_estimator)
    if isinstance(mixer, MixerPlan):
        raise TypeError(
            "plot_architecture draws level-and-unit plans (residual MLP, "
            "Cerebros); an MLP-Mixer is a fixed stack of blocks with no such "
            "graph to draw. Print its layout with plan_.summary(n_features) "
            "or the Keras model with model_.summary()."
        )
    raise TypeError(
        "Expected a Plan or a fitted estimator with a plan_ attribute, got "
        f"{type(plan_or_estimator).__name__}. Fit the estimator first."
    )


def _positions(plan: Plan) -> dict[tuple[int, int] | str, tuple[float, float]]:
    """Centres of the nodes: the input on top, the head at the bottom."""
    pos: dict[tuple[int, int] | str, tuple[float, float]] = {(0, 0): (0.0, 0.0)}
    for k, level in enumerate(plan.levels, start=1):
        n = len(level)
        for i in range(n):
            pos[(k, i)] = ((i - (n - 1) / 2) * _UNIT_GAP, -k * _LEVEL_GAP)
    pos["head"] = (0.0, -(plan.n_levels + 1) * _LEVEL_GAP)
    return pos


def _bezier(p0: np.ndarray, c: np.ndarray, p1: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, 41)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t**2 * p1


def _trim(points: np.ndarray, start: float, end: float) -> np.ndarray:
    """Drop the parts of a curve hidden under its two end nodes."""
    keep = (np.linalg.norm(points - points[0], axis=1) >= start) & (
        np.linalg.norm(points - points[-1], axis=1) >= end
    )
    kept = points[keep]
    return kept if len(kept) >= 2 else points[[0, -1]]


def _curve(
    p0: tuple[float, float],
    p1: tuple[float, float],
    bend: tuple[float, float],
    radii: tuple[float, float],
) -> np.ndarray:
    """Points of an edge from ``p0`` to ``p1``, bowed by ``bend``, node to node."""
    a, b = np.asarray(p0), np.asarray(p1)
    curve = _bezier(a, (a + b) / 2 + np.asarray(bend), b)
    return _trim(curve, radii[0] + 0.02, radii[1] + 0.04)


def _draw_edge(ax: Axes, curve: np.ndarray, kind: str) -> None:
    style = _STYLES[kind]
    ax.plot(curve[:, 0], curve[:, 1], zorder=1, **style)
    ax.annotate(
        "",
        xy=tuple(curve[-1]),
        xytext=tuple(curve[-2]),
        arrowprops={
            "arrowstyle": "-|>",
            "color": style["color"],
            "lw": style["lw"],
            "alpha": style["alpha"],
            "mutation_scale": 9,
            "shrinkA": 0,
            "shrinkB": 0,
        },
        zorder=1,
    )
    if kind == "gated":
        middle = curve[len(curve) // 2]
        ax.plot(*middle, marker="D", markersize=7, color=style["color"], zorder=3)


def plot_architecture(plan_or_estimator: Any, ax: Axes | None = None) -> Figure:
    """Draw a plan: levels as rows, units as circles, connections as arrows.

    The input sits on top and the head at the bottom. A unit's circle has an
    area proportional to its neurons, whose number it shows; its index on the
    level (``u0``, ``u1``, ...) is written to its left. Connections to the next
    level are grey lines, skip connections (spanning two or more levels) blue
    dashed curves, lateral connections orange arcs under their level, and
    gated laterals red arcs with a diamond on the gate.

    Parameters
    ----------
    plan_or_estimator : Plan or fitted estimator
        A :class:`~sklearn_cerebros.architecture.Plan`, or an estimator with a
        ``plan_`` attribute (``best_plan_`` is used when there is no
        ``plan_``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the plan is made otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the drawing.

    Raises
    ------
    TypeError
        If no plan can be found (for example, an estimator not fitted yet).
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import CerebrosSpace, sample_plan
    >>> from sklearn_cerebros.plotting import plot_architecture
    >>> fig = plot_architecture(sample_plan(CerebrosSpace(), 8, rng=0))
    """
    plan = _get_plan(plan_or_estimator)
    plt = _pyplot()
    pos = _positions(plan)
    biggest = max((u.neurons for _, _, u in plan.iter_units()), default=1)
    radius: dict[Any, float] = {(0, 0): _END_HALF * math.sqrt(2), "head": _END_HALF}
    for k, i, unit in plan.iter_units():
        radius[(k, i)] = max(
            _MIN_RADIUS, _MAX_RADIUS * math.sqrt(unit.neurons / biggest)
        )

    edges = _edges(plan, pos, radius)
    xs = np.concatenate([[x for x, _ in pos.values()], *(c[:, 0] for c, _ in edges)])
    xlim = (xs.min() - _MAX_RADIUS - 1.1, xs.max() + _MAX_RADIUS + 0.1)
    ylim = (-(plan.n_levels + 1) * _LEVEL_GAP - 0.5, 0.5)
    if ax is None:
        # Wide enough for the one-line title even when the plan is narrow.
        width = max(_INCHES * (xlim[1] - xlim[0]), 4.6)
        height = _INCHES * (ylim[1] - ylim[0])
        # Constrained layout keeps the title, the level labels and the legend
        # (outside the drawing, on the right) inside the figure.
        fig, ax = plt.subplots(
            figsize=(width + _LEGEND_INCHES, height + 0.5), layout="constrained"
        )
    else:
        fig = ax.figure
    for curve, kind in edges:
        _draw_edge(ax, curve, kind)
    _draw_nodes(ax, plan, pos, radius)
    for k in range(1, plan.n_levels + 1):
        ax.text(xlim[0], -k * _LEVEL_GAP, f"level {k}", va="center", fontsize=9)
    _architecture_legend(ax, {kind for _, kind in edges})
    ax.set_title(plan.describe(), fontsize=9)
    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")
    return fig


def _edges(
    plan: Plan, pos: dict[Any, tuple[float, float]], radius: dict
) -> list[tuple[np.ndarray, str]]:
    """Every connection as ``(points, kind)``."""
    edges = []
    consumers = [((k, i), k, unit.inputs) for k, i, unit in plan.iter_units()]
    consumers.append(("head", plan.n_levels + 1, plan.head.inputs))
    for target, k, inputs in consumers:
        for ref in inputs:
            span = k - ref[0]
            bend = (0.0, 0.0)
            if span > 1:
                # Bow skips outwards so they pass beside the levels they jump.
                middle = (pos[ref][0] + pos[target][0]) / 2
                side = 1.0 if middle >= 0 else -1.0  # unit labels sit on the left
                bend = (side * (0.35 + 0.3 * (span - 1)), 0.0)
            radii = (radius[ref], radius[target])
            curve = _curve(pos[ref], pos[target], bend, radii)
            edges.append((curve, "predecessor" if span == 1 else "skip"))
    for k, i, unit in plan.iter_units():
        for v in unit.laterals:
            bend = (0.0, -(0.35 + 0.2 * (i - v - 1)))
            radii = (radius[(k, v)], radius[(k, i)])
            curve = _curve(pos[(k, v)], pos[(k, i)], bend, radii)
            edges.append((curve, "gated" if v in unit.gated else "lateral"))
    return edges


def _draw_nodes(
    ax: Axes, plan: Plan, pos: dict[Any, tuple[float, float]], radius: dict
) -> None:
    from matplotlib.patches import Circle, Rectangle

    for k, i, unit in plan.iter_units():
        (x, y), r = pos[(k, i)], radius[(k, i)]
        ax.add_patch(
            Circle(
                (x, y), r, facecolor=_UNIT_FACE, edgecolor=_UNIT_EDGE, lw=1.2, zorder=4
            )
        )
        size = 7 if r < 0.2 else 9
        ax.text(
            x, y, str(unit.neurons), ha="center", va="center", fontsize=size, zorder=5
        )
        ax.text(
            x - r - 0.04,
            y,
            f"u{i}",
            ha="right",
            va="center",
            fontsize=7,
            color="#555555",
            zorder=5,
        )
    for key, text in (((0, 0), "input"), ("head", f"head\n{plan.head.units} out")):
        x, y = pos[key]
        corner = (x - _END_HALF, y - _END_HALF)
        ax.add_patch(
            Rectangle(
                corner,
                2 * _END_HALF,
                2 * _END_HALF,
                facecolor=_END_FACE,
                edgecolor="#333333",
                lw=1.2,
                zorder=4,
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=7, zorder=5)


def _architecture_legend(ax: Axes, used: set[str]) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="D" if kind == "gated" else None,
            markersize=6,
            label=_LABELS[kind],
            **_STYLES[kind],
        )
        for kind in _STYLES
        if kind in used
    ]
    unit = Line2D(
        [],
        [],
        linestyle="",
        marker="o",
        markersize=10,
        markerfacecolor=_UNIT_FACE,
        markeredgecolor=_UNIT_EDGE,
        label="unit u<i> (area ~ neurons,\nneurons written inside)",
    )
    ax.legend(
        handles=[*handles, unit],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )


def _get_history(history_or_estimator: Any) -> dict[str, list[float]]:
    history = history_or_estimator
    # An estimator keeps history_; a Keras History callback keeps .history.
    for attribute in ("history_", "history"):
        if not isinstance(history, Mapping):
            history = getattr(history_or_estimator, attribute, None)
    if not isinstance(history, Mapping):
        raise TypeError(
            "Expected a dict of per-epoch lists or a fitted estimator with a "
            f"history_ attribute, got {type(history_or_estimator).__name__}."
        )
    curves = {}
    for key, values in history.items():
        if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
            raise TypeError(
                f"history[{key!r}] must be a list of per-epoch values, got "
                f"{type(values).__name__}."
            )
        curves[str(key)] = [float(v) for v in values]
    if not any(curves.values()):
        raise ValueError("The history holds no epochs to plot.")
    return curves


def plot_history(history_or_estimator: Any, ax: Axes | None = None) -> Figure:
    """Plot learning curves: every recorded quantity against the epoch.

    A quantity and its validation counterpart (``loss`` and ``val_loss``)
    share a colour, the validation curve dashed. Without ``ax``, each
    quantity gets its own panel, so curves of different scales (a loss and
    a learning rate) stay readable; with ``ax``, all curves go on it.

    Parameters
    ----------
    history_or_estimator : dict or fitted estimator
        A mapping of names to per-epoch lists, such as an estimator's
        ``history_``, or the fitted estimator itself.
    ax : matplotlib.axes.Axes, optional
        Axes to draw every curve on.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If no history can be found or a value is not a list.
    ValueError
        If the history holds no epochs.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from sklearn_cerebros.plotting import plot_history
    >>> fig = plot_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6]})
    """
    curves = _get_history(history_or_estimator)
    groups: dict[str, list[str]] = {}
    for key in curves:
        groups.setdefault(key.removeprefix("val_"), []).append(key)
    plt = _pyplot()
    if ax is None:
        n = len(groups)
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.4), squeeze=False)
        panels = dict(zip(groups, axes[0], strict=True))
    else:
        fig = ax.figure
        panels = dict.fromkeys(groups, ax)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for g, (base, keys) in enumerate(groups.items()):
        panel = panels[base]
        for key in keys:
            values = curves[key]
            panel.plot(
                np.arange(1, len(values) + 1),
                values,
                color=colors[g % len(colors)],
                linestyle="--" if key.startswith("val_") else "-",
                marker="." if len(values) < 30 else None,
                label=key,
            )
        if ax is None:
            panel.set_title(base)
    for panel in {id(p): p for p in panels.values()}.values():
        panel.set_xlabel("epoch")
        panel.legend(fontsize=8)
        panel.grid(alpha=0.3)
        panel.xaxis.get_major_locator().set_params(integer=True)
    if ax is None:
        fig.tight_layout()
    return fig


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
        "ensemble_weight": np.array(
            [number(v) for v in column("ensemble_weight", None)]
        ),
    }


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
    the axes. The best trial is ringed (the legend gives its index), the
    members of the fitted ensemble are marked by blue diamonds that grow with
    their weight and, against the trial index, a dashed step line follows
    the best score so far.

    Scores are scikit-learn scores, so higher is better: with the default
    scorers they are negated errors (``neg_root_mean_squared_error``,
    ``neg_log_loss``) and the best trial is the one closest to zero.

    Parameters
    ----------
    search : fitted search or dict
        A fitted :class:`~sklearn_cerebros.CerebrosRegressor` or
        :class:`~sklearn_cerebros.CerebrosClassifier`, or any object with a
        ``search_results_`` dict of per-trial lists (``trial`` and ``score``
        are required; ``generation``, ``parent``, ``status``, ``fit_time``
        ``rank`` and ``ensemble_weight`` are used when present), or that dict
        itself.
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
        If the results hold no trials, miss a required column, or ``x`` is
        not one of the choices.
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
    for g in generations:
        mask = scored & (data["generation"] == g)
        ax.scatter(
            xs[mask],
            scores[mask],
            s=36,
            color=colors[g % len(colors)],
            edgecolors="white",
            linewidths=0.6,
            zorder=3,
            label=f"generation {g}",
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
        ax.scatter(
            xs[members],
            scores[members],
            s=60 + 300 * data["ensemble_weight"][members],
            marker="D",
            facecolors="none",
            edgecolors="#1f5fa8",
            linewidths=1.2,
            zorder=4,
            label=f"ensemble: {int(members.sum())} trials (size = weight)",
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
