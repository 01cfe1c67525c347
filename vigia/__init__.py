"""Vigía: nightly monitor of Guatemala's municipal transparency portals (LAIP art. 10)."""

__version__ = "0.1.0"
