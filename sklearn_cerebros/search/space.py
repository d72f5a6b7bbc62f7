"""One search space over every kind of plan: what a search draws and varies.

Pure (no Keras). A *point* of the space is a kind's name and its
hyperparameters as JSON-ready values, e.g. ``Point("retrieval", {"width":
128, "k": 32, ...})``. Each kind declares, in one :class:`KindSpace`
registered with :func:`register_space`, how to

* ``draw(rng)`` a point at random,
* ``perturb(point, rng)`` it by one step (wider or narrower, deeper or
  shallower, another dropout, learning rate, ``k``, more or fewer members;
  for the levels-and-wiring plans a move of
  :func:`~sklearn_cerebros.architecture.perturb_structure`),
* read the point of a trained plan back (``point_of``), so that any trial,
  an initial plan included, can be a parent,
* say whether a point lies in it (``contains``) and build its plan.

The kinds are ``"levels"`` (levels of Dense units and their wiring: the
point is a :class:`~sklearn_cerebros.architecture.Structure` of the
search's :class:`~sklearn_cerebros.architecture.CerebrosSpace`, wired by
the trial from its own seed), ``"residual"``
(:func:`~sklearn_cerebros.architecture.residual_plan` with a joint
ensemble), ``"retrieval"``
(:class:`~sklearn_cerebros.architecture.RetrievalPlan`) and ``"mixer"``
(:class:`~sklearn_cerebros.architecture.MixerPlan`). Their ranges contain
each plan's defaults (the residual estimators' default network with
:data:`~sklearn_cerebros.architecture._residual.RESIDUAL_MEMBERS` members,
``RetrievalPlan()``, ``MixerPlan()``), so the search's default initial
plans can be parents.

A search can *narrow* the space (its ``space`` parameter, checked by
:func:`resolve_space`): a ``"kind.parameter"`` key fixes a hyperparameter
of a kind to one value, or narrows it to a list of values or, for an
integer or an ordered numeric choice, a ``(low, high)`` range within the
kind's own. :meth:`KindSpace.narrow` gives the narrowed kind, which draws,
moves and contains only what the narrowed ranges allow.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np

from ..architecture import (
    CerebrosSpace,
    LevelsPlan,
    MixerPlan,
    NetworkPlan,
    RetrievalPlan,
    Structure,
    kind_of,
    perturb_structure,
    plan_from_dict,
    residual_plan,
    sample_structure,
)

__all__ = [
    "Choice",
    "IntRange",
    "KindSpace",
    "LevelsSpace",
    "ParamSpace",
    "Point",
    "SearchSpace",
    "plan_kind",
    "register_space",
    "resolve_kinds",
    "resolve_space",
    "space_description",
    "space_kinds",
]

#: The ``kinds`` that draw levels structures only, exactly as the search did
#: before it had other kinds (its default until the search evolved every kind).
LEVELS_ONLY = ("levels",)


@dataclass(frozen=True)
class Point:
    """A kind's name and its hyperparameters (JSON-ready values)."""

    kind: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        """A string equal for equal points (parents are one per point)."""
        return json.dumps([self.kind, dict(self.values)], sort_keys=True)


# -- hyperparameters -----------------------------------------------------------
def _grown(n: int, high: int) -> int:
    return min(high, max(n + 1, round(n * 1.25)))


def _shrunk(n: int, low: int) -> int:
    return max(low, min(n - 1, round(n / 1.25)))


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _not_expected(key: str, value: Any, expected: str) -> ValueError:
    return ValueError(f"space[{key!r}] = {value!r}: expected {expected}.")


