"""Sampling Cerebros plans: counts, repair, laterals, gates, perturbation.

Pure Python: the expected numbers are recomputed here with exact fractions,
independently of the library's arithmetic.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_cerebros.architecture import (
    CerebrosSpace,
    LevelsPlan,
    Structure,
    perturb_structure,
    sample_plan,
    sample_structure,
    wire,
)
from sklearn_cerebros.architecture._cerebros import _draw_predecessors

DECAY_BASE = {"0.7": Fraction(7, 10), "0.95": Fraction(19, 20), "none": Fraction(1)}


def apply_rule(rule: str, x: Fraction) -> int:
    if rule == "ceil":
        return math.ceil(x)
    if rule == "floor":
        return math.floor(x)
    return math.floor(x + Fraction(1, 2))


def expected_count(space: CerebrosSpace, k: int, j: int, n_source: int, n_levels: int):
    """Connections a unit on level k draws from level j, by the design's formula."""
    if k == n_levels + 1 and j == n_levels:
        return n_source  # the head takes the whole last hidden level
    if k == 1:
        x = Fraction(str(space.affinity_first)) * n_source
        rule = space.rounding_first
    else:
        decay = DECAY_BASE[space.affinity_decay] ** (k - j - 1)
        x = Fraction(str(space.affinity_main)) * decay * n_source
        rule = space.rounding_main
    n = min(apply_rule(rule, x), n_source)
    return max(n, 1) if j == k - 1 else n


def consumers(plan: LevelsPlan):
    """(level, name, predecessor refs) of every unit, then of the head."""
    out = [(k, (k, i), u.inputs) for k, i, u in plan.iter_units()]
    out.append((plan.n_levels + 1, "head", plan.head.inputs))
    return out


def reaches_head(plan: LevelsPlan) -> set:
    """Units with a path to the head, found by walking back from it."""
    feeds: dict = {}
    for k, name, inputs in consumers(plan):
        feeds[name] = set(inputs)
        if name != "head":
            feeds[name] |= {(k, v) for v in plan.unit(*name).laterals}
    seen, todo = set(), ["head"]
    while todo:
        for ref in feeds.get(todo.pop(), ()):
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return seen


def ranges(low_max: int, high_max: int):
    return st.integers(1, low_max).flatmap(
        lambda lo: st.tuples(st.just(lo), st.integers(lo, high_max))
    )


@st.composite
def spaces(draw, **fixed):
    grid = st.integers(0, 60).map(lambda i: i / 20)  # 0, 0.05, ..., 3.0
    params = {
        "levels": draw(ranges(4, 5)),
        "units_per_level": draw(ranges(4, 5)),
        "neurons_per_unit": draw(ranges(8, 16)),
        "skip_depth": draw(ranges(3, 4)),
        "affinity_first": draw(grid),
        "affinity_main": draw(grid),
        "rounding_first": draw(st.sampled_from(["ceil", "floor", "round"])),
        "rounding_main": draw(st.sampled_from(["ceil", "floor", "round"])),
        "affinity_decay": draw(st.sampled_from(list(DECAY_BASE))),
        "p_lateral": draw(st.integers(0, 20).map(lambda i: i / 20)),
        "lateral_decay": draw(st.sampled_from(list(DECAY_BASE))),
        "lateral_tries_per_unit": draw(st.integers(1, 3)),
        "max_consecutive_laterals": draw(st.integers(1, 4)),
        "gate_every": draw(st.integers(0, 4)),
        "activation": draw(st.sampled_from(["relu", "gelu", "tanh"])),
        "dropout": draw(st.sampled_from([0.0, 0.1, 0.5])),
        "batch_norm": draw(st.booleans()),
    }
    return CerebrosSpace(**{**params, **fixed})


SEEDS = st.integers(0, 2**32 - 1)
FAST = settings(max_examples=150, deadline=None)


# -- every sampled plan is valid and belongs to its space ---------------------
@FAST
@given(spaces(), SEEDS)
def test_sampled_plan_is_valid_and_follows_space(space, seed):
    plan = sample_plan(space, 7, seed)  # constructing a LevelsPlan validates it
    assert space.contains(Structure.of(plan))
    assert plan.max_skip_depth == space.skip_depth[1]
    assert plan.gate_activation == space.gate_activation
    for _, _, unit in plan.iter_units():
        assert unit.activation == space.activation
        assert unit.batch_norm == space.batch_norm
        assert unit.dropout == space.dropout
    assert (plan.head.units, plan.head.activation) == (1, "linear")
    every_unit = {(k, i) for k, i, _ in plan.iter_units()}
    assert every_unit <= reaches_head(plan)


