"""The picture of a plan: levels as rows, units as circles, connections as arrows."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..architecture import LevelsPlan, is_plan, kind_of
from ._common import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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


def _get_plan(plan_or_estimator: Any) -> tuple[Any, Callable[..., Figure]]:
    """The plan to draw (``plan_``, else ``best_plan_``) and its kind's picture."""
    if is_plan(plan_or_estimator):
        plans = [plan_or_estimator]
    else:
        found = (getattr(plan_or_estimator, a, None) for a in ("plan_", "best_plan_"))
        plans = [plan for plan in found if is_plan(plan)]
    for plan in plans:
        picture = kind_of(plan).draw()
        if picture is not None:
            return plan, picture
    if plans:
        kind = kind_of(plans[0])
        raise TypeError(
            f"plot_architecture has no picture of a {kind.label} plan: "
            f"{kind.no_picture}. Print its layout with plan_.summary(n_features) "
            "or the Keras model with model_.summary()."
        )
    raise TypeError(
        "Expected a plan or a fitted estimator with a plan_ attribute, got "
        f"{type(plan_or_estimator).__name__}. Fit the estimator first."
    )


def _positions(plan: LevelsPlan) -> dict[tuple[int, int] | str, tuple[float, float]]:
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
    plan_or_estimator : plan or fitted estimator
        A plan whose kind has a picture (a
        :class:`~sklearn_cerebros.architecture.LevelsPlan`; see
        :class:`~sklearn_cerebros.architecture.PlanKind`), or an estimator
        with such a ``plan_`` attribute (``best_plan_`` is used when there is
        no ``plan_``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure sized to the plan is made otherwise.

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the drawing.

    Raises
    ------
    TypeError
        If no plan can be found (for example, an estimator not fitted yet),
        or its kind has no picture (an MLP-Mixer, a retrieval network).
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import CerebrosSpace, sample_plan
    >>> from sklearn_cerebros.plotting import plot_architecture
    >>> fig = plot_architecture(sample_plan(CerebrosSpace(), 8, rng=0))
    """
    plan, picture = _get_plan(plan_or_estimator)
    return picture(plan, ax)


def draw_levels(plan: LevelsPlan, ax: Axes | None = None) -> Figure:
    """The picture of a levels-and-wiring plan (see :func:`plot_architecture`)."""
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
    plan: LevelsPlan, pos: dict[Any, tuple[float, float]], radius: dict
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
    ax: Axes, plan: LevelsPlan, pos: dict[Any, tuple[float, float]], radius: dict
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
