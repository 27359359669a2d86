"""Laptop-only tooling (local stack, benchmarks, fuzzing). Never shipped to Lambda; the operator CLI is admin/."""