@FAST
@given(spaces(), SEEDS)
def test_sampled_plan_json_round_trip_is_exact(space, seed):
    plan = sample_plan(space, 3, seed)
    again = LevelsPlan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan
    assert again.to_dict() == plan.to_dict()


@FAST
@given(spaces(), SEEDS)
def test_same_seed_gives_same_plan(space, seed):
    plan = sample_plan(space, 5, seed)
    assert sample_plan(space, 5, seed) == plan
    assert sample_plan(space, 5, np.random.default_rng(seed)) == plan
    rng = np.random.default_rng(seed)
    assert wire(space, sample_structure(space, rng), rng) == plan


def test_different_seeds_give_different_plans():
    plans = {
        json.dumps(sample_plan(CerebrosSpace(), 5, s).to_dict()) for s in range(30)
    }
    assert len(plans) > 20


# -- predecessor connections, before repair ---------------------------------
@FAST
@given(spaces(), SEEDS)
def test_predecessor_counts_follow_affinity_decay_and_rounding(space, seed):
    structure = sample_structure(space, seed)
    inputs, head = _draw_predecessors(space, structure, np.random.default_rng(seed))
    sizes = (1, *structure.units_per_level)
    n_levels = structure.n_levels
    drawn = [(k, refs) for k in range(1, n_levels + 1) for refs in inputs[k - 1]]
    drawn.append((n_levels + 1, head))
    for k, refs in drawn:
        per_level = Counter(level for level, _ in refs)
        assert all(0 < k - level <= space.skip_depth[1] for level in per_level)
        assert all(0 <= i < sizes[level] for level, i in refs)
        for j in range(max(0, k - space.skip_depth[1]), k):
            assert per_level[j] == expected_count(space, k, j, sizes[j], n_levels), (
                k,
                j,
            )


def test_connection_count_is_decimal_exact():
    # In floating point 0.55 * 100 is 55.00000000000001 and 0.4 * 0.7 * 25 is
    # 6.999999999999999: ceil and floor must still give 55 and 7.
    space = CerebrosSpace(affinity_main=0.55, affinity_decay="none")
    assert space.n_connections(2, 1, 100) == 55
    space = CerebrosSpace(affinity_main=0.4, rounding_main="floor")
    assert space.n_connections(3, 1, 25) == 7
    halves = {
        r: CerebrosSpace(affinity_main=0.5, rounding_main=r, affinity_decay="none")
        for r in ("ceil", "floor", "round")
    }
    counts = {r: s.n_connections(3, 1, 5) for r, s in halves.items()}
    assert counts == {"ceil": 3, "floor": 2, "round": 3}  # round: halves go up
    # Nothing drawn from a skip level, but one is always kept from the level above.
    none = CerebrosSpace(affinity_main=0.0)
    assert (none.n_connections(3, 1, 4), none.n_connections(3, 2, 4)) == (0, 1)
    assert CerebrosSpace(affinity_main=3.0).n_connections(3, 2, 4) == 4  # capped


def test_predecessor_sources_are_drawn_uniformly():
    space = CerebrosSpace(affinity_main=0.5, rounding_main="floor", skip_depth=(1, 1))
    structure = Structure(((8,) * 4, (8,)))
    picks = Counter()
    for seed in range(2000):
        inputs, _ = _draw_predecessors(space, structure, np.random.default_rng(seed))
        assert len(inputs[1][0]) == 2
        picks.update(inputs[1][0])
    for i in range(4):
        assert picks[(1, i)] / 2000 == pytest.approx(0.5, abs=0.05)


# -- rule 2: repair ---------------------------------------------------------
@FAST
@given(spaces(), SEEDS)
def test_repair_attaches_each_dead_end_once_within_skip_window(space, seed):
    structure = sample_structure(space, seed)
    before, head_before = _draw_predecessors(
        space, structure, np.random.default_rng(seed)
    )
    plan = wire(space, structure, np.random.default_rng(seed))
    used = set(head_before).union(*(r for level in before for r in level))
    dead = {(k, i) for k, i, _ in plan.iter_units()} - used
    low, high = space.skip_depth
    added = []
    for k, name, inputs in consumers(plan):
        drawn = head_before if name == "head" else before[k - 1][name[1]]
        assert drawn <= set(inputs)
        added += [(ref, k, name) for ref in set(inputs) - drawn]
    assert sorted(ref for ref, _, _ in added) == sorted(dead)
    for (level, _), k, name in added:
        window = range(level + low, min(level + high, plan.n_levels) + 1)
        if name == "head":
            assert len(window) == 0
        else:
            assert k in window


def test_repair_fixes_sparse_wiring():
    # With affinity 0 every unit keeps one input from the level above only,
    # so most units start as dead ends.
    space = CerebrosSpace(
        levels=(4, 4), units_per_level=(4, 4), affinity_main=0.0, skip_depth=(2, 3)
    )
    for seed in range(20):
        plan = sample_plan(space, 4, seed)
        assert {(k, i) for k, i, _ in plan.iter_units()} <= reaches_head(plan)


