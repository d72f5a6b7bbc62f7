"""The search's ``space``: a narrowed search space, and the proposers over it.

Pure: no network is built or trained (test_search_narrow.py fits).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_cerebros.architecture import (
    CerebrosSpace,
    RetrievalPlan,
    plan_from_dict,
    wire,
)
from sklearn_cerebros.search.proposers import (
    GenerationProposer,
    HalvingProposer,
    TrialSpec,
    resolve_initial_plans,
)
from sklearn_cerebros.search.space import (
    MIXER_SPACE,
    RESIDUAL_SPACE,
    RETRIEVAL_SPACE,
    IntRange,
    Point,
    SearchSpace,
    resolve_kinds,
    resolve_space,
    space_description,
    space_kinds,
)
from sklearn_cerebros.search.store import fingerprint

CEREBROS = CerebrosSpace(
    levels=(1, 3), units_per_level=(1, 3), neurons_per_unit=(4, 32)
)
PARAM_SPACES = {s.name: s for s in (RESIDUAL_SPACE, RETRIEVAL_SPACE, MIXER_SPACE)}
SEEDS = st.integers(0, 2**32 - 1)
SUBSETS = st.lists(st.sampled_from(space_kinds()), min_size=1, unique=True).map(tuple)


@st.composite
def narrowings(draw: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Some kinds, and a ``space`` fixing or narrowing some of their values."""
    kinds = draw(SUBSETS)
    narrow: dict[str, Any] = {}
    for kind in kinds:
        if kind == "levels":
            continue
        for param in PARAM_SPACES[kind].params:
            how = draw(st.sampled_from(("free", "fixed", "list", "range")))
            key = f"{kind}.{param.name}"
            if isinstance(param, IntRange):
                values = st.integers(param.low, param.high)
                if how == "range":
                    narrow[key] = tuple(sorted((draw(values), draw(values))))
            else:
                values = st.sampled_from(param.values)
                # a (low, high) range holds numbers (not None, not booleans)
                numeric = [
                    v for v in param.values if v is not None and not isinstance(v, bool)
                ]
                if how == "range" and not numeric:
                    how = "list"
                if how == "range":
                    numbers = st.sampled_from(numeric)
                    narrow[key] = tuple(sorted((draw(numbers), draw(numbers))))
            if how == "fixed":
                narrow[key] = draw(values)
            elif how == "list":
                narrow[key] = draw(st.lists(values, min_size=1, max_size=4))
    return kinds, narrow


def _allowed(value: Any, narrowed: Any) -> bool:
    """The oracle: ``value`` as ``space[key] = narrowed`` allows it."""
    if isinstance(narrowed, tuple):
        return value is not None and narrowed[0] <= value <= narrowed[1]
    if isinstance(narrowed, list):
        return any(value == v if v is not None else value is None for v in narrowed)
    return value == narrowed if narrowed is not None else value is None


def _respects(point: Point, narrow: dict[str, Any]) -> bool:
    return all(
        _allowed(point.values[key.split(".")[1]], value)
        for key, value in narrow.items()
        if key.split(".")[0] == point.kind
    )


def _plan_of(space: SearchSpace, point: Point, rng: np.random.Generator):
    plan = space.plan(point)
    if plan is None:
        plan = wire(space.cerebros, space.structure(point), rng)
    return plan


@settings(max_examples=80, deadline=None)
@given(narrowing=narrowings(), seed=SEEDS, steps=st.integers(1, 6))
def test_every_drawn_and_perturbed_point_respects_the_narrowed_space(
    narrowing, seed, steps
):
    kinds, narrow = narrowing
    space = SearchSpace(CEREBROS, kinds, narrow)
    wide = SearchSpace(CEREBROS, kinds)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        point = space.draw(rng)
        for _ in range(steps):
            assert point.kind in kinds
            assert _respects(point, narrow), (point, narrow)
            assert space.contains(point) and wide.contains(point)
            data = _plan_of(space, point, rng).to_dict()
            assert plan_from_dict(data).to_dict() == data
            assert space.point_of(data) == point  # it can be a parent
            moved = space.perturb(point, rng)
            assert moved.kind == point.kind
            point = moved


@settings(max_examples=40, deadline=None)
@given(narrowing=narrowings(), seed=SEEDS)
def test_same_seed_same_points(narrowing, seed):
    kinds, narrow = narrowing

    def points() -> list[Point]:
        space = SearchSpace(CEREBROS, kinds, narrow)
        rng = np.random.default_rng(seed)
        drawn = [space.draw(rng) for _ in range(5)]
        return drawn + [space.perturb(p, rng) for p in drawn]

    assert points() == points()


