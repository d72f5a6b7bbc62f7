"""What every kind of plan shares: the error, the activations, the dict format."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "PlanError",
    "check_format",
    "check_members",
    "fields_from_dict",
    "fields_to_dict",
]

#: Hidden-layer activations, by the names Keras knows them under.
ACTIVATIONS = frozenset(
    {
        "relu",
        "elu",
        "selu",
        "gelu",
        "silu",
        "swish",
        "mish",
        "leaky_relu",
        "tanh",
        "sigmoid",
        "softplus",
        "softsign",
        "linear",
    }
)
#: Activations allowed on the output head.
OUTPUT_ACTIVATIONS = frozenset({"linear", "sigmoid", "softmax", "softplus", "tanh"})


class PlanError(ValueError):
    """Raised when a plan breaks one of the structural rules."""


def check_format(data: Mapping[str, Any], fmt: str, version: int, kind: str) -> None:
    """Raise :class:`PlanError` unless ``data`` names format ``fmt``, ``version``."""
    if data.get("format") != fmt:
        raise PlanError(
            f"Not a {kind}: expected format {fmt!r}, got {data.get('format')!r}."
        )
    if data.get("version") != version:
        raise PlanError(
            f"Unsupported {kind} version {data.get('version')!r}; "
            f"this release reads version {version}."
        )


def fields_to_dict(plan: Any, fmt: str, version: int) -> dict[str, Any]:
    """A flat dataclass plan as JSON-ready builtins, with its format and version."""
    data = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    return {"format": fmt, "version": version, **data}


def fields_from_dict(
    cls: type, data: Mapping[str, Any], fmt: str, version: int, kind: str
) -> Any:
    """Rebuild (and validate) a flat dataclass plan from :func:`fields_to_dict`."""
    check_format(data, fmt, version, kind)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names - {"format", "version"}
    if unknown:
        raise PlanError(f"Unknown {kind} fields: {sorted(unknown)}.")
    return cls(**{k: v for k, v in data.items() if k in names})


def check_members(members: Any) -> None:
    """Raise :class:`PlanError` unless ``members`` is an int of at least 1."""
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise PlanError(f"members must be an int of at least 1, got {members!r}.")