# -- lateral connections and gates ------------------------------------------
@FAST
@given(spaces(), SEEDS)
def test_laterals_point_forward_respect_run_limit_and_gate_every_nth(space, seed):
    plan = sample_plan(space, 3, seed)
    limit = space.max_consecutive_laterals
    for _, i, unit in plan.iter_units():
        assert list(unit.laterals) == sorted(set(unit.laterals))
        assert all(0 <= v < i for v in unit.laterals)
        n = space.gate_every
        expected = [v for c, v in enumerate(unit.laterals, 1) if n and c % n == 0]
        assert list(unit.gated) == expected
        if space.lateral_tries_per_unit == 1:
            # One try per source, in index order: a run of successes is a run
            # of consecutive source indices.
            runs = [v - j for j, v in enumerate(unit.laterals)]
            assert max(Counter(runs).values(), default=0) <= limit
        if space.p_lateral == 0:
            assert unit.laterals == ()


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_certain_laterals_skip_one_try_after_each_full_run(limit):
    space = CerebrosSpace(
        units_per_level=(7, 7),
        p_lateral=1.0,
        lateral_decay="none",
        max_consecutive_laterals=limit,
        gate_every=2,
    )
    plan = sample_plan(space, 3, 0)
    for _, i, unit in plan.iter_units():
        expected = [v for v in range(i) if (v + 1) % (limit + 1)]
        assert list(unit.laterals) == expected
        assert list(unit.gated) == expected[1::2]


def test_blocked_try_counts_as_failure_so_a_second_try_connects():
    space = CerebrosSpace(
        units_per_level=(6, 6),
        p_lateral=1.0,
        lateral_decay="none",
        lateral_tries_per_unit=2,
        max_consecutive_laterals=1,
        gate_every=0,
    )
    plan = sample_plan(space, 3, 0)
    for _, i, unit in plan.iter_units():
        assert unit.laterals == tuple(range(i))
        assert unit.gated == ()


def test_lateral_probability_decays_with_distance_not_source_index():
    space = CerebrosSpace(
        p_lateral=1.0, lateral_decay="0.7", max_consecutive_laterals=10
    )
    structure = Structure(((4,) * 6,))
    hits = Counter()
    n = 2000
    for seed in range(n):
        for i, unit in enumerate(wire(space, structure, seed).levels[0].units):
            assert i == 0 or i - 1 in unit.laterals  # distance 0: probability 1
            hits.update((i, v) for v in unit.laterals)
    assert hits[(5, 0)] / n == pytest.approx(0.7**4, abs=0.04)
    assert hits[(5, 3)] / n == pytest.approx(0.7, abs=0.04)
    assert hits[(2, 0)] / n == pytest.approx(0.7, abs=0.04)


def test_default_space_makes_some_gated_laterals():
    counts = Counter()
    for seed in range(500):
        plan = sample_plan(CerebrosSpace(), 4, seed)
        counts["lateral"] += sum(len(u.laterals) > 0 for _, _, u in plan.iter_units())
        counts["gated"] += sum(len(u.gated) > 0 for _, _, u in plan.iter_units())
    assert counts["lateral"] > 100
    assert counts["gated"] > 0


# -- structure and perturbation ---------------------------------------------
def one_move(before: Structure, after: Structure, space: CerebrosSpace) -> str:
    """Name the single move that turns ``before`` into ``after``, or fail."""
    a, b = [list(lv) for lv in before.neurons], [list(lv) for lv in after.neurons]
    if len(b) == len(a) + 1:
        assert any(b[:p] + b[p + 1 :] == a for p in range(len(b)))
        return "add level"
    if len(b) == len(a) - 1:
        assert any(a[:p] + a[p + 1 :] == b for p in range(len(a)))
        return "remove level"
    assert len(a) == len(b)
    changed = [k for k in range(len(a)) if a[k] != b[k]]
    assert len(changed) == 1
    x, y = a[changed[0]], b[changed[0]]
    if len(y) == len(x) + 1:
        assert y[:-1] == x
        return "add unit"
    if len(y) == len(x) - 1:
        assert any(x[:p] + x[p + 1 :] == y for p in range(len(x)))
        return "remove unit"
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    assert len(diff) == 1
    old, new = x[diff[0]], y[diff[0]]
    low, high = space.neurons_per_unit
    assert new in (
        min(high, max(old + 1, round(old * 1.25))),
        max(low, min(old - 1, round(old / 1.25))),
    )
    return "resize unit"


