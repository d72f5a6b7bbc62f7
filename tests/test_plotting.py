"""Pictures of plans, learning curves and searches, rendered with Agg."""

from __future__ import annotations

import builtins
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_cerebros.architecture import (  # noqa: E402
    CerebrosSpace,
    connection_counts,
    sample_plan,
)
from sklearn_cerebros.plotting import (  # noqa: E402
    plot_architecture,
    plot_history,
    plot_search_results,
)

RICH = CerebrosSpace(
    levels=(3, 3),
    units_per_level=(3, 4),
    neurons_per_unit=(4, 64),
    p_lateral=1.0,
    lateral_decay="0.7",
    gate_every=2,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def rich_plan():
    plan = sample_plan(RICH, 10, 0)
    counts = connection_counts(plan)
    assert counts.skip and counts.lateral and counts.gated  # every edge kind
    return plan


def assert_png_has_picture(fig, path):
    fig.savefig(path, dpi=60)
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    pixels = image.reshape(-1, image.shape[2])
    assert len(np.unique(pixels, axis=0)) > 20  # not one flat colour


def legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_architecture_draws_every_kind_of_edge(rich_plan, tmp_path):
    fig = plot_architecture(rich_plan)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert legend_labels(ax)[:4] == [
        "predecessor (next level)",
        "skip (spans 2+ levels)",
        "lateral (same level)",
        "gated lateral",
    ]
    counts = connection_counts(rich_plan)
    # One line an edge, plus one diamond on each gate.
    assert len(ax.lines) == counts.predecessor + counts.lateral + counts.gated
    styles = {(line.get_color(), line.get_linestyle()) for line in ax.lines}
    assert len(styles) == 4
    labels = {t.get_text() for t in ax.texts}
    neurons = {str(u.neurons) for _, _, u in rich_plan.iter_units()}
    assert neurons <= labels and {"level 1", "level 3"} <= labels
    assert ax.get_title() == rich_plan.describe()
    assert_png_has_picture(fig, tmp_path / "plan.png")


def test_plot_architecture_accepts_fitted_estimator_and_axes(rich_plan):
    fig, ax = plt.subplots()
    assert plot_architecture(SimpleNamespace(plan_=rich_plan), ax=ax) is fig
    assert ax.get_title() == rich_plan.describe()
    with pytest.raises(TypeError, match="plan_"):
        plot_architecture(SimpleNamespace())


def test_plot_architecture_legend_lists_only_drawn_kinds():
    plan = sample_plan(CerebrosSpace(levels=(1, 1), p_lateral=0.0), 3, 0)
    fig = plot_architecture(plan)
    labels = legend_labels(fig.axes[0])
    assert "lateral (same level)" not in labels and "gated lateral" not in labels


def test_plot_history_draws_each_key_against_epochs(tmp_path):
    history = {
        "loss": [3.0, 2.0, 1.5, 1.2],
        "val_loss": [3.2, 2.4, 1.9, 2.0],
        "learning_rate": [0.01, 0.01, 0.005, 0.001],
    }
    fig = plot_history(SimpleNamespace(history_=history))
    loss_ax, lr_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(loss_ax.lines[1].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), history["val_loss"])
    assert loss_ax.lines[1].get_linestyle() == "--"
    assert loss_ax.get_xlabel() == "epoch"
    assert [line.get_label() for line in lr_ax.lines] == ["learning_rate"]
    assert_png_has_picture(fig, tmp_path / "history.png")


def test_plot_history_on_given_axes_and_bad_input():
    fig, ax = plt.subplots()
    assert plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, ax=ax) is fig
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="no epochs"):
        plot_history({"loss": []})
    with pytest.raises(TypeError, match="history_"):
        plot_history(object())
    with pytest.raises(TypeError, match="per-epoch"):
        plot_history({"loss": 0.5})


def fake_search():
    """A fitted search as far as plotting goes: results only, no training."""
    results = {
        "trial": [0, 1, 2, 3, 4, 5],
        "generation": [0, 0, 0, 1, 1, 1],
        "parent": [None, None, None, 2, 0, 2],
        "seed": [11, 12, 13, 14, 15, 16],
        "status": ["ok", "ok", "ok", "ok", "failed", "ok"],
        "score": [-31.0, -36.5, -28.0, -25.5, float("nan"), -29.0],
        "rank": [4, 5, 2, 1, 6, 3],
        "fit_time": [2.5, 1.9, 3.2, 3.6, 0.1, 2.8],
        "error": ["", "", "", "", "ValueError: boom", ""],
        "ensemble_weight": [0.0, 0.0, 0.25, 0.75, 0.0, 0.0],
    }
    return SimpleNamespace(
        search_results_=results, best_index_=3, scoring="neg_mean_absolute_error"
    )


