"""Pictures of network plans, of training histories and of searches.

Matplotlib is an optional dependency: it is imported when a function here is
called, and a missing install says which extra to add.
"""

from ._architecture import plot_architecture
from ._history import plot_history
from ._search import plot_search_results

__all__ = ["plot_architecture", "plot_history", "plot_search_results"]
