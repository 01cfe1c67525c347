"""Benchmarks of the nightly job (``make bench``): figures, never timed assertions."""
