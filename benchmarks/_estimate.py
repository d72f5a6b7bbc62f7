"""Dry run: the fits a profile makes, and an estimate of how long they take.

``python -m benchmarks --profile full --study all --estimate`` fits nothing.
It counts the fits of every study, data set and model exactly as the studies
loop over them (folds x seeds, x fractions in the curves, x depths in the
depth study) and prices each fit from measured result CSVs.

How the estimate is calibrated
------------------------------
The calibration is every ``*.csv`` under a results directory (default
``benchmarks/results/small/``, the committed small-profile run, including
its ``calibration/`` run of the small profile on every data set, one fold;
``--calibration DIR`` picks another). Rows of the running Keras backend are
used when there are any, else all rows. From them:

1. **Rows**, per model: a least-squares line ``seconds = a + b * x`` over all
   of that model's rows, where ``x`` is the training rows in thousands times
   a size, ``depth / 4`` for the depth study's networks (their work grows
   with the layers) and 1 otherwise. For ``cerebros`` the seconds are per
   trial (fit seconds / trials done).
2. **Data set**, per model and data set: the median seconds of that model's
   size-1 fits on whole training folds of that data set (``level``). A fit
   of ``x`` is priced ``level * line(x) / line(x_level)``, so the data set's
   own cost (ten classes on digits, 200 epochs on wine) carries over and the
   line only scales it; a data set the calibration lacks is priced by the
   line alone.
3. **Epochs**: a network's price is scaled by ``min(1, epochs / run)``, with
   ``run`` the median epochs its calibration fits ran. Early stopping ends
   most fits long before the cap, so a higher cap changes nothing.
4. **Cerebros budget**: ``n_trials`` trials, but none started after
   ``max_time`` seconds, so a fit costs ``min(n_trials * t, max_time + t)``
   for a trial of ``t`` seconds (generations are not modelled).

Not modelled: the width of the networks, start-up and data loading (under a
minute), the machine's load (the calibration's median load is printed: on 2
cores, a load of 4 roughly doubles every time).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._models import N_LAYERS, NETWORKS, available_models
from ._profiles import Profile
from ._runner import read_csv
from ._tables import TABLE_ROWS

__all__ = ["DATASET_ROWS", "Calibration", "calibrate", "estimate", "format_estimate"]

#: Rows of each bundled data set (checked against the loaders in the tests).
DATASET_ROWS: dict[str, int] = {
    "ames": 2930,
    "diabetes": 442,
    "concrete": 1030,
    "breast_cancer": 569,
    "wine": 178,
    "digits": 1797,
    "attrition": 1470,
}
#: and of the twenty-three tables of ``benchmarks/_tables.py`` (issue 34).
DATASET_ROWS.update(TABLE_ROWS)

#: Models whose work grows with the depth study's ``depth``.
DEPTH_SCALED = frozenset({"residual_mlp", "plain_mlp", "sk_mlp"})


@dataclass(frozen=True)
class Line:
    """``seconds = base + per_krow * x``, never below 0.01 s."""

    base: float
    per_krow: float

    def __call__(self, x: float) -> float:
        return max(self.base + self.per_krow * x, 0.01)


@dataclass(frozen=True)
class Calibration:
    """Per-fit (Cerebros: per-trial) costs measured in earlier runs.

    Attributes
    ----------
    lines : dict
        Model -> :class:`Line` of seconds against thousands of rows x size.
    levels : dict
        (model, data set) -> (median seconds, median x) of its size-1 rows.
    epochs_run : dict
        Network -> median epochs its calibration fits ran.
    backend : str
        Keras backend of the rows used.
    load : float
        Median 1-minute load average of those rows.
    n_rows : int
        Number of result rows used.
    """

    lines: dict[str, Line]
    levels: dict[tuple[str, str], tuple[float, float]]
    epochs_run: dict[str, float]
    backend: str
    load: float
    n_rows: int


def _size(row: dict[str, Any]) -> float:
    depth = row.get("depth", "")
    if depth != "" and depth is not None and row["model"] in DEPTH_SCALED:
        return float(depth) / N_LAYERS
    return 1.0


def _unit_seconds(row: dict[str, Any]) -> float:
    seconds = float(row["fit_time"])
    if row["model"] == "cerebros" and row.get("n_trials") not in ("", None, 0):
        seconds /= float(row["n_trials"])
    return seconds


def _fit_line(points: Sequence[tuple[float, float]]) -> Line:
    xs, ys = zip(*points, strict=True)
    if len(set(xs)) < 2:
        mean_x = statistics.fmean(xs)
        return Line(0.0, statistics.fmean(ys) / mean_x if mean_x else 0.0)
    slope, base = statistics.linear_regression(xs, ys)
    if slope < 0:  # noise: fall back to a flat cost
        return Line(statistics.fmean(ys), 0.0)
    return Line(max(base, 0.0), slope)


def calibrate(paths: Sequence[Path], backend: str | None = None) -> Calibration:
    """Build a :class:`Calibration` from result CSVs of the studies.

    Parameters
    ----------
    paths : sequence of path
        CSV files written by the studies (one row per fit).
    backend : str, optional
        Use only rows of this Keras backend when there are any (rows written
        before the ``backend`` column existed count as ``tensorflow``).

    Returns
    -------
    Calibration
    """
    rows = [row for path in paths for row in read_csv(Path(path))]
    if not rows:
        raise ValueError(f"no result rows to calibrate from in {list(paths)}")
    for row in rows:
        row.setdefault("backend", "tensorflow")
    if backend and any(r["backend"] == backend for r in rows):
        rows = [r for r in rows if r["backend"] == backend]
    points: dict[str, list[tuple[float, float]]] = {}
    level_rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    epochs: dict[str, list[float]] = {}
    for row in rows:
        x = float(row["n_train"]) / 1000 * _size(row)
        seconds = _unit_seconds(row)
        points.setdefault(row["model"], []).append((x, seconds))
        if _size(row) == 1.0 and row.get("fraction") in (None, "", 1.0):
            level_rows.setdefault((row["model"], row["dataset"]), []).append(
                (seconds, x)
            )
        if row["model"] in NETWORKS and row.get("n_iter") not in ("", None):
            epochs.setdefault(row["model"], []).append(float(row["n_iter"]))
    return Calibration(
        lines={model: _fit_line(p) for model, p in points.items()},
        levels={
            key: (
                statistics.median(s for s, _ in v),
                statistics.median(x for _, x in v),
            )
            for key, v in level_rows.items()
        },
        epochs_run={m: statistics.median(v) for m, v in epochs.items()},
        backend=", ".join(sorted({str(r["backend"]) for r in rows})),
        load=statistics.median(float(r["load_1min"]) for r in rows),
        n_rows=len(rows),
    )


def _train_sizes(n_rows: int, profile: Profile) -> list[int]:
    """Training rows of each fold run (``KFold`` sizes; stratified ones differ
    by a row or two)."""
    k = profile.n_splits
    tests = [n_rows // k + (1 if i < n_rows % k else 0) for i in range(k)]
    return [n_rows - t for t in tests][: profile.max_folds]


def planned_fits(
    study: str, n_rows: int, models: Sequence[str], profile: Profile
) -> Iterator[tuple[str, int, float]]:
    """Every fit ``study`` makes on a table of ``n_rows``: (model, rows, size).

    The counts follow the loops of :mod:`benchmarks._studies`: folds x seeds
    x models, times the fractions (``curves``) or the depths (``depth``);
    ``profile`` is the study's (:meth:`~benchmarks._profiles.Profile.for_study`).
    ``size`` is ``depth / 4`` for the depth study's networks, else 1.
    """
    for n_train in _train_sizes(n_rows, profile):
        for _seed in profile.seeds:
            for model in models:
                if study == "quality":
                    yield model, n_train, 1.0
                elif study == "curves":
                    for fraction in profile.fractions:
                        yield model, max(2, round(fraction * n_train)), 1.0
                elif study == "depth":
                    for depth in profile.depths:
                        size = depth / N_LAYERS if model in DEPTH_SCALED else 1.0
                        yield model, n_train, size
                else:
                    raise ValueError(f"no estimate for study {study!r}")


def fit_seconds(
    calibration: Calibration,
    model: str,
    dataset: str,
    n_train: int,
    size: float,
    profile: Profile,
) -> float:
    """Estimated seconds of one fit (see the module docstring)."""
    line = calibration.lines.get(model)
    if line is None:
        raise ValueError(f"the calibration has no rows of model {model!r}")
    x = n_train / 1000 * size
    seconds = line(x)
    if (model, dataset) in calibration.levels:
        level, level_x = calibration.levels[(model, dataset)]
        seconds = level * line(x) / line(level_x)
    if model in NETWORKS and model in calibration.epochs_run:
        seconds *= min(1.0, profile.epochs / calibration.epochs_run[model])
    if model == "cerebros":
        trials = int(profile.cerebros.get("n_trials", 8))
        max_time = profile.cerebros.get("max_time")
        total = trials * seconds
        seconds = total if max_time is None else min(total, max_time + seconds)
    return seconds


@dataclass(frozen=True)
class Estimate:
    """Planned fits of one study, data set and model, and their seconds."""

    study: str
    dataset: str
    model: str
    fits: int
    seconds: float


def estimate(
    studies: Sequence[str],
    profile: Profile,
    calibration: Calibration,
    datasets: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
) -> list[Estimate]:
    """One :class:`Estimate` per study, data set and model of the run.

    ``datasets`` and ``models`` override the profile's, as on the command line.
    """
    out = []
    for study in studies:
        study_profile = profile.for_study(study)
        names = datasets or getattr(profile, f"{study}_datasets")
        chosen = list(models or getattr(profile, f"{study}_models"))
        if study != "depth":  # the depth study does not drop LightGBM
            chosen = available_models(chosen)
        for name in names:
            totals: dict[str, list[float]] = {m: [] for m in chosen}
            fits = planned_fits(study, DATASET_ROWS[name], chosen, study_profile)
            for model, n_train, size in fits:
                totals[model].append(
                    fit_seconds(calibration, model, name, n_train, size, study_profile)
                )
            out += [
                Estimate(study, name, m, len(s), math.fsum(s))
                for m, s in totals.items()
            ]
    return out


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_estimate(
    estimates: Sequence[Estimate], profile: Profile, calibration: Calibration
) -> str:
    """A Markdown report: one row per study, data set and model, then totals."""
    lines = [
        f"# Estimated run time of profile `{profile.name}` (dry run, nothing fitted)",
        "",
        f"Calibration: {calibration.n_rows} measured fits, Keras backend "
        f"{calibration.backend}, median load average {calibration.load:.1f} "
        "(see benchmarks/_estimate.py for the method). An estimate, not a "
        "measurement.",
        "",
        "| study | dataset | model | fits | s per fit (est.) | time (est.) |",
        "|---|---|---|---|---|---|",
    ]
    for e in estimates:
        per_fit = e.seconds / e.fits if e.fits else 0.0
        lines.append(
            f"| {e.study} | {e.dataset} | `{e.model}` | {e.fits} | "
            f"{per_fit:.1f} | {_duration(e.seconds)} |"
        )
    lines += ["", "| study | fits | time (est.) |", "|---|---|---|"]
    for study in dict.fromkeys(e.study for e in estimates):
        part = [e for e in estimates if e.study == study]
        lines.append(
            f"| {study} | {sum(e.fits for e in part)} | "
            f"{_duration(math.fsum(e.seconds for e in part))} |"
        )
    total = math.fsum(e.seconds for e in estimates)
    lines.append(
        f"| **total** | {sum(e.fits for e in estimates)} | **{_duration(total)}** |"
    )
    return "\n".join(lines)
