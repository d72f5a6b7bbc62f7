"""The residual-MLP plan family.

A block is a stack of Dense layers. The block's input is carried past the
stack and concatenated with the stack's output, and that concatenation is the
next block's input. Unrolled, the first layer of block ``b`` therefore sees the
features and the last layer of every earlier block: in plan terms, skip
connections from level 0 and from each earlier block's last level.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._plan import Level, OutputHead, Plan, PlanError, Ref, Unit

__all__ = ["block_widths", "residual_plan"]


def block_widths(units: int, layers_per_block: int, taper: int = 0) -> list[int]:
    """Widths of the layers of one block.

    Parameters
    ----------
    units : int
        Width of the block's first layer.
    layers_per_block : int
        Number of Dense layers in the block.
    taper : int, default=0
        How many neurons each layer has fewer than the one before it.

    Returns
    -------
    list of int
        ``[units, units - taper, units - 2 * taper, ...]``.

    Raises
    ------
    PlanError
        If the last layer would have fewer than one neuron.
    """
    if units < 1 or layers_per_block < 1 or taper < 0:
        raise PlanError(
            "units and layers_per_block must be at least 1 and taper at least 0; "
            f"got units={units}, layers_per_block={layers_per_block}, taper={taper}."
        )
    last = units - (layers_per_block - 1) * taper
    if last < 1:
        raise PlanError(
            f"units={units} with taper={taper} over layers_per_block="
            f"{layers_per_block} leaves {last} neurons in the last layer; "
            "lower taper or layers_per_block, or raise units."
        )
    return [units - j * taper for j in range(layers_per_block)]


def residual_plan(
    *,
    n_blocks: int = 2,
    layers_per_block: int = 2,
    units: int = 128,
    taper: int = 0,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    head_layers: Sequence[int] = (),
    name: str = "residual_mlp",
) -> Plan:
    """Plan of a residual MLP.

    Parameters
    ----------
    n_blocks : int, default=2
        Number of residual blocks; ``0`` gives a network of head layers only.
    layers_per_block : int, default=2
        Dense layers in each block.
    units : int, default=128
        Width of the first layer of each block.
    taper : int, default=0
        Neurons removed from each successive layer of a block.
    activation : str, default="relu"
        Hidden activation.
    dropout : float, default=0.0
        Dropout after every hidden layer.
    batch_norm : bool, default=False
        Batch-normalise the input of every hidden layer.
    head_layers : sequence of int, default=()
        Widths of plain Dense layers between the last block and the output.
    name : str, default="residual_mlp"
        Name of the plan and of the built model.

    Returns
    -------
    Plan
        A validated plan whose head has one linear output; estimators replace
        the head to suit their task (:meth:`Plan.with_head`).

    Examples
    --------
    >>> plan = residual_plan(n_blocks=2, layers_per_block=2, units=16)
    >>> plan.n_levels
    4
    >>> plan.unit(3, 0).inputs  # block 2 sees the features and block 1's output
    ((0, 0), (2, 0))
    """
    if n_blocks < 0:
        raise PlanError(f"n_blocks must be at least 0, got {n_blocks}.")
    widths = block_widths(units, layers_per_block, taper) if n_blocks else []

    def make(neurons: int, inputs: Sequence[Ref]) -> Level:
        unit = Unit(
            neurons,
            inputs=tuple(inputs),
            activation=activation,
            batch_norm=batch_norm,
            dropout=dropout,
        )
        return Level((unit,))

    levels: list[Level] = []
    carried: list[Ref] = [(0, 0)]  # what the next block's input concatenates
    for _ in range(n_blocks):
        for j, width in enumerate(widths):
            inputs = carried if j == 0 else [(len(levels), 0)]
            levels.append(make(width, inputs))
        carried = [*carried, (len(levels), 0)]
    for width in head_layers:
        if int(width) < 1:
            raise PlanError(f"head_layers must hold positive widths, got {width}.")
        levels.append(make(int(width), carried))
        carried = [(len(levels), 0)]
    return Plan(levels=tuple(levels), head=OutputHead(tuple(carried)), name=name)
