"""Sample Cerebros plans: random levels, units, skip and lateral connections.

A Cerebros network is drawn in two stages. The *structure* fixes how many
hidden levels there are, how many units each level holds and how wide each
unit is. The *wiring* then draws, for every unit, its predecessor connections
(to earlier levels, skips included), repairs units whose output nobody uses,
and adds lateral connections between units of the same level, some of them
gated. Keeping the stages apart lets a search retry the wiring of a promising
structure, or move a structure by one step, without redrawing everything.

Every random choice comes from the :class:`numpy.random.Generator` passed in,
so the same generator state always gives the same plan.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._common import ACTIVATIONS
from ._levels import LEVELS, Level, LevelsPlan, OutputHead, Unit
from ._refs import Ref

__all__ = [
    "DECAYS",
    "ROUNDING_RULES",
    "CerebrosSpace",
    "Structure",
    "perturb_structure",
    "sample_plan",
    "sample_structure",
    "wire",
]

#: Named decays ``d -> factor`` with ``d >= 0`` the distance beyond the
#: nearest level (predecessors) or unit (laterals).
DECAYS: dict[str, Callable[[int], float]] = {
    "0.7": lambda d: 0.7**d,
    "0.95": lambda d: 0.95**d,
    "none": lambda d: 1.0,
}


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


#: Named rules turning an expected number of connections into a count.
#: ``"round"`` rounds halves up (2.5 -> 3), unlike Python's ``round``.
ROUNDING_RULES: dict[str, Callable[[float], int]] = {
    "ceil": math.ceil,
    "floor": math.floor,
    "round": _round_half_up,
}

# Products such as 0.55 * 100 come out as 55.00000000000001 in floating point,
# which "ceil" would turn into 56. Counts are rounded to this many decimals
# before a rule applies, so they follow the decimal arithmetic a person does.
_COUNT_DECIMALS = 9


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_range(name: str, value: Any, minimum: int) -> tuple[int, int]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a (low, high) pair of ints, got {value!r}.")
    if len(value) != 2 or not all(_is_int(v) for v in value):
        raise ValueError(f"{name} must be a (low, high) pair of ints, got {value!r}.")
    low, high = int(value[0]), int(value[1])
    if low < minimum:
        raise ValueError(f"{name} must start at {minimum} or more, got {value!r}.")
    if low > high:
        raise ValueError(
            f"{name} must be a range (low, high) with low <= high, got {value!r}."
        )
    return low, high


def _check_choice(name: str, value: Any, options: Sequence[str]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}.")


@dataclass(frozen=True)
class CerebrosSpace:
    """The ranges and rules Cerebros plans are drawn from.

    Ranges are inclusive ``(low, high)`` pairs; a value is drawn uniformly
    from each. The names follow the original Cerebros parameters (see the
    notes on each one).

    Parameters
    ----------
    levels : (int, int), default=(1, 4)
        Number of *hidden* levels. The original counted the output level
        in its level range; we do not.
    units_per_level : (int, int), default=(1, 4)
        Number of parallel units (Dense layers) on each hidden level, drawn
        per level.
    neurons_per_unit : (int, int), default=(8, 64)
        Width of each unit, drawn per unit.
    skip_depth : (int, int), default=(1, 3)
        ``(min, max)`` number of levels a predecessor connection may span.
        A unit draws predecessors from every earlier level at most ``max``
        levels up (the head counts as the level after the last hidden one);
        a unit nobody uses is attached ``min`` to ``max`` levels below itself.
    affinity_first : float, default=1.0
        Expected share of the input level a level-1 unit connects to, before
        ``rounding_first``. The input level is a single unit, and every unit
        keeps at least one input from the level directly above, so with the
        present rules this only matters as the original's parameter of the
        same role.
    affinity_main : float, default=1.0
        Expected share of an earlier level's units that a unit on level 2 or
        later (or the head) connects to, multiplied by ``affinity_decay`` of
        how many levels beyond the nearest the source lies.
    rounding_first, rounding_main : {"ceil", "floor", "round"}, default="ceil"
        How the expected count becomes a number of connections; ``"round"``
        rounds halves up. With ``"ceil"`` and a positive affinity every unit
        connects to every earlier level within reach, so skips are the norm.
    affinity_decay : {"0.7", "0.95", "none"}, default="0.7"
        Decay of ``affinity_main`` with distance ``d`` (``0`` for the level
        directly above): ``0.7 ** d``, ``0.95 ** d`` or ``1``.
    p_lateral : float, default=0.2
        Probability that one try connects a unit to a lower-index unit of its
        level, before ``lateral_decay``; ``0`` disables lateral connections.
    lateral_decay : {"0.7", "0.95", "none"}, default="0.95"
        Decay of ``p_lateral`` with the distance ``u - v - 1`` between target
        ``u`` and source ``v``.
    lateral_tries_per_unit : int, default=1
        Tries made for each possible lateral source; the first success connects.
    max_consecutive_laterals : int, default=2
        A unit that made this many successful tries in a row skips its next
        try, which counts as a failure and starts a new run.
    gate_every : int, default=2
        Every ``gate_every``-th lateral connection of a unit (in the order they
        are made) passes through a learned gate; ``0`` builds no gates. (The
        original gated every third; under the other defaults, at most 4 units,
        one try and runs of at most 2, a unit makes at most two laterals, so
        ``3`` would never gate.)
    gate_activation : str, default="sigmoid"
        Activation of the gates, a name from
        :data:`~sklearn_cerebros.architecture.ACTIVATIONS`.
    activation : str, default="relu"
        Activation of every unit.
    dropout : float, default=0.0
        Dropout after every unit, in ``[0, 1)``.
    batch_norm : bool, default=True
        Batch-normalise each unit's concatenated input, as Cerebros does.

    Raises
    ------
    ValueError
        Naming the parameter, when a range is not a pair of positive ints with
        ``low <= high``, a probability or rate is out of range, an affinity is
        negative, or a decay, rounding rule or activation name is unknown.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import CerebrosSpace, sample_plan
    >>> space = CerebrosSpace(levels=(2, 3), neurons_per_unit=(16, 32))
    >>> plan = sample_plan(space, n_features=10, rng=0)
    >>> 2 <= plan.n_levels <= 3
    True
    """

    levels: tuple[int, int] = (1, 4)
    units_per_level: tuple[int, int] = (1, 4)
    neurons_per_unit: tuple[int, int] = (8, 64)
    skip_depth: tuple[int, int] = (1, 3)
    affinity_first: float = 1.0
    affinity_main: float = 1.0
    rounding_first: str = "ceil"
    rounding_main: str = "ceil"
    affinity_decay: str = "0.7"
    p_lateral: float = 0.2
    lateral_decay: str = "0.95"
    lateral_tries_per_unit: int = 1
    max_consecutive_laterals: int = 2
    gate_every: int = 2
    gate_activation: str = "sigmoid"
    activation: str = "relu"
    dropout: float = 0.0
    batch_norm: bool = True

    def __post_init__(self) -> None:
        for name in ("levels", "units_per_level", "neurons_per_unit", "skip_depth"):
            object.__setattr__(self, name, _check_range(name, getattr(self, name), 1))
        for name in ("affinity_first", "affinity_main"):
            value = getattr(self, name)
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
        for name in ("rounding_first", "rounding_main"):
            _check_choice(name, getattr(self, name), list(ROUNDING_RULES))
        for name in ("affinity_decay", "lateral_decay"):
            _check_choice(name, getattr(self, name), list(DECAYS))
        if not _is_real(self.p_lateral) or not 0.0 <= self.p_lateral <= 1.0:
            raise ValueError(
                f"p_lateral must be a probability in [0, 1], got {self.p_lateral!r}."
            )
        for name, minimum in (
            ("lateral_tries_per_unit", 1),
            ("max_consecutive_laterals", 1),
            ("gate_every", 0),
        ):
            value = getattr(self, name)
            if not _is_int(value) or value < minimum:
                raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
        _check_choice("gate_activation", self.gate_activation, list(ACTIVATIONS))
        _check_choice("activation", self.activation, list(ACTIVATIONS))
        if not _is_real(self.dropout) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")
        if not isinstance(self.batch_norm, bool | np.bool_):
            raise ValueError(f"batch_norm must be a bool, got {self.batch_norm!r}.")
        # NumPy scalars are accepted but stored as builtins, so that plans drawn
        # from the space serialise to JSON.
        for name, kind in (
            ("affinity_first", float),
            ("affinity_main", float),
            ("p_lateral", float),
            ("lateral_tries_per_unit", int),
            ("max_consecutive_laterals", int),
            ("gate_every", int),
            ("dropout", float),
            ("batch_norm", bool),
        ):
            object.__setattr__(self, name, kind(getattr(self, name)))

    @property
    def min_skip_depth(self) -> int:
        """Smallest span of a connection that repairs a dead end."""
        return self.skip_depth[0]

    @property
    def max_skip_depth(self) -> int:
        """Largest span of any predecessor connection."""
        return self.skip_depth[1]

    def contains(self, structure: Structure) -> bool:
        """Whether every size of ``structure`` lies within this space's ranges."""
        (lo_l, hi_l), (lo_u, hi_u), (lo_n, hi_n) = (
            self.levels,
            self.units_per_level,
            self.neurons_per_unit,
        )
        return lo_l <= structure.n_levels <= hi_l and all(
            lo_u <= len(level) <= hi_u and all(lo_n <= n <= hi_n for n in level)
            for level in structure.neurons
        )

    def n_connections(self, level: int, source_level: int, n_source: int) -> int:
        """Number of predecessor connections one unit draws from a level.

        This is the count before repair: rule 2 may add inputs afterwards.

        Parameters
        ----------
        level : int
            Level of the drawing unit, from 1; the head is ``n_levels + 1``.
        source_level : int
            Earlier level drawn from, within ``max_skip_depth`` of ``level``.
        n_source : int
            Number of units on ``source_level``.

        Returns
        -------
        int
            ``rule(affinity * n_source)`` for level 1 (``affinity_first``,
            ``rounding_first``), ``rule(affinity_main * decay(d) * n_source)``
            with ``d = level - source_level - 1`` otherwise, capped at
            ``n_source`` and at least ``1`` from the level directly above.
            The head's draw from the last hidden level is not this count: it
            takes every unit there.
        """
        if level == 1:
            expected = self.affinity_first * n_source
            rule = ROUNDING_RULES[self.rounding_first]
        else:
            decay = DECAYS[self.affinity_decay](level - source_level - 1)
            expected = self.affinity_main * decay * n_source
            rule = ROUNDING_RULES[self.rounding_main]
        count = min(rule(round(expected, _COUNT_DECIMALS)), n_source)
        return max(count, 1) if source_level == level - 1 else count


