"""Facts the reports carry (see reports/facts.py)."""
