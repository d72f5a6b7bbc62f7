"""Pictures of the learning-curve and depth studies (matplotlib, Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plot_curves", "plot_depth"]

#: One colour and marker per model, the same in every figure.
STYLE: dict[str, dict[str, Any]] = {
    "residual_mlp": {"color": "tab:blue", "marker": "o"},
    "plain_mlp": {"color": "tab:orange", "marker": "s"},
    "sk_mlp": {"color": "tab:red", "marker": "v"},
    "cerebros": {"color": "tab:purple", "marker": "D"},
    "hgb": {"color": "tab:green", "marker": "^"},
    "linear": {"color": "tab:gray", "marker": "x"},
    "lightgbm": {"color": "tab:olive", "marker": "P"},
}

METRIC_LABEL = {"rmse": "test RMSE (lower is better)", "accuracy": "test accuracy"}


def _by(summary: Sequence[dict[str, Any]], key: str) -> dict[Any, list[dict]]:
    groups: dict[Any, list[dict]] = {}
    for r in summary:
        groups.setdefault(r[key], []).append(r)
    return groups


def plot_curves(summary: Sequence[dict[str, Any]], path: Path) -> None:
    """Score and epochs-to-best against training rows, one column per data set."""
    datasets = _by(summary, "dataset")
    fig, axes = plt.subplots(
        2, len(datasets), figsize=(5.2 * len(datasets), 7.5), squeeze=False
    )
    for col, (name, rows) in enumerate(datasets.items()):
        score_ax, epoch_ax = axes[0, col], axes[1, col]
        for model, mrows in _by(rows, "model").items():
            mrows = sorted(mrows, key=lambda r: r["n_train"])
            n = [r["n_train"] for r in mrows]
            mean = [r["score_mean"] for r in mrows]
            std = [r["score_std"] for r in mrows]
            score_ax.errorbar(
                n, mean, yerr=std, label=model, capsize=3, **STYLE.get(model, {})
            )
            epochs = [
                (r["n_train"], r["epochs_median"])
                for r in mrows
                if r["epochs_median"] is not None
            ]
            if epochs:
                epoch_ax.plot(
                    *zip(*epochs, strict=True), label=model, **STYLE.get(model, {})
                )
        sizes = sorted({r["n_train"] for r in rows})
        for ax in (score_ax, epoch_ax):
            ax.set_xscale("log")
            ax.set_xticks(sizes, [f"{n:g}" for n in sizes])
            ax.minorticks_off()
        score_ax.set_title(f"{name}")
        score_ax.set_ylabel(METRIC_LABEL.get(rows[0]["metric"], rows[0]["metric"]))
        epoch_ax.set_ylabel("epochs to best (median)")
        epoch_ax.set_xlabel("training rows")
        score_ax.grid(alpha=0.3)
        epoch_ax.grid(alpha=0.3)
        score_ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_depth(summary: Sequence[dict[str, Any]], path: Path) -> None:
    """Test (solid) and training (dashed) score against depth, per data set."""
    datasets = _by(summary, "dataset")
    fig, axes = plt.subplots(
        1, len(datasets), figsize=(5.5 * len(datasets), 4.2), squeeze=False
    )
    for col, (name, rows) in enumerate(datasets.items()):
        ax = axes[0, col]
        for model, mrows in _by(rows, "model").items():
            mrows = sorted(mrows, key=lambda r: r["depth"])
            depth = [r["depth"] for r in mrows]
            style = STYLE.get(model, {})
            ax.errorbar(
                depth,
                [r["score_mean"] for r in mrows],
                yerr=[r["score_std"] for r in mrows],
                capsize=3,
                label=f"{model} (test)",
                **style,
            )
            if "train_score_mean" in mrows[0]:
                ax.plot(
                    depth,
                    [r["train_score_mean"] for r in mrows],
                    ls="--",
                    alpha=0.6,
                    label=f"{model} (train)",
                    color=style.get("color"),
                )
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r["depth"] for r in rows}))
        ax.set_xticklabels([str(d) for d in sorted({r["depth"] for r in rows})])
        ax.set_xlabel("hidden layers")
        ax.set_ylabel(METRIC_LABEL.get(rows[0]["metric"], rows[0]["metric"]))
        if rows[0]["metric"] == "rmse":
            ax.set_yscale("log")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