@dataclass(frozen=True)
class Structure:
    """Sizes of a Cerebros network, without its wiring.

    Parameters
    ----------
    neurons : tuple of tuple of int
        ``neurons[k][i]`` is the width of unit ``i`` on hidden level ``k + 1``.
        The number of levels and of units per level follow from it.

    Examples
    --------
    >>> s = Structure(((32, 16), (8,)))
    >>> s.n_levels, s.units_per_level, s.n_neurons
    (2, (2, 1), 56)
    """

    neurons: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        neurons = tuple(tuple(level) for level in self.neurons)
        if not neurons or not all(neurons):
            raise ValueError(
                f"A structure needs at least one level and one unit a level, "
                f"got {neurons!r}."
            )
        if not all(_is_int(n) and n >= 1 for level in neurons for n in level):
            raise ValueError(f"Neuron counts must be ints >= 1, got {neurons!r}.")
        neurons = tuple(tuple(int(n) for n in level) for level in neurons)
        object.__setattr__(self, "neurons", neurons)

    @property
    def n_levels(self) -> int:
        """Number of hidden levels."""
        return len(self.neurons)

    @property
    def units_per_level(self) -> tuple[int, ...]:
        """Number of units on each hidden level."""
        return tuple(len(level) for level in self.neurons)

    @property
    def n_units(self) -> int:
        """Number of units over all levels."""
        return sum(len(level) for level in self.neurons)

    @property
    def n_neurons(self) -> int:
        """Sum of the widths of all units."""
        return sum(map(sum, self.neurons))

    @classmethod
    def of(cls, plan: LevelsPlan) -> Structure:
        """The structure of an existing plan."""
        return cls(LEVELS.sizes(plan))