@dataclass(frozen=True)
class IntRange:
    """An int in ``[low, high]``, drawn uniform (or log-uniform with ``log``).

    A step grows it to ``max(n + 1, round(1.25 n))`` or shrinks it to
    ``min(n - 1, round(n / 1.25))``, clipped, as a unit's width moves in
    :func:`~sklearn_cerebros.architecture.perturb_structure`.
    """

    name: str
    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.low <= self.high:
            raise ValueError(f"{self.name}: need 1 <= low <= high, got {self}.")

    def draw(self, rng: np.random.Generator) -> int:
        if self.log:
            u = rng.uniform(math.log(self.low), math.log(self.high + 1))
            return min(self.high, max(self.low, int(math.exp(u))))
        return int(rng.integers(self.low, self.high + 1))

    def movable(self) -> bool:
        return self.low < self.high

    def step(self, value: int, rng: np.random.Generator) -> int:
        options = ([_grown(value, self.high)] if value < self.high else []) + (
            [_shrunk(value, self.low)] if value > self.low else []
        )
        return int(options[int(rng.integers(len(options)))])

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    def narrowed(self, value: Any, key: str) -> IntRange | Choice:
        """This range narrowed as the search's ``space[key]`` says.

        Parameters
        ----------
        value : int, list of int or tuple of two ints
            An int fixes the value; a list keeps those values (a choice,
            ordered); ``(low, high)`` narrows the range. Every value must lie
            in ``[self.low, self.high]``.
        key : str
            The ``"kind.parameter"`` key, for the error message.

        Raises
        ------
        ValueError
            If ``value`` is none of those, or not within the range.
        """
        expected = (
            f"an int in [{self.low}, {self.high}], a non-empty list of such "
            "ints, or a (low, high) tuple of ints within that range"
        )
        if isinstance(value, tuple):
            if len(value) == 2 and all(_is_int(v) for v in value):
                low, high = int(value[0]), int(value[1])
                if self.low <= low <= high <= self.high:
                    return IntRange(self.name, low, high, self.log)
        elif isinstance(value, list):
            if value and all(_is_int(v) and self.low <= v <= self.high for v in value):
                return Choice(self.name, tuple(sorted({int(v) for v in value})))
        elif _is_int(value) and self.low <= value <= self.high:
            return Choice(self.name, (int(value),))
        raise _not_expected(key, value, expected)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: ``{"range": [low, high]}``."""
        return {"range": [self.low, self.high]}


@dataclass(frozen=True)
class Choice:
    """One of ordered ``values``; a step moves to a neighbour."""

    name: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"{self.name}: a choice needs at least one value.")

    def draw(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def movable(self) -> bool:
        return len(self.values) > 1

    def step(self, value: Any, rng: np.random.Generator) -> Any:
        i = self.values.index(value)
        options = [j for j in (i - 1, i + 1) if 0 <= j < len(self.values)]
        return self.values[options[int(rng.integers(len(options)))]]

    def contains(self, value: Any) -> bool:
        return any(
            value is v or (value is not None and v is not None and value == v)
            for v in self.values
        )

    def narrowed(self, value: Any, key: str) -> Choice:
        """This choice narrowed as the search's ``space[key]`` says.

        Parameters
        ----------
        value : one of ``values``, a list of them, or a tuple of two numbers
            A value fixes it; a list keeps those values; ``(low, high)``
            keeps the numeric values within ``[low, high]`` (not ``None``).
            The values kept keep their order in ``values``.
        key : str
            The ``"kind.parameter"`` key, for the error message.

        Raises
        ------
        ValueError
            If ``value`` is none of those, or keeps no value.
        """
        expected = (
            f"one of {list(self.values)}, a non-empty list of them, or a "
            "(low, high) tuple of numbers that holds at least one of them"
        )
        if isinstance(value, tuple):
            if len(value) == 2 and all(_is_number(v) for v in value):
                low, high = value
                kept = tuple(
                    v for v in self.values if _is_number(v) and low <= v <= high
                )
                if kept:
                    return Choice(self.name, kept)
        elif isinstance(value, list):
            if value and all(self.contains(v) for v in value):
                wanted = Choice(self.name, tuple(value))
                return Choice(
                    self.name, tuple(v for v in self.values if wanted.contains(v))
                )
        elif self.contains(value):
            return Choice(self.name, tuple(v for v in self.values if v == value))
        raise _not_expected(key, value, expected)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: ``{"values": [...]}``."""
        return {"values": list(self.values)}


Param = IntRange | Choice