def test_a_fixed_value_is_drawn_and_kept_and_a_narrowed_range_is_spanned():
    space = SearchSpace(
        CEREBROS,
        ("residual",),
        {"residual.dropout": 0.1, "residual.width": (128, 160)},
    )
    rng = np.random.default_rng(0)
    widths = set()
    point = space.draw(rng)
    for _ in range(200):
        assert point.values["dropout"] == 0.1
        assert 128 <= point.values["width"] <= 160
        widths.add(point.values["width"])
        point = space.perturb(point, rng) if rng.random() < 0.7 else space.draw(rng)
    assert min(widths) <= 135 and max(widths) >= 150  # the range is spanned
    # the default residual network (width 128, dropout 0) lies outside
    assert space.point_of(resolve_initial_plans("residual")[0]) is None


def test_a_kind_with_every_value_fixed_stays_put():
    fixed = {"retrieval.width": 64, "retrieval.k": 16, "retrieval.dropout": 0.0}
    fixed |= {"retrieval.learning_rate": None, "retrieval.weight_decay": 1e-4}
    fixed |= {"retrieval.train_candidates": 256, "retrieval.memory_gradients": True}
    space = SearchSpace(CEREBROS, "retrieval", fixed)
    point = space.draw(np.random.default_rng(3))
    assert dict(point.values) == {k.split(".")[1]: v for k, v in fixed.items()}
    assert space.perturb(point, np.random.default_rng(4)) == point
    assert RetrievalPlan(**point.values).k == 16


def test_a_list_keeps_the_kinds_order_and_values():
    narrowed = resolve_space(
        {"retrieval.k": [32, 16, 32], "mixer.dropout": [0.3, 0]},
        ("retrieval", "mixer"),
    )
    assert space_description(narrowed) == {
        "mixer.dropout": {"values": [0.0, 0.3]},
        "retrieval.k": {"values": [16, 32]},
    }
    # the choice's own values are kept: 0.0, a float, not the 0 given
    dropout = {p.name: p for p in narrowed["mixer"].params}["dropout"]
    assert all(isinstance(v, float) for v in dropout.values)


def test_a_range_over_a_choice_keeps_the_numbers_within_it():
    narrowed = resolve_space({"retrieval.learning_rate": (1e-4, 1e-3)}, ("retrieval",))
    assert space_description(narrowed) == {
        "retrieval.learning_rate": {"values": [3e-4, 1e-3]}
    }


@pytest.mark.parametrize(
    ("kinds", "space", "match"),
    [
        ("all", ["residual.width"], r"space must be None or a dict"),
        ("all", {"width": 64}, r"key 'width': expected 'kind\.parameter'"),
        ("all", {"residual.width.low": 64}, r"expected 'kind\.parameter'"),
        ("all", {3: 64}, r"key 3: expected 'kind\.parameter'"),
        ("all", {"resnet.width": 64}, r"'resnet' is not a kind .* \['levels'"),
        (
            ("levels", "residual"),
            {"retrieval.k": 8},
            r"space\['retrieval\.k'\]: the kind 'retrieval' is not searched "
            r"\(kinds=\('levels', 'residual'\)\)",
        ),
        ("levels", {"residual.width": 64}, r"'residual' is not searched"),
        ("all", {"levels.levels": (1, 2)}, r"space\['levels\.levels'\].*levels"),
        (
            "all",
            {"residual.depth": 2},
            r"space\['residual\.depth'\]: .* no hyperparameter 'depth'; its "
            r"hyperparameters are \['width', 'n_blocks', 'dropout', 'members'\]",
        ),
        ("all", {"residual.width": 1024}, r"\['residual\.width'\] = 1024: .*32, 512"),
        ("all", {"residual.width": 64.0}, r"residual\.width.*an int in \[32, 512\]"),
        ("all", {"residual.width": True}, r"residual\.width"),
        ("all", {"residual.width": (256, 128)}, r"residual\.width.*\(low, high\)"),
        ("all", {"residual.width": (16, 128)}, r"residual\.width.*\[32, 512\]"),
        ("all", {"residual.width": []}, r"residual\.width.*non-empty list"),
        ("all", {"mixer.members": [2, 9]}, r"mixer\.members.*\[1, 8\]"),
        ("all", {"residual.dropout": 0.15}, r"dropout.*\[0\.0, 0\.1, 0\.2, 0\.3\]"),
        ("all", {"residual.dropout": "0.1"}, r"residual\.dropout"),
        ("all", {"retrieval.k": (4, 8, 16)}, r"retrieval\.k"),
        ("all", {"retrieval.weight_decay": (0.1, 1)}, r"weight_decay.*at least one"),
    ],
)
def test_a_bad_key_or_value_names_the_key_and_what_was_expected(kinds, space, match):
    with pytest.raises(ValueError, match=match):
        resolve_space(space, resolve_kinds(kinds))
    with pytest.raises(ValueError, match=match):
        SearchSpace(CEREBROS, kinds, space)


