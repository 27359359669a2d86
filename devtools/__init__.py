"""Laptop-only tooling (local stack, admin CLI, benchmarks). Never shipped to Lambda."""
