"""``python -m retail_kpi.bootstrap``: a warehouse ready to load, whatever the machine.

Reaches WAREHOUSE_URL (or starts a project-local PostgreSQL when it is unreachable),
creates the database when missing and applies the migrations, then makes the locked JVM
artifacts (jvm/artifacts.lock) present and intact. ``make test`` and
``make demo`` call it first; it is safe to run any number of times.
"""

from __future__ import annotations

import logging
import sys

from retail_kpi.services import jvm
from retail_kpi.warehouse.cli import bootstrap_warehouse
from retail_kpi.warehouse.db import WarehouseError, redact

log = logging.getLogger("retail_kpi.bootstrap")


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        url = bootstrap_warehouse()
    except WarehouseError as exc:
        log.error("%s", exc)
        return 1
    log.info("warehouse ready at %s", redact(url))
    try:
        jars = jvm.ensure_all()
    except jvm.JvmArtifactError as exc:
        log.error("%s", exc)
        return 1
    log.info("JVM artifacts ready in %s: %s", jvm.jars_dir(), jvm.summary(jars))
    return 0


if __name__ == "__main__":
    sys.exit(main())
