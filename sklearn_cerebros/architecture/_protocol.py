"""What every kind of plan offers, and the registry that finds each kind.

A plan is an immutable, validated description of a network with a
placeholder head. Every kind of plan follows :class:`NetworkPlan`, and
declares in one :class:`PlanKind`, registered with :func:`register_kind`
next to its class, what the rest of the library asks of it beyond that: its
Keras builder, the name of its entries in a saved estimator, its sizes as a
search records them and its picture. The builder, the persistence, the
search and the plotting find a plan's kind with :func:`kind_of` (or, for a
plan read back as a dict, :func:`kind_named`) and know no kind by name.

The kinds the library registers are
:class:`~._levels.LevelsPlan` (levels of Dense units and their wiring: the
Cerebros plans, and the residual MLP as a family of them),
:class:`~._mixer.MixerPlan` (a tabular MLP-Mixer) and
:class:`~._retrieval.RetrievalPlan` (a network that looks up similar
training rows). A new kind is its plan module, its builder module and one
:func:`register_kind` call.

Nothing here imports Keras or matplotlib: a kind names its builder and its
picture as ``"module:name"`` strings, imported when first used.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

from ._common import PlanError

__all__ = [
    "NetworkPlan",
    "PlanKind",
    "is_plan",
    "kind_named",
    "kind_of",
    "plan_from_dict",
    "plan_kinds",
    "register_kind",
    "unregister_kind",
]


@runtime_checkable
class NetworkPlan(Protocol):
    """A network's architecture as plain, validated, JSON-ready data.

    A plan is a frozen dataclass: code gives a plan another name with
    ``dataclasses.replace(plan, name=...)`` (a bagged trial names each
    fold's network). A plan may also carry ``learning_rate`` and
    ``weight_decay`` (as :class:`~._retrieval.RetrievalPlan` does): when set
    (not None), its network trains with them instead of the estimator's.
    """

    #: The ``format`` key of :meth:`to_dict`, naming the kind of plan; it
    #: never changes once plans of the kind have been saved.
    FORMAT: ClassVar[str]
    #: Name of the built Keras model.
    name: str

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


def _one_unit(plan: Any) -> tuple[tuple[int, ...], ...]:
    return ((1,),)


@dataclass(frozen=True)
class PlanKind:
    """What the library asks of one kind of plan, declared in one place.

    Parameters
    ----------
    plan_type : type
        The plan class: a frozen dataclass with a ``name`` field that
        follows :class:`NetworkPlan`. Its ``FORMAT`` identifies the kind in
        a plan's dict (:func:`plan_from_dict`).
    label : str
        What messages call a plan of the kind (``"a {label} plan"``).
    state_key : str
        Name of its entries in the record of a saved estimator's state (see
        :mod:`sklearn_cerebros.io`); like ``FORMAT``, it never changes once
        estimators holding such plans have been saved.
    builder : object or str
        Its Keras builder, a :class:`sklearn_cerebros._keras.NetworkBuilder`,
        or where to find it as ``"module:name"`` (imported at the first
        build, so that this package does not import Keras).
    sizes : callable, optional
        ``sizes(plan)``: the neurons of each unit, level by level (a tuple of
        tuples of int), as a search records a trial's structure. A kind that
        is not made of levels of units gives one level of one unit as wide
        as its hidden layers. By default ``((1,),)``.
    levels : bool, default=False
        Whether ``sizes`` are levels of units: a search then records the
        plan's numbers of levels, units and neurons (None otherwise).
    picture : callable or str, optional
        ``picture(plan, ax)`` draws a plan of the kind on matplotlib axes
        (a new figure when ``ax`` is None) and returns the figure, for
        :func:`~sklearn_cerebros.plotting.plot_architecture`; or
        ``"module:name"``. None: the kind has no picture.
    no_picture : str, default=""
        Why the kind has no picture, for the error
        :func:`~sklearn_cerebros.plotting.plot_architecture` raises.
    """

    plan_type: type
    label: str
    state_key: str
    builder: Any
    sizes: Callable[[Any], tuple[tuple[int, ...], ...]] = _one_unit
    levels: bool = False
    picture: Any = None
    no_picture: str = ""

    @property
    def format(self) -> str:
        """The ``format`` key of the kind's plan dicts."""
        return self.plan_type.FORMAT

    def keras_builder(self) -> Any:
        """The Keras builder, imported on first use."""
        return _resolve(self.builder)

    def draw(self) -> Callable[..., Any] | None:
        """The function that draws a plan of the kind, or None."""
        return None if self.picture is None else _resolve(self.picture)


