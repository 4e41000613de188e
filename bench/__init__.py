"""Benchmarks: scripts that print a table and write JSON (a temp file, ``--json PATH``, or
bench/results/ with ``--save``; see bench/output.py)."""
