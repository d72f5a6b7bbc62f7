"""Joint ensembles on Ames: RMSE and fit time of ``n_members`` = 1, 8, 32.

Run ``KERAS_BACKEND=jax python benchmarks/bench_members.py`` (``--help`` for
the options). It cross-validates ``ResidualMLPRegressor(random_state=0,
n_members=k)`` on the raw Ames frame of
:func:`sklearn_cerebros.datasets.load_ames` with ``KFold(5, shuffle=True,
random_state=0)`` (the folds of every Ames figure), in two settings:

``defaults``
    Every other parameter at its default.
``tabm``
    The TabM paper's starting point: AdamW with learning rate 2e-3 and
    weight decay 3e-4, dropout 0.1, batches of 32 (the paper's choice below
    about 2,800 training rows), patience 16.

Each finished configuration prints one Markdown table row at once (RMSE in
dollars, mean ± standard deviation over the folds and each fold; median fit
seconds per fold; median epochs run; the one-minute load average before and
after), so a long run can be read while it goes on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.model_selection import KFold  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sklearn_cerebros import ResidualMLPRegressor  # noqa: E402
from sklearn_cerebros.datasets import load_ames  # noqa: E402

SETTINGS = {
    "defaults": {},
    "tabm": {
        "learning_rate": 2e-3,
        "weight_decay": 3e-4,
        "dropout": 0.1,
        "batch_size": 32,
        "n_iter_no_change": 16,
    },
}


def run(setting: str, members: int, folds: int) -> str:
    """Cross-validate one configuration and return its table row."""
    X, y = load_ames(return_X_y=True)
    y = np.asarray(y, dtype=float)
    load_before = os.getloadavg()[0]
    rmse, seconds, epochs = [], [], []
    splits = KFold(5, shuffle=True, random_state=0).split(X)
    for _, (train, test) in zip(range(folds), splits, strict=False):
        model = ResidualMLPRegressor(
            random_state=0, n_members=members, **SETTINGS[setting]
        )
        start = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        seconds.append(time.perf_counter() - start)
        epochs.append(model.n_iter_)
        error = model.predict(X.iloc[test]) - y[test]
        rmse.append(float(np.sqrt(np.mean(error**2))))
    spread = statistics.stdev(rmse) if len(rmse) > 1 else 0.0
    return (
        f"| {setting} | {members} | {statistics.mean(rmse):,.0f} ± {spread:,.0f} "
        f"| {', '.join(f'{v:,.0f}' for v in rmse)} "
        f"| {statistics.median(seconds):.1f} | {statistics.median(epochs):.0f} "
        f"| {load_before:.1f} / {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS)
    )
    parser.add_argument("--members", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--folds", type=int, default=5, help="first k of 5 folds")
    args = parser.parse_args()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPUs")
    print(
        "| setting | n_members | RMSE ($) | per fold | fit s / fold | epochs | load |"
    )
    print("|---|---|---|---|---|---|---|", flush=True)
    for setting in args.settings:
        for members in args.members:
            print(run(setting, members, args.folds), flush=True)


if __name__ == "__main__":
    main()
