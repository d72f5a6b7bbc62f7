"""The tabular MLP-Mixer as plain data.

The feature vector (after preprocessing) is zero-padded to a multiple of
``patch_size`` and cut into ``n_tokens`` consecutive patches. One Dense layer,
shared by all patches, embeds each patch into ``hidden_dim`` channels (the
Mixer's per-patch fully connected layer). Then come ``n_blocks`` blocks, each
two residual sub-blocks:

* token mixing: LayerNorm, then per channel an MLP across the tokens
  (``n_tokens -> token_mlp_dim -> n_tokens``), added back;
* channel mixing: LayerNorm, then per token an MLP across the channels
  (``hidden_dim -> channel_mlp_dim -> hidden_dim``), added back.

Each MLP is Dense, activation, dropout, Dense, dropout. Stochastic depth
drops a sub-block's branch (the residual then carries the input unchanged)
for a random share of the rows in training; both sub-blocks of block ``b``
use ``stochastic_depth * b / n_blocks`` (the linear decay rule, as in the
residual MLP). A final LayerNorm, the mean over tokens and the output Dense
layer close the network. The token-mixing weights are tied to positions, so
no positional embedding is needed: feature order is fixed in a table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._common import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    PlanError,
    check_members,
    fields_from_dict,
    fields_to_dict,
)
from ._protocol import PlanKind, register_kind
from ._residual import drop_path_rates

__all__ = ["MixerPlan"]

_FORMAT = "sklearn-cerebros-mixer-plan"
_VERSION = 1


@dataclass(frozen=True)
class MixerPlan:
    """A validated tabular MLP-Mixer architecture.

    Parameters
    ----------
    patch_size : int, default=8
        Features per patch (token). The feature vector is zero-padded at the
        end to a multiple of it.
    hidden_dim : int, default=32
        Channels of each token: width of the patch embedding.
    n_blocks : int, default=2
        Mixer blocks (token mixing then channel mixing).
    token_mlp_dim : int, default=32
        Hidden width of the token-mixing MLPs.
    channel_mlp_dim : int, default=64
        Hidden width of the channel-mixing MLPs.
    activation : str, default="gelu"
        Activation inside the MLPs, one of :data:`ACTIVATIONS`.
    dropout : float, default=0.0
        Dropout after each Dense layer of the MLPs, in ``[0, 1)``.
    stochastic_depth : float, default=0.0
        Stochastic-depth rate of the last block, in ``[0, 1)``; see
        :meth:`drop_path_rates`.
    head_units : int, default=1
        Outputs of the head.
    head_activation : str, default="linear"
        Activation of the head, one of :data:`OUTPUT_ACTIVATIONS`.
    members : int, default=1
        Members of a joint ensemble (TabM-mini): with ``members = k > 1``
        each member multiplies the features by its own vector (random signs
        at first), every layer but the head is shared and runs on all members
        at once, each member has its own head, and the output is the members'
        mean. ``1`` is a plain network.
    name : str, default="mlp_mixer"
        Name of the built model.

    Raises
    ------
    PlanError
        If a size or ``members`` is not a positive int (``n_blocks`` may
        be 0), a rate is outside ``[0, 1)`` or an activation is unknown.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import MixerPlan
    >>> plan = MixerPlan(patch_size=4, hidden_dim=16, n_blocks=1)
    >>> plan.n_tokens(10)  # 10 features padded to 12, three patches of 4
    3
    >>> MixerPlan.from_dict(plan.to_dict()) == plan
    True
    """

    patch_size: int = 8
    hidden_dim: int = 32
    n_blocks: int = 2
    token_mlp_dim: int = 32
    channel_mlp_dim: int = 64
    activation: str = "gelu"
    dropout: float = 0.0
    stochastic_depth: float = 0.0
    head_units: int = 1
    head_activation: str = "linear"
    members: int = 1
    name: str = field(default="mlp_mixer", compare=False)

    #: The ``format`` key of :meth:`to_dict`, naming the kind of plan.
    FORMAT: ClassVar[str] = _FORMAT

    def __post_init__(self) -> None:
        _validate(self)

    # -- views -------------------------------------------------------------
    def n_tokens(self, n_features: int) -> int:
        """Number of patches for ``n_features`` features."""
        return math.ceil(int(n_features) / self.patch_size)

    def padding(self, n_features: int) -> int:
        """Zero features appended to make whole patches."""
        return self.n_tokens(n_features) * self.patch_size - int(n_features)

    def drop_path_rates(self) -> list[float]:
        """Stochastic-depth rate of each block (both of its sub-blocks).

        Returns
        -------
        list of float
            ``stochastic_depth * b / n_blocks`` for ``b = 1, ..., n_blocks``.
        """
        return drop_path_rates(self.stochastic_depth, self.n_blocks)

    def n_params(self, n_features: int) -> int:
        """Number of weights of the built network for ``n_features`` inputs.

        Counts the embedding, the four Dense layers and two LayerNorms
        (scale and offset) of each block, the final LayerNorm and the head;
        with ``members = k > 1`` the ``k x n_features`` input multipliers and
        ``k`` heads.
        """
        if int(n_features) < 1:
            raise PlanError(f"n_features must be at least 1, got {n_features}.")
        t, c = self.n_tokens(n_features), self.hidden_dim
        embed = (self.patch_size + 1) * c
        token = (t + 1) * self.token_mlp_dim + (self.token_mlp_dim + 1) * t
        channel = (c + 1) * self.channel_mlp_dim + (self.channel_mlp_dim + 1) * c
        block = 2 * (2 * c) + token + channel
        head = self.members * (c + 1) * self.head_units
        adapter = self.members * int(n_features) if self.members > 1 else 0
        return adapter + embed + self.n_blocks * block + 2 * c + head

    def describe(self) -> str:
        """One line, e.g. ``"MLP-Mixer: 2 blocks, patches of 8, 32 channels, ..."``."""
        text = (
            f"MLP-Mixer: {self.n_blocks} block{'s' * (self.n_blocks != 1)}, "
            f"patches of {self.patch_size}, {self.hidden_dim} channels, "
            f"token MLP {self.token_mlp_dim}, channel MLP {self.channel_mlp_dim}, "
            f"{self.activation}"
        )
        if self.dropout:
            text += f", dropout {self.dropout:g}"
        if self.stochastic_depth:
            text += f", drop path up to {self.stochastic_depth:g}"
        if self.members > 1:
            text += f", {self.members} members"
        return text

    def summary(self, n_features: int | None = None) -> str:
        """Layer-by-layer text summary, with sizes when ``n_features`` is given.

        Parameters
        ----------
        n_features : int, optional
            Width of the feature vector; adds the token count, the padding
            and the parameter count.

        Returns
        -------
        str
        """
        tokens = "n_tokens" if n_features is None else str(self.n_tokens(n_features))
        lines = [f"Plan {self.name!r}: {self.describe()}"]
        if n_features is not None:
            lines.append(
                f"input: {int(n_features)} features + {self.padding(n_features)} "
                f"zero padding -> {tokens} tokens of {self.patch_size}"
            )
        lines.append(f"patch embedding: Dense {self.patch_size} -> {self.hidden_dim}")
        for b, rate in enumerate(self.drop_path_rates(), start=1):
            drop = f", drop path {rate:g}" if rate else ""
            lines.append(
                f"block {b}: token mixing {tokens} -> {self.token_mlp_dim} -> "
                f"{tokens}; channel mixing {self.hidden_dim} -> "
                f"{self.channel_mlp_dim} -> {self.hidden_dim}{drop}"
            )
        members = (
            f", one per member of {self.members}, averaged" if self.members > 1 else ""
        )
        lines.append(
            f"head: LayerNorm, mean over tokens, {self.head_units} output"
            f"{'s' * (self.head_units != 1)} ({self.head_activation}{members})"
        )
        if n_features is not None:
            lines.append(f"parameters: {self.n_params(n_features):,}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def with_head(
        self, units: int, activation: str, members: int | None = None
    ) -> MixerPlan:
        """Return a copy whose head has ``units`` outputs and ``activation``.

        ``members``, when given, also sets the number of ensemble members.
        """
        members = self.members if members is None else members
        return dataclasses.replace(
            self, head_units=units, head_activation=activation, members=members
        )

    # -- serialisation -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready builtins (see :meth:`from_dict`)."""
        return fields_to_dict(self, _FORMAT, _VERSION)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MixerPlan:
        """Rebuild (and validate) a plan from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            A dict as written by :meth:`to_dict`, for example loaded from JSON.

        Returns
        -------
        MixerPlan
        """
        return fields_from_dict(cls, data, _FORMAT, _VERSION, "mixer plan")


