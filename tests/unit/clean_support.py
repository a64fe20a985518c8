"""Hand-written landing days for the clean tests (tiny CSVs, every defect placed by hand)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from retail_kpi import schemas

DAY = "2026-03-10"
PREV = "2026-03-09"


def write_landing(root: Path, entity: str, day: str, rows: list[list[str] | str | bytes]) -> Path:
    """Write one landing CSV: header + rows (lists are CSV-quoted, str/bytes written raw)."""
    folder = root / entity / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    out.write((",".join(schemas.column_names(entity)) + "\n").encode())
    for row in rows:
        if isinstance(row, bytes):
            out.write(row + b"\n")
        elif isinstance(row, str):
            out.write(row.encode() + b"\n")
        else:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerow(row)
            out.write(buf.getvalue().encode())
    path = folder / f"{entity}.csv"
    path.write_bytes(out.getvalue())
    return path


def fx_rows(day: str) -> list[list[str]]:
    return [
        [day, "USD", "1"],
        [day, "CAD", "0.75"],
        [day, "EUR", "1.10"],
        [day, "MXN", "0.05"],
    ]


PRODUCTS = [
    ["P1", "Paseo", "Bikes", "Road", "Acme", "10.00", "20.00", f"{DAY}T01:00:00"],
    ["P2", "Velo", "Bikes", "City", "Acme", "100.00", "250.00", f"{DAY}T01:00:00"],
]

CUSTOMERS = [
    ["C1", "Ann", "Lee", "ann@example.com", "30", "F", "Consumer", "USA", "Austin", "1 Main St",
     "2025-01-01", f"{DAY}T02:00:00"],
    ["C2", "Bo", "Kim", "bo@example", "", "M", "enterprise", " u.s.a. ", "Boston", "2 Elm St",
     "2025-02-01", f"{DAY}T02:00:00"],
    ["C3", "Cy", "Roy", "cy@example.fr", "41", "M", "Government", "Frnace", "Paris", "3 Rue",
     "2025-03-01", f"{DAY}T02:00:00"],
    ["C4", "Di", "Fox", "di@example.fr", "50", "F", "Consumer", "Panama", "Paris", "4 Rue",
     "2025-03-01", f"{DAY}T02:00:00"],
]
