#!/usr/bin/env bash
# First start of the postgres container only (docker-entrypoint-initdb.d): one database
# and one login role per consumer, so Airflow, Superset and the warehouse cannot read
# each other's data. Passwords come from the environment (docker/.env) and reach SQL as
# psql variables (:'name'), never pasted into the SQL text.
#
#   airflow   owns database airflow     (Airflow metadata)
#   superset  owns database superset    (Superset metadata)
#   etl       login, member of retail_etl, which owns database retail_kpi (the
#             warehouse); the migrations create every warehouse object as retail_etl,
#             and create bi_reader (read-only BI login) with its grants
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v superset_pw="$SUPERSET_DB_PASSWORD" \
  -v etl_pw="$WAREHOUSE_DB_PASSWORD" <<'SQL'
create role airflow login password :'airflow_pw';
create database airflow owner airflow;
revoke all on database airflow from public;

create role superset login password :'superset_pw';
create database superset owner superset;
revoke all on database superset from public;

create role retail_etl nologin;
create role etl login password :'etl_pw' in role retail_etl;
create database retail_kpi owner retail_etl;
revoke all on database retail_kpi from public;
grant connect on database retail_kpi to etl;
SQL