# -- kinds -----------------------------------------------------------------------
class KindSpace:
    """What the search draws and varies of one kind of plan (see the module)."""

    #: The name in the search's ``kinds`` parameter.
    name: str = ""
    #: Read a plan's point with this kind only when no other kind reads it
    #: (any levels plan within ranges is a levels point).
    catch_all: bool = False

    def draw(self, cerebros: CerebrosSpace, rng: np.random.Generator) -> Point:
        raise NotImplementedError

    def perturb(
        self, cerebros: CerebrosSpace, point: Point, rng: np.random.Generator
    ) -> Point:
        raise NotImplementedError

    def contains(self, cerebros: CerebrosSpace, point: Point) -> bool:
        raise NotImplementedError

    def point_of(self, cerebros: CerebrosSpace, plan: NetworkPlan) -> Point | None:
        raise NotImplementedError

    def plan(self, point: Point) -> NetworkPlan | None:
        """The plan to train as it is; None for a structure the trial wires."""
        raise NotImplementedError

    def reads(self, plan: NetworkPlan) -> bool:
        """Whether ``plan`` is of this kind, within its ranges or not.

        :func:`plan_kind` names a trial's plan with it. By default no plan:
        the plan is then named by its architecture kind.
        """
        return False

    def narrow(self, values: Mapping[str, Any]) -> KindSpace:
        """This kind with some hyperparameters fixed or narrowed.

        Parameters
        ----------
        values : mapping of str to value
            By hyperparameter name, what the search's ``space`` gives for
            ``"kind.name"`` (see :func:`resolve_space`).

        Returns
        -------
        KindSpace
            A kind that draws, moves and contains only the narrowed values.

        Raises
        ------
        ValueError
            If a name is not a hyperparameter of the kind, or its value is
            not within the kind's range.
        """
        key = f"{self.name}.{next(iter(values), '')}"
        raise ValueError(
            f"space[{key!r}]: the {self.name!r} kind has no hyperparameters "
            "that space can narrow."
        )


class LevelsSpace(KindSpace):
    """Levels-and-wiring plans: a structure of the search's ``CerebrosSpace``."""

    name = "levels"
    catch_all = True

    @staticmethod
    def structure(point: Point) -> Structure:
        return Structure(tuple(map(tuple, point.values["structure"])))

    @staticmethod
    def _point(structure: Structure) -> Point:
        return Point("levels", {"structure": [list(lv) for lv in structure.neurons]})

    def draw(self, cerebros: CerebrosSpace, rng: np.random.Generator) -> Point:
        return self._point(sample_structure(cerebros, rng))

    def perturb(
        self, cerebros: CerebrosSpace, point: Point, rng: np.random.Generator
    ) -> Point:
        return self._point(perturb_structure(cerebros, self.structure(point), rng))

    def contains(self, cerebros: CerebrosSpace, point: Point) -> bool:
        try:
            return cerebros.contains(self.structure(point))
        except (KeyError, TypeError, ValueError):
            return False

    def point_of(self, cerebros: CerebrosSpace, plan: NetworkPlan) -> Point | None:
        if not isinstance(plan, LevelsPlan):
            return None
        point = self._point(Structure.of(plan))
        return point if self.contains(cerebros, point) else None

    def plan(self, point: Point) -> None:
        return None

    def reads(self, plan: NetworkPlan) -> bool:
        return isinstance(plan, LevelsPlan)

    def narrow(self, values: Mapping[str, Any]) -> KindSpace:
        key = f"{self.name}.{next(iter(values), '')}"
        raise ValueError(
            f"space[{key!r}]: the 'levels' kind is not narrowed by space but by "
            "the search's own parameters (levels, units_per_level, "
            "neurons_per_unit, skip_depth, ...)."
        )


class ParamSpace(KindSpace):
    """A kind whose point is a few hyperparameters of its plan.

    Parameters
    ----------
    name : str
        The kind's name.
    params : sequence of IntRange or Choice
        Its hyperparameters and their ranges.
    build : callable
        ``build(values)``: the plan of a point's values (head placeholder).
    read : callable
        ``read(plan)``: the values of a plan of the kind, or None when the
        plan is not of it; the point is kept only if the plan built back from
        them is the plan (other fields at their defaults) and they lie in
        the ranges.
    """

    def __init__(
        self,
        name: str,
        params: Sequence[Param],
        build: Callable[[Mapping[str, Any]], NetworkPlan],
        read: Callable[[NetworkPlan], dict[str, Any] | None],
    ) -> None:
        self.name, self.params = name, tuple(params)
        self._build, self._read = build, read

    def draw(self, cerebros: CerebrosSpace, rng: np.random.Generator) -> Point:
        return Point(self.name, {p.name: p.draw(rng) for p in self.params})

    def perturb(
        self, cerebros: CerebrosSpace, point: Point, rng: np.random.Generator
    ) -> Point:
        movable = [p for p in self.params if p.movable()]
        if not movable:
            return point
        param = movable[int(rng.integers(len(movable)))]
        values = dict(point.values)
        values[param.name] = param.step(values[param.name], rng)
        return Point(self.name, values)

    def contains(self, cerebros: CerebrosSpace, point: Point) -> bool:
        return (
            point.kind == self.name
            and set(point.values) == {p.name for p in self.params}
            and all(p.contains(point.values[p.name]) for p in self.params)
        )

    def point_of(self, cerebros: CerebrosSpace, plan: NetworkPlan) -> Point | None:
        values = self._read(plan)
        if values is None:
            return None
        point = Point(self.name, values)
        if not self.contains(cerebros, point):
            return None
        units, activation = _head(plan)
        rebuilt = self._build(values).with_head(units, activation)
        return point if _same(rebuilt, plan) else None

    def plan(self, point: Point) -> NetworkPlan:
        return self._build(point.values)

    def reads(self, plan: NetworkPlan) -> bool:
        values = self._read(plan)
        if values is None:
            return False
        try:
            rebuilt = self._build(values).with_head(*_head(plan))
        except (KeyError, TypeError, ValueError):
            return False
        return _same(rebuilt, plan)

    def narrow(self, values: Mapping[str, Any]) -> ParamSpace:
        names = [p.name for p in self.params]
        for name in values:
            if name not in names:
                raise ValueError(
                    f"space[{f'{self.name}.{name}'!r}]: the {self.name!r} kind has "
                    f"no hyperparameter {name!r}; its hyperparameters are {names}."
                )
        narrowed = copy.copy(self)
        narrowed.params = tuple(
            p.narrowed(values[p.name], f"{self.name}.{p.name}")
            if p.name in values
            else p
            for p in self.params
        )
        return narrowed


