"""Levels-and-wiring plans (Cerebros): a network's architecture as plain data.

A :class:`LevelsPlan` is a stack of hidden *levels*, each holding parallel
*units* (one Dense layer each), and an output *head*. Every connection is
written down explicitly:

* ``inputs`` of a unit are references ``(level, unit)`` to units on earlier
  levels; level ``0`` is the input level, whose only unit ``(0, 0)`` is the
  feature vector. A reference that jumps more than one level is a skip
  connection.
* ``laterals`` of a unit are indices of lower-index units on its own level;
  ``gated`` lists the laterals whose signal passes through a learned gate.

Plans are immutable and validated on construction, so an invalid plan cannot
exist. Nothing here imports Keras: a plan can be made, checked, stored as JSON
and compared without a deep-learning framework.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._common import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    PlanError,
    check_format,
    check_members,
)
from ._protocol import PlanKind, register_kind
from ._refs import Ref, unit_name
from ._summary import describe, summary

__all__ = ["Level", "LevelsPlan", "OutputHead", "Unit", "unit_name"]

_FORMAT = "sklearn-cerebros-plan"
_VERSION = 1


def _as_refs(refs: Iterable[Sequence[int]]) -> tuple[Ref, ...]:
    return tuple((int(r[0]), int(r[1])) for r in refs)


@dataclass(frozen=True)
class Unit:
    """One Dense layer and the connections that feed it.

    Parameters
    ----------
    neurons : int
        Width of the Dense layer.
    inputs : tuple of (int, int)
        Predecessor connections as ``(level, unit)`` references.
    activation : str, default="relu"
        Activation of the Dense layer, one of :data:`ACTIVATIONS`.
    laterals : tuple of int, default=()
        Lower-index units of the same level whose outputs also feed this unit.
    gated : tuple of int, default=()
        The laterals that pass through a learned gate; a subset of ``laterals``.
    batch_norm : bool, default=False
        Normalise the unit's (concatenated) input with batch normalisation
        before the Dense layer.
    dropout : float, default=0.0
        Dropout rate applied to the unit's output during training.
    drop_path : float, default=0.0
        Stochastic-depth rate, in ``[0, 1)``: during training the unit's
        whole output (after dropout) is zeroed for a random share
        ``drop_path`` of the rows and the kept rows are scaled by
        ``1 / (1 - drop_path)``; at inference the output passes unchanged.
        Units that read this unit then see zeros in its place for the dropped
        rows, as if the unit were not there.
    """

    neurons: int
    inputs: tuple[Ref, ...]
    activation: str = "relu"
    laterals: tuple[int, ...] = ()
    gated: tuple[int, ...] = ()
    batch_norm: bool = False
    dropout: float = 0.0
    drop_path: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", _as_refs(self.inputs))
        object.__setattr__(self, "laterals", tuple(int(v) for v in self.laterals))
        object.__setattr__(self, "gated", tuple(int(v) for v in self.gated))

    def to_dict(self) -> dict[str, Any]:
        """Return the unit as JSON-ready builtins."""
        return {
            "neurons": self.neurons,
            "inputs": [list(r) for r in self.inputs],
            "activation": self.activation,
            "laterals": list(self.laterals),
            "gated": list(self.gated),
            "batch_norm": self.batch_norm,
            "dropout": self.dropout,
            "drop_path": self.drop_path,
        }


@dataclass(frozen=True)
class Level:
    """A hidden level: parallel units that share a depth.

    Parameters
    ----------
    units : tuple of Unit
        The level's units, in index order.
    """

    units: tuple[Unit, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "units", tuple(self.units))

    def __len__(self) -> int:
        return len(self.units)


@dataclass(frozen=True)
class OutputHead:
    """The output layer: a Dense layer fed by the last units of the network.

    Parameters
    ----------
    inputs : tuple of (int, int)
        ``(level, unit)`` references of the units that feed the head.
    units : int, default=1
        Number of outputs.
    activation : str, default="linear"
        Output activation, one of :data:`OUTPUT_ACTIVATIONS`.
    """

    inputs: tuple[Ref, ...]
    units: int = 1
    activation: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", _as_refs(self.inputs))

    def to_dict(self) -> dict[str, Any]:
        """Return the head as JSON-ready builtins."""
        return {
            "inputs": [list(r) for r in self.inputs],
            "units": self.units,
            "activation": self.activation,
        }


@dataclass(frozen=True)
class LevelsPlan:
    """A validated network architecture.

    Parameters
    ----------
    levels : tuple of Level
        Hidden levels; ``levels[0]`` is level 1 in references.
    head : OutputHead
        The output layer and its inputs.
    max_skip_depth : int or None, default=None
        Largest level difference a predecessor connection may span (the head
        counts as the level after the last hidden one). ``None`` means no limit.
    gate_activation : str, default="sigmoid"
        Activation of the learned gates on gated lateral connections.
    members : int, default=1
        Members of a joint ensemble (TabM-mini). With ``members = k > 1`` each
        member multiplies the feature vector by its own vector (initialised
        with random signs), the hidden units are shared and run on all members
        at once, each member has its own output head, and the network's output
        is the members' mean. ``1`` is a plain network.
    name : str, default="plan"
        Name given to the built model.

    Raises
    ------
    PlanError
        If any rule is broken: references to missing units, connections that
        point forward, sideways from a higher index, or beyond
        ``max_skip_depth`` (any of which would allow a cycle), a unit without an
        input from the level directly above, a unit that does not reach the
        head, duplicate connections, or out-of-range sizes and rates.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import Level, OutputHead, LevelsPlan, Unit
    >>> plan = LevelsPlan(
    ...     levels=(Level((Unit(8, inputs=((0, 0),)),)),),
    ...     head=OutputHead(inputs=((1, 0),)),
    ... )
    >>> plan.n_levels, plan.n_units
    (1, 1)
    >>> LevelsPlan.from_dict(plan.to_dict()) == plan
    True
    """

    levels: tuple[Level, ...]
    head: OutputHead
    max_skip_depth: int | None = None
    gate_activation: str = "sigmoid"
    members: int = 1
    name: str = field(default="plan", compare=False)

    #: The ``format`` key of :meth:`to_dict`, naming the kind of plan.
    FORMAT: ClassVar[str] = _FORMAT

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        _validate(self)

    # -- views -------------------------------------------------------------
    @property
    def n_levels(self) -> int:
        """Number of hidden levels."""
        return len(self.levels)

    @property
    def n_units(self) -> int:
        """Number of units (Dense layers) over all hidden levels."""
        return sum(len(level) for level in self.levels)

    def unit(self, level: int, index: int) -> Unit:
        """Return the unit at ``(level, index)``; levels count from 1."""
        return self.levels[level - 1].units[index]

    def iter_units(self) -> Iterable[tuple[int, int, Unit]]:
        """Yield ``(level, index, unit)`` in build order."""
        for k, level in enumerate(self.levels, start=1):
            for i, unit in enumerate(level.units):
                yield k, i, unit

    def widths(self, n_features: int) -> dict[Ref, int]:
        """Output width of every unit, the input level included."""
        widths: dict[Ref, int] = {(0, 0): int(n_features)}
        for k, i, unit in self.iter_units():
            widths[(k, i)] = unit.neurons
        return widths

    def n_params(self, n_features: int) -> int:
        """Number of weights of the built network for ``n_features`` inputs.

        Counts Dense kernels and biases, gate Dense layers, and the four
        vectors of each batch normalisation (two of them not trainable); with
        ``members = k > 1`` also the ``k x n_features`` input multipliers
        and ``k`` output heads.
        """
        widths = self.widths(n_features)
        total = 0
        for k, _, unit in self.iter_units():
            width_in = sum(widths[r] for r in unit.inputs)
            width_in += sum(widths[(k, v)] for v in unit.laterals)
            total += sum(widths[(k, v)] * (widths[(k, v)] + 1) for v in unit.gated)
            if unit.batch_norm:
                total += 4 * width_in
            total += (width_in + 1) * unit.neurons
        width_head = sum(widths[r] for r in self.head.inputs)
        if self.members > 1:
            total += self.members * int(n_features)
        return total + self.members * (width_head + 1) * self.head.units

    def describe(self) -> str:
        """One-line description, e.g. for a results table.

        Returns
        -------
        str
            Such as ``"3 levels, 7 units, 212 neurons, 4 skips, 2 laterals
            (1 gated)"``.
        """
        return describe(self)

    def summary(self, n_features: int | None = None) -> str:
        """Unit-by-unit text summary: sizes, inputs, laterals and counts.

        Parameters
        ----------
        n_features : int, optional
            Width of the feature vector; adds the parameter count when given.

        Returns
        -------
        str
        """
        return summary(self, n_features)

    def __str__(self) -> str:
        return self.summary()

    def with_head(
        self, units: int, activation: str, members: int | None = None
    ) -> LevelsPlan:
        """Return a copy whose head has ``units`` outputs and ``activation``.

        ``members``, when given, also sets the number of ensemble members
        (each has its own head).
        """
        head = dataclasses.replace(self.head, units=units, activation=activation)
        members = self.members if members is None else members
        return dataclasses.replace(self, head=head, members=members)

    # -- serialisation -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready builtins (see :meth:`from_dict`)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "name": self.name,
            "max_skip_depth": self.max_skip_depth,
            "gate_activation": self.gate_activation,
            "members": self.members,
            "levels": [[u.to_dict() for u in level.units] for level in self.levels],
            "head": self.head.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelsPlan:
        """Rebuild (and validate) a plan from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            A dict as written by :meth:`to_dict`, for example loaded from JSON.

        Returns
        -------
        LevelsPlan
        """
        check_format(data, _FORMAT, _VERSION, "plan")
        levels = tuple(
            Level(tuple(Unit(**unit) for unit in units)) for units in data["levels"]
        )
        return cls(
            levels=levels,
            head=OutputHead(**data["head"]),
            max_skip_depth=data.get("max_skip_depth"),
            gate_activation=data.get("gate_activation", "sigmoid"),
            members=data.get("members", 1),
            name=data.get("name", "plan"),
        )


# -- validation ------------------------------------------------------------
def _check_ref(plan: LevelsPlan, where: str, here: int, ref: Ref) -> None:
    level, index = ref
    if level >= here:
        raise PlanError(
            f"{where} takes input from level {level}, which is not before level "
            f"{here}: predecessor connections must point to earlier levels "
            "(anything else could form a cycle)."
        )
    if level < 0 or (level == 0 and index != 0):
        raise PlanError(f"{where} refers to {ref}, which does not exist.")
    if level > 0 and not 0 <= index < len(plan.levels[level - 1]):
        raise PlanError(
            f"{where} refers to unit {index} of level {level}, which has "
            f"{len(plan.levels[level - 1])} units."
        )
    if plan.max_skip_depth is not None and here - level > plan.max_skip_depth:
        raise PlanError(
            f"{where} takes input from {unit_name(level, index)}, {here - level} "
            f"levels up, beyond max_skip_depth={plan.max_skip_depth}."
        )


def _check_refs(plan: LevelsPlan, where: str, here: int, refs: tuple[Ref, ...]) -> None:
    if not refs:
        raise PlanError(f"{where} has no inputs.")
    if len(set(refs)) != len(refs):
        raise PlanError(f"{where} lists the same predecessor more than once: {refs}.")
    for ref in refs:
        _check_ref(plan, where, here, ref)
    if not any(level == here - 1 for level, _ in refs):
        raise PlanError(
            f"{where} has no input from level {here - 1}, the level directly above it."
        )


def _check_unit(plan: LevelsPlan, k: int, i: int, unit: Unit) -> None:
    where = unit_name(k, i)
    if isinstance(unit.neurons, bool) or not isinstance(unit.neurons, int):
        raise PlanError(f"{where}: neurons must be an int, got {unit.neurons!r}.")
    if unit.neurons < 1:
        raise PlanError(f"{where}: neurons must be at least 1, got {unit.neurons}.")
    if unit.activation not in ACTIVATIONS:
        raise PlanError(
            f"{where}: unknown activation {unit.activation!r}; "
            f"expected one of {sorted(ACTIVATIONS)}."
        )
    if not 0.0 <= unit.dropout < 1.0:
        raise PlanError(f"{where}: dropout must be in [0, 1), got {unit.dropout}.")
    if not 0.0 <= unit.drop_path < 1.0:
        raise PlanError(f"{where}: drop_path must be in [0, 1), got {unit.drop_path}.")
    _check_refs(plan, where, k, unit.inputs)
    if len(set(unit.laterals)) != len(unit.laterals):
        raise PlanError(f"{where} lists the same lateral input more than once.")
    for v in unit.laterals:
        if not 0 <= v < i:
            raise PlanError(
                f"{where} has a lateral input from unit {v}: laterals must come "
                f"from a lower-index unit of the same level (0 to {i - 1}), "
                "anything else could form a cycle."
            )
    extra = set(unit.gated) - set(unit.laterals)
    if extra or len(set(unit.gated)) != len(unit.gated):
        raise PlanError(
            f"{where}: gated must be a subset of laterals without repeats; "
            f"got gated={unit.gated}, laterals={unit.laterals}."
        )


def _validate(plan: LevelsPlan) -> None:
    if plan.max_skip_depth is not None and plan.max_skip_depth < 1:
        raise PlanError(
            f"max_skip_depth must be at least 1 or None, got {plan.max_skip_depth}."
        )
    if plan.gate_activation not in ACTIVATIONS:
        raise PlanError(f"Unknown gate_activation {plan.gate_activation!r}.")
    check_members(plan.members)
    for k, level in enumerate(plan.levels, start=1):
        if len(level) == 0:
            raise PlanError(f"Level {k} has no units.")
    for k, i, unit in plan.iter_units():
        _check_unit(plan, k, i, unit)
    head = plan.head
    if head.units < 1:
        raise PlanError(f"The head must have at least 1 unit, got {head.units}.")
    if head.activation not in OUTPUT_ACTIVATIONS:
        raise PlanError(
            f"Unknown head activation {head.activation!r}; "
            f"expected one of {sorted(OUTPUT_ACTIVATIONS)}."
        )
    _check_refs(plan, "The head", plan.n_levels + 1, head.inputs)
    _check_reaches_head(plan)


def _check_reaches_head(plan: LevelsPlan) -> None:
    """Every unit must feed the head, directly or through later units."""
    live: set[Ref] = set(plan.head.inputs)
    # Consumers always sit later in build order, so one reverse sweep suffices.
    for k, i, unit in reversed(list(plan.iter_units())):
        if (k, i) not in live:
            raise PlanError(
                f"{unit_name(k, i)} is a dead end: no later unit and not the head "
                "uses its output, so it cannot reach the output."
            )
        live.update(unit.inputs)
        live.update((k, v) for v in unit.laterals)


def _sizes(plan: LevelsPlan) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(u.neurons for u in level.units) for level in plan.levels)


#: The kind of plan of levels and wiring; the residual MLP is a family of it.
LEVELS = register_kind(
    PlanKind(
        LevelsPlan,
        label="levels",
        state_key="plan",
        builder="sklearn_cerebros._keras._builder:LEVELS_BUILDER",
        sizes=_sizes,
        levels=True,
        picture="sklearn_cerebros.plotting._architecture:draw_levels",
    )
)
