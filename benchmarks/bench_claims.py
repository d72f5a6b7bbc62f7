"""The seeds' claims, re-tested on the twenty-three tables (issue 34).

The seeds say that residual networks beat plain MLPs on small data, need
fewer epochs and go deeper before they fail. Earlier rounds tested this on
the harness's small profile only. Here it is tested on the tables of
:mod:`benchmarks._tables`. Each network has the estimator, trainer,
preprocessing, members and early stopping of ``ResidualMLP*()``, and only
its layers change:

* ``width``: on every table, the default network (2 blocks of 2 layers of
  128, the ``residual_mlp`` rows of ``tables_jax.csv``) against
  ``plain_mlp``, the same estimator with ``n_blocks=0`` and four plain Dense
  layers of 128 (``head_layers=(128,) * 4``): equal width and depth, without
  the skip connections. The part fits only ``plain_mlp``.
* ``depth``: on five tables (:data:`DEPTH_TABLES`), 1, 2, 4, 8 and 16 hidden
  layers of 128, residual (blocks of 2, one block of 1 at depth 1) and plain.

Both parts use the twenty-three tables' folds and runner
(:func:`benchmarks.bench_tables.run`): resumable, one CSV row per fit, a
failed fit is a row with its error. ``--report`` writes the verdicts::

    KERAS_BACKEND=jax python -m benchmarks.bench_claims --part width
    KERAS_BACKEND=jax python -m benchmarks.bench_claims --part depth --folds 3
    python -m benchmarks.bench_claims --report
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._tables import TABLE_SPECS
from .bench_tables import Cell, _log, collect, compare, read_rows, run

__all__ = [
    "DEPTHS",
    "DEPTH_TABLES",
    "depth_factories",
    "depth_report",
    "network",
    "width_report",
]

WIDTH = 128
DEPTHS = (1, 2, 4, 8, 16)
#: Three regression and two classification tables, 506 to 4,147 rows.
DEPTH_TABLES = ("boston", "hawks", "saratoga", "chile", "slid")
RESULTS = Path("benchmarks/results/tables")
TABLES_CSV = RESULTS / "tables_jax.csv"
WIDTH_CSV = RESULTS / "claims_width.csv"
DEPTH_CSV = RESULTS / "claims_depth.csv"


def network(kind: str, depth: int) -> Callable[[str, int], Any]:
    """A factory ``(task, seed) -> estimator``: ``depth`` layers of 128.

    ``kind="residual"``: ``depth // 2`` blocks of 2 layers (one block of one
    layer at depth 1), so depth 4 is ``ResidualMLP*()`` itself.
    ``kind="plain"``: ``n_blocks=0`` and ``depth`` plain head layers.
    """
    if kind not in ("residual", "plain"):
        raise ValueError(f"kind must be 'residual' or 'plain', got {kind!r}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth!r}")
    if kind == "residual" and depth > 1 and depth % 2:
        raise ValueError(f"a residual depth above 1 must be even, got {depth!r}")

    def make(task: str, seed: int) -> Any:
        from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor

        cls = ResidualMLPRegressor if task == "regression" else ResidualMLPClassifier
        if kind == "plain":
            return cls(
                n_blocks=0,
                head_layers=(WIDTH,) * depth,
                width=WIDTH,
                random_state=seed,
            )
        per_block = 1 if depth == 1 else 2
        return cls(
            n_blocks=depth // per_block,
            layers_per_block=per_block,
            width=WIDTH,
            random_state=seed,
        )

    return make


def depth_factories() -> dict[str, Callable[[str, int], Any]]:
    """``residual_d<depth>`` and ``plain_d<depth>`` for every depth."""
    return {
        f"{kind}_d{d}": network(kind, d)
        for d in DEPTHS
        for kind in ("residual", "plain")
    }


def _mean(cell: Cell, keys: Sequence[tuple[int, int]]) -> float:
    return statistics.fmean(cell.scores[k] for k in keys)


def _better(metric: str, a: float, b: float) -> bool:
    return a < b if metric == "rmse" else a > b


def _fmt(metric: str, value: float) -> str:
    if metric != "rmse":
        return f"{value:.4f}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _epochs(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r.get("error") or r.get("epochs_to_best") in ("", None):
            continue
        out.setdefault((r["dataset"], r["model"]), []).append(
            float(r["epochs_to_best"])
        )
    return out


def width_report(
    rows: Sequence[dict[str, Any]],
    residual: str = "residual_mlp",
    plain: str = "plain_mlp",
) -> str:
    """Residual against plain at equal width and depth: Markdown, verdicts.

    ``rows``: the fits of both models (seed 0; the folds both have are
    compared). A tie is within one standard deviation over folds, as in the
    twenty-three tables' report. Epochs: median over folds of the epoch whose
    weights were kept.
    """
    rows = [r for r in rows if str(r["seed"]) == "0"]
    cells = collect(rows)
    epochs = _epochs(rows)
    lines = [
        "| table | rows | metric | folds | residual | plain | verdict | "
        "epochs to best, residual | plain |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    counts = {"win": 0, "tie": 0, "loss": 0}
    fewer = more = 0
    ratios = []
    sizes = {r["dataset"]: int(r["n_rows"]) for r in rows}
    for t in sorted(cells, key=lambda t: sizes[t]):
        if residual not in cells[t] or plain not in cells[t]:
            continue
        a, b = cells[t][residual], cells[t][plain]
        common = sorted(set(a.scores) & set(b.scores))
        if not common:
            continue
        verdict = compare(a, b) or "n/a"
        if verdict in counts:
            counts[verdict] += 1
        ea = statistics.median(epochs.get((t, residual), [float("nan")]))
        eb = statistics.median(epochs.get((t, plain), [float("nan")]))
        if ea < eb:
            fewer += 1
        elif ea > eb:
            more += 1
        if ea > 0 and eb > 0:
            ratios.append(ea / eb)
        lines.append(
            f"| {t} | {sizes[t]:,} | {a.metric} | {len(common)} | "
            f"{_fmt(a.metric, _mean(a, common))} | "
            f"{_fmt(b.metric, _mean(b, common))} | "
            f"{verdict} | {ea:g} | {eb:g} |"
        )
    n = sum(counts.values())
    holds = counts["win"] > counts["loss"] and counts["win"] >= n / 3
    if not n:
        verdict_text = "No verdict: no table has two folds of both."
    elif holds:
        verdict_text = (
            "Verdict: **the claim holds**: the skip connections win more "
            "tables than they lose, and at least a third of them."
        )
    else:
        verdict_text = (
            "Verdict: **the claim does not hold**: the skip connections "
            "do not win clearly more tables than they lose."
        )
    lines += [
        "",
        f"Residual against plain: **{counts['win']} wins, {counts['tie']} ties, "
        f"{counts['loss']} losses** over {n} tables. " + verdict_text,
    ]
    if ratios:
        median_ratio = statistics.median(ratios)
        epochs_hold = fewer > more and median_ratio < 1
        lines.append(
            f"Epochs to the best epoch: residual fewer on {fewer} tables, more on "
            f"{more}; median ratio residual / plain {median_ratio:.2f}. Verdict: "
            + (
                "**the claim holds**."
                if epochs_hold
                else "**the claim does not hold**."
            )
        )
    return "\n".join(lines)


def depth_report(rows: Sequence[dict[str, Any]]) -> str:
    """Scores against depth, residual and plain: Markdown, one verdict.

    For each table and kind, the drop at depth 16 from the kind's best depth,
    as a share of the best score (RMSE up or accuracy down). The claim ("goes
    deeper before it fails") holds on a table when the residual network's
    drop is the smaller.
    """
    rows = [r for r in rows if str(r["seed"]) == "0"]
    cells = collect(rows)
    sizes = {r["dataset"]: int(r["n_rows"]) for r in rows}
    header = " | ".join(f"{d}" for d in DEPTHS)
    lines = [
        f"| table | metric | kind | folds | {header} | drop at {DEPTHS[-1]} |",
        "|---|---|---|---|" + "---|" * len(DEPTHS) + "---|",
    ]
    holds = tested = 0
    for t in sorted(cells, key=lambda t: sizes[t]):
        tcells = cells[t]
        names = [f"{k}_d{d}" for k in ("residual", "plain") for d in DEPTHS]
        if not all(n in tcells for n in names):
            continue
        common = sorted(set.intersection(*(set(tcells[n].scores) for n in names)))
        if not common:
            continue
        metric = tcells[names[0]].metric
        drops = {}
        for kind in ("residual", "plain"):
            means = [_mean(tcells[f"{kind}_d{d}"], common) for d in DEPTHS]
            best = min(means) if metric == "rmse" else max(means)
            last = means[-1]
            drop = (last - best) / best if metric == "rmse" else (best - last) / best
            drops[kind] = drop
            marks = [
                f"**{_fmt(metric, m)}**" if m == best else _fmt(metric, m)
                for m in means
            ]
            lines.append(
                f"| {t} | {metric} | {kind} | {len(common)} | "
                + " | ".join(marks)
                + f" | {drop:.1%} |"
            )
        tested += 1
        holds += drops["residual"] < drops["plain"]
    if not tested:
        verdict = "no verdict (no table has every depth of both)"
    elif holds > tested / 2:
        verdict = "**the claim holds**"
    else:
        verdict = "**the claim does not hold**"
    lines += [
        "",
        f"The residual network loses less at depth {DEPTHS[-1]} than the plain "
        f"one on {holds} of {tested} tables. Verdict: {verdict}.",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_claims",
        description="The seeds' claims on the 23 tables: residual against plain "
        "MLPs at equal width and depth, epochs, depth 1 to 16.",
    )
    parser.add_argument("--part", choices=("width", "depth"), default="width")
    parser.add_argument("--folds", type=int, default=5, help="the first FOLDS folds")
    parser.add_argument(
        "--report", action="store_true", help="print the verdicts, fit nothing"
    )
    parser.add_argument(
        "--report-out", type=Path, default=RESULTS / "claims.md", help="Markdown"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.report:
        width_rows = [
            r for r in read_rows(TABLES_CSV) if r["model"] == "residual_mlp"
        ] + read_rows(WIDTH_CSV)
        text = "\n".join(
            [
                "## Residual against plain at equal width and depth",
                "",
                width_report(width_rows),
                "",
                "## Depth 1 to 16",
                "",
                depth_report(read_rows(DEPTH_CSV)),
                "",
            ]
        )
        args.report_out.write_text(text)
        print(text)
        return
    start = time.perf_counter()
    if args.part == "width":
        tables = [s.name for s in TABLE_SPECS]
        n = run(
            WIDTH_CSV,
            tables,
            ["plain_mlp"],
            args.folds,
            factories={"plain_mlp": network("plain", 4)},
        )
    else:
        factories = depth_factories()
        n = run(
            DEPTH_CSV, DEPTH_TABLES, list(factories), args.folds, factories=factories
        )
    _log(f"done: {n} fits in {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
