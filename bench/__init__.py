"""Benchmarks (run by make targets, never by the suite)."""
