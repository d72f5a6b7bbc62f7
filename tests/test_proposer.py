"""The search's strategy on its own: pure, seeded, no network trained."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_cerebros.architecture import CerebrosSpace, Structure, residual_plan
from sklearn_cerebros.search.proposers import (
    GenerationProposer,
    HalvingProposer,
    TrialSpec,
    generation_size,
    rung_budgets,
)
from sklearn_cerebros.search.records import rank_key

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
        "parent": spec.parent,
        "rung": spec.rung,
        "epoch_budget": spec.epochs,
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


# -- successive halving ----------------------------------------------------------


def _halving(
    n_trials=30, epochs=54, seed=0, eta=3, min_epochs=2, batch=1, initial_plans=()
):
    return HalvingProposer(
        SPACE,
        n_trials=n_trials,
        epochs=epochs,
        rng=np.random.default_rng(seed),
        eta=eta,
        min_epochs=min_epochs,
        batch=batch,
        initial_plans=initial_plans,
    )


def _score(spec: TrialSpec) -> float:
    """A trial's fake score: a promotion improves on its parent's structure."""
    return -float(spec.seed % 101) + 10 * spec.rung


def _fails(spec: TrialSpec) -> bool:
    return spec.seed % 5 == 0


def _drive(proposer, n_running=1, order_seed=0, score_of=_score, fails=_fails):
    """Run a halving search with ``n_running`` trials at once, finishing in a
    random order; returns the records and, for each proposed trial, the
    records finished when it was proposed."""
    order = np.random.default_rng(order_seed)
    records: dict[int, dict] = {}
    seen: dict[int, dict] = {}
    running: list[TrialSpec] = []
    while True:
        while len(running) < n_running:
            spec = proposer.next_trial(records)
            if spec is None:
                break
            seen[spec.index] = dict(records)
            running.append(spec)
        if not running:
            return records, seen
        spec = running.pop(int(order.integers(len(running))))
        failed = fails(spec)
        records[spec.index] = _record(
            spec, np.nan if failed else score_of(spec), "failed" if failed else "ok"
        )


@settings(max_examples=40, deadline=None)
@given(
    epochs=st.integers(1, 300),
    eta=st.integers(2, 4),
    min_epochs=st.integers(1, 10),
)
def test_rung_budgets_increase_to_epochs(epochs, eta, min_epochs):
    budgets = rung_budgets(epochs, eta, min_epochs)
    assert budgets[-1] == epochs
    assert list(budgets) == sorted(set(budgets)) and budgets[0] >= 1
    if len(budgets) > 1:
        assert budgets[0] >= min(min_epochs, epochs) - 1  # rounding
        assert epochs / eta ** len(budgets) < min_epochs  # no room for another


@settings(max_examples=40, deadline=None)
@given(
    n_trials=st.integers(1, 60),
    eta=st.integers(2, 4),
    n_running=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_halving_promotes_only_the_top_of_a_rung_never_a_failure(
    n_trials, eta, n_running, seed
):
    proposer = _halving(n_trials, epochs=54, seed=seed, eta=eta)
    budgets = proposer.budgets
    records, seen = _drive(proposer, n_running, order_seed=seed)
    assert sorted(records) == list(range(n_trials))  # exactly n_trials, in all
    assert proposer.next_trial(records) is None
    parents = [r["parent"] for r in records.values() if r["rung"] > 0]
    assert len(parents) == len(set(parents))  # each trial promoted at most once
    for index, record in records.items():
        rung = record["rung"]
        # the budget grows by rung: a promotion trains up to the next rung's
        assert record["epoch_budget"] == budgets[rung] - (
            budgets[rung - 1] if rung else 0
        )
        if rung == 0:
            assert record["parent"] is None
            continue
        parent = records[record["parent"]]
        assert parent["rung"] == rung - 1 and parent["trial"] < index
        assert parent["status"] == "ok"
        assert parent["structure"] == record["structure"]
        # among the best 1/eta of the rung's trials finished at the time
        finished = [r for r in seen[index].values() if r["rung"] == rung - 1]
        top = sorted(finished, key=rank_key)[: len(finished) // eta]
        assert parent in top


@settings(max_examples=25, deadline=None)
@given(n_trials=st.integers(1, 50), seed=st.integers(0, 2**16))
def test_halving_is_deterministic_and_a_resume_goes_on_as_before(n_trials, seed):
    whole, _ = _drive(_halving(n_trials, seed=seed))
    assert _drive(_halving(n_trials, seed=seed))[0] == whole
    # a search cut after any trial and resumed proposes the same trials
    cut = seed % (n_trials + 1)
    resumed = _halving(n_trials, seed=seed)
    records = {i: r for i, r in whole.items() if i < cut}
    while (spec := resumed.next_trial(records)) is not None:
        assert spec.index not in records
        failed = _fails(spec)
        records[spec.index] = _record(
            spec, np.nan if failed else _score(spec), "failed" if failed else "ok"
        )
    assert records == whole


def test_halving_climbs_the_rungs_with_growing_budgets():
    proposer = _halving(n_trials=40, epochs=18, eta=3)
    assert proposer.budgets == (2, 6, 18)
    records, _ = _drive(proposer, fails=lambda spec: False)
    rungs = [records[i]["rung"] for i in sorted(records)]
    # three fresh trials, then the best of them goes on to rung 1
    assert rungs[:4] == [0, 0, 0, 1]
    assert records[3]["parent"] == max(range(3), key=lambda i: records[i]["score"])
    assert 2 in rungs
    assert {records[i]["epoch_budget"] for i in records} == {2, 4, 12}
    # rung 0 draws random structures from the space
    assert all(
        _in_space(Structure(tuple(map(tuple, r["structure"]))))
        for r in records.values()
    )


def test_halving_seeds_depend_on_the_search_seed():
    a, _ = _drive(_halving(seed=1))
    b, _ = _drive(_halving(seed=2))
    assert [r["seed"] for r in a.values()] != [r["seed"] for r in b.values()]


def test_halving_proposes_a_batch_of_running_trials_without_repeats():
    proposer = _halving(n_trials=10, batch=3)
    first = proposer.next_trials({})
    assert [s.index for s in first] == [0, 1, 2]
    records = {s.index: _record(s, _score(s)) for s in first}
    second = proposer.next_trials(records)
    assert [s.index for s in second] == [3, 4, 5]
    assert second[0].rung == 1 and second[0].parent in records
    assert [s.rung for s in second[1:]] == [0, 0]  # one promotion per finished 3


def test_halving_trains_initial_plans_first_and_may_promote_them():
    proposer = _halving(n_trials=6, initial_plans=[RESIDUAL, RESIDUAL])
    # the initial plans score best: the first promotion continues one of them
    records, _ = _drive(
        proposer,
        score_of=lambda spec: 1.0 if spec.plan is not None else 0.0,
        fails=lambda spec: False,
    )
    initial = [records[i].get("initial", False) for i in range(6)]
    assert initial == [True, True, False, False, False, False]
    assert records[0]["structure"] == [[128], [128]]
    assert records[0]["epoch_budget"] == proposer.budgets[0]
    assert records[3]["rung"] == 1 and records[3]["parent"] == 0


def test_halving_refuses_a_bad_ladder():
    with pytest.raises(ValueError, match="eta must be at least 2"):
        _halving(eta=1)
