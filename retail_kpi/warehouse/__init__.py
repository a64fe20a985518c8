"""The PostgreSQL warehouse: reachability/bootstrap, migrations and connection helpers."""
