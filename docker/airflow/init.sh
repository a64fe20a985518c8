#!/usr/bin/env bash
# One-shot set-up before the Airflow services start (compose service airflow-init):
# the Airflow metadata schema, the admin login, and the warehouse migrations.
# Safe to rerun: every step is idempotent.
set -euo pipefail

echo "airflow-init: migrating the Airflow metadata database"
airflow db migrate

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
