"""Benchmarks, each printed next to a baseline measured in the same run (`make bench`)."""