def test_plot_search_results_marks_failed_best_and_parents(tmp_path):
    search = fake_search()
    fig = plot_search_results(search)
    ax = fig.axes[0]
    labels = legend_labels(ax)
    assert labels == [
        "parent to child",
        "best so far",
        "generation 0",
        "generation 1",
        "failed (no score)",
        "ensemble member",
        "best: trial 3",
    ]
    assert ax.get_ylabel() == "neg_mean_absolute_error\n(higher is better)"
    assert ax.get_title() == "6 trials, 2 generations, 1 failed"
    # Trials 3 and 5 are joined to their parent; failed trial 4 is not.
    links = [
        (tuple(line.get_xdata()), tuple(line.get_ydata()))
        for line in ax.lines
        if line.get_label() != "best so far" and line.get_marker() != "x"
    ]
    assert sorted(links) == [((2, 3), (-28.0, -25.5)), ((2, 5), (-28.0, -29.0))]
    (failed,) = [line for line in ax.lines if line.get_marker() == "x"]
    np.testing.assert_array_equal(failed.get_xdata(), [4])
    (so_far,) = [line for line in ax.lines if line.get_label() == "best so far"]
    np.testing.assert_array_equal(
        so_far.get_ydata(), [-31.0, -31.0, -28.0, -25.5, -25.5, -25.5]
    )
    (members,) = [c for c in ax.collections if c.get_label().startswith("ensemble")]
    np.testing.assert_array_equal(members.get_offsets(), [[2, -28.0], [3, -25.5]])
    assert members.get_sizes()[1] > members.get_sizes()[0]  # the larger weight
    assert_png_has_picture(fig, tmp_path / "search.png")


def test_plot_search_results_against_fit_time_and_on_given_axes(tmp_path):
    fig, ax = plt.subplots()
    assert plot_search_results(fake_search(), ax=ax, x="fit_time") is fig
    assert "time" in ax.get_xlabel()
    assert "best so far" not in legend_labels(ax)
    assert_png_has_picture(fig, tmp_path / "search_time.png")
    # The dict alone works too; the default scorer name is unknown there.
    fig = plot_search_results(fake_search().search_results_)
    assert fig.axes[0].get_ylabel() == "score\n(higher is better)"
    with pytest.raises(TypeError, match="search_results_"):
        plot_search_results(SimpleNamespace())
    with pytest.raises(ValueError, match="fit_time"):
        plot_search_results(fake_search(), x="epochs")
    with pytest.raises(ValueError, match="no trials"):
        plot_search_results({"trial": [], "score": []})


def test_plot_search_results_rings_ensemble_members_by_weight(tmp_path):
    search = fake_search()
    # Trial 4 failed: a weight there has no score to ring.
    weights = [0.0, None, 0.25, 0.75, 0.5, 0.0]
    search.search_results_["ensemble_weight"] = weights
    fig = plot_search_results(search)
    ax = fig.axes[0]
    labels = legend_labels(ax)
    assert labels[-2:] == ["ensemble member", "best: trial 3"]
    (members,) = [c for c in ax.collections if c.get_label() == "ensemble member"]
    np.testing.assert_array_equal(members.get_offsets(), [[2, -28.0], [3, -25.5]])
    small, large = members.get_sizes()
    assert 0 < small < large  # area grows with the weight
    # Hollow rings in a colour of their own, not another generation's dots.
    assert len(members.get_facecolors()) == 0
    dots = {
        tuple(c.get_facecolors()[0])
        for c in ax.collections
        if c.get_label().startswith("generation")
    }
    assert tuple(members.get_edgecolors()[0]) not in dots
    assert_png_has_picture(fig, tmp_path / "search_ensemble.png")
    # Without the column, or with no member, there is no legend entry.
    search.search_results_["ensemble_weight"] = [0.0] * 6
    assert "ensemble member" not in legend_labels(plot_search_results(search).axes[0])
    search.search_results_["ensemble_weight"] = [0.0, 0.0, -1.0, 1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="ensemble_weight"):
        plot_search_results(search)


def test_plot_search_results_marks_each_kind_and_each_member_s_weight(tmp_path):
    search = fake_search()
    kinds = ["residual", "retrieval", "levels", "levels", None, "mixer"]
    search.search_results_["kind"] = kinds
    fig = plot_search_results(search)
    ax = fig.axes[0]
    labels = legend_labels(ax)
    assert labels[2:4] == ["generation 0", "generation 1"]
    assert labels[4:8] == [
        "kind: residual",
        "kind: retrieval",
        "kind: levels",
        "kind: mixer",
    ]
    # every scored trial is drawn once, with its kind's marker
    drawn = {}
    for c in ax.collections:
        if c.get_label() == "_nolegend_":
            (path,) = c.get_paths()
            for x, _ in c.get_offsets():
                drawn[int(x)] = len(path.vertices)
    assert sorted(drawn) == [0, 1, 2, 3, 5]  # trial 4 failed
    assert drawn[2] == drawn[3]  # both levels: one marker
    assert len({drawn[0], drawn[1], drawn[2], drawn[5]}) >= 3  # shapes differ
    # the members' weights are written beside them
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["25%", "75%"]
    assert_png_has_picture(fig, tmp_path / "search_kinds.png")
    # one kind: one dot a generation, as before, and the kind named
    search.search_results_["kind"] = ["mixer"] * 6
    labels = legend_labels(plot_search_results(search).axes[0])
    assert labels[2:5] == ["generation 0", "generation 1", "kind: mixer"]
    # an unknown kind gets a marker of its own
    search.search_results_["kind"] = ["levels", "tree", "levels", "levels", None, "x"]
    labels = legend_labels(plot_search_results(search).axes[0])
    assert {"kind: tree", "kind: x", "kind: levels"} <= set(labels)


def test_missing_matplotlib_says_which_extra(monkeypatch, rich_plan):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"sklearn-cerebros\[examples\]"):
        plot_architecture(rich_plan)
    with pytest.raises(ImportError, match=r"sklearn-cerebros\[examples\]"):
        plot_history({"loss": [1.0]})
    with pytest.raises(ImportError, match=r"sklearn-cerebros\[examples\]"):
        plot_search_results(fake_search())
