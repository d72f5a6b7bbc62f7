"""Unit references ``(level, unit)`` and unit names, shared by plans and summaries."""

from __future__ import annotations

__all__ = ["Ref", "unit_name"]

Ref = tuple[int, int]


def unit_name(level: int, unit: int) -> str:
    """Name of a unit, as used in messages, layer names and pictures.

    Parameters
    ----------
    level : int
        Level number; ``0`` is the input level.
    unit : int
        Index of the unit within its level.

    Returns
    -------
    str
        ``"input"`` for ``(0, 0)``, otherwise ``"level{level}_unit{unit}"``.
    """
    return "input" if level == 0 else f"level{level}_unit{unit}"
