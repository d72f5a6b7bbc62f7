"""Tests of the seeds' claims re-tested (``benchmarks/bench_claims.py``)."""

import pytest

from benchmarks.bench_claims import (
    DEPTHS,
    depth_factories,
    depth_report,
    network,
    width_report,
)
from benchmarks.bench_tables import FIELDS


def _row(table, model, fold, score, metric="rmse", epochs=""):
    row = dict.fromkeys(FIELDS, "")
    row.update(
        dataset=table,
        task="regression" if metric == "rmse" else "classification",
        model=model,
        seed=0,
        fold=fold,
        n_rows=1000,
        n_train=800,
        n_test=200,
        metric=metric,
        score=score,
        fit_time=1.0,
        epochs_to_best=epochs,
        finished_utc="2026-12-06 12:00:00",
    )
    return row


def test_networks_differ_only_in_their_layers():
    from sklearn_cerebros import ResidualMLPClassifier, ResidualMLPRegressor

    default = ResidualMLPRegressor(random_state=3).get_params()
    residual = network("residual", 4)("regression", 3).get_params()
    assert residual == default  # depth 4 is the estimator's default network
    plain = network("plain", 4)("classification", 3)
    assert isinstance(plain, ResidualMLPClassifier)
    assert plain.n_blocks == 0 and plain.head_layers == (128,) * 4
    changed = {
        k
        for k, v in plain.get_params().items()
        if v != ResidualMLPClassifier(random_state=3).get_params()[k]
    }
    assert changed == {"n_blocks", "head_layers"}
    one = network("residual", 1)("regression", 0)
    assert (one.n_blocks, one.layers_per_block) == (1, 1)
    deep = network("residual", 16)("regression", 0)
    assert (deep.n_blocks, deep.layers_per_block) == (8, 2)
    assert set(depth_factories()) == {
        f"{k}_d{d}" for k in ("residual", "plain") for d in DEPTHS
    }


@pytest.mark.parametrize(
    ("kind", "depth", "match"),
    [
        ("wide", 4, "kind must be"),
        ("plain", 0, "depth must be"),
        ("residual", 3, "must be even"),
    ],
)
def test_bad_network_is_refused(kind, depth, match):
    with pytest.raises(ValueError, match=match):
        network(kind, depth)


def test_width_report_counts_and_verdicts():
    rows = []
    # a (rmse): residual clearly better and fewer epochs; b (accuracy): a tie;
    # c (rmse): residual clearly worse
    for f, (r, p) in enumerate([(10.0, 20.0), (11.0, 21.0)]):
        rows += [
            _row("a", "residual_mlp", f, r, epochs=5),
            _row("a", "plain_mlp", f, p, epochs=10),
        ]
    for f, (r, p) in enumerate([(0.80, 0.81), (0.82, 0.80)]):
        rows += [
            _row("b", "residual_mlp", f, r, "accuracy", 8),
            _row("b", "plain_mlp", f, p, "accuracy", 8),
        ]
    for f, (r, p) in enumerate([(30.0, 20.0), (31.0, 21.0)]):
        rows += [
            _row("c", "residual_mlp", f, r, epochs=4),
            _row("c", "plain_mlp", f, p, epochs=12),
        ]
    text = width_report(rows)
    assert "**1 wins, 1 ties, 1 losses** over 3 tables" in text
    assert "the claim does not hold" in text.split("Epochs")[0]
    assert "residual fewer on 2 tables, more on 0" in text
    assert "median ratio residual / plain 0.50" in text
    assert text.rstrip().endswith("Verdict: **the claim holds**.")
    rows = [r for r in rows if r["dataset"] != "c"]
    assert (
        "**1 wins, 1 ties, 0 losses** over 2 tables. Verdict: **the claim holds**"
        in (width_report(rows))
    )


def test_depth_report_measures_the_drop_at_the_deepest():
    rows = []
    # residual: best 10 at depth 4, 11 at 16 (drop 10 %); plain: best 10, 15 at 16
    residual = dict(zip(DEPTHS, [12.0, 11.0, 10.0, 10.5, 11.0], strict=True))
    plain = dict(zip(DEPTHS, [12.0, 10.0, 10.5, 12.0, 15.0], strict=True))
    for d in DEPTHS:
        for f in (0, 1):
            rows.append(_row("t", f"residual_d{d}", f, residual[d]))
            rows.append(_row("t", f"plain_d{d}", f, plain[d]))
    text = depth_report(rows)
    assert "| t | rmse | residual | 2 | 12 | 11 | **10** | 10.5 | 11 | 10.0% |" in text
    assert "| t | rmse | plain | 2 | 12 | **10** | 10.5 | 12 | 15 | 50.0% |" in text
    assert "on 1 of 1 tables. Verdict: **the claim holds**." in text
    # a table missing a depth is left out, not guessed
    partial = [r for r in rows if r["model"] != "plain_d16"]
    assert "on 0 of 0 tables. Verdict: no verdict" in depth_report(partial)
    one_fold = [r for r in rows if r["fold"] == 0]
    assert "**0 wins, 0 ties, 0 losses** over 0 tables. No verdict" in width_report(
        [{**r, "model": "residual_mlp"} for r in one_fold if r["model"] == "plain_d4"]
        + [{**r, "model": "plain_mlp"} for r in one_fold if r["model"] == "plain_d8"]
    )
