"""Benchmarks for the speed and memory targets; `make bench` runs them all (see README.md)."""
