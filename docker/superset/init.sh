#!/usr/bin/env bash
# One-shot set-up before Superset serves (compose service superset-init): metadata DB
# upgrade, admin user and roles, then the dashboards-as-code bundle (superset/bundle)
# with the warehouse connection templated from WAREHOUSE_URL. Idempotent.
set -euo pipefail
cd /opt/retail-kpi
python superset/manage.py init --home "$SUPERSET_HOME"
python superset/manage.py import --home "$SUPERSET_HOME"
echo "superset-init: done"
