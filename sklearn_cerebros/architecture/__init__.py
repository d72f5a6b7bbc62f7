"""Network architectures as plain data, with no Keras import.

A :class:`Plan` describes levels of parallel Dense units, their predecessor,
skip and lateral connections, and the output head. Plans are validated on
construction and round-trip through JSON with :meth:`Plan.to_dict` and
:meth:`Plan.from_dict`.

Cerebros plans are drawn from a :class:`CerebrosSpace`: :func:`sample_plan`
in one go, or :func:`sample_structure` then :func:`wire` to retry the wiring
of a structure, and :func:`perturb_structure` to move a structure by one step.
A :class:`RetrievalPlan` describes a network that looks up similar
training rows (after TabR). Every kind of plan (:class:`Plan`,
:class:`MixerPlan`, :class:`RetrievalPlan`) follows the
:class:`NetworkPlan` protocol; :func:`plan_from_dict` reads any of them back.
"""

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
from ._mixer import MixerPlan
from ._plan import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    Level,
    OutputHead,
    Plan,
    PlanError,
    Unit,
    unit_name,
)
from ._protocol import NetworkPlan, plan_from_dict
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
    "MixerPlan",
    "NetworkPlan",
    "OutputHead",
    "Plan",
    "PlanError",
    "RetrievalPlan",
    "Structure",
    "Unit",
    "block_widths",
    "connection_counts",
    "drop_path_rates",
    "perturb_structure",
    "plan_from_dict",
    "residual_plan",
    "sample_plan",
    "sample_structure",
    "unit_name",
    "wire",
]