def _head(plan: Any) -> tuple[int, str]:
    if isinstance(plan, LevelsPlan):
        return plan.head.units, plan.head.activation
    return plan.head_units, plan.head_activation


def _same(a: Any, b: Any) -> bool:
    """Equal plans, names aside."""
    da, db = a.to_dict(), b.to_dict()
    da.pop("name", None)
    db.pop("name", None)
    return da == db


_DROPOUT = (0.0, 0.1, 0.2, 0.3)


def _residual_build(values: Mapping[str, Any]) -> NetworkPlan:
    plan = residual_plan(
        n_blocks=values["n_blocks"], width=values["width"], dropout=values["dropout"]
    )
    return plan.with_head(1, "linear", values["members"])


def _residual_read(plan: NetworkPlan) -> dict[str, Any] | None:
    """A residual plan's values: blocks of two layers of one width."""
    if not isinstance(plan, LevelsPlan) or not plan.levels or plan.n_levels % 2:
        return None
    first = plan.levels[0].units[0]
    return {
        "width": int(first.neurons),
        "n_blocks": plan.n_levels // 2,
        "dropout": float(first.dropout),
        "members": int(plan.members),
    }


#: The residual MLP (two layers a block), its joint ensemble included.
RESIDUAL_SPACE = ParamSpace(
    "residual",
    (
        IntRange("width", 32, 512, log=True),
        IntRange("n_blocks", 1, 4),
        Choice("dropout", _DROPOUT),
        IntRange("members", 1, 16),
    ),
    _residual_build,
    _residual_read,
)

_RETRIEVAL_FIELDS = (
    "width",
    "k",
    "dropout",
    "learning_rate",
    "weight_decay",
    "train_candidates",
    "memory_gradients",
)

#: The learned-retrieval network (TabR); ``None`` rates: the estimator's.
RETRIEVAL_SPACE = ParamSpace(
    "retrieval",
    (
        IntRange("width", 32, 512, log=True),
        IntRange("k", 4, 128, log=True),
        Choice("dropout", _DROPOUT),
        Choice("learning_rate", (None, 3e-4, 1e-3, 3e-3)),
        Choice("weight_decay", (None, 1e-5, 1e-4, 1e-3)),
        # memory rows a training step retrieves from; None: all of them
        Choice("train_candidates", (None, 128, 256, 512)),
        # whether a step backpropagates through the memory's keys
        Choice("memory_gradients", (False, True)),
    ),
    lambda values: RetrievalPlan(**values),
    lambda plan: (
        {f: getattr(plan, f) for f in _RETRIEVAL_FIELDS}
        if isinstance(plan, RetrievalPlan)
        else None
    ),
)

_MIXER_FIELDS = (
    "patch_size",
    "hidden_dim",
    "n_blocks",
    "token_mlp_dim",
    "channel_mlp_dim",
    "dropout",
    "members",
)

