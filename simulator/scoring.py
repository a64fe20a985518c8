"""Score a cleaned landing date against the generator's defect manifest.

Reads the lake with pyarrow (not Spark, not the code under test) and checks:

* **recall**: every injected defect got its expected outcome: repaired (in silver, with
  the repair visible), quarantined with the expected reason code, or logged as a duplicate;
* **precision**: nothing else was quarantined or removed, except the documented
  cascades: a line/shipment/return whose order was itself quarantined
  (PARENT_QUARANTINED), and shipments/returns of orders from a date that was never
  cleaned into this lake (ORPHAN_KEY: the lake never saw those orders).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds

from retail_kpi.schemas import BUSINESS_KEYS, KEY_SEPARATOR, column_names
from simulator import defects as d

#: Quarantine reasons a record may get without a defect of its own (see module doc).
CASCADE_ENTITIES = ("order_items", "shipments", "returns")


@dataclass
class Score:
    expected: int = 0
    misses: list[str] = field(default_factory=list)  # recall failures
    false_positives: list[str] = field(default_factory=list)  # precision failures
    cascades: int = 0

    @property
    def recall(self) -> float:
        return 1.0 if not self.expected else 1 - len(self.misses) / self.expected


def _rows(path: Path, partitioning: str | None = "hive") -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return ds.dataset(str(path), format="parquet", partitioning=partitioning).to_table().to_pylist()


def _key(entity: str, row: dict[str, Any]) -> str:
    return KEY_SEPARATOR.join(str(row[k]) for k in BUSINESS_KEYS[entity])


def _silver(lake: Path, entity: str, day: str) -> dict[str, dict[str, Any]]:
    rows = _rows(lake / "silver" / entity)
    return {_key(entity, r): r for r in rows if str(r["ingest_dt"]) == day}


def _repaired(entry: dict[str, Any], row: dict[str, Any] | None) -> bool:
    """The record reached silver and its repair is visible."""
    if row is None:
        return False
    kind, original = entry["kind"], entry["original_value"]
    if kind == d.MISSING_AGE:
        return bool(row["is_age_imputed"])
    if kind in (d.MISSING_EMAIL, d.MALFORMED_EMAIL):
        return row["email"] is None and row["is_email_valid"] is False
    if kind in (d.COUNTRY_TYPO, d.COUNTRY_VARIANT):
        return row["country_code"] == original
    if kind == d.LATE_ARRIVING:
        return str(row["dt"]) == original and row.get("is_late", True) is not False
    return True


def _order_date(order_id: str) -> dt.date | None:
    """Business date encoded in the generator's order ids (``O%Y%m%d...``)."""
    try:
        return dt.datetime.strptime(order_id[1:9], "%Y%m%d").date()
    except (ValueError, TypeError):
        return None


def _raw_field(entity: str, raw: str, name: str) -> str:
    """One field of a raw landing record (CSV or JSON line), parsed independently."""
    try:
        if raw.startswith("{"):
            return str(json.loads(raw).get(name) or "")
        fields = next(csv.reader([raw]))
        return fields[column_names(entity).index(name)]
    except (ValueError, IndexError, csv.Error, StopIteration):
        return ""


def rejected_orders(manifests: Iterable[dict[str, Any]]) -> set[str]:
    """Order ids whose own defect means quarantine, over every manifest given."""
    return {
        e["record_key"]
        for m in manifests
        for e in m["defects"]
        if e["entity"] == "orders" and d.KINDS[e["kind"]].outcome == d.QUARANTINED
    }


def score_day(
    lake: Path,
    manifest: dict[str, Any],
    *,
    cleaned: Iterable[str],
    history: Iterable[dict[str, Any]] = (),
) -> Score:
    """Recall and precision of the clean job on ``manifest``'s landing date."""
    day = manifest["date"]
    entries = manifest["defects"]
    quarantine = {
        (r["entity"], r["source_line"]): r
        for r in _rows(lake / "quarantine", None)
        if str(r["ingest_date"]) == day
    }
    dups = {
        (r["entity"], r["source_line"]): r
        for r in _rows(lake / "_audit" / "clean" / f"dt={day}" / "duplicates", None)
    }
    silver = {e: _silver(lake, e, day) for e in {x["entity"] for x in entries}}
    out = Score(expected=len(entries))
    explained: set[tuple[str, int]] = set()
    for e in entries:
        spec, where = d.KINDS[e["kind"]], (e["entity"], e["source_line"])
        explained.add(where)
        label = f"{e['entity']} line {e['source_line']} {e['record_key']} {e['kind']}"
        if spec.outcome == d.QUARANTINED:
            got = quarantine.get(where)
            if got is None or got["reason_code"] != spec.reason_code:
                out.misses.append(f"{label}: got {got and got['reason_code']}")
        elif spec.outcome == d.DEDUPLICATED:
            if where not in dups:
                out.misses.append(f"{label}: not in the duplicate log")
        elif where in quarantine or not _repaired(e, silver[e["entity"]].get(e["record_key"])):
            out.misses.append(f"{label}: not repaired into silver")
    rejected = rejected_orders([manifest, *history])
    seen = {dt.date.fromisoformat(day) for day in cleaned}
    for where, row in quarantine.items():
        if where in explained:
            continue
        order_id = _raw_field(row["entity"], row["raw_record"], "order_id")
        cascade = row["entity"] in CASCADE_ENTITIES and (
            (row["reason_code"] == "PARENT_QUARANTINED" and order_id in rejected)
            or (
                row["reason_code"] == "ORPHAN_KEY"
                and row["entity"] != "order_items"
                and _order_date(order_id) not in seen
            )
        )
        if cascade:
            out.cascades += 1
        else:
            out.false_positives.append(
                f"{row['entity']} line {row['source_line']} {row['record_key']} "
                f"quarantined {row['reason_code']}: {row['rule']}"
            )
    out.false_positives += [
        f"{e} line {line} removed as a duplicate"
        for (e, line) in dups
        if (e, line) not in explained
    ]
    return out
