"""Services the project starts itself when nothing external is configured.

PostgreSQL (:mod:`.postgres`), the Kafka broker (:mod:`.kafka`), the Spark Connect server
(:mod:`.spark_connect`) and the JVM artifacts they and the Spark jobs need (:mod:`.jvm`).
Each service keeps its state under ``.local/`` and is stopped by the PID it recorded.
``make services`` (:mod:`retail_kpi.ops.services`) lists them all.
"""
