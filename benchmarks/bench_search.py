"""CerebrosRegressor: trials a minute with one and two workers, memory over time.

Run ``python -m benchmarks.bench_search`` (``--help`` for the options). Two
parts, each alone with ``--part throughput`` or ``--part memory`` (the default
``--part all`` runs both); ``python -m benchmarks --study speed`` runs them too.

``throughput``
    The same small search (``--throughput-trials`` small networks on a
    ``--subset-rows`` row sample of Ames, same seed) with ``n_jobs=1`` and
    ``n_jobs=2``, ``--repeats`` times interleaved: trials per minute of the
    search loop (``search_time_``), the mean time inside one trial, and the
    ratio n_jobs=2 / n_jobs=1. The first ``n_jobs=2`` run also starts the
    joblib worker processes (each imports Keras); later runs reuse them.
    It also checks that both give the same trial scores.
``memory``
    One long search of ``--memory-trials`` small trials, each way in a fresh
    process (``--memory-where``): ``n_jobs=1`` (a search of more than 20
    trials trains them in one loky worker process) and ``n_jobs=2``. A 0.1 s
    sampler thread reads the resident set size (RSS) of the process and of
    its worker processes, and the number of finished trials from the search's
    ``trials.jsonl``; the table shows both after trial 1, 10, 20, ... and the
    last, plus the growth per trial from trial 10 on and the peaks.

TensorFlow's own thread pools are set by the environment variables
``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS``, which joblib's
worker processes inherit; the README shows what they do to the throughput.

Timings move with the load of the machine; the load average is printed with
each part.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402

from sklearn_cerebros import CerebrosRegressor  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402

from ._runner import environment_lines  # noqa: E402

MB = 1024 * 1024


def small_search(args: argparse.Namespace, **params: Any) -> CerebrosRegressor:
    """Small, quick trials: 1-2 levels of 1-2 units of 8-32 neurons."""
    return CerebrosRegressor(
        levels=(1, 2),
        units_per_level=(1, 2),
        neurons_per_unit=(8, 32),
        epochs=args.small_epochs,
        n_iter_no_change=5,
        random_state=0,
        **params,
    )


def subset(X, y, n_rows: int):
    rows = np.random.default_rng(0).choice(
        len(X), size=min(n_rows, len(X)), replace=False
    )
    return X.iloc[rows], y.iloc[rows]


def load_average() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def part_header(title: str) -> float:
    print(f"\n## {title}\n")
    print(f"Load average (1, 5, 15 min) at start: {load_average()}  ")
    return time.perf_counter()


def part_footer(start: float) -> None:
    print(
        f"\nLoad average at end: {load_average()}; "
        f"part wall time {(time.perf_counter() - start) / 60:.1f} min"
    )


# -- (b) throughput ------------------------------------------------------------------
def part_throughput(args: argparse.Namespace, X, y) -> None:
    start = part_header("Trials per minute: n_jobs=1 against n_jobs=2")
    Xs, ys = subset(X, y, args.subset_rows)
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for rep in range(args.repeats):  # interleaved so drift hits both alike
        for n_jobs in (1, 2):
            keras.backend.clear_session()
            est = small_search(args, n_trials=args.throughput_trials, n_jobs=n_jobs)
            t0 = time.perf_counter()
            est.fit(Xs, ys)
            wall = time.perf_counter() - t0
            res = est.search_results_
            run = {
                "wall": wall,
                "search": est.search_time_,
                "trials": est.n_trials_,
                "per_min": 60 * est.n_trials_ / est.search_time_,
                "in_trial": statistics.fmean(res["fit_time"]),
                "scores": np.asarray(res["score"], dtype=float),
            }
            runs[n_jobs].append(run)
            print(
                f"  run {rep + 1}, n_jobs={n_jobs}: {run['trials']} trials in "
                f"{run['search']:.1f} s ({run['per_min']:.1f}/min)",
                file=sys.stderr,
                flush=True,
            )

    print(
        f"Search: {args.throughput_trials} trials (2 generations) of 1-2 levels x "
        f"1-2 units x 8-32 neurons, at most {args.small_epochs} epochs "
        f"(patience 5), on {len(Xs):,} Ames rows, random_state=0; "
        f"{args.repeats} runs each, interleaved\n"
    )
    print(
        "| n_jobs | trials/min (median) | per run | search s (median) "
        "| fit s incl. preprocessing (median) | mean s inside one trial |"
    )
    print("|---|---|---|---|---|---|")
    medians = {}
    for n_jobs, rs in runs.items():
        medians[n_jobs] = statistics.median(r["per_min"] for r in rs)
        print(
            f"| {n_jobs} | {medians[n_jobs]:.1f} | "
            f"{', '.join(format(r['per_min'], '.1f') for r in rs)} | "
            f"{statistics.median(r['search'] for r in rs):.1f} | "
            f"{statistics.median(r['wall'] for r in rs):.1f} | "
            f"{statistics.median(r['in_trial'] for r in rs):.2f} |"
        )
    warm = [r["per_min"] for r in runs[2][1:]]
    ratio = medians[2] / medians[1]
    print(f"\nRatio n_jobs=2 / n_jobs=1 (median trials/min): {ratio:.2f}x")
    if warm:
        print(
            f"Without the first n_jobs=2 run (worker start-up): "
            f"{statistics.median(warm) / medians[1]:.2f}x"
        )
    reference = runs[1][0]["scores"]
    diff = max(
        float(np.nanmax(np.abs(r["scores"] - reference)))
        for rs in runs.values()
        for r in rs
    )
    print(
        "Same trial scores in every run and for both n_jobs: "
        + ("yes" if diff == 0 else f"no (largest difference {diff:.4g})")
    )
    part_footer(start)


# -- (c) memory ----------------------------------------------------------------------
def rss_bytes(proc: psutil.Process) -> tuple[int, int]:
    """RSS of ``proc`` and the sum over its live descendants."""
    own = proc.memory_info().rss
    children = 0
    for child in proc.children(recursive=True):
        try:
            children += child.memory_info().rss
        except psutil.Error:
            pass
    return own, children


class TreeSampler(threading.Thread):
    """Polls the RSS of this process and its children, and finished trials.

    Each reading is (trials finished, own RSS, children's RSS, seconds); the
    trial count comes from the search's ``trials.jsonl``, so the readings do
    not depend on where the trials run.
    """

    def __init__(self, trials_file: Path, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.proc, self.interval, self.trials_file = (
            psutil.Process(),
            interval,
            trials_file,
        )
        self.readings: list[tuple[int, int, int, float]] = []
        self._stop_event = threading.Event()
        self.start_time = time.perf_counter()

    def finished(self) -> int:
        try:
            return self.trials_file.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            own, children = rss_bytes(self.proc)
            at = time.perf_counter() - self.start_time
            self.readings.append((self.finished(), own, children, at))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def at_trial(self, k: int) -> tuple[int, int, float]:
        """Own and children's RSS, and time, when trial ``k`` was seen done."""
        for n, own, children, at in self.readings:
            if n >= k:
                return own, children, at
        _, own, children, at = self.readings[-1]
        return own, children, at


def checkpoints(n: int) -> list[int]:
    marks = [1, 10, 20, 30, 40, 50, 100, 200, 500]
    return sorted({m for m in marks if m <= n} | {n})


WHERE = {
    "worker": "n_jobs=1, trials in one loky worker process",
    "n_jobs=2": "n_jobs=2, loky worker processes",
}


def part_memory(args: argparse.Namespace, X, y) -> None:
    """Run each memory mode in a fresh process, so none inherits another's."""
    start = part_header(f"Memory over a search of {args.memory_trials} small trials")
    for where in args.memory_where:
        cmd = [sys.executable, "-m", "benchmarks.bench_search", "--part", "memory-one"]
        cmd += ["--where", where]
        cmd += ["--memory-trials", str(args.memory_trials)]
        cmd += ["--small-epochs", str(args.small_epochs)]
        cmd += ["--subset-rows", str(args.subset_rows)]
        sys.stdout.flush()
        subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    part_footer(start)


def part_memory_one(args: argparse.Namespace, X, y) -> None:
    import tempfile

    Xs, ys = subset(X, y, args.subset_rows)
    proc = psutil.Process()
    before_own, _ = rss_bytes(proc)
    with tempfile.TemporaryDirectory() as folder:
        est = small_search(
            args,
            n_trials=args.memory_trials,
            n_jobs=2 if args.where == "n_jobs=2" else 1,
            results_dir=folder,
        )
        sampler = TreeSampler(Path(folder) / "trials.jsonl")
        sampler.start()
        est.fit(Xs, ys)
        sampler.stop()
    after_own, after_children = rss_bytes(proc)

    print(f"\n### {WHERE[args.where]}\n")
    print(
        f"{est.n_trials_} trials (2 generations) of 1-2 levels x 1-2 units x 8-32 "
        f"neurons, at most {args.small_epochs} epochs, on {len(Xs):,} Ames rows, "
        f"in {est.search_time_:.0f} s. RSS of this process before the search: "
        f"{before_own / MB:.0f} MB.\n"
    )
    print("| after trial | this process MB | worker processes MB | total MB | s |")
    print("|---|---|---|---|---|")
    for k in checkpoints(est.n_trials_):
        own, children, at = sampler.at_trial(k)
        print(
            f"| {k} | {own / MB:.0f} | {children / MB:.0f} | "
            f"{(own + children) / MB:.0f} | {at:.0f} |"
        )
    print(
        f"| (fit returned) | {after_own / MB:.0f} | {after_children / MB:.0f} | "
        f"{(after_own + after_children) / MB:.0f} | |"
    )
    peak_own = max(r[1] for r in sampler.readings)
    peak_total = max(r[1] + r[2] for r in sampler.readings)
    n = est.n_trials_
    if n >= 20:
        lo = 10
        own_lo, children_lo, _ = sampler.at_trial(lo)
        own_hi, children_hi, _ = sampler.at_trial(n)
        print(
            f"\nGrowth from trial {lo} to trial {n}: this process "
            f"{(own_hi - own_lo) / (n - lo) / MB:+.2f} MB per trial, total "
            f"{(own_hi + children_hi - own_lo - children_lo) / (n - lo) / MB:+.2f}"
            " MB per trial"
        )
    print(
        f"Peak RSS (0.1 s sampler): {peak_own / MB:.0f} MB this process, "
        f"{peak_total / MB:.0f} MB with its worker processes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        choices=["all", "throughput", "memory", "memory-one"],
        default="all",
    )
    small = parser.add_argument_group("throughput and memory")
    small.add_argument("--subset-rows", type=int, default=1000)
    small.add_argument("--small-epochs", type=int, default=20)
    small.add_argument("--throughput-trials", type=int, default=8)
    small.add_argument("--repeats", type=int, default=3)
    small.add_argument("--memory-trials", type=int, default=50)
    small.add_argument(
        "--memory-where",
        nargs="+",
        choices=sorted(WHERE),
        default=["worker", "n_jobs=2"],
        help="where the memory part's trials run, each in a fresh process",
    )
    small.add_argument("--where", choices=sorted(WHERE), help=argparse.SUPPRESS)
    args = parser.parse_args()

    X, y = load_ames(return_X_y=True)
    if args.part != "memory-one":
        for line in environment_lines():
            print(line + "  ")
    if args.part in ("all", "throughput"):
        part_throughput(args, X, y)
    if args.part in ("all", "memory"):
        part_memory(args, X, y)
    if args.part == "memory-one":
        part_memory_one(args, X, y)


if __name__ == "__main__":
    main()
