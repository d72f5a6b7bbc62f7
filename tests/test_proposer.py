"""The search's strategy on its own: pure, seeded, no network trained."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_cerebros._proposer import (
    GenerationProposer,
    TrialSpec,
    generation_size,
    rank_key,
)
from sklearn_cerebros.architecture import CerebrosSpace, Structure, residual_plan

SPACE = CerebrosSpace(levels=(1, 3), units_per_level=(1, 3), neurons_per_unit=(4, 32))


def _proposer(n_trials=8, n_generations=2, n_wirings=1, seed=0, size=None):
    return GenerationProposer(
        SPACE,
        n_trials=n_trials,
        generation_size=size or generation_size(n_trials, n_generations, n_wirings),
        n_wirings=n_wirings,
        rng=np.random.default_rng(seed),
    )


def _record(spec: TrialSpec, score: float, status: str = "ok") -> dict:
    extra = {"initial": True} if spec.plan is not None else {}
    return {
        **extra,
        "trial": spec.index,
        "seed": spec.seed,
        "generation": spec.generation,
        "status": status,
        "score": score,
        "structure": [list(level) for level in spec.structure.neurons],
        "n_params": sum(map(sum, spec.structure.neurons)),
    }


def _run(proposer, score_of) -> dict[int, dict]:
    """Drive a proposer to the end, scoring each trial with ``score_of``."""
    records: dict[int, dict] = {}
    while specs := proposer.next_trials(records):
        for spec in specs:
            records[spec.index] = _record(spec, score_of(spec))
    return records


def _in_space(structure: Structure) -> bool:
    (lo_l, hi_l), (lo_u, hi_u), (lo_n, hi_n) = (
        SPACE.levels,
        SPACE.units_per_level,
        SPACE.neurons_per_unit,
    )
    return lo_l <= structure.n_levels <= hi_l and all(
        lo_u <= len(level) <= hi_u and all(lo_n <= n <= hi_n for n in level)
        for level in structure.neurons
    )


@settings(max_examples=40, deadline=None)
@given(
    n_trials=st.integers(1, 30),
    n_generations=st.integers(1, 4),
    n_wirings=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_proposes_exactly_n_trials_numbered_in_order(
    n_trials, n_generations, n_wirings, seed
):
    proposer = _proposer(n_trials, n_generations, n_wirings, seed)
    records = _run(proposer, lambda spec: -spec.structure.n_neurons)
    assert sorted(records) == list(range(n_trials))
    assert max(r["generation"] for r in records.values()) < n_generations
    assert proposer.next_trials(records) == []


def test_first_generation_is_random_and_later_ones_perturb_the_best():
    proposer = _proposer(n_trials=12, n_generations=3)
    first = proposer.next_trials({})
    assert len(first) == 4
    assert all(s.generation == 0 and s.parent is None for s in first)
    assert all(_in_space(s.structure) for s in first)
    # the smallest network scores best: it and the runner-up become parents
    records = {s.index: _record(s, -s.structure.n_neurons) for s in first}
    best_two = sorted(first, key=lambda s: s.structure.n_neurons)[:2]
    second = proposer.next_trials(records)
    assert [s.index for s in second] == [4, 5, 6, 7]
    assert {s.parent for s in second} == {s.index for s in best_two}
    assert all(s.generation == 1 and _in_space(s.structure) for s in second)


def test_failed_trials_are_never_parents():
    proposer = _proposer(n_trials=4, n_generations=2)
    first = proposer.next_trials({})
    records = {s.index: _record(s, np.nan, "failed") for s in first[1:]}
    records[first[0].index] = _record(first[0], -5.0)
    assert {s.parent for s in proposer.next_trials(records)} == {first[0].index}


def test_same_seed_and_records_give_the_same_trials():
    a = _run(_proposer(seed=3), lambda spec: float(spec.seed % 97))
    b = _run(_proposer(seed=3), lambda spec: float(spec.seed % 97))
    c = _run(_proposer(seed=4), lambda spec: float(spec.seed % 97))
    assert a == b
    assert a != c


def test_resumed_search_is_proposed_the_trials_it_already_has():
    """A resume replays the proposer over the recorded trials, which it skips."""
    full = _run(_proposer(seed=1), lambda spec: float(spec.seed % 13))
    replay = _proposer(seed=1)
    seen = []
    while specs := replay.next_trials(full):
        seen.extend(specs)
    assert [s.index for s in seen] == sorted(full)
    assert [s.seed for s in seen] == [full[i]["seed"] for i in sorted(full)]
    assert [_record(s, 0.0)["structure"] for s in seen] == [
        full[i]["structure"] for i in sorted(full)
    ]


def test_a_larger_budget_continues_the_same_trials():
    """Trials drawn do not depend on n_trials: 4 then more is one search of 8."""
    size = generation_size(4, 2, 1)
    small = _run(_proposer(4, size=size), lambda spec: float(spec.seed % 11))
    grown = _proposer(8, size=size)
    seen = []
    while specs := grown.next_trials(
        {**small, **{s.index: _record(s, float(s.seed % 11)) for s in seen}}
    ):
        seen.extend(specs)
    whole = _run(_proposer(8, size=size), lambda spec: float(spec.seed % 11))
    assert [s.seed for s in seen] == [whole[i]["seed"] for i in sorted(whole)]
    assert all(small[i] == whole[i] for i in small)


def test_rank_key_prefers_higher_scores_then_fewer_parameters_nan_last():
    records = [
        {"score": -1.0, "n_params": 50, "trial": 0},
        {"score": -1.0, "n_params": 10, "trial": 1},
        {"score": float("nan"), "n_params": 1, "trial": 2},
        {"score": 0.5, "n_params": 99, "trial": 3},
        {"score": 0.5, "n_params": 99, "trial": 4},
    ]
    ranked = sorted(records, key=rank_key)
    assert [r["trial"] for r in ranked] == [3, 4, 1, 0, 2]


RESIDUAL = residual_plan(n_blocks=1, layers_per_block=2, width=128).to_dict()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 3), st.integers(0, 2**16))
def test_initial_plans_come_first_as_they_are_and_are_never_parents(
    n_trials, n_generations, seed
):
    proposer = GenerationProposer(
        SPACE,
        n_trials=n_trials,
        generation_size=generation_size(n_trials, n_generations, 1),
        n_wirings=1,
        rng=np.random.default_rng(seed),
        initial_plans=[RESIDUAL],
    )
    # the initial plan scores best, so it would be every parent if allowed
    records = _run(proposer, lambda spec: 1.0 if spec.plan is not None else 0.0)
    assert len(records) == n_trials
    assert records[0].get("initial") and records[0]["generation"] == 0
    assert records[0]["structure"] == [[128], [128]]
    assert not any(r.get("initial") for i, r in records.items() if i > 0)
    for record in records.values():
        if record["generation"] > 0:
            assert _in_space(Structure(tuple(map(tuple, record["structure"]))))


def test_without_initial_plans_the_trials_are_unchanged():
    plain = _run(_proposer(seed=3), lambda spec: spec.seed % 7)
    empty = GenerationProposer(
        SPACE,
        n_trials=8,
        generation_size=generation_size(8, 2, 1),
        n_wirings=1,
        rng=np.random.default_rng(3),
        initial_plans=[],
    )
    assert _run(empty, lambda spec: spec.seed % 7) == plain