def _as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or _is_int(rng):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {rng!r}."
    )


def _draw_int(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    return int(rng.integers(bounds[0], bounds[1], endpoint=True))


def _draw_level(space: CerebrosSpace, rng: np.random.Generator) -> tuple[int, ...]:
    n_units = _draw_int(rng, space.units_per_level)
    return tuple(_draw_int(rng, space.neurons_per_unit) for _ in range(n_units))


def sample_structure(
    space: CerebrosSpace, rng: np.random.Generator | int | None = None
) -> Structure:
    """Draw the sizes of a network: levels, then units a level, then neurons.

    Parameters
    ----------
    space : CerebrosSpace
        The ranges to draw from (uniformly, bounds included).
    rng : numpy.random.Generator, int or None, default=None
        Source of randomness; an int seeds a fresh generator.

    Returns
    -------
    Structure
    """
    rng = _as_generator(rng)
    n_levels = _draw_int(rng, space.levels)
    return Structure(tuple(_draw_level(space, rng) for _ in range(n_levels)))


# -- wiring ----------------------------------------------------------------
def _draw_predecessors(
    space: CerebrosSpace, structure: Structure, rng: np.random.Generator
) -> tuple[list[list[set[Ref]]], set[Ref]]:
    """Draw every unit's predecessor connections and the head's (rule 1).

    Returns ``(inputs, head)``: ``inputs[k - 1][i]`` is the set of references
    feeding unit ``i`` of level ``k``, before any repair.
    """
    sizes = (1, *structure.units_per_level)  # level 0 is the input
    head_level = structure.n_levels + 1

    def draw(level: int) -> set[Ref]:
        refs: set[Ref] = set()
        lowest = max(0, level - space.max_skip_depth)
        for source in range(level - 1, lowest - 1, -1):
            if level == head_level and source == level - 1:
                picked = range(sizes[source])
            else:
                count = space.n_connections(level, source, sizes[source])
                picked = rng.choice(sizes[source], size=count, replace=False)
            refs.update((source, int(i)) for i in picked)
        return refs

    inputs = [[draw(k) for _ in range(sizes[k])] for k in range(1, head_level)]
    return inputs, draw(head_level)


def _repair_dead_ends(
    space: CerebrosSpace,
    structure: Structure,
    inputs: list[list[set[Ref]]],
    head: set[Ref],
    rng: np.random.Generator,
) -> list[tuple[Ref, Ref | None]]:
    """Attach every unit nobody uses to a later unit or the head (rule 2).

    Changes ``inputs`` and ``head`` in place and returns the repairs as
    ``(dead_end, target)`` pairs, ``target`` ``None`` for the head.
    """
    n_levels = structure.n_levels
    used = set(head).union(*(refs for level in inputs for refs in level))
    repairs: list[tuple[Ref, Ref | None]] = []
    # Adding an input never takes one away, so the dead ends found before
    # repair are exactly the ones to fix, and every fix lands on a later level.
    for k in range(1, n_levels + 1):
        for i in range(structure.units_per_level[k - 1]):
            if (k, i) in used:
                continue
            first = k + space.min_skip_depth
            last = min(k + space.max_skip_depth, n_levels)
            if first <= last:
                t = _draw_int(rng, (first, last))
                j = int(rng.integers(structure.units_per_level[t - 1]))
                inputs[t - 1][j].add((k, i))
                repairs.append(((k, i), (t, j)))
            else:
                head.add((k, i))
                repairs.append(((k, i), None))
    return repairs


def _draw_laterals(
    space: CerebrosSpace, unit: int, rng: np.random.Generator
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Draw the lateral sources of unit ``unit`` and which of them are gated."""
    decay = DECAYS[space.lateral_decay]
    laterals: list[int] = []
    run = 0
    for v in range(unit):
        p = space.p_lateral * decay(unit - v - 1)
        for _ in range(space.lateral_tries_per_unit):
            if run >= space.max_consecutive_laterals:
                run = 0  # the skipped try is a failure: it ends the run
                continue
            if rng.random() < p:
                laterals.append(v)
                run += 1
                break
            run = 0
    n = space.gate_every
    gated = tuple(v for c, v in enumerate(laterals, 1) if n and c % n == 0)
    return tuple(laterals), gated


def wire(
    space: CerebrosSpace,
    structure: Structure,
    rng: np.random.Generator | int | None = None,
    *,
    name: str = "cerebros",
) -> LevelsPlan:
    """Draw the connections of a structure and return the plan.

    In order, each step drawing from ``rng``:

    1. Predecessors. Units in build order, then the head, each draw from
       every earlier level ``j`` within ``max_skip_depth``, nearest first,
       :meth:`CerebrosSpace.n_connections` distinct units chosen uniformly.
       Every unit keeps at least one input from the level directly above;
       the head takes every unit of the last hidden level.
    2. Repair (rule 2). A unit no later unit and not the head uses is added to
       the inputs of a unit chosen uniformly on a level chosen uniformly
       between ``min_skip_depth`` and ``max_skip_depth`` levels below it, or
       of the head when no hidden level lies in that window.
    3. Laterals. Unit ``u`` tries each lower-index unit ``v`` of its level
       (``v = 0, 1, ...``) up to ``lateral_tries_per_unit`` times; a try
       succeeds with probability ``p_lateral * lateral_decay(u - v - 1)``
       unless ``max_consecutive_laterals`` tries in a row just succeeded, in
       which case the try is skipped and the run restarts. Every
       ``gate_every``-th lateral of a unit is gated.

    Parameters
    ----------
    space : CerebrosSpace
        Connection rules; its size ranges are not used here.
    structure : Structure
        Levels, units and neurons to wire.
    rng : numpy.random.Generator, int or None, default=None
        Source of randomness; an int seeds a fresh generator.
    name : str, default="cerebros"
        Name of the plan (and of the model built from it).

    Returns
    -------
    LevelsPlan
        With ``max_skip_depth`` the space's maximum skip depth and a
        one-output linear head; estimators replace the head to suit their
        task (:meth:`LevelsPlan.with_head`).
    """
    rng = _as_generator(rng)
    inputs, head = _draw_predecessors(space, structure, rng)
    _repair_dead_ends(space, structure, inputs, head, rng)
    levels = []
    for k, widths in enumerate(structure.neurons, start=1):
        units = []
        for i, neurons in enumerate(widths):
            laterals, gated = _draw_laterals(space, i, rng)
            units.append(
                Unit(
                    neurons,
                    inputs=tuple(sorted(inputs[k - 1][i])),
                    activation=space.activation,
                    laterals=laterals,
                    gated=gated,
                    batch_norm=space.batch_norm,
                    dropout=space.dropout,
                )
            )
        levels.append(Level(tuple(units)))
    return LevelsPlan(
        levels=tuple(levels),
        head=OutputHead(tuple(sorted(head))),
        max_skip_depth=space.max_skip_depth,
        gate_activation=space.gate_activation,
        name=name,
    )


def sample_plan(
    space: CerebrosSpace,
    n_features: int,
    rng: np.random.Generator | int | None = None,
) -> LevelsPlan:
    """Draw a structure, then its wiring: one random Cerebros plan.

    Parameters
    ----------
    space : CerebrosSpace
        Ranges and connection rules.
    n_features : int
        Width of the feature vector the plan will be built for. The draw does
        not depend on it (the input level is one unit, however wide); it is
        checked so that a wrong call fails here rather than in the builder.
    rng : numpy.random.Generator, int or None, default=None
        Source of randomness; an int seeds a fresh generator. The same
        generator state always gives the same plan.

    Returns
    -------
    LevelsPlan
        Equivalent to ``wire(space, sample_structure(space, rng), rng)``.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import CerebrosSpace, sample_plan
    >>> plan = sample_plan(CerebrosSpace(), n_features=8, rng=42)
    >>> plan == sample_plan(CerebrosSpace(), n_features=8, rng=42)
    True
    """
    if not _is_int(n_features) or n_features < 1:
        raise ValueError(f"n_features must be an int >= 1, got {n_features!r}.")
    rng = _as_generator(rng)
    return wire(space, sample_structure(space, rng), rng)


# -- perturbation ------------------------------------------------------------
def _grown(n: int, high: int) -> int:
    return min(high, max(n + 1, round(n * 1.25)))


def _shrunk(n: int, low: int) -> int:
    return max(low, min(n - 1, round(n / 1.25)))


def perturb_structure(
    space: CerebrosSpace,
    structure: Structure,
    rng: np.random.Generator | int | None = None,
) -> Structure:
    """Move a structure by one step, staying within the space's ranges.

    One move is chosen uniformly among the kinds possible for this
    structure, then its place uniformly among the places it can apply to:

    * ``add level``: insert a level, drawn like a fresh one (units and
      neurons uniform in their ranges), at a uniform position ``0..L``
      (``L``: the number of levels, so also before the first or after the
      last); possible while ``L < levels[1]``.
    * ``remove level``: delete a uniformly chosen level; while
      ``L > levels[0]``.
    * ``add unit``: append a unit of uniform width to a level with fewer than
      ``units_per_level[1]`` units.
    * ``remove unit``: delete a uniformly chosen unit of a level with more
      than ``units_per_level[0]`` units.
    * ``resize unit``: a uniformly chosen unit grows to
      ``max(n + 1, round(1.25 n))`` or shrinks to ``min(n - 1, round(n / 1.25))``
      neurons (direction uniform among those possible), clipped to
      ``neurons_per_unit``; possible when that range is not a single value.

    So the result differs from ``structure`` whenever the space allows any
    other structure at all, and is ``structure`` itself when it does not.
    Wiring is not kept: call :func:`wire` on the result.

    Parameters
    ----------
    space : CerebrosSpace
        The ranges to stay within.
    structure : Structure
        The structure to move; it must lie within ``space``.
    rng : numpy.random.Generator, int or None, default=None
        Source of randomness; an int seeds a fresh generator.

    Returns
    -------
    Structure

    Raises
    ------
    ValueError
        If ``structure`` is not within the space's ranges.
    """
    if not space.contains(structure):
        raise ValueError(
            f"The structure {structure.neurons} lies outside the space's ranges "
            f"(levels={space.levels}, units_per_level={space.units_per_level}, "
            f"neurons_per_unit={space.neurons_per_unit})."
        )
    rng = _as_generator(rng)
    levels = [list(level) for level in structure.neurons]
    n_levels = len(levels)
    low_u, high_u = space.units_per_level
    low_n, high_n = space.neurons_per_unit
    growable = [k for k, lv in enumerate(levels) if len(lv) < high_u]
    shrinkable = [k for k, lv in enumerate(levels) if len(lv) > low_u]
    moves = []
    if n_levels < space.levels[1]:
        moves.append("add level")
    if n_levels > space.levels[0]:
        moves.append("remove level")
    if growable:
        moves.append("add unit")
    if shrinkable:
        moves.append("remove unit")
    if low_n < high_n:
        moves.append("resize unit")
    if not moves:
        return structure
    move = moves[int(rng.integers(len(moves)))]
    if move == "add level":
        position = int(rng.integers(n_levels + 1))
        levels.insert(position, list(_draw_level(space, rng)))
    elif move == "remove level":
        del levels[int(rng.integers(n_levels))]
    elif move == "add unit":
        k = growable[int(rng.integers(len(growable)))]
        levels[k].append(_draw_int(rng, space.neurons_per_unit))
    elif move == "remove unit":
        k = shrinkable[int(rng.integers(len(shrinkable)))]
        del levels[k][int(rng.integers(len(levels[k])))]
    else:
        places = [(k, i) for k, lv in enumerate(levels) for i in range(len(lv))]
        k, i = places[int(rng.integers(len(places)))]
        n = levels[k][i]
        options = ([_grown(n, high_n)] if n < high_n else []) + (
            [_shrunk(n, low_n)] if n > low_n else []
        )
        levels[k][i] = options[int(rng.integers(len(options)))]
    return Structure(tuple(tuple(level) for level in levels))
