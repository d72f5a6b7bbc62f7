"""The studies: quality, learning curves, depth, speed.

Each writes ``<study>.csv`` (one row per fit, written as it finishes) and
``<study>.md`` (the summary table under the environment lines) into the output
directory; the curves and depth studies also draw ``<study>.png``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._datasets import Dataset, load_dataset, subsample
from ._models import MODELS, available_models
from ._profiles import Profile
from ._runner import (
    CsvLog,
    environment_lines,
    evaluate,
    folds,
    markdown_table,
    summarise,
)

__all__ = ["STUDIES", "run_curves", "run_depth", "run_quality", "run_speed"]

BENCHMARKS_DIR = Path(__file__).resolve().parent


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _describe(row: dict[str, Any]) -> str:
    extra = f", best epoch {row['epochs_to_best']}" if row["epochs_to_best"] else ""
    return f"{row['metric']} {row['score']:.4g}, fit {row['fit_time']:.1f} s{extra}" + (
        f" [{row['warnings']}]" if row["warnings"] else ""
    )


def _write_markdown(
    path: Path, title: str, protocol: str, table: str, elapsed: float
) -> None:
    lines = [f"# {title}", ""]
    lines += [line + "  " for line in environment_lines()]
    lines += [f"Wall time: {elapsed / 60:.1f} min", "", protocol, "", table, ""]
    path.write_text("\n".join(lines))


def _folds_described(profile: Profile) -> str:
    if profile.max_folds == 1 and profile.n_splits > 1:
        return f"the first fold of {profile.n_splits}-fold CV"
    if profile.max_folds and profile.max_folds < profile.n_splits:
        return f"the first {profile.max_folds} folds of {profile.n_splits}-fold CV"
    return f"{profile.n_splits}-fold CV"


def _models_described(models: Sequence[str], profile: Profile) -> str:
    def text(model: str) -> str:
        if model == "cerebros":
            budget = ", ".join(f"{k}={v}" for k, v in profile.cerebros.items())
            return f"Cerebros search ({budget})"
        return MODELS[model][0]

    return "; ".join(f"`{m}`: {text(m)}" for m in models)


def run_quality(
    datasets: Sequence[Dataset], models: Sequence[str], profile: Profile, out: Path
) -> list[dict[str, Any]]:
    """Cross-validate every model on every data set.

    Writes ``quality.csv`` (one row per data set, model, seed and fold) and
    ``quality.md`` (one row per data set and model). Returns the summary.
    """
    profile = profile.for_study("quality")
    out.mkdir(parents=True, exist_ok=True)
    models = available_models(models)
    log = CsvLog(out / "quality.csv")
    start = time.perf_counter()
    for ds in datasets:
        splits = folds(ds, profile)
        for model in models:
            for seed in profile.seeds:
                for i, (train, test) in enumerate(splits):
                    row = evaluate(ds, model, profile, train, test, seed)
                    row["fold"] = i
                    log.add(row)
                    _log(
                        f"quality {ds.name} {model} seed {seed} fold {i}: "
                        + _describe(row)
                    )
    summary = summarise(log.rows, ["dataset", "model"])
    protocol = (
        f"Profile `{profile.name}`: {_folds_described(profile)} (KFold, or "
        "StratifiedKFold for classes; shuffle=True, random_state=0), model "
        f"seeds {list(profile.seeds)}. Score: RMSE for regression (lower is "
        "better), accuracy for classification (higher is better), mean ± std "
        f"over folds and seeds. Models: {_models_described(models, profile)}."
    )
    _write_markdown(
        out / "quality.md",
        "Quality: cross-validated scores",
        protocol,
        markdown_table(summary, ["dataset", "model"]),
        time.perf_counter() - start,
    )
    return summary


def run_curves(
    datasets: Sequence[Dataset],
    models: Sequence[str],
    profile: Profile,
    out: Path,
    plot: bool = True,
) -> list[dict[str, Any]]:
    """Learning curves: each model on growing shares of each training fold.

    For every fold and seed the training fold is cut to each of
    ``profile.fractions`` (nested subsets, stratified for classes, see
    :func:`benchmarks._datasets.subsample`); the test fold stays whole.
    Writes ``curves.csv``, ``curves.md`` and ``curves.png``.
    """
    profile = profile.for_study("curves")
    out.mkdir(parents=True, exist_ok=True)
    models = available_models(models)
    log = CsvLog(out / "curves.csv")
    start = time.perf_counter()
    for ds in datasets:
        for i, (train, test) in enumerate(folds(ds, profile)):
            for fraction in profile.fractions:
                for seed in profile.seeds:
                    rows = subsample(train, fraction, ds.y, ds.task, seed=1000 + i)
                    for model in models:
                        row = evaluate(ds, model, profile, rows, test, seed)
                        row.update(fold=i, fraction=fraction)
                        log.add(row)
                        _log(
                            f"curves {ds.name} {model} {fraction:.0%} fold {i}: "
                            + _describe(row)
                        )
    summary = summarise(log.rows, ["dataset", "fraction", "model"])
    shares = ", ".join(f"{f:.0%}" for f in profile.fractions)
    protocol = (
        f"Profile `{profile.name}`: {_folds_described(profile)} as in the quality "
        f"study; each training fold cut to {shares} "
        "of its rows (nested subsets, stratified for classes), scored on the "
        f"whole test fold; model seeds {list(profile.seeds)}. "
        f"Models: {_models_described(models, profile)}."
    )
    _write_markdown(
        out / "curves.md",
        "Learning curves by training-set size",
        protocol,
        markdown_table(summary, ["dataset", "fraction", "n_train", "model"]),
        time.perf_counter() - start,
    )
    if plot:
        from ._plots import plot_curves

        plot_curves(summary, out / "curves.png")
    return summary


def run_depth(
    datasets: Sequence[Dataset],
    models: Sequence[str],
    profile: Profile,
    out: Path,
    plot: bool = True,
) -> list[dict[str, Any]]:
    """Residual against plain MLPs of the same width at growing depth.

    ``depth`` hidden layers of ``profile.width``: ``residual_mlp`` in blocks
    of two, ``plain_mlp`` as plain Dense layers with the same estimator and
    trainer, ``sk_mlp`` as scikit-learn's MLP. The training rows are scored
    too, so overfitting (train better, test worse) and failure to train (both
    worse) can be told apart. Writes ``depth.csv``, ``depth.md``,
    ``depth.png``.
    """
    profile = profile.for_study("depth")
    out.mkdir(parents=True, exist_ok=True)
    log = CsvLog(out / "depth.csv")
    start = time.perf_counter()
    for ds in datasets:
        splits = folds(ds, profile)
        for depth in profile.depths:
            for model in models:
                for seed in profile.seeds:
                    for i, (train, test) in enumerate(splits):
                        row = evaluate(
                            ds,
                            model,
                            profile,
                            train,
                            test,
                            seed,
                            score_train=True,
                            depth=depth,
                        )
                        row.update(fold=i, depth=depth)
                        log.add(row)
                        _log(
                            f"depth {ds.name} {model} {depth} fold {i}: "
                            + _describe(row)
                        )
    summary = summarise(log.rows, ["dataset", "depth", "model"])
    protocol = (
        f"Profile `{profile.name}`: {_folds_described(profile)} as in the quality "
        f"study, model seeds {list(profile.seeds)}; {list(profile.depths)} hidden "
        f"layers of width {profile.width}. `residual_mlp`: ResidualMLP with the "
        "layers in blocks of 2 (1 block of 1 at depth 1); `plain_mlp`: the same "
        "estimator with `n_blocks=0` and the layers as plain Dense head layers "
        "(same trainer, preprocessing, early stopping); `sk_mlp`: scikit-learn's "
        "MLP of the same layers, early stopping on."
    )
    table = markdown_table(summary, ["dataset", "depth", "model"], baseline=None)
    train_lines = ["", "Training-set score (mean over folds and seeds):", ""]
    train_lines += ["| dataset | depth | model | train score |", "|---|---|---|---|"]
    train_lines += [
        f"| {r['dataset']} | {r['depth']} | `{r['model']}` | "
        f"{r['train_score_mean']:,.4g} |"
        for r in summary
    ]
    _write_markdown(
        out / "depth.md",
        "Depth: residual against plain MLPs",
        protocol,
        table + "\n".join(train_lines),
        time.perf_counter() - start,
    )
    if plot:
        from ._plots import plot_depth

        plot_depth(summary, out / "depth.png")
    return summary


#: speed part -> the module that measures it, and its options
SPEED_PARTS: dict[str, list[str]] = {
    "fit": ["benchmarks.bench_fit"],
    "throughput": ["benchmarks.bench_search", "--part", "throughput"],
    "memory": ["benchmarks.bench_search", "--part", "memory"],
}


def run_speed(parts: Sequence[str], out: Path, extra_args: Sequence[str] = ()) -> None:
    """Run the speed scripts, one process each, and keep their Markdown output.

    ``fit``: ``bench_fit`` (fit time of ``ResidualMLPRegressor`` against the
    same network in raw Keras, predict latency); ``throughput``:
    ``bench_search --part throughput`` (trials per minute, ``n_jobs`` 1
    and 2); ``memory``: ``bench_search --part memory`` (RSS over many
    trials). Each runs in a fresh interpreter, one after the other, so that
    they neither time each other nor inherit each other's memory.
    ``extra_args`` go to every script. Output goes to ``speed_<part>.md``.
    """
    out.mkdir(parents=True, exist_ok=True)
    for part in parts:
        command = [sys.executable, "-m", *SPEED_PARTS[part], *extra_args]
        _log(f"speed {part}: {' '.join(command[1:])}")
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=BENCHMARKS_DIR.parent,
        )
        text = "\n".join(environment_lines()) + "\n\n" + result.stdout
        (out / f"speed_{part}.md").write_text(text)
        print(result.stdout)
        if result.returncode != 0:
            raise RuntimeError(
                f"speed part {part!r} failed ({result.returncode}):\n{result.stderr}"
            )


def load_datasets(names: Sequence[str]) -> list[Dataset]:
    """Load (and leakage-check) the named data sets."""
    return [load_dataset(name) for name in names]


STUDIES: dict[str, Callable[..., Any]] = {
    "quality": run_quality,
    "curves": run_curves,
    "depth": run_depth,
    "speed": run_speed,
}