def _check_int(plan: MixerPlan, name: str, low: int) -> None:
    value = getattr(plan, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PlanError(f"{name} must be an int of at least {low}, got {value!r}.")


def _validate(plan: MixerPlan) -> None:
    for name in (
        "patch_size",
        "hidden_dim",
        "token_mlp_dim",
        "channel_mlp_dim",
        "head_units",
    ):
        _check_int(plan, name, 1)
    _check_int(plan, "n_blocks", 0)
    check_members(plan.members)
    for name in ("dropout", "stochastic_depth"):
        value = getattr(plan, name)
        if not 0.0 <= value < 1.0:
            raise PlanError(f"{name} must be in [0, 1), got {value}.")
    if plan.activation not in ACTIVATIONS:
        raise PlanError(
            f"Unknown activation {plan.activation!r}; "
            f"expected one of {sorted(ACTIVATIONS)}."
        )
    if plan.head_activation not in OUTPUT_ACTIVATIONS:
        raise PlanError(
            f"Unknown head activation {plan.head_activation!r}; "
            f"expected one of {sorted(OUTPUT_ACTIVATIONS)}."
        )


def _sizes(plan: MixerPlan) -> tuple[tuple[int, ...], ...]:
    """One level of one unit as wide as its channels."""
    return ((int(plan.hidden_dim),),)


#: The kind of the MLP-Mixer plans.
MIXER = register_kind(
    PlanKind(
        MixerPlan,
        label="mixer",
        state_key="mixer_plan",
        builder="sklearn_cerebros._keras._mixer:MIXER_BUILDER",
        sizes=_sizes,
        no_picture="an MLP-Mixer is a fixed stack of blocks, with no graph of "
        "units to draw",
    )
)
