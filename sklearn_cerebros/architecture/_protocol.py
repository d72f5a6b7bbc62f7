"""What every kind of plan offers: the protocol the builder and estimators use.

A plan is an immutable, validated description of a network with a
placeholder head. :class:`~._plan.Plan` (levels of Dense units),
:class:`~._mixer.MixerPlan` (a tabular MLP-Mixer) and
:class:`~._retrieval.RetrievalPlan` (a network that looks up similar
training rows) follow it; the builder turns any of them into a Keras model,
and the estimators and the search use nothing else of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ._mixer import MixerPlan
from ._plan import Plan, PlanError
from ._retrieval import RetrievalPlan

__all__ = ["NetworkPlan", "plan_from_dict"]


@runtime_checkable
class NetworkPlan(Protocol):
    """A network's architecture as plain, validated, JSON-ready data."""

    def with_head(self, units: int, activation: str) -> NetworkPlan:
        """A copy whose head has ``units`` outputs and ``activation``."""
        ...

    def n_params(self, n_features: int) -> int:
        """Trainable and non-trainable parameters for ``n_features`` inputs."""
        ...

    def describe(self) -> str:
        """A one-line description."""
        ...

    def summary(self, n_features: int | None = None) -> str:
        """A multi-line description; with ``n_features``, the parameter count."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready builtins, with a ``format`` key naming the kind of plan."""
        ...

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworkPlan:
        """Rebuild (and validate) a plan of this kind from :meth:`to_dict`."""
        ...


_KINDS: tuple[type[Plan] | type[MixerPlan] | type[RetrievalPlan], ...] = (
    Plan,
    MixerPlan,
    RetrievalPlan,
)


def plan_from_dict(data: Mapping[str, Any]) -> NetworkPlan:
    """Rebuild a plan of any kind from its :meth:`~NetworkPlan.to_dict` output.

    The dict's ``format`` key says which kind it is.

    Parameters
    ----------
    data : mapping
        A dict as written by a plan's ``to_dict``, for example loaded from JSON.

    Returns
    -------
    Plan, MixerPlan or RetrievalPlan
    """
    fmt = data.get("format") if isinstance(data, Mapping) else None
    for kind in _KINDS:
        if fmt == kind.FORMAT:
            return kind.from_dict(data)
    known = ", ".join(repr(kind.FORMAT) for kind in _KINDS)
    raise PlanError(f"Not a plan: expected a format among {known}, got {fmt!r}.")
