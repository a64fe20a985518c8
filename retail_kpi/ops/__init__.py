"""Operations: alerts, deadline alerts, the run audit, per-date locks, DAG building blocks.

Everything an on-call engineer relies on lives here so that both DAGs (``retail_daily``
and ``retail_microbatch``) behave the same way. See ``docs/RUNBOOK.md``.
"""
