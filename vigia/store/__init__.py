"""The evidence and findings store."""

from vigia.store.db import Store, open_store

__all__ = ["Store", "open_store"]
