"""The search space over every kind of plan, and the proposers drawing from it.

Pure: no network is built or trained (see test_search.py for a fit).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_cerebros.architecture import (
    CerebrosSpace,
    MixerPlan,
    RetrievalPlan,
    kind_of,
    plan_from_dict,
    residual_plan,
    wire,
)
from sklearn_cerebros.architecture._residual import RESIDUAL_MEMBERS
from sklearn_cerebros.search.proposers import (
    GenerationProposer,
    HalvingProposer,
    TrialSpec,
    generation_size,
    resolve_initial_plans,
)
from sklearn_cerebros.search.space import (
    LEVELS_ONLY,
    Point,
    SearchSpace,
    resolve_kinds,
    space_kinds,
)
from sklearn_cerebros.search.store import fingerprint

CEREBROS = CerebrosSpace(
    levels=(1, 3), units_per_level=(1, 3), neurons_per_unit=(4, 32)
)
KINDS = space_kinds()
SEEDS = st.integers(0, 2**32 - 1)
SUBSETS = st.lists(st.sampled_from(KINDS), min_size=1, unique=True).map(tuple)
DEFAULT_INITIAL = resolve_initial_plans(
    ("residual", "retrieval", "retrieval", "retrieval")
)


def _plan_of(space: SearchSpace, point: Point, rng: np.random.Generator):
    """The plan a trial of ``point`` trains (a levels structure wired)."""
    plan = space.plan(point)
    if plan is None:
        plan = wire(space.cerebros, space.structure(point), rng)
    return plan


def test_the_registered_kinds():
    assert KINDS == ("levels", "residual", "retrieval", "mixer")


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, kinds=SUBSETS, steps=st.integers(1, 6))
def test_draws_and_perturbations_stay_in_the_space_and_give_valid_plans(
    seed, kinds, steps
):
    space = SearchSpace(CEREBROS, kinds)
    rng = np.random.default_rng(seed)
    point = space.draw(rng)
    for _ in range(steps):
        assert point.kind in kinds
        assert space.contains(point)
        plan = _plan_of(space, point, rng)
        data = plan.to_dict()
        assert plan_from_dict(data).to_dict() == data
        # the plan's point is read back: it can be a parent
        assert space.point_of(data) == point
        moved = space.perturb(point, rng)
        assert moved.kind == point.kind  # a step stays within its kind
        assert moved != point  # every kind here can move
        point = moved


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS)
def test_the_default_plans_lie_in_the_space(seed):
    space = SearchSpace(CEREBROS, "all")
    residual = residual_plan().with_head(1, "linear", RESIDUAL_MEMBERS)
    point = space.point_of(residual)
    assert point == Point(
        "residual", {"width": 128, "n_blocks": 2, "dropout": 0.0, "members": 8}
    )
    assert space.point_of(RetrievalPlan().with_head(3, "softmax")).kind == "retrieval"
    assert space.point_of(MixerPlan()).kind == "mixer"
    # a plan outside every range is no point: it cannot be a parent
    assert space.point_of(RetrievalPlan(max_candidates=10)) is None
    assert space.point_of(residual_plan(width=1024)) is None
    # only allowed kinds are read
    assert SearchSpace(CEREBROS, ("mixer",)).point_of(residual) is None
    rng = np.random.default_rng(seed)
    assert space.contains(space.perturb(point, rng))


def test_resolve_kinds():
    assert resolve_kinds("all") == KINDS
    assert resolve_kinds("mixer") == ("mixer",)
    assert resolve_kinds(["retrieval", "levels", "retrieval"]) == (
        "retrieval",
        "levels",
    )
    for bad in ("resnet", ("levels", "gbm"), (), 3):
        with pytest.raises(ValueError, match="kinds") as info:
            resolve_kinds(bad)
        assert "'levels'" in str(info.value)


# -- the generations proposer over every kind ------------------------------------
def _proposer(kinds, n_trials=12, seed=0, initial=(), size=None, n_generations=3):
    return GenerationProposer(
        CEREBROS,
        n_trials=n_trials,
        generation_size=size
        or generation_size(n_trials - len(initial), n_generations, 1),
        n_wirings=1,
        rng=np.random.default_rng(seed),
        initial_plans=list(initial),
        kinds=resolve_kinds(kinds),
    )


def _record(spec: TrialSpec, score: float) -> dict:
    """What a trial records, the plan it trained included (wired if drawn)."""
    if spec.plan is not None:
        plan = plan_from_dict(spec.plan)
    else:
        plan = wire(CEREBROS, spec.structure, np.random.default_rng(spec.seed))
    return {
        "trial": spec.index,
        "seed": spec.seed,
        "generation": spec.generation,
        "parent": spec.parent,
        "rung": spec.rung,
        "initial": spec.plan is not None and not spec.drawn,
        "status": "ok",
        "score": score,
        "structure": [list(level) for level in spec.structure.neurons],
        "n_params": plan.n_params(5),
        "plan": plan.to_dict(),
    }


def _run(proposer, score_of) -> dict[int, dict]:
    records: dict[int, dict] = {}
    while specs := proposer.next_trials(records):
        for spec in specs:
            records[spec.index] = _record(spec, score_of(spec))
    return records


def _score(spec: TrialSpec) -> float:
    """A deterministic score that differs between trials."""
    return float(np.random.default_rng(spec.seed).normal())


def _kind(record) -> str:
    return SearchSpace(CEREBROS, "all").point_of(record["plan"]).kind


@settings(max_examples=25, deadline=None)
@given(seed=SEEDS, kinds=SUBSETS, n_trials=st.integers(1, 16))
def test_every_drawn_or_evolved_trial_is_an_allowed_kind_in_the_space(
    seed, kinds, n_trials
):
    space = SearchSpace(CEREBROS, kinds)
    records = _run(_proposer(kinds, n_trials, seed), _score)
    assert sorted(records) == list(range(n_trials))
    for record in records.values():
        point = space.point_of(record["plan"])
        assert point is not None and point.kind in kinds
        if record["parent"] is not None:
            parent = records[record["parent"]]
            assert parent["generation"] < record["generation"]
            assert space.point_of(parent["plan"]).kind == point.kind


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, kinds=SUBSETS)
def test_same_seed_same_trials_and_a_larger_budget_draws_the_same_first(seed, kinds):
    small = _run(_proposer(kinds, 8, seed, size=3), _score)
    again = _run(_proposer(kinds, 8, seed, size=3), _score)
    large = _run(_proposer(kinds, 14, seed, size=3), _score)
    assert small == again
    assert {i: large[i] for i in small} == small


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_a_resumed_search_is_proposed_the_trials_it_has(seed):
    full = _run(_proposer("all", 10, seed, size=3), _score)
    proposer = _proposer("all", 10, seed, size=3)
    held = {i: r for i, r in full.items() if i < 5}  # interrupted mid-generation
    specs = []
    while batch := proposer.next_trials(held):
        specs += batch
        for spec in batch:
            held.setdefault(spec.index, _record(spec, _score(spec)))
    assert held == full


def test_initial_plans_are_parents_and_any_kind_is_evolved():
    # the initial plans score best: generation 1 perturbs them
    proposer = _proposer("all", 12, 0, initial=DEFAULT_INITIAL, n_generations=2)
    records = _run(proposer, lambda s: 1.0 if s.plan and not s.drawn else 0.0)
    later = [r for r in records.values() if r["generation"] >= 1]
    assert later and all(r["parent"] is not None for r in later)
    parents = {records[r["parent"]]["trial"] for r in later}
    assert parents <= {0, 1, 2, 3}
    assert {_kind(records[p]) for p in parents} >= {"residual", "retrieval"}
    for record in later:  # one step from its parent, of its kind
        assert _kind(record) == _kind(records[record["parent"]])
        assert record["plan"] != records[record["parent"]]["plan"]
        assert not record["initial"]


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS)
def test_the_default_kinds_propose_what_they_always_did(seed):
    def old():
        return GenerationProposer(
            CEREBROS,
            n_trials=10,
            generation_size=3,
            n_wirings=1,
            rng=np.random.default_rng(seed),
            initial_plans=DEFAULT_INITIAL,
        )

    def new():
        return GenerationProposer(
            CEREBROS,
            n_trials=10,
            generation_size=3,
            n_wirings=1,
            rng=np.random.default_rng(seed),
            initial_plans=DEFAULT_INITIAL,
            kinds=resolve_kinds("levels"),
        )

    assert _run(old(), _score) == _run(new(), _score)
    assert resolve_kinds(("levels",)) == LEVELS_ONLY


@settings(max_examples=20, deadline=None)
@given(seed=SEEDS, kinds=SUBSETS)
def test_halving_draws_its_fresh_trials_from_the_allowed_kinds(seed, kinds):
    space = SearchSpace(CEREBROS, kinds)

    def proposer():
        return HalvingProposer(
            CEREBROS,
            n_trials=9,
            epochs=30,
            rng=np.random.default_rng(seed),
            kinds=resolve_kinds(kinds),
        )

    records = _run(proposer(), _score)
    assert records == _run(proposer(), _score)
    # a promotion trains its parent's network on (the fake record here does not)
    fresh = [r for r in records.values() if r["rung"] == 0]
    assert fresh
    for record in fresh:
        assert space.point_of(record["plan"]).kind in kinds


def test_the_fingerprint_holds_kinds_only_when_not_the_default():
    params = {"kinds": ("levels",), "n_trials": 8, "levels": (1, 4)}
    shape = dict(n_rows=10, n_features=3, seed=0, generation_size=1, folds=None)
    default = fingerprint(params, [], **shape)
    assert "kinds" not in default
    assert default == fingerprint(
        {k: v for k, v in params.items() if k != "kinds"}, [], **shape
    )
    wide = fingerprint({**params, "kinds": "all"}, [], kinds=KINDS, **shape)
    assert wide["kinds"] == list(KINDS)


def test_a_drawn_plan_keeps_its_kind_and_members():
    proposer = _proposer(("mixer",), 3, 1)
    specs = proposer.next_trials({})
    for spec in specs:
        assert spec.drawn and spec.plan is not None
        plan = plan_from_dict(spec.plan)
        assert kind_of(plan).label == "mixer"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_alone_draws_and_moves_within_its_ranges(kind):
    space = SearchSpace(CEREBROS, kind)
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(40):
        point = space.draw(rng)
        moved = space.perturb(point, rng)
        for p in (point, moved):
            assert p.kind == kind and space.contains(p)
            data = _plan_of(space, p, rng).to_dict()
            assert plan_from_dict(data).to_dict() == data
            assert space.point_of(data) == p
            seen.add(p.key())
    assert len(seen) > 40  # the draws and moves vary
