#!/usr/bin/env bash
# One-shot set-up before the Airflow services start (compose service airflow-init):
# the Airflow metadata schema, the Spark pool, the admin login, and the warehouse migrations.
# Safe to rerun: every step is idempotent.
set -euo pipefail

echo "airflow-init: migrating the Airflow metadata database"
airflow db migrate

echo "airflow-init: creating the Spark pool the DAGs' Spark tasks run in"
read -r pool slots < <(python -c \
  "from retail_kpi.ops.dag_tasks import SPARK_POOL, SPARK_POOL_SLOTS; print(SPARK_POOL, SPARK_POOL_SLOTS)")
airflow pools set "$pool" "$slots" "One Spark application at a time"

echo "airflow-init: writing the admin password file (simple auth manager)"
umask 077
python - <<'PY'
import json, os
path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
with open(path, "w") as fh:
    json.dump({"admin": os.environ["AIRFLOW_ADMIN_PASSWORD"]}, fh)
PY

echo "airflow-init: migrating the warehouse"
WAREHOUSE_URL="$WAREHOUSE_ADMIN_URL" python -m retail_kpi warehouse migrate
echo "airflow-init: done"
