"""Benchmarks of City Tools Explorer, run on demand (never by pytest): `python -m benchmarks.run`.

See benchmarks/README.md for how to run them and how to add a case or a section.
"""
