"""What a new user waits for: import, first fit, warm fit, first predict.

Run ``python -m benchmarks.bench_startup --backends tensorflow jax``. Each run
is a fresh Python process that, on the first 2,000 rows of the Ames table,

1. imports the package and its Keras backend (``import_s``);
2. fits ``ResidualMLPRegressor(random_state=0)`` at its defaults, early
   stopping included (``first_fit_s``);
3. predicts one raw row, then another (``first_predict_ms``,
   ``one_row_predict_ms``: the compiled forward pass is built by the first);
4. fits a second estimator (``random_state=1``) in the same process
   (``warm_fit_s``) and predicts one row with it (``warm_first_predict_ms``).

It prints the median over ``--runs`` fresh processes per backend, with the
CPU seconds of the process next to the wall-clock ones: on a shared machine
the wall clock grows with the load, the CPU time much less. On JAX the runs
share one compilation cache directory (``--jax-cache``, a new temporary one
by default), so the first run compiles and the later ones read the cache, as
a user's second session does; ``--no-jax-cache`` turns the cache off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_ONE_RUN = """
import json, time
wall, cpu = time.perf_counter, time.process_time
out = {}
t, c = wall(), cpu()
from sklearn_cerebros import ResidualMLPRegressor
from sklearn_cerebros.datasets import load_ames
import sklearn_cerebros._keras
out["import_s"], out["import_cpu_s"] = wall() - t, cpu() - c
X, y = load_ames(return_X_y=True)
X, y = X.iloc[:2000], y.iloc[:2000]
t, c = wall(), cpu()
est = ResidualMLPRegressor(random_state=0).fit(X, y)
out["first_fit_s"], out["first_fit_cpu_s"] = wall() - t, cpu() - c
t = wall(); est.predict(X.iloc[[0]]); out["first_predict_ms"] = 1e3 * (wall() - t)
t = wall(); est.predict(X.iloc[[1]]); out["one_row_predict_ms"] = 1e3 * (wall() - t)
t, c = wall(), cpu()
warm = ResidualMLPRegressor(random_state=1).fit(X, y)
out["warm_fit_s"], out["warm_fit_cpu_s"] = wall() - t, cpu() - c
t = wall(); warm.predict(X.iloc[[0]]); out["warm_first_predict_ms"] = 1e3 * (wall() - t)
out["epochs"] = [est.n_iter_, warm.n_iter_]
print(json.dumps(out))
"""


def run_once(backend: str, jax_cache: str | None) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
    env["SKLEARN_CEREBROS_JAX_CACHE"] = jax_cache or "0"
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, "-c", _ONE_RUN],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return {**json.loads(out.stdout.splitlines()[-1]), "load": load}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "jax"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jax-cache", default=None)
    parser.add_argument("--no-jax-cache", action="store_true")
    args = parser.parse_args(argv)
    cache = None if args.no_jax_cache else args.jax_cache or tempfile.mkdtemp()
    for backend in args.backends:
        runs = [run_once(backend, cache) for _ in range(args.runs)]
        print(f"\n{backend}: {args.runs} fresh processes, load {runs[0]['load']:.1f}")
        print("| measure | median | runs |\n|---|---|---|")
        for key in runs[0]:
            if key in ("epochs", "load"):
                continue
            values = [r[key] for r in runs]
            shown = ", ".join(f"{v:.2f}" for v in values)
            print(f"| {key} | {statistics.median(values):.2f} | {shown} |")
        print("| epochs (first, warm) | | " + ", ".join(str(r["epochs"]) for r in runs))
        print(
            "| load (1-min average) | | " + ", ".join(f"{r['load']:.1f}" for r in runs)
        )


if __name__ == "__main__":
    main()
