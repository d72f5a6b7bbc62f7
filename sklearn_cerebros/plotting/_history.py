"""The picture of a training history: learning curves against the epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import _pyplot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
