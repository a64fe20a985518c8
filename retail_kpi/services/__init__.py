"""Services the project starts itself when nothing external is configured.

PostgreSQL (:mod:`.postgres`), the Kafka broker (:mod:`.kafka`) and the JVM artifacts they
and the Spark jobs need (:mod:`.jvm`). Each service keeps its state under ``.local/`` and is
stopped by the PID it recorded. ``python -m retail_kpi.services status`` lists them all.
"""
