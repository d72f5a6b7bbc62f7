"""A learned-retrieval network as plain data (after TabR).

Gorishniy et al., "TabR: Tabular Deep Learning Meets Nearest Neighbors"
(ICLR 2024), add to an MLP a step that looks up similar training rows. The
network built from a :class:`RetrievalPlan` keeps a *memory*: up to
``max_candidates`` of its training rows (encoded features) and their encoded
targets, stored in the model as non-trainable weights, so that it saves and
pickles with it. For each row it is asked about:

* an encoder (Dense to ``width``, then a residual Dense-ReLU-dropout-Dense
  block) maps the row to a vector, and LayerNorm plus Dense map that vector
  to a key; the memory's rows go through the same encoder;
* the ``k`` memory rows with the nearest keys (squared Euclidean distance)
  are weighted by a softmax over their negative distances;
* each of them contributes a value: an embedding of its target (a Dense
  layer; one-hot classes for a classifier) plus a learned function of the
  difference between the two keys (Dense-ReLU-Dense);
* the weighted sum of the values is added to the row's vector, and a head
  (LayerNorm, Dense ``2 * width``-ReLU-dropout-Dense residual block,
  LayerNorm, ReLU, output layer) predicts from it.

A memory row whose features equal the query's is never retrieved: a training
row would otherwise find its own target. This keeps the training loop
unchanged (a batch carries no row indices), and measured as well as leaving
out the row by its index (Ames, 23,425 against 23,345 RMSE, session 7 of
issue #17). The encoder, the keys and the head learn together, so the network
learns which rows are neighbours. Every step encodes the memory it retrieves
from, which is why the memory is capped. By default a step backpropagates
through every memory row's key as well as the batch's rows. Two fields make
a step cheaper: ``memory_gradients=False`` makes the memory's keys
constants of the step, which skips the memory's backward pass, and
``train_candidates`` makes each training step retrieve from a fresh random
draw of that many memory rows (after ModernNCA's stochastic neighbour
sampling, Ye et al., ICLR 2025), while prediction uses the whole memory.
Both cost the default search accuracy on Ames, so both are off by default.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._common import OUTPUT_ACTIVATIONS, PlanError, fields_from_dict, fields_to_dict
from ._protocol import PlanKind, register_kind

__all__ = ["RetrievalPlan"]

_FORMAT = "sklearn-cerebros-retrieval-plan"
_VERSION = 1
#: Fields that change how the network trains, not what is built, and are
#: written only when set.
_LEFT_OUT_WHEN_NONE = ("learning_rate", "weight_decay")


@dataclass(frozen=True)
class RetrievalPlan:
    """A validated learned-retrieval architecture (see the module docstring).

    Parameters
    ----------
    width : int, default=128
        Width of the encoder, the keys and the values.
    k : int, default=32
        Memory rows each row attends to (fewer when the memory is smaller).
    dropout : float, default=0.1
        Dropout in the encoder, on the attention weights and in the head,
        in ``[0, 1)``.
    max_candidates : int, default=4096
        Most training rows the memory holds; a larger training set is
        sampled (without replacement, from the fit's seed). Every training
        step encodes the whole memory, so a step costs in proportion to it.
    head_units : int, default=1
        Outputs of the head.
    head_activation : str, default="linear"
        Activation of the head, one of :data:`OUTPUT_ACTIVATIONS`.
    name : str, default="retrieval"
        Name of the built model.
    learning_rate : float, optional
        Learning rate this network trains at; None (the default) keeps the
        estimator's ``learning_rate``. TabR trains at 3e-4 with AdamW; on
        Ames that helped a retrieval network alone and hurt it as a member
        of the search's ensemble (see the benchmarks page).
    weight_decay : float, optional
        Decoupled weight decay this network trains with (AdamW when above
        0); None (the default) keeps the estimator's ``weight_decay``.
    train_candidates : int or None, default=None
        Memory rows each training step draws at random (a new draw each
        step, seeded with the network) and retrieves from; None (the
        default), or a number at least the memory's rows, retrieves from the
        whole memory. Prediction always uses every memory row. A step's
        cost grows with the rows it encodes: on an Ames training fold (934
        memory rows) an epoch takes 2.8 to 3.7 times less with 256 drawn,
        but the default search scored 3.8 % worse on Ames with it (see the
        benchmarks page, "Cheaper retrieval trials").
    memory_gradients : bool, default=True
        Whether a training step backpropagates through the memory rows'
        keys (True, as TabR trains) or treats them as constants of the step,
        recomputed at each step with the current weights (False): the
        encoder then learns through the batch's rows alone, and a step
        skips the memory's backward pass (an Ames epoch 1.8 times faster,
        a bagged trial 1.5 times), but the default search scored 1.5 %
        worse on Ames with it (see the benchmarks page).
        A plan dict written before these two fields existed reads as
        ``train_candidates=None, memory_gradients=True``, as it trained.

    Raises
    ------
    PlanError
        If a size is not a positive int, ``k`` or ``max_candidates`` below 1,
        ``dropout`` outside ``[0, 1)``, the head activation unknown, the
        learning rate not above 0 or the weight decay below 0.

    Examples
    --------
    >>> from sklearn_cerebros.architecture import RetrievalPlan
    >>> plan = RetrievalPlan(width=16, k=8)
    >>> plan.describe()
    'Learned retrieval: width 16, 8 nearest of up to 4096 training rows, dropout 0.1'
    >>> RetrievalPlan(train_candidates=256).describe().split(", ")[1]
    '32 nearest of up to 4096 training rows (256 drawn a training step)'
    >>> RetrievalPlan.from_dict(plan.to_dict()) == plan
    True
    >>> RetrievalPlan(learning_rate=3e-4, weight_decay=1e-4).describe().split("; ")[1]
    'trained at 0.0003, weight decay 0.0001'
    """

    width: int = 128
    k: int = 32
    dropout: float = 0.1
    max_candidates: int = 4096
    head_units: int = 1
    head_activation: str = "linear"
    name: str = field(default="retrieval", compare=False)
    learning_rate: float | None = None
    weight_decay: float | None = None
    train_candidates: int | None = None
    memory_gradients: bool = True

    #: The ``format`` key of :meth:`to_dict`, naming the kind of plan.
    FORMAT: ClassVar[str] = _FORMAT

    def __post_init__(self) -> None:
        for name in ("width", "k", "max_candidates", "head_units"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PlanError(f"{name} must be an int of at least 1, got {value!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise PlanError(f"dropout must be in [0, 1), got {self.dropout}.")
        if self.head_activation not in OUTPUT_ACTIVATIONS:
            raise PlanError(
                f"Unknown head activation {self.head_activation!r}; "
                f"expected one of {sorted(OUTPUT_ACTIVATIONS)}."
            )
        for name, low in (("learning_rate", "above 0"), ("weight_decay", "0 or more")):
            value = getattr(self, name)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or (value <= 0 if name == "learning_rate" else value < 0)
            ):
                raise PlanError(f"{name} must be None or a float {low}, got {value!r}.")
        if not isinstance(self.memory_gradients, bool):
            raise PlanError(
                "memory_gradients must be True or False, got "
                f"{self.memory_gradients!r}."
            )
        drawn = self.train_candidates
        if drawn is not None and (
            isinstance(drawn, bool) or not isinstance(drawn, int) or drawn < 1
        ):
            raise PlanError(
                f"train_candidates must be None or an int of at least 1, got {drawn!r}."
            )

    @property
    def members(self) -> int:
        """Always 1: a retrieval network is not a joint ensemble."""
        return 1

    def n_params(self, n_features: int) -> int:
        """Trainable weights of the built network for ``n_features`` inputs.

        The memory is not counted: it holds up to ``max_candidates x
        (n_features + head_units)`` non-trainable values, as many as the
        training rows it keeps.
        """
        if int(n_features) < 1:
            raise PlanError(f"n_features must be at least 1, got {n_features}.")
        w, f, u = self.width, int(n_features), self.head_units

        def dense(n_in: int, n_out: int, bias: bool = True) -> int:
            return (n_in + bias) * n_out

        encoder = dense(f, w) + 2 * dense(w, w) + 2 * w + dense(w, w)  # + key
        values = dense(u, w) + dense(w, w) + dense(w, w, bias=False)
        head = 2 * w + dense(w, 2 * w) + dense(2 * w, w) + 2 * w + dense(w, u)
        return encoder + values + head

    def describe(self) -> str:
        """One line, e.g. ``"Learned retrieval: width 128, 32 nearest of ..."``."""
        text = (
            f"Learned retrieval: width {self.width}, {self.k} nearest of up to "
            f"{self.max_candidates} training rows"
        )
        if self.train_candidates is not None:
            text += f" ({self.train_candidates} drawn a training step)"
        if not self.memory_gradients:
            text += ", memory keys constant in a training step"
        if self.dropout:
            text += f", dropout {self.dropout:g}"
        training = [
            f"{label}{value:g}"
            for label, value in (
                ("trained at ", self.learning_rate),
                ("weight decay ", self.weight_decay),
            )
            if value is not None
        ]
        if training:
            text += "; " + ", ".join(training)
        return text

    def summary(self, n_features: int | None = None) -> str:
        """Layer-by-layer text summary; with ``n_features``, the parameter count.

        Parameters
        ----------
        n_features : int, optional
            Width of the feature vector.

        Returns
        -------
        str
        """
        w = self.width
        inputs = "features" if n_features is None else f"{int(n_features)} features"
        lines = [
            f"Plan {self.name!r}: {self.describe()}",
            f"encoder: Dense {inputs} -> {w}, plus Dense {w} -> {w} (relu) "
            f"-> {w}; key: LayerNorm, Dense {w} -> {w}",
            f"memory: up to {self.max_candidates} training rows and targets, "
            f"the {self.k} with the nearest keys (never the row itself), "
            "softmax-weighted"
            + ("" if self.memory_gradients else "; keys constant in a training step")
            + (
                ""
                if self.train_candidates is None
                else f"; in training, among {self.train_candidates} drawn each step"
            ),
            f"values: Dense target -> {w} plus Dense key difference {w} -> {w} "
            f"(relu) -> {w}",
            f"head: LayerNorm, Dense {w} -> {2 * w} (relu) -> {w} added back, "
            f"LayerNorm, relu, {self.head_units} output"
            f"{'s' * (self.head_units != 1)} ({self.head_activation})",
        ]
        if n_features is not None:
            lines.append(f"parameters: {self.n_params(n_features):,} trainable")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def with_head(
        self, units: int, activation: str, members: int | None = None
    ) -> RetrievalPlan:
        """Return a copy whose head has ``units`` outputs and ``activation``.

        Raises
        ------
        PlanError
            If ``members`` asks for a joint ensemble (more than 1).
        """
        if members is not None and members != 1:
            raise PlanError(
                f"A retrieval plan has no joint-ensemble members; got members="
                f"{members!r} (pass 1 or None)."
            )
        return dataclasses.replace(self, head_units=units, head_activation=activation)

    # -- serialisation -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the plan as JSON-ready builtins (see :meth:`from_dict`)."""
        data = fields_to_dict(self, _FORMAT, _VERSION)
        # unset training fields are left out, so that a plan without them
        # reads as it did before they existed (and resumes its search)
        for name in _LEFT_OUT_WHEN_NONE:
            if data[name] is None:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetrievalPlan:
        """Rebuild (and validate) a plan from :meth:`to_dict` output.

        Parameters
        ----------
        data : mapping
            A dict as written by :meth:`to_dict`, for example loaded from JSON.

        Returns
        -------
        RetrievalPlan
        """
        # a dict without these was written before the fields existed, by a
        # network that retrieved from (and backpropagated through) its whole
        # memory
        data = {"train_candidates": None, "memory_gradients": True, **data}
        return fields_from_dict(cls, data, _FORMAT, _VERSION, "retrieval plan")


def _sizes(plan: RetrievalPlan) -> tuple[tuple[int, ...], ...]:
    """One level of one unit as wide as its encoder."""
    return ((int(plan.width),),)


#: The kind of the learned-retrieval plans.
RETRIEVAL = register_kind(
    PlanKind(
        RetrievalPlan,
        label="retrieval",
        state_key="retrieval_plan",
        builder="sklearn_cerebros._keras._retrieval:RETRIEVAL_BUILDER",
        sizes=_sizes,
        no_picture="a learned-retrieval network is a fixed encoder, lookup and "
        "head, with no graph of units to draw",
    )
)
