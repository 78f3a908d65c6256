"""Benchmarks: each module times the real code path against a bare baseline in the same run."""