def _resolve(ref: Any) -> Any:
    """``ref`` itself, or the object a ``"module:name"`` string names."""
    if not isinstance(ref, str):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


# The registered kinds by format, in registration order.
_KINDS: dict[str, PlanKind] = {}


def register_kind(kind: PlanKind) -> PlanKind:
    """Make a kind of plan known to the builder, the search, saving and plotting.

    Parameters
    ----------
    kind : PlanKind
        What the library asks of the kind. Registering a kind again for the
        same plan class replaces it.

    Returns
    -------
    PlanKind
        ``kind``, so that it can be kept and given to :func:`unregister_kind`.

    Raises
    ------
    TypeError
        If ``kind.plan_type`` is not a dataclass with a ``name`` field and a
        string ``FORMAT``.
    ValueError
        If another kind holds its ``FORMAT`` or its ``state_key``.
    """
    cls = kind.plan_type
    if not (
        isinstance(cls, type)
        and dataclasses.is_dataclass(cls)
        and "name" in {f.name for f in dataclasses.fields(cls)}
        and isinstance(getattr(cls, "FORMAT", None), str)
    ):
        raise TypeError(
            f"A kind of plan is a dataclass with a 'name' field and a FORMAT "
            f"string (see NetworkPlan); got {cls!r}."
        )
    for other in _KINDS.values():
        if other.plan_type is cls:
            continue
        if other.format == kind.format or other.state_key == kind.state_key:
            raise ValueError(
                f"{other.plan_type.__name__} already holds format "
                f"{other.format!r} and state key {other.state_key!r}; "
                f"{cls.__name__} needs its own."
            )
    unregister_kind(cls)
    _KINDS[kind.format] = kind
    return kind


def unregister_kind(plan_type: type) -> None:
    """Forget the kind of ``plan_type`` (a test's toy kind); no error if unknown."""
    for fmt, kind in list(_KINDS.items()):
        if kind.plan_type is plan_type:
            del _KINDS[fmt]


def plan_kinds() -> tuple[PlanKind, ...]:
    """The registered kinds, in registration order."""
    return tuple(_KINDS.values())


def _known() -> str:
    return ", ".join(kind.plan_type.__name__ for kind in _KINDS.values())


def _find(cls: type) -> PlanKind | None:
    for base in cls.__mro__:
        for kind in _KINDS.values():
            if kind.plan_type is base:
                return kind
    return None


def is_plan(value: Any) -> bool:
    """Whether ``value`` is a plan of a registered kind."""
    return _find(type(value)) is not None


def kind_of(plan: Any) -> PlanKind:
    """The registered kind of ``plan``.

    Raises
    ------
    TypeError
        If ``plan`` is not a plan of a registered kind.
    """
    kind = _find(type(plan))
    if kind is None:
        raise TypeError(
            f"A {type(plan).__name__} is not a plan of a registered kind; the "
            f"kinds are {_known()} (see register_kind)."
        )
    return kind


def kind_named(fmt: Any) -> PlanKind:
    """The registered kind whose plans' dicts have ``format`` ``fmt``.

    Raises
    ------
    PlanError
        If no kind has that format.
    """
    kind = _KINDS.get(fmt) if isinstance(fmt, str) else None
    if kind is None:
        known = ", ".join(repr(f) for f in _KINDS)
        raise PlanError(f"Not a plan: expected a format among {known}, got {fmt!r}.")
    return kind


def plan_from_dict(data: Mapping[str, Any]) -> NetworkPlan:
    """Rebuild a plan of any kind from its :meth:`~NetworkPlan.to_dict` output.

    The dict's ``format`` key says which kind it is.

    Parameters
    ----------
    data : mapping
        A dict as written by a plan's ``to_dict``, for example loaded from JSON.

    Returns
    -------
    NetworkPlan
        A plan of the registered kind the format names (a
        :class:`~._levels.LevelsPlan`, :class:`~._mixer.MixerPlan`,
        :class:`~._retrieval.RetrievalPlan`, ...).
    """
    fmt = data.get("format") if isinstance(data, Mapping) else None
    return kind_named(fmt).plan_type.from_dict(data)
