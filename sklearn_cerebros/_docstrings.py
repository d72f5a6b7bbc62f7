"""Docstring fragments the network estimators share, in numpydoc form.

Each estimator's ``__doc__`` joins its own fragments (architecture,
preprocessing, ``plan_``) with these.
"""

__all__ = [
    "ATTRIBUTES_DOC",
    "INPUT_ATTRIBUTES_DOC",
    "MEMBERS_DOC",
    "RUN_PARAMS_DOC",
    "SCHEDULE_BOUNDS_DOC",
    "TRAINING_PARAMS_DOC",
    "members_doc",
    "preprocessing_doc",
]

#: The two parameters that shape a learning-rate schedule, on every estimator.
SCHEDULE_BOUNDS_DOC = """    warmup_epochs : int, default=5
        Warm-up length of ``"warmup_cosine"``, capped at ``epochs``.
    min_lr_fraction : float, default=0.01
        Floor of the scheduled learning rate, as a fraction of
        ``learning_rate``."""

#: Training parameters every network estimator shares, in numpydoc form.
TRAINING_PARAMS_DOC = (
    """
    epochs : int, default=200
        Largest number of passes over the training data.
    batch_size : int, default=64
        Rows per optimiser step (capped at the number of training rows).
    learning_rate : float, default=1e-3
        Adam's learning rate (gradients are clipped to norm 1).
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs and restore the best epoch's weights. The
        validation data is ``X_val, y_val`` when passed to ``fit``, otherwise a
        ``validation_fraction`` split of the training data (stratified for
        classifiers when every class allows it). With fewer than two rows the
        training loss is watched instead.
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=0.0
        Smallest decrease of the monitored loss that counts as improvement.
    lr_schedule : {"constant", "warmup_cosine", "plateau"}, default="constant"
        How the learning rate moves during training. ``"constant"`` keeps
        ``learning_rate``. ``"warmup_cosine"`` is updated every optimiser
        step: a linear rise from 0 over the first ``warmup_epochs`` epochs to
        ``learning_rate``, then a cosine down to ``min_lr_fraction * learning_rate``
        at the last step of ``epochs`` (early stopping just cuts the curve
        short). ``"plateau"`` halves the rate at the end of an epoch once the
        monitored loss (as for early stopping) has not improved by more than
        ``tol`` for ``max(2, n_iter_no_change // 2)`` epochs, down to
        ``min_lr_fraction * learning_rate``.
"""
    + SCHEDULE_BOUNDS_DOC
    + """
    weight_decay : float, default=0.0
        Decoupled weight decay: above 0 the optimiser is AdamW with this
        decay (applied to every trainable weight), at 0 plain Adam."""
)

#: Callbacks, checkpoints, warm start, seed and verbosity, in numpydoc form.
RUN_PARAMS_DOC = """
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks run during training.
    checkpoint_path : str or path-like, default=None
        File ending in ``.keras`` where the model is saved whenever the
        monitored loss improves (Keras's ``ModelCheckpoint`` with
        ``save_best_only=True``); load it with ``keras.models.load_model``.
    tensorboard_dir : str or path-like, default=None
        Directory for TensorBoard logs of the per-epoch losses (needs the
        ``tensorboard`` package); ``tensorboard --logdir`` opens them.
    warm_start : bool, default=False
        Continue training the fitted network on the next call to ``fit``
        instead of starting afresh.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, dropout, the validation split and shuffling. Two fits
        with the same integer give identical predictions.
    verbose : int, default=0
        ``0`` is silent; ``1`` or more shows Keras's per-epoch progress bar."""

#: The fitted attributes that describe the input, on every estimator.
INPUT_ATTRIBUTES_DOC = """
    n_features_in_ : int
        Number of features seen during fit.
    n_network_inputs_ : int
        Width of the network's input: the columns after preprocessing (one
        per one-hot level, missing-value indicators), which the parameter
        count of ``plan_.summary(n_network_inputs_)`` needs.
    feature_names_in_ : ndarray of str
        Column names seen during fit, when ``X`` is a DataFrame."""

#: Fitted attributes every network estimator shares (after its ``plan_``).
ATTRIBUTES_DOC = (
    """
    model_ : keras.Model
        The trained Keras model.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``val_loss`` (in the network's encoded units),
        and ``smallest_layer_update``: the smallest over the trainable Dense
        layers of the largest absolute change of a kernel entry during the
        epoch. When it collapses while the loss stays flat, fit raises a
        ``sklearn_cerebros.GradientHealthWarning`` (see the user guide).
    n_iter_ : int
        Epochs run.
    preprocessor_ : transformer
        The fitted input preprocessor, when ``preprocessing`` is not None."""
    + INPUT_ATTRIBUTES_DOC
)

_MEMBERS_TEXT = """
        Members of a joint ensemble in one network (TabM-mini). With
        ``n_members = k > 1`` each member multiplies the features by its own
        vector (random signs at first), the hidden layers are shared and run
        on all members at once, and each member has its own output layer.
        Training minimises the mean of the members' losses, early stopping
        follows the validation loss of their average, and predictions (class
        probabilities for classifiers) are the members' mean. ``1`` is a
        plain network."""


def members_doc(default: int) -> str:
    """The joint-ensemble parameter in numpydoc form, with its default."""
    return f"\n    n_members : int, default={default}" + _MEMBERS_TEXT


#: The joint-ensemble parameter of estimators whose default is one member.
MEMBERS_DOC = members_doc(1)


def preprocessing_doc(tail: str = "") -> str:
    """The ``preprocessing`` parameter in numpydoc form, ``tail`` appended."""
    return (
        """
    preprocessing : {"auto", "robust", "piecewise_linear", "standard"} or None, \
            default="auto"
        How ``X`` is prepared. ``"auto"``, ``"robust"`` and
        ``"piecewise_linear"`` fit :func:`make_tabular_preprocessor` on ``X``,
        so a DataFrame may hold categorical, string and missing values; they
        differ in the numeric columns. ``"piecewise_linear"``: each column
        becomes up to 16 features in ``[0, 1]`` (quantile bins; constant
        beyond the training range, so far-out values cannot drive the network
        to extremes). ``"robust"``: robustly scaled and softly clipped.
        ``"auto"`` is ``"piecewise_linear"``, which was better on 6 of the 7
        benchmark tables and within one standard deviation on the seventh
        (docs: Benchmarks, "How the defaults were chosen"). ``"standard"``:
        numeric input only, standardised. ``None``: numeric input only, used
        as given (a strict numeric estimator)."""
        + tail
    )
