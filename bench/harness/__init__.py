"""The benchmark harness behind ``make bench`` (entry point: ``bench/run.py``).

It runs the pipeline's stages the way the DAG runs them, one process per task, and
measures each: wall time, CPU time and peak memory of the whole process tree.
"""
