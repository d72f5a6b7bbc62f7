"""Plans built by hand: the rules that reject them, and their text views."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sklearn_cerebros.architecture
from sklearn_cerebros.architecture import (
    ConnectionCounts,
    Level,
    LevelsPlan,
    OutputHead,
    PlanError,
    Unit,
    connection_counts,
)


def lv(*units: Unit) -> Level:
    return Level(units)


def small_plan(**plan_kwargs) -> LevelsPlan:
    """Two levels: a skip from the input to the head, one gated lateral."""
    return LevelsPlan(
        levels=(
            lv(Unit(4, ((0, 0),)), Unit(3, ((0, 0),), laterals=(0,), gated=(0,))),
            lv(Unit(2, ((0, 0), (1, 0), (1, 1)), batch_norm=True)),
        ),
        head=OutputHead(((0, 0), (1, 1), (2, 0))),
        **plan_kwargs,
    )


@pytest.mark.parametrize(
    "levels, head, max_skip_depth, message",
    [
        pytest.param(
            [lv(Unit(4, ((0, 0),))), lv(Unit(4, ((1, 0), (2, 0))))],
            ((2, 0),),
            None,
            r"level2_unit0 takes input from level 2, which is not before level 2",
            id="cycle-through-own-level",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0), (2, 0)))), lv(Unit(4, ((1, 0),)))],
            ((2, 0),),
            None,
            r"level1_unit0 takes input from level 2, which is not before level 1",
            id="cycle-through-later-level",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),), laterals=(1,)), Unit(4, ((0, 0),)))],
            ((1, 0), (1, 1)),
            None,
            r"level1_unit0 has a lateral input from unit 1",
            id="backwards-lateral",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),)), Unit(4, ((0, 0),), laterals=(1,)))],
            ((1, 0), (1, 1)),
            None,
            r"level1_unit1 has a lateral input from unit 1",
            id="lateral-to-itself",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),)), Unit(4, ((0, 0),))), lv(Unit(4, ((1, 0),)))],
            ((2, 0),),
            None,
            r"level1_unit1 is a dead end",
            id="dead-end",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),))), lv(Unit(4, ((0, 0), (1, 0))))],
            ((2, 0),),
            1,
            r"level2_unit0 takes input from input, 2 levels up, beyond "
            r"max_skip_depth=1",
            id="skip-too-deep",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),))), lv(Unit(4, ((1, 0),)))],
            ((2, 0), (0, 0)),
            1,
            r"The head takes input from input, 3 levels up",
            id="head-skip-too-deep",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0), (0, 0))))],
            ((1, 0),),
            None,
            r"level1_unit0 lists the same predecessor more than once",
            id="duplicate-predecessor",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),)), Unit(4, ((0, 0),), laterals=(0, 0)))],
            ((1, 0), (1, 1)),
            None,
            r"level1_unit1 lists the same lateral input more than once",
            id="duplicate-lateral",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),))), lv(Unit(4, ((0, 0),)))],
            ((2, 0), (1, 0)),
            None,
            r"level2_unit0 has no input from level 1, the level directly above",
            id="no-input-from-level-above",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),)))],
            ((0, 0),),
            None,
            r"The head has no input from level 1",
            id="head-without-last-level",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),)), Unit(4, ((0, 0),), gated=(0,)))],
            ((1, 0), (1, 1)),
            None,
            r"level1_unit1: gated must be a subset of laterals",
            id="gate-without-lateral",
        ),
        pytest.param(
            [lv(Unit(4, ((0, 0),))), lv(Unit(4, ((1, 0), (1, 3))))],
            ((2, 0),),
            None,
            r"level2_unit0 refers to unit 3 of level 1, which has 1 units",
            id="missing-unit",
        ),
    ],
)
def test_invalid_plan_is_rejected_naming_the_unit(
    levels, head, max_skip_depth, message
):
    with pytest.raises(PlanError, match=message):
        LevelsPlan(
            levels=tuple(levels), head=OutputHead(head), max_skip_depth=max_skip_depth
        )


def test_valid_hand_built_plan_is_accepted():
    plan = small_plan(max_skip_depth=3)
    assert (plan.n_levels, plan.n_units) == (2, 3)


def test_n_params_counts_kernels_biases_gates_and_batch_norm():
    # level1_unit0: (5+1)*4. level1_unit1: a 4x4 gate with bias, then
    # (5+4+1)*3. level2_unit0: batch norm (4 vectors) over 5+4+3 inputs, then
    # (12+1)*2. head: (5+3+2+1)*1.
    expected = 24 + (20 + 30) + (4 * 12 + 26) + 11
    assert small_plan().n_params(5) == expected


def test_connection_counts_and_describe():
    plan = small_plan()
    counts = connection_counts(plan)
    # Skips: input -> level2_unit0, input -> head, level1_unit1 -> head.
    assert counts == ConnectionCounts(predecessor=8, skip=3, lateral=1, gated=1)
    assert (
        plan.describe() == "2 levels, 3 units, 9 neurons, 3 skips, 1 lateral (1 gated)"
    )
    single = LevelsPlan(levels=(lv(Unit(1, ((0, 0),))),), head=OutputHead(((1, 0),)))
    assert (
        single.describe() == "1 level, 1 unit, 1 neuron, 0 skips, 0 laterals (0 gated)"
    )


def test_summary_lists_every_unit_and_the_counts():
    plan = small_plan(max_skip_depth=3, name="demo")
    text = plan.summary()
    lines = text.splitlines()
    assert lines[0] == (
        "Plan 'demo': 2 levels, 3 units, 9 neurons, 3 skips, 1 lateral (1 gated)"
    )
    assert "max skip depth: 3; gate activation: sigmoid" in lines[1]
    assert "level 1: 2 units, neurons [4, 3]" in lines
    unit = next(line for line in lines if line.strip().startswith("level1_unit1"))
    assert "<- input; laterals unit0*" in unit
    bn_unit = next(line for line in lines if line.strip().startswith("level2_unit0"))
    assert "batch norm" in bn_unit
    assert "input, level1_unit0, level1_unit1" in bn_unit
    assert lines[-1] == "connections: 8 predecessor (3 skip), 1 lateral (1 gated)"
    assert "parameters" not in text
    assert plan.summary(n_features=5).splitlines()[-1] == (
        f"parameters: {plan.n_params(5):,} for 5 features"
    )
    assert str(plan) == text


def _imports_at_run_time(node: ast.AST) -> set[str]:
    """Sibling modules a module imports, anywhere but under ``if TYPE_CHECKING``."""
    if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
        return set()
    if isinstance(node, ast.ImportFrom) and node.level == 1:
        return {node.module or ""}
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        found |= _imports_at_run_time(child)
    return found


def test_architecture_modules_import_each_other_without_a_circle():
    package = Path(sklearn_cerebros.architecture.__file__).parent
    graph = {
        path.stem: _imports_at_run_time(ast.parse(path.read_text()))
        for path in package.glob("_*.py")
        if path.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import circle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for other in graph.get(module, ()):
            visit(other, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
