"""Which trials a Cerebros search trains next: the search's strategy.

A proposer is pure: from the records of the trials finished so far and its
own random generator it says which trials come next, and it never trains
anything. The search's ``fit`` asks it for trials, has a
:class:`~._trials.TrialRunner` train them, and records the results; so a
strategy can be tested without Keras, and another strategy is another
proposer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .architecture import (
    CerebrosSpace,
    Plan,
    Structure,
    perturb_structure,
    sample_structure,
)

__all__ = [
    "GenerationProposer",
    "Proposer",
    "TrialSpec",
    "generation_size",
    "rank_key",
]

_MAX_SEED = 2**31 - 1

#: Finished trials by index: the plain records a search writes (see ``_trials``).
Records = Mapping[int, Mapping[str, Any]]


@dataclass(frozen=True)
class TrialSpec:
    """What a trial trains: a structure, its generation and its own seed.

    ``plan``, when given, is a plan (as :meth:`Plan.to_dict` gives it) that
    the trial trains as it is, instead of wiring ``structure`` (its sizes).
    """

    index: int
    generation: int
    seed: int
    structure: Structure
    parent: int | None = None
    plan: Mapping[str, Any] | None = None


def structure_of(plan: Mapping[str, Any]) -> Structure:
    """The sizes of a plan given as a dict: neurons of each unit, level by level."""
    levels = Plan.from_dict(plan).levels
    return Structure(tuple(tuple(u.neurons for u in level.units) for level in levels))


class Proposer(Protocol):
    """A search strategy: the trials to run next, given those finished."""

    def next_trials(self, records: Records) -> list[TrialSpec]:
        """The next batch of trials; an empty list when the search is done.

        Trials already in ``records`` (a resumed search) may be proposed
        again: the search skips them, and the proposer must propose the same
        specs it did the first time, so that a resumed search goes on as an
        uninterrupted one would.
        """
        ...


def rank_key(record: Mapping[str, Any]) -> tuple[float, int, int]:
    """Higher score first; then fewer parameters, then earlier trial; NaN last."""
    score = record["score"]
    return (
        -score if np.isfinite(score) else np.inf,
        record.get("n_params", 0),
        record["trial"],
    )


def generation_size(n_trials: int, n_generations: int, n_wirings: int) -> int:
    """Structures a generation draws so that ``n_generations`` hold ``n_trials``."""
    return math.ceil(n_trials / (n_generations * n_wirings))


class GenerationProposer:
    """Generations of random structures, then perturbations of the best.

    Generation 0 draws its structures at random from the space. Every later
    generation takes the ``max(1, s // 2)`` best successful trials of the
    earlier generations (``s = generation_size`` structures a generation;
    one trial per distinct structure, ranked by :func:`rank_key`) as parents,
    and structure slot ``i`` moves parent ``i mod n_parents`` by one step
    (:func:`perturb_structure`). Each structure is wired ``n_wirings``
    times, each trial with its own seed. Generations follow each other until
    ``n_trials`` trials are proposed; the trials drawn do not depend on
    ``n_trials``, so a search resumed with a larger budget goes on as an
    uninterrupted larger search would have. ``initial_plans`` are trained
    first, as they are (trials ``0`` to ``len(initial_plans) - 1`` of
    generation 0, ahead of its drawn structures); they are never parents,
    since their sizes need not lie in the space.

    Parameters
    ----------
    space : CerebrosSpace
        Where structures are drawn from.
    n_trials : int
        Trials to propose in all.
    generation_size : int
        Structures a generation (see :func:`generation_size`).
    n_wirings : int
        Wirings of each structure.
    rng : numpy.random.Generator
        The search's master generator: structures and trial seeds are drawn
        from it in order.
    initial_plans : sequence of dict, default=()
        Plans (as :meth:`Plan.to_dict` gives them) to train first.
    """

    def __init__(
        self,
        space: CerebrosSpace,
        *,
        n_trials: int,
        generation_size: int,
        n_wirings: int,
        rng: np.random.Generator,
        initial_plans: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.initial_plans = list(initial_plans)
        self.space = space
        self.n_trials, self.n_wirings = n_trials, n_wirings
        self.per_generation = generation_size
        self.rng = rng
        self._generation = 0
        self._next_index = 0

    def next_trials(self, records: Records) -> list[TrialSpec]:
        """The next generation's trials (see :class:`Proposer`)."""
        if self._next_index >= self.n_trials:
            return []
        generation = self._generation
        # Parents come from earlier generations only: a resumed search holds
        # trials of this generation too, and must draw what it drew before.
        earlier = {i: r for i, r in records.items() if i < self._next_index}
        parents = parents_of(earlier, self.per_generation) if generation else []
        specs: list[TrialSpec] = []
        for plan in self.initial_plans if generation == 0 else []:
            if self._next_index >= self.n_trials:
                break
            seed = int(self.rng.integers(_MAX_SEED))
            specs.append(
                TrialSpec(self._next_index, 0, seed, structure_of(plan), plan=plan)
            )
            self._next_index += 1
        for slot in range(self.per_generation):
            if parents:
                parent = parents[slot % len(parents)]
                structure = perturb_structure(
                    self.space,
                    Structure(tuple(map(tuple, parent["structure"]))),
                    self.rng,
                )
                parent_index = parent["trial"]
            else:
                structure, parent_index = sample_structure(self.space, self.rng), None
            for _ in range(self.n_wirings):
                if self._next_index >= self.n_trials:
                    break
                seed = int(self.rng.integers(_MAX_SEED))
                specs.append(
                    TrialSpec(
                        self._next_index, generation, seed, structure, parent_index
                    )
                )
                self._next_index += 1
            if self._next_index >= self.n_trials:
                break
        self._generation += 1
        return specs


def parents_of(records: Records, n: int) -> list[Mapping[str, Any]]:
    """The best ``max(1, n // 2)`` successful drawn trials, one per structure."""
    ranked = sorted(
        (
            r
            for r in records.values()
            if r["status"] == "ok" and not r.get("initial", False)
        ),
        key=rank_key,
    )
    parents, seen = [], set()
    for record in ranked:
        key = str(record["structure"])
        if key not in seen:
            seen.add(key)
            parents.append(record)
    return parents[: max(1, n // 2)]
