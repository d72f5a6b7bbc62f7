"""What a finished trial leaves: its networks, and its row of ``search_results_``."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import numpy as np

from .._keras import rebuild
from ..architecture import plan_from_dict
from .proposers import rank_key

__all__ = ["digest", "results_table", "trial_networks"]


def trial_networks(
    record: dict[str, Any], weights: list[list[np.ndarray]], n_features: int
) -> tuple[list[Any], list[float]]:
    """A trial's trained networks (one per fold when bagged), equal shares each."""
    plan = plan_from_dict(record["plan"])
    networks = []
    for fold, arrays in enumerate(weights):
        if len(weights) > 1:  # named as in training (see run_trial)
            name = f"{plan.name}_fold{fold}"
            network = rebuild(dataclasses.replace(plan, name=name), n_features, arrays)
        else:
            network = rebuild(plan, n_features, arrays)
        networks.append(network)
    return networks, [1.0 / len(networks)] * len(networks)


def digest(folds: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """A short fingerprint of the held-out rows of each fold."""
    h = hashlib.sha256()
    for _, held in folds:
        h.update(np.asarray(held, np.int64).tobytes() + b"|")
    return h.hexdigest()[:16]


_COLUMNS = (
    "trial",
    "generation",
    "parent",
    "initial",
    "rung",
    "seed",
    "status",
    "score",
    "rank",
    "epochs",
    "best_epoch",
    "fit_time",
    "n_levels",
    "n_units",
    "n_neurons",
    "n_params",
    "summary",
    "structure",
    "plan",
    "error",
)


def results_table(records: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Columns of per-trial values, like ``cv_results_``; rank 1 is the best."""
    ok = sorted((r for r in records if r["status"] == "ok"), key=rank_key)
    rank = {r["trial"]: i + 1 for i, r in enumerate(ok)}
    table: dict[str, list[Any]] = {c: [] for c in _COLUMNS}
    for record in records:
        for column in _COLUMNS:
            if column == "rank":
                table[column].append(rank.get(record["trial"], len(records)))
            elif column == "parent":
                # -1, not None, so that pandas keeps the column integer
                parent = record.get(column)
                table[column].append(-1 if parent is None else parent)
            elif column == "initial":
                table[column].append(bool(record.get(column, False)))
            elif column == "rung":
                table[column].append(record.get(column, 0))
            else:
                table[column].append(record.get(column))
    return table
