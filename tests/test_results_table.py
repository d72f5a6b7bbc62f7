"""The search's results table: each trial's kind and its weight in the ensemble.

Pure: the table is made from plain records, without Keras (test_search.py
and test_search_narrow.py read it after a fit).
"""

from __future__ import annotations

import numpy as np
import pytest

from sklearn_cerebros.architecture import (
    CerebrosSpace,
    MixerPlan,
    RetrievalPlan,
    residual_plan,
    sample_structure,
    wire,
)
from sklearn_cerebros.search.records import _COLUMNS, results_table
from sklearn_cerebros.search.space import plan_kind


def _levels_plan():
    space = CerebrosSpace(levels=(2, 3), neurons_per_unit=(4, 8))
    rng = np.random.default_rng(0)
    return wire(space, sample_structure(space, rng), rng)


PLANS = [
    residual_plan().with_head(1, "linear", 8),
    RetrievalPlan(),
    _levels_plan(),
    MixerPlan(),
    residual_plan(width=2048, n_blocks=6),  # outside the space: still residual
    RetrievalPlan(max_candidates=10),  # no space point: its architecture kind
]


def _records() -> list[dict]:
    records = [
        {
            "trial": i,
            "generation": int(i >= 3),
            "parent": 0 if i >= 3 else None,
            "status": "ok",
            "score": -float(i),
            "plan": plan.to_dict(),
        }
        for i, plan in enumerate(PLANS)
    ]
    # a trial that failed before it had a plan
    records.append({"trial": 6, "status": "failed", "score": float("nan")})
    return records


def test_the_table_has_each_trial_s_kind_after_the_earlier_columns():
    table = results_table(_records(), {})
    assert table["kind"] == [
        "residual",
        "retrieval",
        "levels",
        "mixer",
        "residual",
        "retrieval",
        None,
    ]
    # the earlier columns keep their order; kind joins after initial
    assert list(table)[:5] == ["trial", "generation", "parent", "initial", "kind"]
    assert list(table) == [*_COLUMNS, "ensemble_weight"]
    assert table["parent"] == [-1, -1, -1, 0, 0, 0, -1]


def test_the_weights_sum_to_one_over_the_selected_trials_and_are_0_elsewhere():
    weights = {0: 0.5, 3: 0.3, 5: 0.2}
    table = results_table(_records(), weights)
    column = table["ensemble_weight"]
    assert column == [0.5, 0.0, 0.0, 0.3, 0.0, 0.2, 0.0]
    selected = [w for w in column if w > 0]
    assert sum(selected) == pytest.approx(1.0)
    assert {t: w for t, w in zip(table["trial"], column, strict=True) if w} == weights


def test_plan_kind_reads_plans_and_their_dicts():
    for plan, kind in zip(
        PLANS, ["residual", "retrieval", "levels", "mixer"], strict=False
    ):
        assert plan_kind(plan) == plan_kind(plan.to_dict()) == kind
    assert plan_kind(None) is None
    assert plan_kind({"format": "not-a-plan"}) is None
