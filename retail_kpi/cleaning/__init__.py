"""Cleaning rules as plain data and pure Python, shared by the Spark job and the tests.

The Spark job (``spark_jobs/clean.py``) builds its expressions from these tables, and the
tests and the scoring harness use the pure-Python twins to compute expectations without
Spark. docs/DATA_QUALITY.md explains every rule.
"""