#: The tabular MLP-Mixer, its joint ensemble included.
MIXER_SPACE = ParamSpace(
    "mixer",
    (
        IntRange("patch_size", 2, 16),
        IntRange("hidden_dim", 16, 256, log=True),
        IntRange("n_blocks", 1, 4),
        IntRange("token_mlp_dim", 16, 256, log=True),
        IntRange("channel_mlp_dim", 16, 512, log=True),
        Choice("dropout", _DROPOUT),
        IntRange("members", 1, 8),
    ),
    lambda values: MixerPlan(**values),
    lambda plan: (
        {f: getattr(plan, f) for f in _MIXER_FIELDS}
        if isinstance(plan, MixerPlan)
        else None
    ),
)

# The registered kinds by name, in registration order ("all" draws them so).
_SPACES: dict[str, KindSpace] = {}


def register_space(kind: KindSpace) -> KindSpace:
    """Make a kind drawable and perturbable by the search (replaces its name)."""
    _SPACES[kind.name] = kind
    return kind


def space_kinds() -> tuple[str, ...]:
    """The names of the registered kinds, in registration order."""
    return tuple(_SPACES)


for _kind in (LevelsSpace(), RESIDUAL_SPACE, RETRIEVAL_SPACE, MIXER_SPACE):
    register_space(_kind)


def plan_kind(plan: NetworkPlan | Mapping[str, Any] | None) -> str | None:
    """The kind a trial's plan is of, as the results table names it.

    The registered kinds are asked in order, a catch-all kind (levels)
    last, whatever their ranges: the default residual network is
    ``"residual"``, a wired structure ``"levels"``. A plan no kind reads is
    named by its architecture kind (:func:`~sklearn_cerebros.architecture.kind_of`).

    Parameters
    ----------
    plan : NetworkPlan, dict or None
        A plan, or its ``to_dict``; None (a trial that failed before it had
        a plan) gives None.

    Returns
    -------
    str or None
        ``"levels"``, ``"residual"``, ``"retrieval"``, ``"mixer"`` or the
        name of another registered kind; None for no plan or one that does
        not load.
    """
    if plan is None:
        return None
    if isinstance(plan, Mapping):
        try:
            plan = plan_from_dict(plan)
        except (KeyError, TypeError, ValueError):
            return None
    for kind in sorted(_SPACES.values(), key=lambda k: k.catch_all):
        if kind.reads(plan):
            return kind.name
    return kind_of(plan).label


