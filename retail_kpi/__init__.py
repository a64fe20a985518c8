"""Retail KPI warehouse: shared logic for DAGs, Spark jobs and the CLI."""

__version__ = "0.1.0"
