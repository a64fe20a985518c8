#!/usr/bin/env bash
# One-shot set-up before Superset serves (compose service superset-init): metadata DB
# upgrade, roles and admin user, then the dashboards-as-code bundle (superset/bundle)
# with the warehouse connection templated from WAREHOUSE_URL, in one Superset start
# (superset/provision.py, as `manage.py up` does before serving). Idempotent.
set -euo pipefail
cd /opt/retail-kpi
python superset/provision.py --init
echo "superset-init: done"
