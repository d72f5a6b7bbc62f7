"""
Network architectures as data: sampling and drawing plans
=========================================================

In sklearn-cerebros a network is first a plan
(:class:`~sklearn_cerebros.architecture.LevelsPlan`): an immutable, validated
description of levels of Dense units and every connection between them.
Plans are plain Python objects with no Keras inside, so they can be sampled,
compared, printed, stored as JSON and drawn before any weight exists. One
builder turns any plan into a Keras model.

This example samples random Cerebros plans, draws one, stores it as JSON, and
then looks at the fixed plan that
:class:`~sklearn_cerebros.ResidualMLPRegressor` builds.
"""

# %%
# Sampling Cerebros plans
# -----------------------
# A :class:`~sklearn_cerebros.architecture.CerebrosSpace` holds the ranges and
# rules plans are drawn from: how many hidden levels, how many parallel units
# on each level, how wide each unit is, how far connections may skip, and how
# likely lateral connections between units of one level are.
# :func:`~sklearn_cerebros.architecture.sample_plan` draws one plan; the same
# seed always gives the same plan.
#
# Ten draws from one space already differ a lot in size and wiring, which is
# why a search over them is worth running.
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes

from sklearn_cerebros import LevelsPlan, ResidualMLPRegressor
from sklearn_cerebros.architecture import CerebrosSpace, sample_plan
from sklearn_cerebros.plotting import plot_architecture

# Matplotlib backends that draw to files only, never to a screen.
FILE_ONLY = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}

space = CerebrosSpace(
    levels=(2, 4),
    units_per_level=(1, 3),
    neurons_per_unit=(8, 48),
    p_lateral=0.35,
)
n_features = 10
plans = [sample_plan(space, n_features, rng=seed) for seed in range(10)]
for seed, plan in enumerate(plans):
    print(f"seed {seed}: {plan.describe()}")

# %%
# Drawing a plan
# --------------
# We draw the draw with the most lateral connections, so that every kind of
# connection is likely to show. Levels are rows, from the input at the top to
# the output head at the bottom; a circle's area grows with its unit's
# neurons. Grey arrows go to the next level, blue dashed curves skip levels,
# and orange arcs join units of the same level (red, with a diamond, when the
# signal passes through a learned gate).
#
# ``plot_architecture`` makes a figure of its own, or draws on the axes you
# pass, as here, to choose the figure's size and layout.
busiest = max(plans, key=lambda p: sum(len(u.laterals) for _, _, u in p.iter_units()))
fig, ax = plt.subplots(figsize=(8, 7), layout="constrained")
plot_architecture(busiest, ax=ax)

# %%
# The same plan as text: one line per unit with its width, activation and
# inputs, and the parameter count for our ten input features.
print(busiest.summary(n_features=n_features))

# %%
# Plans are data
# --------------
# :meth:`~sklearn_cerebros.architecture.LevelsPlan.to_dict` gives JSON-ready
# builtins and :meth:`~sklearn_cerebros.architecture.LevelsPlan.from_dict`
# validates them on the way back, so an architecture can be stored, diffed or
# shared without pickling any model.
text = json.dumps(busiest.to_dict())
print(f"{len(text)} characters of JSON")
restored = LevelsPlan.from_dict(json.loads(text))
print("round trip equal:", restored == busiest)

# %%
# The residual MLP is one fixed plan
# ----------------------------------
# :class:`~sklearn_cerebros.ResidualMLPRegressor` builds its network from a
# plan too. Each block's input is concatenated to the block's output, which in
# plan terms means skip connections from the input and from every earlier
# block. After ``fit`` the plan the estimator built is kept as ``plan_``, with
# the head set for the task (one linear output here). A few epochs are enough
# for a picture; the plan does not depend on training.
X, y = load_diabetes(return_X_y=True)
reg = ResidualMLPRegressor(n_blocks=2, width=32, epochs=5, random_state=0).fit(X, y)
fig, ax = plt.subplots(figsize=(5, 6), layout="constrained")
plot_architecture(reg, ax=ax)

# %%
# The plan's parameter count matches the Keras model built from it.
print(
    "plan:",
    reg.plan_.n_params(reg.n_network_inputs_),
    "Keras:",
    reg.model_.count_params(),
)

# %%
# Without a display (a script run with ``MPLBACKEND=Agg``, as in the README's
# command), ``plt.show()`` draws nothing: the figures are saved to the working
# directory instead, and their paths printed. The gallery collects them itself.
if "sphinx_gallery" not in sys.modules and plt.get_backend().lower() in FILE_ONLY:
    for number in plt.get_fignums():
        path = Path(f"architecture_{number}.png").resolve()
        plt.figure(number).savefig(path, dpi=120)
        print(f"figure saved to {path}")
plt.show()
