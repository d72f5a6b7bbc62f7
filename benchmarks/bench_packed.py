"""Seconds per bagged trial, fold networks packed in one model or one by one.

Run ``python -m benchmarks.bench_packed`` (``--help`` for the options), once
per backend (``KERAS_BACKEND=jax ...``). For each plan kind (a drawn
levels-and-wiring network, the default residual network, a retrieval
network, an MLP-Mixer) it fits ``CerebrosRegressor(n_trials=1, ...)`` on
Ames (every row, 5 folds, the search's default training settings) with that
kind's one trial, its fold networks packed in one Keras model and trained
one after another (``sklearn_cerebros.search.trial.PACK_FOLDS``), the two
ways interleaved ``--repeats`` times. Each fit is a CSV row as it finishes
(``--out``; a finished (backend, kind, packed, repeat) is not fitted again),
and the table gives per kind the median seconds of the trial (its
``fit_time``), the trials per minute both ways and their ratio, and whether
both ways gave the same score. The load average is in every row.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from sklearn_cerebros import CerebrosRegressor  # noqa: E402
from sklearn_cerebros.architecture import MixerPlan, RetrievalPlan  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402
from sklearn_cerebros.search import trial  # noqa: E402

#: Each kind's one trial: the search's ``initial_plans`` (none: one drawn
#: levels-and-wiring network).
KINDS: dict[str, Any] = {
    "levels": (),
    "residual": ("residual",),
    "retrieval": (RetrievalPlan(),),
    "mixer": (MixerPlan(),),
}
FIELDS = [
    "backend",
    "kind",
    "packed",
    "repeat",
    "trial_seconds",
    "fit_seconds",
    "score",
    "epochs",
    "load_1min",
]


def fit_one(kind: str, packed: bool, X: Any, y: Any) -> dict[str, Any]:
    """One search of one trial of ``kind``; its CSV row."""
    trial.PACK_FOLDS = packed
    search = CerebrosRegressor(n_trials=1, initial_plans=KINDS[kind], random_state=0)
    start = time.perf_counter()
    search.fit(X, y)
    fit_seconds = time.perf_counter() - start
    record = search.search_results_
    return {
        "backend": keras.backend.backend(),
        "kind": kind,
        "packed": packed,
        "trial_seconds": round(float(record["fit_time"][0]), 2),
        "fit_seconds": round(fit_seconds, 2),
        "score": float(record["score"][0]),
        "epochs": int(record["epochs"][0]),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def report(rows: list[dict[str, Any]]) -> str:
    """Per backend and kind: median trial seconds, trials a minute, ratio."""
    lines = [
        "| backend | kind | s/trial one by one | s/trial packed | trials/min "
        "one by one | trials/min packed | ratio | same score | load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["backend"], r["kind"]) for r in rows})
    for backend, kind in keys:
        mine = [r for r in rows if r["backend"] == backend and r["kind"] == kind]
        by = {
            packed: [float(r["trial_seconds"]) for r in mine if r["packed"] == packed]
            for packed in ("True", "False")
        }
        if not by["True"] or not by["False"]:
            continue
        one, packed = statistics.median(by["False"]), statistics.median(by["True"])
        scores = {round(float(r["score"]), 4) for r in mine}
        load = statistics.median(float(r["load_1min"]) for r in mine)
        lines.append(
            f"| {backend} | {kind} | {one:.1f} | {packed:.1f} | {60 / one:.2f} | "
            f"{60 / packed:.2f} | {one / packed:.2f}x | "
            f"{'yes' if len(scores) == 1 else 'no'} | {load:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/packed.csv")
    )
    args = parser.parse_args(argv)
    X, y = load_ames(return_X_y=True)
    done: set[tuple[str, str, str, str]] = set()
    rows: list[dict[str, Any]] = []
    if args.out.exists():
        with args.out.open() as f:
            rows = list(csv.DictReader(f))
        done = {(r["backend"], r["kind"], r["packed"], r["repeat"]) for r in rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        for repeat in range(args.repeats):
            for kind in args.kinds:
                for packed in (False, True):
                    key = (keras.backend.backend(), kind, str(packed), str(repeat))
                    if key in done:
                        continue
                    row = {**fit_one(kind, packed, X, y), "repeat": repeat}
                    writer.writerow(row)
                    f.flush()
                    rows.append({k: str(v) for k, v in row.items()})
                    print(row, flush=True)
    print(report(rows))


if __name__ == "__main__":
    main()
