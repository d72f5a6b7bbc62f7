"""Text views of a plan: a one-line description and a unit-by-unit summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._refs import Ref, unit_name

if TYPE_CHECKING:
    # Annotations only: at run time _levels imports this module, not the reverse.
    from ._levels import LevelsPlan

__all__ = ["ConnectionCounts", "connection_counts", "describe", "summary"]


@dataclass(frozen=True)
class ConnectionCounts:
    """How many connections of each kind a plan has.

    Parameters
    ----------
    predecessor : int
        Connections to an earlier level, the head's included.
    skip : int
        The predecessor connections that span more than one level.
    lateral : int
        Connections between units of the same level.
    gated : int
        The lateral connections that pass through a gate.
    """

    predecessor: int
    skip: int
    lateral: int
    gated: int


def connection_counts(plan: LevelsPlan) -> ConnectionCounts:
    """Count a plan's predecessor, skip, lateral and gated connections."""
    consumers: list[tuple[int, tuple[Ref, ...]]] = [
        (k, unit.inputs) for k, _, unit in plan.iter_units()
    ]
    consumers.append((plan.n_levels + 1, plan.head.inputs))
    refs = [(k, level) for k, inputs in consumers for level, _ in inputs]
    units = [unit for _, _, unit in plan.iter_units()]
    return ConnectionCounts(
        predecessor=len(refs),
        skip=sum(k - level > 1 for k, level in refs),
        lateral=sum(len(u.laterals) for u in units),
        gated=sum(len(u.gated) for u in units),
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def describe(plan: LevelsPlan) -> str:
    """One line for a results table, e.g. ``"3 levels, 7 units, 212 neurons, ..."``.

    Parameters
    ----------
    plan : LevelsPlan

    Returns
    -------
    str
        Levels, units, neurons, skip connections and lateral connections
        (with how many are gated); when some units have stochastic depth, how
        many and their largest ``drop_path``; the members of a joint ensemble.
    """
    counts = connection_counts(plan)
    neurons = sum(unit.neurons for _, _, unit in plan.iter_units())
    text = (
        f"{_count(plan.n_levels, 'level')}, {_count(plan.n_units, 'unit')}, "
        f"{_count(neurons, 'neuron')}, {_count(counts.skip, 'skip')}, "
        f"{_count(counts.lateral, 'lateral')} ({counts.gated} gated)"
    )
    rates = [unit.drop_path for _, _, unit in plan.iter_units() if unit.drop_path]
    if rates:
        text += f", drop path on {_count(len(rates), 'unit')} (up to {max(rates):g})"
    if plan.members > 1:
        text += f", {plan.members} members"
    return text


def summary(plan: LevelsPlan, n_features: int | None = None) -> str:
    """A unit-by-unit text summary of a plan.

    Parameters
    ----------
    plan : LevelsPlan
    n_features : int, optional
        Width of the feature vector; when given, the parameter count of the
        built network is included.

    Returns
    -------
    str
        A header line, one line a level, one line a unit (width, activation,
        batch normalisation, dropout, drop path, inputs and lateral inputs,
        gated ones marked ``*``), the head, the connection counts, and the parameters.
    """
    lines = [f"Plan {plan.name!r}: {describe(plan)}"]
    depth = "none" if plan.max_skip_depth is None else plan.max_skip_depth
    lines.append(f"max skip depth: {depth}; gate activation: {plan.gate_activation}")
    pad = (
        max(len(unit_name(k, i)) for k, i, _ in plan.iter_units())
        if plan.n_units
        else 0
    )
    for k, level in enumerate(plan.levels, start=1):
        widths = [u.neurons for u in level.units]
        lines.append(f"level {k}: {_count(len(level), 'unit')}, neurons {widths}")
        for i, unit in enumerate(level.units):
            extras = unit.activation
            if unit.batch_norm:
                extras += ", batch norm"
            if unit.dropout:
                extras += f", dropout {unit.dropout:g}"
            if unit.drop_path:
                extras += f", drop path {unit.drop_path:g}"
            sources = ", ".join(unit_name(*r) for r in unit.inputs)
            line = (
                f"  {unit_name(k, i):<{pad}} {unit.neurons:>5}  ({extras}) <- {sources}"
            )
            if unit.laterals:
                marked = [
                    f"unit{v}{'*' if v in unit.gated else ''}" for v in unit.laterals
                ]
                line += f"; laterals {', '.join(marked)}"
            lines.append(line)
    head = plan.head
    sources = ", ".join(unit_name(*r) for r in head.inputs)
    members = (
        f", one per member of {plan.members}, averaged" if plan.members > 1 else ""
    )
    lines.append(
        f"head: {_count(head.units, 'output')} ({head.activation}{members}) "
        f"<- {sources}"
    )
    counts = connection_counts(plan)
    lines.append(
        f"connections: {counts.predecessor} predecessor ({counts.skip} skip), "
        f"{counts.lateral} lateral ({counts.gated} gated)"
    )
    if n_features is not None:
        lines.append(
            f"parameters: {plan.n_params(n_features):,} for "
            f"{_count(int(n_features), 'feature')}"
        )
    return "\n".join(lines)
