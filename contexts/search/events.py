"""The search context publishes no integration events: it is a pure consumer.

Its read model is derived from the catalogue's, vendors' and reviews' events (and its
recommendations from the orders' events); see ``handlers.py``.
"""

from __future__ import annotations

__all__: list[str] = []
