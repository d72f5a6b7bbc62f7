"""An estimator's state as plain data, so that it saves without running code.

:func:`skops.io.load` rebuilds an object from the state its ``__getstate__``
returned and refuses every type the caller does not trust; a fitted network
estimator holds four kinds of value that are not plain data:

* Keras models (``model_``, and ``base_model`` in tandem mode) become the
  bytes of their ``.keras`` file, a ``uint8`` array, and are read back with
  :func:`keras.saving.load_model` in safe mode, which refuses Lambda layers
  and classes that are not registered Keras serializables.
* Plans of every registered kind (``plan_``, ``best_plan_``) become their
  ``to_dict()`` output, recorded under their kind's ``state_key`` (see
  :class:`~sklearn_cerebros.architecture.PlanKind`), and are validated again
  by ``from_dict`` on load.
* Target encoders (``target_``) become their attributes.
* A list or tuple that holds plans (a search's ``initial_plans``, say
  ``["residual", RetrievalPlan(k=8)]``) becomes the list of its items, plans
  as their ``to_dict()`` output, with the kind of sequence.

So a saved estimator names no type of ours but its own class (and those of
the tabular preprocessor), and its architecture goes through the same checks
as a plan written by hand. Pickle goes through the same state.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._backend import keras
from ._targets import ClassificationTarget, RegressionTarget
from .architecture import is_plan, plan_from_dict, plan_kinds

__all__ = ["UnsafeNetworkError", "from_plain_state", "to_plain_state"]

# Key of the state entry that says which entries were converted, and how.
_KEY = "_sklearn_cerebros_state"
_VERSION = 1


class UnsafeNetworkError(ValueError):
    """Raised when a stored Keras network cannot be loaded in safe mode."""


def _network_to_bytes(model: keras.Model) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "network.keras")
        model.save(path)
        return np.frombuffer(path.read_bytes(), dtype=np.uint8)


def _network_from_bytes(data: Any, name: str) -> keras.Model:
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 1:
        raise ValueError(
            f"The stored network {name!r} must be a 1-D uint8 array (the bytes of "
            f"a .keras file), got {type(data).__name__}."
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "network.keras")
        Path(path).write_bytes(data.tobytes())
        try:
            return keras.saving.load_model(path, compile=True, safe_mode=True)
        except (TypeError, ValueError) as exc:
            raise UnsafeNetworkError(
                f"The Keras network stored in {name!r} could not be loaded in "
                "safe mode. Safe mode refuses Lambda layers (they carry Python "
                "code) and classes that are not registered Keras serializables "
                "(import the package that registers them before loading). "
                f"Keras said: {exc}"
            ) from exc


def _target_state(target: RegressionTarget | ClassificationTarget) -> dict:
    return dict(vars(target))


def _target_from(cls: type) -> Callable[[Any, str], Any]:
    def restore(attrs: Any, name: str) -> Any:
        if not isinstance(attrs, dict):
            raise ValueError(
                f"The stored target encoder {name!r} must be a dict of "
                f"attributes, got {type(attrs).__name__}."
            )
        target = cls.__new__(cls)
        vars(target).update(attrs)
        return target

    return restore


def _plan_from(cls: type) -> Callable[[Any, str], Any]:
    def restore(data: Any, name: str) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                f"The stored plan {name!r} must be a dict, got {type(data).__name__}."
            )
        return cls.from_dict(data)

    return restore


def _holds_plans(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and any(is_plan(item) for item in value)


def _plans_to_plain(value: list | tuple) -> dict[str, Any]:
    return {
        "sequence": "tuple" if isinstance(value, tuple) else "list",
        "items": [
            {"plan": item.to_dict()} if is_plan(item) else {"value": item}
            for item in value
        ],
    }


def _plans_from_plain(data: Any, name: str) -> list | tuple:
    if not (
        isinstance(data, dict)
        and data.get("sequence") in ("list", "tuple")
        and isinstance(data.get("items"), list)
        and all(isinstance(i, dict) and len(i) == 1 for i in data["items"])
    ):
        raise ValueError(
            f"The stored entry {name!r} must be a dict of 'sequence' ('list' or "
            f"'tuple') and 'items' (dicts of one 'plan' or 'value'), got {data!r}."
        )
    items = []
    for item in data["items"]:
        if "plan" in item:
            if not isinstance(item["plan"], dict):
                raise ValueError(f"A plan stored in {name!r} must be a dict.")
            items.append(plan_from_dict(item["plan"]))
        elif "value" in item and isinstance(item["value"], (str, type(None))):
            items.append(item["value"])
        else:
            raise ValueError(
                f"An item stored in {name!r} must be a plan or a name, got {item!r}."
            )
    return tuple(items) if data["sequence"] == "tuple" else items


def _of(cls: type) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, cls)


Converter = tuple[Callable[[Any], bool], Callable, Callable]


def _converters() -> dict[str, Converter]:
    """kind -> (which values, to plain data, from plain data), in match order.

    A plan is stored under its kind's ``state_key`` (see
    :class:`~sklearn_cerebros.architecture.PlanKind`), and read back with its
    class's ``from_dict``, which checks it again.
    """
    plans = {
        kind.state_key: (
            _of(kind.plan_type),
            kind.plan_type.to_dict,
            _plan_from(kind.plan_type),
        )
        for kind in plan_kinds()
    }
    others: dict[str, Converter] = {
        "plans": (_holds_plans, _plans_to_plain, _plans_from_plain),
        "regression_target": (
            _of(RegressionTarget),
            _target_state,
            _target_from(RegressionTarget),
        ),
        "classification_target": (
            _of(ClassificationTarget),
            _target_state,
            _target_from(ClassificationTarget),
        ),
    }
    taken = ({"keras"} | set(others)) & set(plans)
    if taken:
        raise ValueError(f"A kind of plan takes the reserved state keys {taken}.")
    keras_model = (_of(keras.Model), _network_to_bytes, _network_from_bytes)
    return {"keras": keras_model, **plans, **others}


def to_plain_state(state: dict[str, Any]) -> dict[str, Any]:
    """Replace the state's Keras models, plans and target encoders by plain data.

    Parameters
    ----------
    state : dict
        An estimator's ``__dict__`` (or its ``__getstate__``); not modified.

    Returns
    -------
    dict
        A copy whose converted entries are listed under a reserved key.
    """
    out = dict(state)
    converted: dict[str, str] = {}
    converters = _converters()
    for name, value in state.items():
        for kind, (matches, dump, _) in converters.items():
            if matches(value):
                out[name] = dump(value)
                converted[name] = kind
                break
    out[_KEY] = {"version": _VERSION, "converted": converted}
    return out


def from_plain_state(state: dict[str, Any]) -> dict[str, Any]:
    """Undo :func:`to_plain_state`; a state without the reserved key is kept.

    Parameters
    ----------
    state : dict
        A state as :func:`to_plain_state` returned it, possibly read from an
        untrusted file: every entry is checked before it is used.

    Returns
    -------
    dict
        The state with its Keras models, plans and target encoders rebuilt.

    Raises
    ------
    UnsafeNetworkError
        If a stored network asks for code (a Lambda layer, an unregistered
        custom object) or is otherwise refused by Keras's safe mode.
    ValueError
        If the record of converted entries is malformed or from a newer
        format.
    """
    state = dict(state)
    record = state.pop(_KEY, None)
    if record is None:
        return state
    if not isinstance(record, dict) or record.get("version") != _VERSION:
        raise ValueError(
            f"Unsupported sklearn-cerebros state {record!r}: this release reads "
            f"version {_VERSION}."
        )
    converted = record.get("converted")
    if not isinstance(converted, dict):
        raise ValueError(f"Malformed sklearn-cerebros state record: {record!r}.")
    converters = _converters()
    for name, kind in converted.items():
        if kind not in converters:
            raise ValueError(
                f"Unknown kind {kind!r} for the stored entry {name!r}; expected "
                f"one of {sorted(converters)}."
            )
        if name not in state:
            raise ValueError(f"The stored entry {name!r} is missing from the state.")
        state[name] = converters[kind][2](state[name], name)
    return state
