"""What every picture needs: pyplot, imported only when a picture is drawn."""

from __future__ import annotations

from typing import Any

_INSTALL_HINT = 'pip install "sklearn-cerebros[examples]"'


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs the optional package 'matplotlib'. Install it with: "
            + _INSTALL_HINT
        ) from exc
    return plt