def resolve_kinds(value: Any) -> tuple[str, ...]:
    """The search's ``kinds`` parameter as a tuple of kind names, checked.

    ``"all"`` is every registered kind; a name is that kind alone; a list
    or tuple of names is those kinds, in the order given, once each.
    """
    known = space_kinds()
    if isinstance(value, str):
        value = known if value == "all" else (value,)
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(
            f"kinds must be 'all', a kind's name or a non-empty list of names "
            f"among {list(known)}; got {value!r}."
        )
    names: list[str] = []
    for name in value:
        if name not in known:
            raise ValueError(
                f"kinds holds {name!r}, which is not a kind of plan the search "
                f"knows; the kinds are {list(known)} (or 'all')."
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def resolve_space(value: Any, kinds: Sequence[str]) -> dict[str, KindSpace]:
    """The search's ``space`` parameter as narrowed kinds, checked.

    Parameters
    ----------
    value : dict or None
        Keys ``"kind.parameter"`` (e.g. ``"residual.dropout"``), each fixing
        that hyperparameter to a value, or narrowing it to a list of values
        or to a ``(low, high)`` range within the kind's own
        (:meth:`IntRange.narrowed`, :meth:`Choice.narrowed`). None (or an
        empty dict) narrows nothing.
    kinds : sequence of str
        The search's kinds, as :func:`resolve_kinds` gives them: a key must
        name one of them.

    Returns
    -------
    dict of str to KindSpace
        The narrowed kinds by name; the kinds no key names are left out.

    Raises
    ------
    ValueError
        Naming the key and what was expected: ``value`` is not a dict, a key
        is not ``"kind.parameter"``, names a kind that is unknown or not in
        ``kinds``, or a hyperparameter the kind does not have, or a value is
        not within the kind's range.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(
            "space must be None or a dict keyed 'kind.parameter', e.g. "
            f"{{'residual.dropout': 0.1}}; got {value!r}."
        )
    known = space_kinds()
    grouped: dict[str, dict[str, Any]] = {}
    for key, narrowed in value.items():
        kind, dot, param = key.partition(".") if isinstance(key, str) else ("", "", "")
        if not (kind and dot and param) or "." in param:
            raise ValueError(
                f"space has the key {key!r}: expected 'kind.parameter', e.g. "
                "'residual.dropout'."
            )
        if kind not in known:
            raise ValueError(
                f"space[{key!r}]: {kind!r} is not a kind of plan the search "
                f"knows; the kinds are {list(known)}."
            )
        if kind not in kinds:
            raise ValueError(
                f"space[{key!r}]: the kind {kind!r} is not searched "
                f"(kinds={tuple(kinds)!r}); add it to kinds or drop the key."
            )
        grouped.setdefault(kind, {})[param] = narrowed
    return {kind: _SPACES[kind].narrow(params) for kind, params in grouped.items()}


def space_description(narrowed: Mapping[str, KindSpace]) -> dict[str, Any]:
    """What a search's ``space`` narrows, JSON-ready (for its fingerprint).

    Parameters
    ----------
    narrowed : mapping of str to KindSpace
        The narrowed kinds, as :func:`resolve_space` gives them.

    Returns
    -------
    dict
        ``{"kind.parameter": {"range": [low, high]}}`` or ``{"values":
        [...]}`` for each hyperparameter whose range differs from its
        kind's own, sorted by key; empty when nothing is narrowed (so
        ``{"residual.dropout": 0.1}`` and ``{"residual.dropout": [0.1]}``,
        the same search, are described alike).
    """
    described: dict[str, Any] = {}
    for name, kind in narrowed.items():
        own = {p.name: p for p in getattr(_SPACES[name], "params", ())}
        for param in getattr(kind, "params", ()):
            if own.get(param.name) != param:
                described[f"{name}.{param.name}"] = param.describe()
    return dict(sorted(described.items()))


@dataclass(frozen=True)
class SearchSpace:
    """The space a search draws from: some kinds, and the levels kind's ranges.

    Parameters
    ----------
    cerebros : CerebrosSpace
        The ranges and wiring rules of the levels-and-wiring plans.
    kinds : tuple of str
        The kinds drawn and evolved (see :func:`resolve_kinds`).
    narrow : dict or None, default=None
        The search's ``space``: hyperparameters of some of ``kinds`` fixed
        or narrowed (see :func:`resolve_space`). Draws, moves and
        :meth:`contains` then keep within the narrowed ranges, and
        :meth:`point_of` reads only plans within them (a parent must be).
    """

    cerebros: CerebrosSpace
    kinds: tuple[str, ...] = LEVELS_ONLY
    narrow: Mapping[str, Any] | None = None
    _narrowed: Mapping[str, KindSpace] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", resolve_kinds(self.kinds))
        object.__setattr__(self, "_narrowed", resolve_space(self.narrow, self.kinds))

    def _kind(self, name: str) -> KindSpace:
        narrowed = self._narrowed.get(name)
        return _SPACES[name] if narrowed is None else narrowed

    def draw(self, rng: np.random.Generator) -> Point:
        """A kind drawn uniform among ``kinds`` (no draw for one), then its point."""
        if len(self.kinds) == 1:
            name = self.kinds[0]
        else:
            name = self.kinds[int(rng.integers(len(self.kinds)))]
        return self._kind(name).draw(self.cerebros, rng)

    def perturb(self, point: Point, rng: np.random.Generator) -> Point:
        """``point`` moved by one step of its own kind."""
        return self._kind(point.kind).perturb(self.cerebros, point, rng)

    def contains(self, point: Point) -> bool:
        """Whether ``point`` is of an allowed kind and within its ranges."""
        return point.kind in self.kinds and self._kind(point.kind).contains(
            self.cerebros, point
        )

    def point_of(self, plan: NetworkPlan | Mapping[str, Any]) -> Point | None:
        """The point of a plan (or its dict) in this space, or None.

        The allowed kinds are asked in order, a catch-all kind (levels) last.
        """
        if isinstance(plan, Mapping):
            plan = plan_from_dict(plan)
        order = sorted(self.kinds, key=lambda n: self._kind(n).catch_all)
        for name in order:
            point = self._kind(name).point_of(self.cerebros, plan)
            if point is not None:
                return point
        return None

    def plan(self, point: Point) -> NetworkPlan | None:
        """The plan of a point, trained as it is; None for a levels structure."""
        return self._kind(point.kind).plan(point)

    def structure(self, point: Point) -> Structure:
        """The structure of a levels point."""
        return LevelsSpace.structure(point)
