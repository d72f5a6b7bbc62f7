"""A search's results on disk, its fingerprint, and what a resume reads back.

:class:`ResultsStore` writes every finished trial to ``results_dir`` as it
finishes and reads the trials back on resume; :func:`fingerprint` describes a
search so that a resume can check it continues the same one.
:class:`FinishedTrials` is the search's memory of its finished trials, read
from the store when resuming and written through to it as trials finish.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._backend import keras
from .._keras import average_models
from .records import rank_key, succeeded
from .trial import Folds, TrialResult, trial_networks

__all__ = ["FinishedTrials", "ResultsStore", "digest", "fingerprint", "recorded_seed"]

# Settings that change how a search runs or reports, not which trials it holds.
# The budget (n_trials, max_time) is among them: a resumed search may grow.
_NOT_IN_FINGERPRINT = {
    "verbose",
    "n_jobs",
    "results_dir",
    "resume",
    "n_trials",
    "max_time",
    "ensemble_size",
    "callbacks",
    "checkpoint_path",
    "tensorboard_dir",
}


def _describe(value: Any) -> str:
    """A name for a non-JSON parameter that is the same in every process."""
    kind = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def digest(folds: Folds) -> str:
    """A short fingerprint of the held-out rows of each fold."""
    h = hashlib.sha256()
    for _, held in folds:
        h.update(np.asarray(held, np.int64).tobytes() + b"|")
    return h.hexdigest()[:16]


def fingerprint(
    params: Mapping[str, Any],
    initial_plans: list[dict[str, Any]],
    *,
    kinds: tuple[str, ...] = ("levels",),
    space: Mapping[str, Any] | None = None,
    n_rows: int,
    n_features: int,
    seed: int,
    generation_size: int,
    folds: Folds | None,
) -> dict[str, Any]:
    """A JSON-ready description of a search: what a resume must find unchanged.

    Parameters
    ----------
    params : mapping
        The estimator's ``get_params()``; those that change how a search
        runs or reports rather than which trials it holds (the budget,
        ``n_jobs``, ``verbose``, ...) are left out, so that a resumed search
        may grow.
    initial_plans : list of dict
        The resolved ``initial_plans``, which replace the parameter's value.
    kinds : tuple of str, default=("levels",)
        The resolved ``kinds``; recorded only when not the default, so that
        a search's fingerprint is what it was before the parameter existed.
    space : dict or None, default=None
        What the search's ``space`` narrows, as
        :func:`~.space.space_description` gives it; recorded only when it
        narrows something, as ``kinds`` is.
    n_rows, n_features : int
        The shape of the training rows.
    seed : int
        The search's seed (recorded: a resume reads it back).
    generation_size : int
        Structures a generation draws (recorded as the seed is).
    folds : list or None
        The bagging folds, of which a digest is kept.
    """
    kept = {k: v for k, v in params.items() if k not in _NOT_IN_FINGERPRINT}
    kept["initial_plans"] = initial_plans
    kept.pop("kinds", None)
    if tuple(kinds) != ("levels",):
        kept["kinds"] = list(kinds)
    kept.pop("space", None)
    if space:
        kept["space"] = dict(space)
    # through JSON once, so that it compares equal to what a resume reads back
    kept = json.loads(json.dumps(kept, default=_describe))
    described = {
        **kept,
        "n_rows": n_rows,
        "n_features": n_features,
        "seed": seed,
        "generation_size": generation_size,
    }
    if folds is not None:
        described["folds"] = digest(folds)
    return described


def recorded_seed(path: str | os.PathLike | None) -> int | None:
    """The seed of the search recorded in ``path``, if there is one.

    A resumed search reuses it, so that it redraws the same split and the
    same trials even when ``random_state`` is None.
    """
    meta = None if path is None else Path(path) / "search.json"
    if meta is None or not meta.exists():
        return None
    return int(json.loads(meta.read_text())["seed"])


class ResultsStore:
    """A search's results on disk, written as each trial finishes.

    ``trials.jsonl`` gets one JSON line per finished trial (flushed and synced
    before the next trial's result is handled); ``trial_NNN.npz`` holds a
    successful trial's weights and held-out outputs, written before its line;
    ``search.json`` describes the search so that a resume can check it
    continues the same one; ``best_model.keras`` and ``best.json`` hold the
    best model so far.

    Parameters
    ----------
    path : str or Path
        The directory; created if missing.
    fingerprint : dict
        JSON-ready description of the search (parameters, data shape, seed).
        On resume, the keys in :attr:`RECORDED` are read back from the
        directory rather than compared; every other key must be equal.
    resume : bool
        Continue the search recorded in ``path``. Without it, a directory that
        already holds trials is refused rather than overwritten.
    """

    # What a search fixes when it starts and keeps when resumed with a larger
    # budget: its seed and the number of structures a generation draws.
    RECORDED = ("seed", "generation_size")

    def __init__(self, path: str | os.PathLike, fingerprint: dict, resume: bool):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._trials = self.path / "trials.jsonl"
        meta = self.path / "search.json"
        if self._trials.exists() and self._trials.stat().st_size > 0 and not resume:
            raise ValueError(
                f"results_dir={str(self.path)!r} already holds the trials of a "
                "search. Pass resume=True to continue it, or choose an empty "
                "directory: nothing is overwritten."
            )
        if resume and meta.exists():
            stored = json.loads(meta.read_text())
            changed = sorted(
                k
                for k in set(stored) | set(fingerprint)
                if k not in self.RECORDED and stored.get(k) != fingerprint.get(k)
            )
            if changed:
                raise ValueError(
                    f"Cannot resume: results_dir={str(self.path)!r} holds a search "
                    f"with other settings or data ({', '.join(changed)} differ)."
                )
            self.fingerprint = {**fingerprint, **stored}
        else:
            self.fingerprint = fingerprint
            meta.write_text(json.dumps(fingerprint, indent=1, sort_keys=True))

    def _arrays_path(self, trial: int) -> Path:
        return self.path / f"trial_{trial:03d}.npz"

    def load(self) -> dict[int, dict[str, Any]]:
        """Finished trials' records by index.

        A line cut short by a kill is ignored, and so is a successful trial
        whose arrays are missing: it is trained again, to the same result.
        A trial that the time budget cut (``stopped="deadline"``: one
        stopped before it had a usable network, ``status="stopped"``, or one
        that counted with networks cut short) is trained again too: a
        resumed search with more time trains it as the uninterrupted search
        would.
        """
        records: dict[int, dict[str, Any]] = {}
        if not self._trials.exists():
            return records
        for line in self._trials.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the process died while writing this line
            trial = int(record["trial"])
            if record["status"] == "stopped" or record.get("stopped"):
                continue
            if record["status"] != "ok" or self._arrays_path(trial).exists():
                records[trial] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Add a finished trial's line, synced before the next trial's."""
        line = json.dumps(record, allow_nan=True) + "\n"
        if self._trials.exists() and self._trials.stat().st_size > 0:
            with self._trials.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = "\n" + line  # a kill cut the last line short
        with self._trials.open("a") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def save_arrays(self, result: TrialResult) -> None:
        """Write a successful trial's weights and held-out outputs, atomically."""
        trial = int(result.record["trial"])
        tmp = self.path / f"trial_{trial:03d}.tmp.npz"
        arrays = {
            f"net{n}_weight_{i}": w
            for n, network in enumerate(result.weights or [])
            for i, w in enumerate(network)
        }
        with tmp.open("wb") as f:
            np.savez(f, raw=result.raw, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._arrays_path(trial))

    def load_arrays(self, record: dict[str, Any]) -> TrialResult:
        """A finished trial with the weights and outputs :meth:`save_arrays` wrote."""
        with np.load(self._arrays_path(int(record["trial"]))) as f:
            shape: dict[int, int] = {}
            for name in f.files:
                if name.startswith("net"):
                    net, i = name[3:].split("_weight_")
                    shape[int(net)] = max(shape.get(int(net), 0), int(i) + 1)
            weights = [
                [f[f"net{n}_weight_{i}"] for i in range(shape[n])]
                for n in sorted(shape)
            ]
            return TrialResult(record, weights, f["raw"])

    def save_best(self, model: keras.Model, trial: int) -> None:
        """Write the best model so far and its trial's index, atomically."""
        tmp = self.path / "best_model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, self.path / "best_model.keras")
        (self.path / "best.json").write_text(json.dumps({"trial": trial}))


class FinishedTrials:
    """The trials a search has finished, in memory and, with a store, on disk.

    Parameters
    ----------
    store : ResultsStore or None
        Where the trials are written as they finish; a resumed search's
        trials are read back from it first (successful ones with their
        weights and held-out outputs, which the ensemble is chosen from).
    n_features : int
        Network inputs, to rebuild the best model so far for the store.

    Attributes
    ----------
    records : dict of int to dict
        Every finished trial's record, by index (what the proposers read).
    kept : dict of int to TrialResult
        The successful trials with their weights and held-out outputs: the
        parents of promotions and the candidates of the ensemble.
    """

    def __init__(self, store: ResultsStore | None, n_features: int) -> None:
        self.store, self.n_features = store, n_features
        self.records: dict[int, dict[str, Any]] = {}
        self.kept: dict[int, TrialResult] = {}
        if store is not None:
            self.records = store.load()
            self.kept = {
                i: store.load_arrays(r) for i, r in self.records.items() if succeeded(r)
            }

    def add(self, result: TrialResult) -> None:
        """Record a finished trial; keep and save it if it succeeded.

        With a store, a successful trial's arrays are written before its
        line, and the best model so far is replaced when it ranks first.
        """
        record = result.record
        self.records[record["trial"]] = record
        if succeeded(record):
            best = min(
                self.kept.values(), key=lambda r: rank_key(r.record), default=None
            )
            self.kept[record["trial"]] = result
            if self.store is not None:
                self.store.save_arrays(result)
                if best is None or rank_key(record) < rank_key(best.record):
                    networks = trial_networks(record, result.weights, self.n_features)
                    self.store.save_best(average_models(*networks), record["trial"])
        if self.store is not None:
            self.store.append(record)

    def best_score(self) -> float | None:
        """The highest score of a successful trial so far, if there is one."""
        return max((r.record["score"] for r in self.kept.values()), default=None)
