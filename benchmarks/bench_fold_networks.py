"""Seconds per bagged trial: fold networks each compiled, or compiled once.

Run ``python -m benchmarks.bench_fold_networks`` (``--help`` for the
options), once per backend (``KERAS_BACKEND=jax ...``). For each plan kind
(a drawn levels-and-wiring network, the default residual network, a
retrieval network retrieving from its whole memory in training or from 256
or 128 rows drawn a step, or with its memory's keys constant in a step, an
MLP-Mixer) it fits ``CerebrosRegressor(n_trials=1,
...)`` on Ames (every row, 5 folds, the search's default training settings)
with that kind's one trial, its five fold networks trained one after
another two ways (``sklearn_cerebros.search.trial.REUSE_COMPILED``):

``fresh``
    each built and compiled on its own (before ``CompiledNetwork``);
``compiled_once``
    in one compiled model loaded with each network's initial state.

The ways are interleaved ``--repeats`` times. Each fit is a CSV row as it
finishes (``--out``; a finished (backend, kind, way, repeat) is not fitted
again), and the table gives per kind the median seconds of the trial (its
``fit_time``) each way, trials per minute, their ratio, and whether both ways
gave the same score. The load average is in every row. The CSV also keeps
the rows of a third way measured once, ``packed`` (every fold network in one
Keras model, one training step for all; at commit 8f5018a), which the report
shows too.
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
    # backpropagating through the memory's keys, as before memory_gradients
    "retrieval": (RetrievalPlan(memory_gradients=True),),
    "retrieval_256": (RetrievalPlan(train_candidates=256, memory_gradients=True),),
    "retrieval_128": (RetrievalPlan(train_candidates=128, memory_gradients=True),),
    # the memory's keys constants of each step
    "retrieval_constant": (RetrievalPlan(memory_gradients=False),),
    "mixer": (MixerPlan(),),
}
WAYS = {"fresh": False, "compiled_once": True}
#: Ways the report shows: WAYS and the packed experiment's rows.
REPORTED = ("fresh", "compiled_once", "packed")
FIELDS = [
    "backend",
    "kind",
    "way",
    "repeat",
    "trial_seconds",
    "fit_seconds",
    "score",
    "epochs",
    "load_1min",
]


def fit_one(kind: str, way: str, X: Any, y: Any) -> dict[str, Any]:
    """One search of one trial of ``kind``, trained ``way``; its CSV row."""
    trial.REUSE_COMPILED = WAYS[way]
    search = CerebrosRegressor(n_trials=1, initial_plans=KINDS[kind], random_state=0)
    start = time.perf_counter()
    search.fit(X, y)
    fit_seconds = time.perf_counter() - start
    record = search.search_results_
    return {
        "backend": keras.backend.backend(),
        "kind": kind,
        "way": way,
        "trial_seconds": round(float(record["fit_time"][0]), 2),
        "fit_seconds": round(fit_seconds, 2),
        "score": float(record["score"][0]),
        "epochs": int(record["epochs"][0]),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def report(rows: list[dict[str, Any]]) -> str:
    """Per backend and kind: median trial seconds each way, best against fresh."""
    lines = [
        "| backend | kind | s/trial fresh | compiled once | packed | trials/min "
        "fresh | trials/min best | best/fresh | same score | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["backend"], r["kind"]) for r in rows})
    for backend, kind in keys:
        mine = [r for r in rows if r["backend"] == backend and r["kind"] == kind]
        med = {}
        for way in REPORTED:
            seconds = [float(r["trial_seconds"]) for r in mine if r["way"] == way]
            med[way] = statistics.median(seconds) if seconds else None
        if med["fresh"] is None:
            continue
        best = min(v for v in med.values() if v is not None)
        scores = {round(float(r["score"]), 4) for r in mine}
        load = statistics.median(float(r["load_1min"]) for r in mine)
        cells = " | ".join("-" if v is None else f"{v:.1f}" for v in med.values())
        lines.append(
            f"| {backend} | {kind} | {cells} | {60 / med['fresh']:.2f} | "
            f"{60 / best:.2f} | {med['fresh'] / best:.2f}x | "
            f"{'yes' if len(scores) == 1 else 'no'} | {load:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--ways", nargs="+", default=list(WAYS), choices=WAYS)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/fold_networks.csv")
    )
    args = parser.parse_args(argv)
    X, y = load_ames(return_X_y=True)
    done: set[tuple[str, str, str, str]] = set()
    rows: list[dict[str, Any]] = []
    if args.out.exists():
        with args.out.open() as f:
            rows = list(csv.DictReader(f))
        done = {(r["backend"], r["kind"], r["way"], r["repeat"]) for r in rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        if new:
            writer.writeheader()
        for repeat in range(args.repeats):
            for kind in args.kinds:
                for way in args.ways:
                    key = (keras.backend.backend(), kind, way, str(repeat))
                    if key in done:
                        continue
                    row = {**fit_one(kind, way, X, y), "repeat": repeat}
                    writer.writerow(row)
                    f.flush()
                    rows.append({k: str(v) for k, v in row.items()})
                    print(row, flush=True)
    print(report(rows))


if __name__ == "__main__":
    main()
