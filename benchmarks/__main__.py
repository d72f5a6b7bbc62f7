"""Command line of the benchmark harness: ``python -m benchmarks --help``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._datasets import ALL_DATASETS
from ._estimate import calibrate, estimate, format_estimate
from ._models import MODELS
from ._profiles import PROFILES, Profile, with_overrides
from ._studies import (
    SPEED_PARTS,
    load_datasets,
    run_curves,
    run_depth,
    run_quality,
    run_speed,
)

STUDY_NAMES = ("quality", "curves", "depth", "speed")
DEFAULT_CALIBRATION = Path(__file__).resolve().parent / "results" / "small"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="sklearn-cerebros benchmarks: quality, learning curves, depth "
        "and speed, written as CSV and Markdown.",
    )
    parser.add_argument(
        "--study",
        nargs="+",
        choices=[*STUDY_NAMES, "all"],
        default=["quality"],
        help="studies to run, in this order ('all': quality, curves, depth; "
        "speed only when named)",
    )
    parser.add_argument("--profile", choices=list(PROFILES), default="small")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/latest"))
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=list(ALL_DATASETS),
        help="override the profile's data sets for the chosen studies",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=list(MODELS),
        help="override the profile's models for the chosen studies",
    )
    parser.add_argument("--n-splits", type=int, help="override the folds")
    parser.add_argument(
        "--folds",
        type=int,
        help="run only the first FOLDS folds of the n-splits split in every "
        "study (training sets keep the full protocol's size)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", help="override the seeds")
    parser.add_argument(
        "--fractions",
        type=float,
        nargs="+",
        help="override the learning-curve fractions",
    )
    parser.add_argument(
        "--depths", type=int, nargs="+", help="override the depth-study depths"
    )
    parser.add_argument("--no-plot", action="store_true", help="skip the PNGs")
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="dry run: print the number of fits per study, data set and model "
        "and an estimate of their time, fit nothing",
    )
    parser.add_argument(
        "--calibration",
        type=Path,
        default=DEFAULT_CALIBRATION,
        help="results directory whose CSVs price the fits of --estimate "
        "(default: the committed small-profile results)",
    )
    parser.add_argument(
        "--speed-part",
        nargs="+",
        choices=list(SPEED_PARTS),
        default=list(SPEED_PARTS),
        help="speed parts to run (default: all)",
    )
    parser.add_argument(
        "--speed-args",
        default="",
        help="extra options passed to each speed script, e.g. "
        "'--repeats 2' (every script run must accept them)",
    )
    return parser.parse_args(argv)


def print_estimate(
    args: argparse.Namespace, studies: Sequence[str], profile: Profile
) -> None:
    """Print the dry run of ``--estimate`` (see :mod:`benchmarks._estimate`)."""
    import keras

    paths = sorted(Path(args.calibration).rglob("*.csv"))
    calibration = calibrate(paths, backend=keras.backend.backend())
    estimates = estimate(studies, profile, calibration, args.datasets, args.models)
    print(format_estimate(estimates, profile, calibration))


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    studies = [s for s in STUDY_NAMES if s in args.study]
    if "all" in args.study:
        studies = sorted(
            set(studies) | {"quality", "curves", "depth"}, key=STUDY_NAMES.index
        )
    profile = with_overrides(
        PROFILES[args.profile],
        n_splits=args.n_splits,
        max_folds=args.folds,
        study_folds={} if args.folds else None,
        seeds=tuple(args.seeds) if args.seeds else None,
        fractions=tuple(args.fractions) if args.fractions else None,
        depths=tuple(args.depths) if args.depths else None,
    )
    if args.estimate:
        print_estimate(args, [s for s in studies if s != "speed"], profile)
        return
    plot = not args.no_plot
    start = time.perf_counter()
    for study in studies:
        if study == "speed":
            run_speed(args.speed_part, args.out, args.speed_args.split())
            continue
        names = args.datasets or getattr(profile, f"{study}_datasets")
        models = args.models or getattr(profile, f"{study}_models")
        data = load_datasets(names)
        if study == "quality":
            run_quality(data, models, profile, args.out)
        elif study == "curves":
            run_curves(data, models, profile, args.out, plot=plot)
        else:
            run_depth(data, models, profile, args.out, plot=plot)
        print(f"{study}: written to {args.out}/{study}.md", file=sys.stderr)
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
