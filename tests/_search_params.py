"""A tiny search space and budget shared by the search's tests: seconds a fit."""

TINY = dict(
    levels=(1, 2),
    units_per_level=(1, 2),
    neurons_per_unit=(4, 8),
    skip_depth=(1, 2),
    batch_norm=False,
    n_trials=4,
    n_generations=2,
    epochs=6,
    batch_size=256,
    learning_rate=3e-2,
    random_state=0,
    initial_plans=None,  # the drawn plans only: the residual one is not tiny
    cv=None,  # one network a trial, ranked on a split (test_bagging bags)
    kinds=("levels",),  # levels structures: the other kinds' spaces are not tiny
)