@FAST
@given(spaces(), SEEDS)
def test_perturbation_makes_exactly_one_move_within_ranges(space, seed):
    before = sample_structure(space, seed)
    after = perturb_structure(space, before, seed + 1)
    assert space.contains(after)
    single_point = (
        space.levels[0] == space.levels[1]
        and space.units_per_level[0] == space.units_per_level[1]
        and space.neurons_per_unit[0] == space.neurons_per_unit[1]
    )
    if single_point:
        assert after == before
    else:
        one_move(before, after, space)


def test_perturbation_uses_every_move():
    space = CerebrosSpace(levels=(1, 5), units_per_level=(1, 5))
    start = Structure(((8, 16), (32, 64, 40), (20,)))
    moves = Counter(
        one_move(start, perturb_structure(space, start, s), space) for s in range(300)
    )
    assert set(moves) == {
        "add level",
        "remove level",
        "add unit",
        "remove unit",
        "resize unit",
    }
    assert min(moves.values()) > 30  # one kind in five, chosen uniformly


def test_perturbation_rejects_structure_outside_space():
    with pytest.raises(ValueError, match="outside the space"):
        perturb_structure(CerebrosSpace(levels=(1, 2)), Structure(((8,),) * 3), 0)


def test_structure_sizes_and_validation():
    s = Structure(((32, 16), (8,)))
    assert (s.n_levels, s.units_per_level, s.n_units, s.n_neurons) == (
        2,
        (2, 1),
        3,
        56,
    )
    assert Structure.of(wire(CerebrosSpace(), s, 0)) == s
    for bad in [(), ((),), ((0,),), ((2.5,),)]:
        with pytest.raises(ValueError):
            Structure(bad)


# -- parameter validation ---------------------------------------------------
@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"levels": (3, 2)}, "levels", "low <= high"),
        ({"levels": (0, 2)}, "levels", "start at 1"),
        ({"levels": (1.5, 2)}, "levels", "pair of ints"),
        ({"levels": 3}, "levels", "pair of ints"),
        ({"units_per_level": (2, 1)}, "units_per_level", "low <= high"),
        ({"neurons_per_unit": (0, 8)}, "neurons_per_unit", "start at 1"),
        ({"skip_depth": (0, 2)}, "skip_depth", "start at 1"),
        ({"skip_depth": (3, 2)}, "skip_depth", "low <= high"),
        ({"affinity_first": -0.5}, "affinity_first", ">= 0"),
        ({"affinity_main": float("nan")}, "affinity_main", "finite"),
        ({"rounding_first": "up"}, "rounding_first", "one of"),
        ({"rounding_main": "nearest"}, "rounding_main", "one of"),
        ({"affinity_decay": "0.5"}, "affinity_decay", "one of"),
        ({"lateral_decay": "fast"}, "lateral_decay", "one of"),
        ({"p_lateral": 1.5}, "p_lateral", r"\[0, 1\]"),
        ({"p_lateral": -0.1}, "p_lateral", "probability"),
        ({"lateral_tries_per_unit": 0}, "lateral_tries_per_unit", ">= 1"),
        ({"lateral_tries_per_unit": 1.5}, "lateral_tries_per_unit", "int"),
        ({"max_consecutive_laterals": 0}, "max_consecutive_laterals", ">= 1"),
        ({"gate_every": -1}, "gate_every", ">= 0"),
        ({"gate_activation": "gatey"}, "gate_activation", "one of"),
        ({"activation": "rectifier"}, "activation", "one of"),
        ({"dropout": 1.0}, "dropout", r"\[0, 1\)"),
        ({"batch_norm": "yes"}, "batch_norm", "bool"),
    ],
)
def test_space_errors_name_the_parameter(params, name, expected):
    with pytest.raises(ValueError, match=rf"^{name} must") as info:
        CerebrosSpace(**params)
    assert re.search(expected, str(info.value)), str(info.value)


def test_space_accepts_lists_and_numpy_scalars_and_is_hashable():
    space = CerebrosSpace(
        levels=[2, 3],
        units_per_level=list(np.array([1, 2])),
        dropout=np.float32(0.25),
        batch_norm=np.bool_(False),
        gate_every=np.int64(1),
    )
    assert space.levels == (2, 3)
    assert type(space.dropout) is float and type(space.batch_norm) is bool
    same = CerebrosSpace(
        levels=(2, 3),
        units_per_level=(1, 2),
        dropout=0.25,
        batch_norm=False,
        gate_every=1,
    )
    assert space == same and hash(space) == hash(same)
    json.dumps(sample_plan(space, 3, 0).to_dict())


def test_sample_plan_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_features"):
        sample_plan(CerebrosSpace(), 0, 0)
    with pytest.raises(TypeError, match="rng"):
        sample_plan(CerebrosSpace(), 3, "seed")
