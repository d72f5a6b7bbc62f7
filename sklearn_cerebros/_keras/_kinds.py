"""The Keras side of a kind of plan: how its plans become networks.

Each kind of plan (see :class:`~sklearn_cerebros.architecture.PlanKind`)
names its :class:`NetworkBuilder`, which its builder module defines next to
the function that builds it: :data:`~._builder.LEVELS_BUILDER`,
:data:`~._mixer.MIXER_BUILDER`, :data:`~._retrieval.RETRIEVAL_BUILDER`.
:func:`~._network.build`, :func:`~._network.fit_network` and the search ask
:func:`builder_of` and know no kind by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..architecture import NetworkPlan, PlanKind, kind_of, plan_kinds

__all__ = ["NetworkBuilder", "RowMemory", "builder_of", "keeps_rows"]


@dataclass(frozen=True)
class RowMemory:
    """How a kind of network keeps training rows among its weights.

    Parameters
    ----------
    of : callable
        ``of(plan, X, y, seed, limit=None) -> (features, targets)``: the
        memory a network of ``plan`` keeps of encoded rows ``X`` and targets
        ``y`` (drawn from ``seed`` when there are too many, or more than
        ``limit``).
    rows : callable
        ``rows(weights, n_features) -> int``: the number of memory rows a
        trained network's weights hold.
    n_weights : int, default=2
        The memory's arrays, which come first among the weights.
    """

    of: Callable[..., tuple[Any, Any]]
    rows: Callable[[list, int], int]
    n_weights: int = 2


@dataclass(frozen=True)
class NetworkBuilder:
    """How the plans of one kind become uncompiled Keras models.

    Parameters
    ----------
    build : callable
        ``build(plan, n_features)``, with ``base_model=`` when
        ``base_model`` is True and the memory (``(features, targets)`` or
        its number of rows) as third argument when ``memory`` is given;
        returns a :class:`keras.Model` whose weights are drawn from Keras's
        global seed.
    base_model : bool, default=False
        Whether a network of the kind can be built on a base model's output
        (then ``build`` checks ``n_features`` itself).
    memory : RowMemory, optional
        For a kind whose networks keep training rows (a retrieval network):
        how. A search then has a trained network remember every row it was
        given (see :func:`~._network.remember`).
    """

    build: Callable[..., Any]
    base_model: bool = False
    memory: RowMemory | None = None


def builder_of(plan: NetworkPlan) -> tuple[PlanKind, NetworkBuilder]:
    """The kind of ``plan`` and its Keras builder.

    Raises
    ------
    TypeError
        If ``plan`` is not a plan of a registered kind, or its kind's builder
        is not a :class:`NetworkBuilder`.
    """
    kind = kind_of(plan)
    builder = kind.keras_builder()
    if not isinstance(builder, NetworkBuilder):
        raise TypeError(
            f"The builder of the {kind.label} plans must be a NetworkBuilder, got "
            f"{type(builder).__name__}."
        )
    return kind, builder


def keeps_rows(plan: NetworkPlan) -> bool:
    """Whether the network of ``plan`` keeps training rows (a retrieval network)."""
    return builder_of(plan)[1].memory is not None


def memory_labels() -> str:
    """The labels of the kinds whose networks keep training rows, for messages."""
    labels = [
        kind.label
        for kind in plan_kinds()
        if isinstance(builder := kind.keras_builder(), NetworkBuilder)
        and builder.memory is not None
    ]
    return " or ".join(labels) or "no"
