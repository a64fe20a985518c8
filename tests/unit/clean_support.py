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
    [
        "C1",
        "Ann",
        "Lee",
        "ann@example.com",
        "30",
        "F",
        "Consumer",
        "USA",
        "Austin",
        "1 Main St",
        "2025-01-01",
        f"{DAY}T02:00:00",
    ],
    [
        "C2",
        "Bo",
        "Kim",
        "bo@example",
        "",
        "M",
        "enterprise",
        " u.s.a. ",
        "Boston",
        "2 Elm St",
        "2025-02-01",
        f"{DAY}T02:00:00",
    ],
    [
        "C3",
        "Cy",
        "Roy",
        "cy@example.fr",
        "41",
        "M",
        "Government",
        "Frnace",
        "Paris",
        "3 Rue",
        "2025-03-01",
        f"{DAY}T02:00:00",
    ],
    [
        "C4",
        "Di",
        "Fox",
        "di@example.fr",
        "50",
        "F",
        "Consumer",
        "Panama",
        "Paris",
        "4 Rue",
        "2025-03-01",
        f"{DAY}T02:00:00",
    ],
]


def _ts(day: str, hhmm: str) -> str:
    return f"{day}T{hhmm}:00"


def write_hand_day(root: Path) -> None:
    """A landing day with one or two of every defect; expected outcomes are in the tests."""
    fx = fx_rows(DAY)
    write_landing(root, "fx_rates", DAY, [*fx, [DAY, "GBP", "1.3"], fx[0]])
    older_p1 = ["P1", "Old name", "Bikes", "Road", "Acme", "10.00", "20.00", _ts(DAY, "00:30")]
    bad_p3 = ["P3", "Broken", "Bikes", "Road", "Acme", "1.00", "-5", _ts(DAY, "01:00")]
    write_landing(root, "products", DAY, [*PRODUCTS, bad_p3, older_p1])
    more = [
        [
            "C5",
            "Ed",
            "Ng",
            "ed@example.com",
            "34",
            "M",
            "Consumer",
            "USA",
            "Reno",
            "5 Oak",
            "2025-01-01",
            _ts(DAY, "02:00"),
        ],
        [
            "C6",
            "Fi",
            "Ode",
            "fi@example.fr",
            "abc",
            "F",
            "Consumer",
            "fra",
            "Lyon",
            "6 Rue",
            "2025-01-01",
            _ts(DAY, "02:00"),
        ],
        [
            "C7",
            "Gil",
            "Poe",
            "gil@example.com",
            "22",
            "M",
            "Consumer",
            "",
            "Rome",
            "7 Via",
            "2025-01-01",
            _ts(DAY, "02:00"),
        ],
    ]
    write_landing(root, "customers", DAY, [*CUSTOMERS, *more])
    o1 = ["O1", "C1", _ts(DAY, "10:00"), "USA", "USD", "web", "card", "completed"]
    o6 = ["O6", "C3", _ts(DAY, "12:00"), "France", "EUR", "store", "cash", "completed"]
    write_landing(
        root,
        "orders",
        DAY,
        [
            o1,
            o1,
            ["O2", "C9", _ts(PREV, "10:00"), "united states", "", "Mobile", "card", "completed"],
            ["O3", "C3", _ts(DAY, "11:00"), "Narnia", "EUR", "store", "cash", "completed"],
            f"O4,C1,{_ts(DAY, '12:00')},USA,USD,web",
            f"O5,C1,{_ts(DAY, '12:00')},US".encode() + b"\xff" + b",USD,web,card,completed",
            o6,
            "O6,C3,2026-03-10T12:00:00,France,EUR,STORE ,cash,completed",
            ["O7", "C5", "2029-01-01T00:00:00", "USA", "USD", "web", "card", "completed"],
        ],
    )
    write_landing(
        root,
        "order_items",
        DAY,
        [
            ["O1", "1", "P1", "2", "20.00", "0.05"],
            ["O1", "2", "P2", "1", "250.00", ""],
            ["O2", "1", "P1", "-1", "20.00", "0"],
            ["O2", "2", "P1", "3", "20.00", "0.12"],
            ["O3", "1", "P1", "1", "20.00", "0"],
            ["O9", "1", "P1", "1", "20.00", "0"],
            ["O6", "1", "P9", "1", "20.00", "0"],
            ["O6", "2", "P1", "1", "18.18", "0.10"],
            ["O6", "3", "P1", "1", "20000.00", "0"],
            ["O6", "2", "P1", "1", "18.180", "0.10"],
            ["O4", "1", "P1", "1", "20.00", "0"],
        ],
    )
    write_landing(
        root,
        "shipments",
        DAY,
        [
            ["S1", "O1", "UPS", "3", _ts(DAY, "12:00"), _ts(DAY, "20:00"), "5.00"],
            ["S2", "O3", "UPS", "3", _ts(DAY, "12:00"), "", "5.00"],
            ["S3", "O8", "UPS", "3", _ts(DAY, "12:00"), "", "5.00"],
            ["S4", "O6", "DHL", "2", _ts(DAY, "13:00"), "", "4.00"],
            ["S5", "O1", "UPS", "3", _ts(DAY, "12:00"), _ts(DAY, "11:00"), "5.00"],
        ],
    )
    write_landing(
        root,
        "returns",
        DAY,
        [
            ["R1", "O1", "1", "P1", _ts(DAY, "15:00"), "1", "damaged", "19.00"],
            ["R2", "O6", "2", "P1", _ts(DAY, "16:00"), "1", "", "16.36"],
            ["R3", "O1", "1", "P1", _ts(DAY, "15:00"), "0", "damaged", "19.00"],
            ["R4", "O1", "1", "P1", _ts(DAY, "09:00"), "1", "damaged", "19.00"],
        ],
    )
    write_landing(
        root,
        "inventory",
        DAY,
        [
            [DAY, "USA", "W1", "P1", "5", "10", "8"],
            [DAY, "mexico", "W2", "P2", "0", "0", "3"],
            [DAY, "USA", "W1", "P9", "1", "1", "1"],
            [DAY, "USA", "W1", "P2", "-1", "0", "1"],
        ],
    )
    write_landing(
        root,
        "web_sessions",
        DAY,
        [
            ["WS1", "C1", "USA", "web", _ts(DAY, "09:00"), "300", "5", "true", "true"],
            ["WS2", "", "CAN", "mobile", _ts(DAY, "09:30"), "60", "1", "false", "false"],
            ["WS3", "C99", "FRA", "web", _ts(DAY, "09:40"), "10", "1", "false", "false"],
            ["WS4", "C1", "USA", "tv", _ts(DAY, "09:50"), "10", "1", "false", "false"],
            ["WS5", "C1", "USA", "web", _ts(DAY, "09:55"), "10", "1", "maybe", "false"],
        ],
    )