def test_none_and_an_empty_dict_narrow_nothing():
    assert resolve_space(None, ("levels",)) == {}
    assert resolve_space({}, ("levels",)) == {}
    # a "narrowing" to a kind's own range is no narrowing
    whole = resolve_space({"residual.members": (1, 16)}, ("residual",))
    assert space_description(whole) == {}


# -- the proposers over a narrowed space -------------------------------------------
def _record(spec: TrialSpec, score: float) -> dict:
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


def _run(proposer: Any) -> dict[int, dict]:
    records: dict[int, dict] = {}
    while specs := proposer.next_trials(records):
        for spec in specs:
            score = float(np.random.default_rng(spec.seed).normal())
            records[spec.index] = _record(spec, score)
    return records


DEFAULT_INITIAL = resolve_initial_plans(
    ("residual", "retrieval", "retrieval", "retrieval")
)


def _generations(kinds, narrow, seed, n_trials=14, initial=DEFAULT_INITIAL):
    return GenerationProposer(
        CEREBROS,
        n_trials=n_trials,
        generation_size=3,
        n_wirings=1,
        rng=np.random.default_rng(seed),
        initial_plans=list(initial),
        kinds=resolve_kinds(kinds),
        narrow=narrow,
    )


@settings(max_examples=25, deadline=None)
@given(narrowing=narrowings(), seed=SEEDS)
def test_generations_draw_and_evolve_within_the_narrowed_space(narrowing, seed):
    kinds, narrow = narrowing
    space = SearchSpace(CEREBROS, kinds, narrow)
    records = _run(_generations(kinds, narrow, seed))
    assert records == _run(_generations(kinds, narrow, seed))  # same seed
    for record in records.values():
        if record["initial"]:
            continue
        point = space.point_of(record["plan"])
        assert point is not None and point.kind in kinds
        assert _respects(point, narrow)
        if record["parent"] is not None:  # a parent lies in the space too
            assert space.point_of(records[record["parent"]]["plan"]) is not None


@settings(max_examples=20, deadline=None)
@given(narrowing=narrowings(), seed=SEEDS)
def test_halving_draws_within_the_narrowed_space(narrowing, seed):
    kinds, narrow = narrowing
    space = SearchSpace(CEREBROS, kinds, narrow)

    def proposer() -> HalvingProposer:
        return HalvingProposer(
            CEREBROS,
            n_trials=9,
            epochs=30,
            rng=np.random.default_rng(seed),
            kinds=resolve_kinds(kinds),
            narrow=narrow,
        )

    records = _run(proposer())
    assert records == _run(proposer())
    for record in records.values():
        if record["rung"] == 0:
            assert _respects(space.point_of(record["plan"]), narrow)


def test_an_initial_plan_outside_the_narrowed_space_is_never_a_parent():
    narrow = {"residual.width": (256, 512), "retrieval.k": [8]}
    records = _run(_generations(("residual", "retrieval"), narrow, 0, n_trials=16))
    parents = {r["parent"] for r in records.values()} - {None}
    assert parents and not parents & {0, 1, 2, 3}  # the default plans lie outside


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, kinds=SUBSETS)
def test_no_narrowing_proposes_what_it_always_did(seed, kinds):
    plain = _run(_generations(kinds, None, seed, n_trials=10))
    assert _run(_generations(kinds, {}, seed, n_trials=10)) == plain
    if resolve_kinds(kinds) == ("levels",):  # drawn exactly as before kinds
        assert _generations(kinds, None, seed).search_space is None
        assert _generations(kinds, {}, seed).search_space is None


def test_the_fingerprint_holds_space_only_when_it_narrows():
    params = {"kinds": "all", "space": None, "n_trials": 8}
    shape = dict(n_rows=10, n_features=3, seed=0, generation_size=1, folds=None)
    kinds = space_kinds()
    plain = fingerprint(params, [], kinds=kinds, **shape)
    assert "space" not in plain
    assert plain == fingerprint(
        {k: v for k, v in params.items() if k != "space"}, [], kinds=kinds, **shape
    )
    assert plain == fingerprint(
        {**params, "space": {}}, [], kinds=kinds, space={}, **shape
    )

    def described(space: dict) -> dict:
        narrowed = space_description(resolve_space(space, kinds))
        return fingerprint(
            {**params, "space": space}, [], kinds=kinds, space=narrowed, **shape
        )

    fixed = described({"residual.dropout": 0.1, "retrieval.k": (8, 16)})
    assert fixed["space"] == {
        "residual.dropout": {"values": [0.1]},
        "retrieval.k": {"range": [8, 16]},
    }
    # the same narrowing, said otherwise, is the same search
    assert fixed == described({"retrieval.k": (8, 16), "residual.dropout": [0.1]})
    # a list and a range of the same ends are not
    assert described({"retrieval.k": [8, 16]})["space"] != {
        "retrieval.k": {"range": [8, 16]}
    }
