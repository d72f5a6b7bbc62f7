"""Which trials a Cerebros search trains next: the search's strategy.

A proposer is pure: from the records of the trials finished so far and its
own random generator it says which trials come next, and it never trains
anything. The run loops (:mod:`.runner`) ask it for trials, train them and
record the results; so a strategy can be tested without Keras, and another
strategy is another proposer. The portfolio of plans a search trains first
(``initial_plans``) is resolved here too, from names or plans to plain dicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..architecture import (
    CerebrosSpace,
    NetworkPlan,
    RetrievalPlan,
    Structure,
    is_plan,
    kind_of,
    perturb_structure,
    plan_from_dict,
    plan_kinds,
    residual_plan,
    sample_structure,
)
from ..architecture._residual import RESIDUAL_MEMBERS
from .records import Records, rank_key, succeeded
from .space import LEVELS_ONLY, Point, SearchSpace

__all__ = [
    "HALVING_ETA",
    "HALVING_MIN_EPOCHS",
    "GenerationProposer",
    "HalvingProposer",
    "Proposer",
    "UNBOUNDED",
    "UNTIL_TIME_GENERATIONS_OF",
    "TrialSpec",
    "generation_size",
    "make_proposer",
    "resolve_initial_plans",
    "rung_budgets",
]

_MAX_SEED = 2**31 - 1
# Successive halving: one trial in HALVING_ETA of a rung is promoted, and
# rung 0 trains for at least HALVING_MIN_EPOCHS (see rung_budgets).
HALVING_ETA = 3
HALVING_MIN_EPOCHS = 5
#: The proposers' count of trials for a search with ``n_trials=None``, which
#: ``max_time`` alone ends: more than any budget trains.
UNBOUNDED = 2**62
#: Such a search's generations are as large as this many trials give them
#: (the estimators' default ``n_trials``), so that its first trials are the
#: default search's.
UNTIL_TIME_GENERATIONS_OF = 6


@dataclass(frozen=True)
class TrialSpec:
    """What a trial trains: a structure, its generation and its own seed.

    ``plan``, when given, is a plan (as its ``to_dict`` gives it) that
    the trial trains as it is, instead of wiring ``structure`` (its sizes).
    ``parent`` is the trial whose structure was perturbed (generations) or
    whose trained network this trial trains further (successive halving,
    ``rung`` above 0). ``epochs`` is the trial's epoch budget; None means the
    search's ``epochs``.
    """

    index: int
    generation: int
    seed: int
    structure: Structure
    parent: int | None = None
    plan: Mapping[str, Any] | None = None
    rung: int = 0
    epochs: int | None = None
    #: ``plan`` was drawn or perturbed from the search space (``kinds``),
    #: not one of the ``initial_plans``.
    drawn: bool = False


def structure_of(plan: Mapping[str, Any]) -> Structure:
    """The sizes of a plan given as a dict: neurons of each unit, level by level.

    A plan of another kind (a mixer, a retrieval network) has one level of
    one unit, as wide as its hidden layers: its kind's ``sizes`` say.
    """
    network = plan_from_dict(plan)
    return Structure(kind_of(network).sizes(network))


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


def generation_size(n_trials: int, n_generations: int, n_wirings: int) -> int:
    """Structures a generation draws so that ``n_generations`` hold ``n_trials``."""
    return math.ceil(n_trials / (n_generations * n_wirings))


class GenerationProposer:
    """Generations of random structures, then perturbations of the best.

    Generation 0 draws its structures at random from the space. Every later
    generation takes the ``max(1, s // 2)`` best successful trials of the
    earlier generations (``s = generation_size`` structures a generation;
    one trial per distinct structure, ranked by :func:`~.records.rank_key`) as parents,
    and structure slot ``i`` moves parent ``i mod n_parents`` by one step
    (:func:`perturb_structure`). Each structure is wired ``n_wirings``
    times, each trial with its own seed. Generations follow each other until
    ``n_trials`` trials are proposed; the trials drawn do not depend on
    ``n_trials``, so a search resumed with a larger budget goes on as an
    uninterrupted larger search would have. ``initial_plans`` are trained
    first, as they are (trials ``0`` to ``len(initial_plans) - 1`` of
    generation 0, ahead of its drawn structures); with ``kinds=("levels",)``
    (:data:`~.space.LEVELS_ONLY`, this class's default; the estimators'
    default is every kind) they are never parents, since their sizes need
    not lie in the space.
    Over one space (any other ``kinds``, or ``narrow``) they take
    generation 0's slots: it draws ``generation_size`` minus their number
    (none when there are as many), so that the next generation perturbs the
    best of them and of the drawn.

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
        Plans (as their ``to_dict`` gives them) to train first.
    kinds : sequence of str, default=("levels",)
        The kinds of plan drawn and evolved (see
        :func:`~.space.resolve_kinds`). With any other value than the
        default, a slot of generation 0 draws a kind (uniform) then its
        point from the :class:`~.space.SearchSpace`, and the parents of a
        later generation are the best successful trials of any allowed
        kind whose plan lies in the space, *initial plans included* (one
        per point); a parent's point moves by one step of its own kind.
    narrow : dict or None, default=None
        The search's ``space``: hyperparameters of some of ``kinds`` fixed
        or narrowed (see :func:`~.space.resolve_space`). Every drawn and
        perturbed point lies within it, and only trials within it are
        parents.
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
        kinds: Sequence[str] = LEVELS_ONLY,
        narrow: Mapping[str, Any] | None = None,
    ) -> None:
        self.initial_plans = list(initial_plans)
        self.space = space
        self.kinds = tuple(kinds)
        # None: levels structures only, drawn exactly as before ``kinds``
        self.search_space = _search_space(space, self.kinds, narrow)
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
        if self.search_space is not None:
            parents = (
                space_parents(self.search_space, earlier, self.per_generation)
                if generation
                else []
            )
        else:
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
        slots = self.per_generation
        if generation == 0 and self.search_space is not None:
            # over one space the initial plans are generation 0's first
            # members (and the next generation's first parents): it draws
            # only the slots they leave
            slots = max(0, slots - len(self.initial_plans))
        for slot in range(slots):
            plan, drawn = None, False
            if self.search_space is not None:
                structure, plan, parent_index = self._space_slot(parents, slot)
                drawn = plan is not None
            elif parents:
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
                        self._next_index,
                        generation,
                        seed,
                        structure,
                        parent_index,
                        plan=plan,
                        drawn=drawn,
                    )
                )
                self._next_index += 1
            if self._next_index >= self.n_trials:
                break
        self._generation += 1
        return specs

    def _space_slot(
        self, parents: list[tuple[Point, int]], slot: int
    ) -> tuple[Structure, dict[str, Any] | None, int | None]:
        """A slot's structure, plan (None: a levels structure) and parent."""
        space = self.search_space
        assert space is not None
        if parents:
            point, parent_index = parents[slot % len(parents)]
            point = space.perturb(point, self.rng)
        else:
            point, parent_index = space.draw(self.rng), None
        return _spec_parts(space, point) + (parent_index,)


