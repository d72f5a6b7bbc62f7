"""A finished trial's plain record: how trials rank, and the table of them.

A trial leaves a JSON-ready dict (see :func:`~.trial.run_trial`); this module
reads such records and nothing else, so the proposers, the store and the
ensemble share one ranking without importing Keras.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .space import plan_kind

__all__ = ["Records", "rank_key", "results_table", "succeeded"]

#: Finished trials by index: the plain records a search writes.
Records = Mapping[int, Mapping[str, Any]]


def rank_key(record: Mapping[str, Any]) -> tuple[float, int, int]:
    """Higher score first; then fewer parameters, then earlier trial; NaN last."""
    score = record["score"]
    return (
        -score if np.isfinite(score) else np.inf,
        record.get("n_params", 0),
        record["trial"],
    )


def succeeded(record: Mapping[str, Any]) -> bool:
    """Whether a trial trained and scored: it may be promoted and selected."""
    return record["status"] == "ok" and bool(np.isfinite(record["score"]))


_COLUMNS = (
    "trial",
    "generation",
    "parent",
    "initial",
    "kind",
    "rung",
    "seed",
    "status",
    "stopped",
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


def results_table(
    records: Sequence[Mapping[str, Any]], ensemble_weights: Mapping[int, float]
) -> dict[str, list[Any]]:
    """Columns of per-trial values, like ``cv_results_``; rank 1 is the best.

    ``kind`` is the kind of each trial's plan (:func:`~.space.plan_kind`:
    ``"levels"``, ``"residual"``, ``"retrieval"``, ``"mixer"``; None for a
    trial that failed before it had a plan), and the last column,
    ``ensemble_weight``, its weight in the ensemble.

    Parameters
    ----------
    records : sequence of dict
        Every finished trial, in index order.
    ensemble_weights : mapping of int to float
        The weight of each trial in the ensemble, by trial index; a trial
        outside it gets 0 in ``ensemble_weight``.

    Returns
    -------
    dict of str to list
        One list per column, one entry per trial.
    """
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
            elif column == "kind":
                table[column].append(plan_kind(record.get("plan")))
            else:
                table[column].append(record.get(column))
    table["ensemble_weight"] = [ensemble_weights.get(r["trial"], 0.0) for r in records]
    return table
