"""The residual-MLP plan family.

A block is a stack of Dense layers. The block's input is carried past the
stack and concatenated with the stack's output, and that concatenation is the
next block's input. Unrolled, the first layer of block ``b`` therefore sees the
features and the last layer of every earlier block: in plan terms, skip
connections from level 0 and from each earlier block's last level.

Stochastic depth drops a block's branch for some rows during training. Since
the carried input is concatenated rather than added, the branch of block
``b`` is exactly what block ``b`` appends to the concatenation: its last
layer's output. That is where the plan puts the rate (``Unit.drop_path``), so
for a dropped row every later block and the head see zeros in block ``b``'s
slot and the features and other blocks unchanged, which is the network
without block ``b``. The rates follow the linear decay rule of Huang et al.
(2016), "Deep networks with stochastic depth": block ``b`` of ``B`` gets
``stochastic_depth * b / B``, so the last block is dropped most and the
first, whose output every later block builds on, least.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._common import PlanError
from ._levels import Level, LevelsPlan, OutputHead, Unit
from ._refs import Ref

__all__ = ["RESIDUAL_MEMBERS", "block_widths", "drop_path_rates", "residual_plan"]

#: Joint-ensemble members of the residual estimators' default network (their
#: ``n_members``), which the search's ``initial_plans="residual"`` trains too.
RESIDUAL_MEMBERS = 8


def block_widths(width: int, layers_per_block: int, taper: int = 0) -> list[int]:
    """Widths of the layers of one block.

    Parameters
    ----------
    width : int
        Width of the block's first layer.
    layers_per_block : int
        Number of Dense layers in the block.
    taper : int, default=0
        How many neurons each layer has fewer than the one before it.

    Returns
    -------
    list of int
        ``[width, width - taper, width - 2 * taper, ...]``.

    Raises
    ------
    PlanError
        If the last layer would have fewer than one neuron.
    """
    if width < 1 or layers_per_block < 1 or taper < 0:
        raise PlanError(
            "width and layers_per_block must be at least 1 and taper at least 0; "
            f"got width={width}, layers_per_block={layers_per_block}, taper={taper}."
        )
    last = width - (layers_per_block - 1) * taper
    if last < 1:
        raise PlanError(
            f"width={width} with taper={taper} over layers_per_block="
            f"{layers_per_block} leaves {last} neurons in the last layer; "
            "lower taper or layers_per_block, or raise width."
        )
    return [width - j * taper for j in range(layers_per_block)]


def drop_path_rates(stochastic_depth: float, n_blocks: int) -> list[float]:
    """Stochastic-depth rate of each block under the linear decay rule.

    Parameters
    ----------
    stochastic_depth : float
        Rate of the last block, in ``[0, 1)``.
    n_blocks : int
        Number of blocks.

    Returns
    -------
    list of float
        ``stochastic_depth * b / n_blocks`` for ``b = 1, ..., n_blocks``.

    Examples
    --------
    >>> drop_path_rates(0.1, 2)
    [0.05, 0.1]
    """
    if not 0.0 <= stochastic_depth < 1.0:
        raise PlanError(f"stochastic_depth must be in [0, 1), got {stochastic_depth}.")
    return [stochastic_depth * b / n_blocks for b in range(1, n_blocks + 1)]


def residual_plan(
    *,
    n_blocks: int = 2,
    layers_per_block: int = 2,
    width: int = 128,
    taper: int = 0,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    head_layers: Sequence[int] = (),
    stochastic_depth: float = 0.0,
    name: str = "residual_mlp",
) -> LevelsPlan:
    """Plan of a residual MLP.

    Parameters
    ----------
    n_blocks : int, default=2
        Number of residual blocks; ``0`` gives a network of head layers only.
    layers_per_block : int, default=2
        Dense layers in each block.
    width : int, default=128
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
    stochastic_depth : float, default=0.0
        Stochastic-depth rate of the last block, in ``[0, 1)``; block ``b``
        drops its output for a share ``stochastic_depth * b / n_blocks`` of
        the rows during training (:func:`drop_path_rates`). Head layers are
        never dropped.
    name : str, default="residual_mlp"
        Name of the plan and of the built model.

    Returns
    -------
    LevelsPlan
        A validated plan whose head has one linear output; estimators replace
        the head to suit their task (:meth:`LevelsPlan.with_head`).

    Examples
    --------
    >>> plan = residual_plan(n_blocks=2, layers_per_block=2, width=16)
    >>> plan.n_levels
    4
    >>> plan.unit(3, 0).inputs  # block 2 sees the features and block 1's output
    ((0, 0), (2, 0))
    """
    if n_blocks < 0:
        raise PlanError(f"n_blocks must be at least 0, got {n_blocks}.")
    widths = block_widths(width, layers_per_block, taper) if n_blocks else []
    rates = drop_path_rates(stochastic_depth, n_blocks)

    def make(neurons: int, inputs: Sequence[Ref], drop_path: float = 0.0) -> Level:
        unit = Unit(
            neurons,
            inputs=tuple(inputs),
            activation=activation,
            batch_norm=batch_norm,
            dropout=dropout,
            drop_path=drop_path,
        )
        return Level((unit,))

    levels: list[Level] = []
    carried: list[Ref] = [(0, 0)]  # what the next block's input concatenates
    for rate in rates:
        for j, width in enumerate(widths):
            inputs = carried if j == 0 else [(len(levels), 0)]
            last = j == len(widths) - 1
            levels.append(make(width, inputs, rate if last else 0.0))
        carried = [*carried, (len(levels), 0)]
    for width in head_layers:
        if int(width) < 1:
            raise PlanError(f"head_layers must hold positive widths, got {width}.")
        levels.append(make(int(width), carried))
        carried = [(len(levels), 0)]
    return LevelsPlan(levels=tuple(levels), head=OutputHead(tuple(carried)), name=name)