def _search_space(
    space: CerebrosSpace, kinds: tuple[str, ...], narrow: Mapping[str, Any] | None
) -> SearchSpace | None:
    """The space a proposer draws from; None: levels structures, as always."""
    if kinds == LEVELS_ONLY and not narrow:
        return None
    return SearchSpace(space, kinds, narrow or None)


def _spec_parts(
    space: SearchSpace, point: Point
) -> tuple[Structure, dict[str, Any] | None]:
    """A point's structure and plan dict (None for a levels structure)."""
    plan = space.plan(point)
    if plan is None:
        return space.structure(point), None
    data = plan.to_dict()
    return structure_of(data), data


def space_parents(
    space: SearchSpace, records: Records, n: int
) -> list[tuple[Point, int]]:
    """The best ``max(1, n // 2)`` successful trials in ``space``, one per point.

    Any trial can be a parent, an initial plan included, when its plan is
    of an allowed kind and lies within that kind's ranges; each comes with
    its point.
    """
    ranked = sorted(
        (r for r in records.values() if r["status"] == "ok" and "plan" in r),
        key=rank_key,
    )
    parents, seen = [], set()
    for record in ranked:
        point = space.point_of(record["plan"])
        if point is None or point.key() in seen:
            continue
        seen.add(point.key())
        parents.append((point, int(record["trial"])))
    return parents[: max(1, n // 2)]


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


def rung_budgets(epochs: int, eta: int, min_epochs: int) -> tuple[int, ...]:
    """Epochs a network has trained for in all once it finishes each rung.

    ``epochs / eta**k`` for ``k = n - 1, ..., 1, 0``, rounded, with ``n``
    the most rungs whose smallest budget is still ``min_epochs`` or more
    (one rung of ``epochs`` when ``epochs`` is below ``min_epochs``).

    Examples
    --------
    >>> rung_budgets(200, 3, 2)
    (2, 7, 22, 67, 200)
    >>> rung_budgets(200, 3, 5)
    (7, 22, 67, 200)
    >>> rung_budgets(6, 3, 2)
    (2, 6)
    """
    top = 0
    while epochs / eta ** (top + 1) >= min_epochs:
        top += 1
    return tuple(sorted({max(1, round(epochs / eta**k)) for k in range(top, -1, -1)}))


class HalvingProposer:
    """Asynchronous successive halving over epochs (ASHA, Li et al., 2020).

    Rung 0 trains the ``initial_plans``, then structures drawn at random from
    the space, for ``budgets[0]`` epochs (``budgets = rung_budgets(epochs,
    eta, min_epochs)``). Once a rung ``r`` holds
    ``n`` finished trials, its best ``n // eta`` (by :func:`~.records.rank_key`; failed
    trials never) may be *promoted*: a promotion is a new trial, with its own
    index, ``rung = r + 1`` and ``parent`` the trial it continues, that
    trains the parent's network further for ``budgets[r + 1] - budgets[r]``
    epochs. Each next trial is the best promotable trial of the highest rung
    that has one, or else a fresh structure at rung 0, until ``n_trials``
    trials (promotions included) are proposed.

    Every trial's structure (at rung 0) and seed come from a generator seeded
    by the search's seed and the trial's index, and a promotion depends only
    on the finished trials and those proposed but not finished: proposing
    trial by trial, each after the one before finished (one worker), the
    same seed gives the same trials, and a resumed search, whose finished
    trials are handed back, goes on as the uninterrupted one did. With
    several workers (:meth:`next_trial` whenever one is free) which trials
    finish first decides the promotions, as in ASHA.

    Parameters
    ----------
    space : CerebrosSpace
        Where rung 0 draws its structures.
    n_trials : int
        Trials to propose in all, promotions included.
    epochs : int
        The top rung's budget: epochs a network trains for in all.
    rng : numpy.random.Generator
        The search's master generator; one number is drawn from it.
    eta : int, default=3
        One trial in ``eta`` of a rung is promoted; budgets grow ``eta``-fold.
    min_epochs : int, default=2
        Smallest budget of rung 0 (see :func:`rung_budgets`).
    batch : int, default=1
        Trials :meth:`next_trials` proposes at once (the search's ``n_jobs``
        when it waits for a batch to finish before asking again).
    initial_plans : sequence of dict, default=()
        Plans (as their ``to_dict`` gives them) trained first, as they
        are: trials ``0`` to ``len(initial_plans) - 1``, at rung 0, promoted
        like any other.
    kinds : sequence of str, default=("levels",)
        The kinds of plan rung 0 draws (see :func:`~.space.resolve_kinds`);
        with any other value than the default, a kind (uniform) then its
        point from the :class:`~.space.SearchSpace`.
    narrow : dict or None, default=None
        The search's ``space`` (see :func:`~.space.resolve_space`): rung 0
        draws within it.
    """

    def __init__(
        self,
        space: CerebrosSpace,
        *,
        n_trials: int,
        epochs: int,
        rng: np.random.Generator,
        eta: int = 3,
        min_epochs: int = 2,
        batch: int = 1,
        initial_plans: Sequence[Mapping[str, Any]] = (),
        kinds: Sequence[str] = LEVELS_ONLY,
        narrow: Mapping[str, Any] | None = None,
    ) -> None:
        self.search_space = _search_space(space, tuple(kinds), narrow)
        if eta < 2 or min_epochs < 1 or batch < 1:
            raise ValueError(
                f"eta must be at least 2, min_epochs and batch at least 1; got "
                f"eta={eta}, min_epochs={min_epochs}, batch={batch}."
            )
        self.space, self.n_trials, self.eta, self.batch = space, n_trials, eta, batch
        self.budgets = rung_budgets(epochs, eta, min_epochs)
        self.initial_plans = list(initial_plans)
        self._seed = int(rng.integers(_MAX_SEED))
        self._proposed: dict[int, TrialSpec] = {}

    def next_trials(self, records: Records) -> list[TrialSpec]:
        """Up to ``batch`` next trials (see :class:`Proposer`).

        The trials proposed before and not yet in ``records`` count as
        running: they are not proposed again.
        """
        specs: list[TrialSpec] = []
        while len(specs) < self.batch and (spec := self.next_trial(records)):
            specs.append(spec)
        return specs

    def next_trial(self, records: Records) -> TrialSpec | None:
        """The one next trial, or None when ``n_trials`` are proposed.

        ``records`` are the finished trials; those proposed but not in them
        are running. Finished trials this proposer did not propose (a
        resumed search) are taken as proposed.
        """
        for index, record in records.items():
            if index not in self._proposed:
                self._proposed[index] = _spec_of(record)
        index = next(
            i for i in range(len(self._proposed) + 1) if i not in self._proposed
        )
        if index >= self.n_trials:
            return None
        # Trial ``index`` was proposed when only earlier trials had finished:
        # a resumed search, which may hold later ones, decides as it did.
        earlier = {i: r for i, r in records.items() if i < index}
        if index < len(self.initial_plans):
            spec = self._fresh(index)
        else:
            spec = self._promotion(index, earlier) or self._fresh(index)
        self._proposed[index] = spec
        return spec

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self._seed, index])

    def _fresh(self, index: int) -> TrialSpec:
        """Trial ``index`` at rung 0: an initial plan, or a structure drawn."""
        rng = self._rng(index)
        budget = self.budgets[0]
        if index < len(self.initial_plans):
            plan = self.initial_plans[index]
            seed = int(rng.integers(_MAX_SEED))
            return TrialSpec(
                index, 0, seed, structure_of(plan), plan=plan, epochs=budget
            )
        if self.search_space is not None:
            structure, drawn = _spec_parts(
                self.search_space, self.search_space.draw(rng)
            )
            seed = int(rng.integers(_MAX_SEED))
            return TrialSpec(
                index,
                0,
                seed,
                structure,
                plan=drawn,
                epochs=budget,
                drawn=drawn is not None,
            )
        structure = sample_structure(self.space, rng)
        seed = int(rng.integers(_MAX_SEED))
        return TrialSpec(index, 0, seed, structure, epochs=budget)

    def _promotion(self, index: int, records: Records) -> TrialSpec | None:
        """The best promotable trial of the highest rung that has one, promoted.

        A trial is promoted once at most, even when a resumed search (with
        several workers) holds its promotion under a later index.
        """
        promoted = {s.parent for s in self._proposed.values() if s.rung > 0}
        for rung in range(len(self.budgets) - 2, -1, -1):
            finished = [r for r in records.values() if r.get("rung", 0) == rung]
            top = sorted(finished, key=rank_key)[: len(finished) // self.eta]
            for record in top:
                if succeeded(record) and record["trial"] not in promoted:
                    seed = int(self._rng(index).integers(_MAX_SEED))
                    return TrialSpec(
                        index,
                        rung + 1,
                        seed,
                        Structure(tuple(map(tuple, record["structure"]))),
                        parent=record["trial"],
                        rung=rung + 1,
                        epochs=self.budgets[rung + 1] - self.budgets[rung],
                    )
        return None


def _spec_of(record: Mapping[str, Any]) -> TrialSpec:
    """The spec of a finished trial, read back from its record."""
    return TrialSpec(
        int(record["trial"]),
        int(record.get("generation", 0)),
        int(record["seed"]),
        Structure(tuple(map(tuple, record["structure"]))),
        parent=record.get("parent"),
        rung=int(record.get("rung", 0)),
        epochs=record.get("epoch_budget"),
    )


def make_proposer(
    strategy: str,
    space: CerebrosSpace,
    *,
    n_trials: int,
    epochs: int,
    generation_size: int,
    n_wirings: int,
    rng: np.random.Generator,
    batch: int,
    initial_plans: Sequence[Mapping[str, Any]],
    kinds: Sequence[str] = LEVELS_ONLY,
    narrow: Mapping[str, Any] | None = None,
) -> Proposer:
    """The proposer of a search's ``strategy``, drawing from its master generator.

    Parameters
    ----------
    strategy : {"generations", "halving"}
        The search's ``strategy`` parameter.
    space : CerebrosSpace
        Where structures are drawn from.
    n_trials : int
        Trials to propose in all.
    epochs : int
        Largest number of epochs a trial trains for (the top rung's budget).
    generation_size : int
        Structures a generation draws (generations only). A resumed search
        passes the size it started with, so that a larger ``n_trials`` adds
        generations and redraws the same earlier trials.
    n_wirings : int
        Wirings of each structure (generations only).
    rng : numpy.random.Generator
        The search's master generator.
    batch : int
        Trials successive halving proposes at once: the workers that train
        them, since without a worker of its own each (see
        :class:`~.runner.TrialRunner`) the search trains that many trials and
        waits for all of them.
    initial_plans : sequence of dict
        Plans trained first, as :func:`resolve_initial_plans` gives them.
    kinds : sequence of str, default=("levels",)
        The kinds of plan drawn and evolved, as
        :func:`~.space.resolve_kinds` gives them.
    narrow : dict or None, default=None
        The search's ``space``: some hyperparameters of those kinds fixed
        or narrowed (see :func:`~.space.resolve_space`).
    """
    if strategy == "halving":
        return HalvingProposer(
            space,
            n_trials=n_trials,
            epochs=epochs,
            rng=rng,
            eta=HALVING_ETA,
            min_epochs=HALVING_MIN_EPOCHS,
            batch=batch,
            initial_plans=initial_plans,
            kinds=kinds,
            narrow=narrow,
        )
    return GenerationProposer(
        space,
        n_trials=n_trials,
        generation_size=generation_size,
        n_wirings=n_wirings,
        rng=rng,
        initial_plans=initial_plans,
        kinds=kinds,
        narrow=narrow,
    )


def _named_plan(name: str, position: int) -> NetworkPlan:
    """The plan an ``initial_plans`` entry names."""
    if name == "residual":
        # the residual estimators' default network, its joint ensemble too
        return residual_plan().with_head(1, "linear", RESIDUAL_MEMBERS)
    if name == "retrieval":
        return RetrievalPlan()
    raise ValueError(
        f"initial_plans[{position}]={name!r} is not known: the names are "
        "'residual' (the default architecture of ResidualMLPRegressor) and "
        "'retrieval' (RetrievalPlan(): a network that looks up similar "
        "training rows)."
    )


def resolve_initial_plans(value: Any) -> list[dict[str, Any]]:
    """A search's ``initial_plans`` parameter as plan dicts, checked.

    Parameters
    ----------
    value : str, plan, dict or a list of those, or None
        Names (``"residual"``, ``"retrieval"``), plans of any kind, or plans
        as dicts; None for none.

    Returns
    -------
    list of dict
        The plans as their ``to_dict`` gives them, in order: what the
        proposers train first and what the resume fingerprint records.
    """
    if value is None:
        return []
    kinds = ", ".join(kind.plan_type.__name__ for kind in plan_kinds())
    if isinstance(value, str) or is_plan(value):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError(
            f"initial_plans must be 'residual', 'retrieval', a plan ({kinds}), "
            f"a list of those, or None; got {type(value).__name__}."
        )
    plans = []
    for i, plan in enumerate(value):
        if isinstance(plan, str):
            plan = _named_plan(plan, i)
        elif isinstance(plan, dict):
            plan = plan_from_dict(plan)
        if not is_plan(plan):
            raise ValueError(
                f"initial_plans[{i}] must be 'residual', 'retrieval' or a "
                f"plan ({kinds}), got {type(plan).__name__}."
            )
        plans.append(plan.to_dict())
    return plans
