"""Import Keras once for the whole package: quietly, and with JAX's compile cache.

Every module of ours that needs Keras imports it from here (``from ._backend
import keras``), so the first of them decides how the backend starts:

* **TensorFlow's start-up lines.** TensorFlow's C++ libraries write to the
  process's standard error while they load (absl's "All log messages before
  absl::InitializeLog() is called ...", the oneDNN note, "Could not find cuda
  drivers"), before any log level is read, so ``TF_CPP_MIN_LOG_LEVEL`` cannot
  filter them; while Keras (and with it TensorFlow) is imported, file
  descriptor 2 points at the null device. Later lines (CPU features, "failed
  call to cuInit" at the first fit) are filtered by ``TF_CPP_MIN_LOG_LEVEL``,
  which ``import sklearn_cerebros`` sets to 3 when the user has not set it.
  Both follow the user's choice: with ``TF_CPP_MIN_LOG_LEVEL=0`` nothing is
  hidden.
* **JAX's persistent compilation cache.** On the JAX backend, compiled
  training and prediction steps are kept on disk
  (``~/.cache/sklearn_cerebros/jax``, or under ``$XDG_CACHE_HOME``), so a new
  process that fits the same shapes loads them instead of compiling again.
  A cache directory the user configured is kept;
  ``SKLEARN_CEREBROS_JAX_CACHE=0`` turns ours off.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["jax_cache_dir", "keras"]


def _quiet_requested() -> bool:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")) >= 1
    except ValueError:
        return False


class _StderrWhileSilenced(io.TextIOBase):
    """``sys.stderr`` while descriptor 2 is silenced, and for whoever kept it.

    While Keras imports, it writes to a duplicate of the real descriptor 2, so
    a Python warning raised meanwhile still reaches the user. A library may
    keep the object it found as ``sys.stderr`` (TensorFlow's logger binds a
    ``logging.StreamHandler`` to it), so once released it forwards every write
    to whatever ``sys.stderr`` is then, instead of being closed under it.
    """

    def __init__(self, file: io.TextIOBase) -> None:
        super().__init__()
        self._file: io.TextIOBase | None = file

    def _target(self) -> Any:
        if self._file is not None:
            return self._file
        current = sys.stderr
        return sys.__stderr__ if current is self or current is None else current

    def release(self) -> None:
        """Close the duplicate descriptor; forward to ``sys.stderr`` from now on."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, text: str) -> int:
        target = self._target()
        return 0 if target is None else target.write(text)

    def flush(self) -> None:
        target = self._target()
        if target is not None:
            target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        target = self._target()
        return target is not None and target.isatty()

    def fileno(self) -> int:
        target = self._target()
        if target is None:
            raise OSError("sys.stderr has no file descriptor.")
        return target.fileno()


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the block.

    Python's own ``sys.stderr`` keeps writing where it did, so a warning
    raised meanwhile still reaches the user; only lines that native libraries
    write straight to the descriptor are dropped.
    """
    try:
        sys.stderr.flush()
        python_on_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        # A notebook's stderr is not a file: it does not use descriptor 2.
        python_on_fd2 = False
    saved_fd = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    python_stderr = sys.stderr
    stand_in = None
    try:
        os.dup2(devnull, 2)
        if python_on_fd2:
            stand_in = _StderrWhileSilenced(
                open(os.dup(saved_fd), "w", buffering=1, errors="backslashreplace")
            )
            sys.stderr = stand_in
        yield
    finally:
        if stand_in is not None:
            stand_in.flush()
            if sys.stderr is stand_in:
                sys.stderr = python_stderr
            stand_in.release()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)


def jax_cache_dir() -> Path | None:
    """The persistent compilation cache directory we give JAX, or None.

    None when the user turned it off (``SKLEARN_CEREBROS_JAX_CACHE=0``);
    otherwise ``SKLEARN_CEREBROS_JAX_CACHE`` if it names a directory, else
    ``sklearn_cerebros/jax`` in the user's cache directory.
    """
    chosen = os.environ.get("SKLEARN_CEREBROS_JAX_CACHE", "")
    if chosen.strip().lower() in {"0", "false", "no", "off"}:
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sklearn_cerebros" / "jax"


def _configure_jax_cache() -> None:
    import jax

    directory = jax_cache_dir()
    if directory is None or jax.config.jax_compilation_cache_dir is not None:
        return
    jax.config.update("jax_compilation_cache_dir", os.fspath(directory))
    # Our steps compile in well under JAX's default threshold of one second
    # each, yet a fit compiles several of them: keep them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def _import_keras() -> ModuleType:
    loaded = "keras" in sys.modules or "tensorflow" in sys.modules
    if loaded or not _quiet_requested():
        import keras
    else:
        with _native_stderr_silenced():
            import keras
    if keras.backend.backend() == "jax":
        _configure_jax_cache()
    return keras


keras = _import_keras()
