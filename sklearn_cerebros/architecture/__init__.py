"""Network architectures as plain data, with no Keras import.

A :class:`LevelsPlan` describes levels of parallel Dense units, their
predecessor, skip and lateral connections, and the output head: the plans a
Cerebros search draws, and the residual MLP's (:func:`residual_plan`). Plans
are validated on construction and round-trip through JSON with
:meth:`LevelsPlan.to_dict` and :meth:`LevelsPlan.from_dict`.

Cerebros plans are drawn from a :class:`CerebrosSpace`: :func:`sample_plan`
in one go, or :func:`sample_structure` then :func:`wire` to retry the wiring
of a structure, and :func:`perturb_structure` to move a structure by one step.
A :class:`MixerPlan` describes a tabular MLP-Mixer, a :class:`RetrievalPlan`
a network that looks up similar training rows (after TabR).

Every kind of plan follows the :class:`NetworkPlan` protocol and is
registered as a :class:`PlanKind` (:func:`register_kind`), which the
builder, the search, saving and plotting find with :func:`kind_of`;
:func:`plan_from_dict` reads a plan of any kind back.

``Plan``, the former name of :class:`LevelsPlan`, is deprecated: it still
works, with a :class:`FutureWarning`, and goes in the next release.
"""

import warnings
from typing import Any

from ._cerebros import (
    DECAYS,
    ROUNDING_RULES,
    CerebrosSpace,
    Structure,
    perturb_structure,
    sample_plan,
    sample_structure,
    wire,
)
from ._common import ACTIVATIONS, OUTPUT_ACTIVATIONS, PlanError
from ._levels import Level, LevelsPlan, OutputHead, Unit, unit_name
from ._mixer import MixerPlan
from ._protocol import (
    NetworkPlan,
    PlanKind,
    is_plan,
    kind_named,
    kind_of,
    plan_from_dict,
    plan_kinds,
    register_kind,
    unregister_kind,
)
from ._residual import block_widths, drop_path_rates, residual_plan
from ._retrieval import RetrievalPlan
from ._summary import ConnectionCounts, connection_counts

__all__ = [
    "ACTIVATIONS",
    "DECAYS",
    "OUTPUT_ACTIVATIONS",
    "ROUNDING_RULES",
    "CerebrosSpace",
    "ConnectionCounts",
    "Level",
    "LevelsPlan",
    "MixerPlan",
    "NetworkPlan",
    "OutputHead",
    "PlanError",
    "PlanKind",
    "RetrievalPlan",
    "Structure",
    "Unit",
    "block_widths",
    "connection_counts",
    "drop_path_rates",
    "is_plan",
    "kind_named",
    "kind_of",
    "perturb_structure",
    "plan_from_dict",
    "plan_kinds",
    "register_kind",
    "residual_plan",
    "sample_plan",
    "sample_structure",
    "unit_name",
    "unregister_kind",
    "wire",
]

# Former names, still importable for one release.
_DEPRECATED = {"Plan": ("LevelsPlan", LevelsPlan)}


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:
        new, value = _DEPRECATED[name]
        warnings.warn(
            f"sklearn_cerebros.architecture.{name} is deprecated and will be "
            f"removed in the next release; use {new}, the same class.",
            FutureWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
