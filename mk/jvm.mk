# JVM artifacts from Maven (Kafka broker, Spark's Kafka source, OpenLineage), pinned by sha256
# in jvm/artifacts.lock and kept in .local/jars/<group> (RETAIL_JARS_DIR). docs/DEPLOY.md.
.PHONY: jars jars-verify jars-lock

jars: venv ## fetch the locked JVM jars with mvn (only what is missing or corrupt), then verify them all
	$(PY) -m retail_kpi.services.jvm fetch
	$(PY) -m retail_kpi.services.jvm verify

jars-verify: venv ## check every jar against jvm/artifacts.lock by sha256 (exit 1 when one is off)
	$(PY) -m retail_kpi.services.jvm verify

jars-lock: venv ## re-resolve jvm/*/pom.xml with mvn and rewrite jvm/artifacts.lock (after a version bump)
	$(PY) -m retail_kpi.services.jvm lock
