"""``python -m simulator generate``: arguments, ranges, intervals, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.commands import main

SMALL = ["--orders", "120", "--customers", "300", "--products", "20"]


def _manifest(root: Path, day: str, interval: str = "") -> dict:
    folder = root / "_manifest" / f"dt={day}" / interval
    return json.loads((folder / "manifest.json").read_text())


def test_range_with_rate_overrides_and_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    code = main(
        [
            "generate",
            "--start",
            "2025-02-27",
            "--end",
            "2025-03-01",
            "--out",
            str(tmp_path),
            "--clean",
            "--rate",
            "missing_age=0.2",
            "--seed",
            "5",
            *SMALL,
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "2025-02-28 day orders:" in out and out.count("defects in") == 3
    for day in ("2025-02-27", "2025-02-28", "2025-03-01"):
        manifest = _manifest(tmp_path, day)
        assert manifest["seed"] == 5 and manifest["volume"]["orders"] == 120
        assert {e["kind"] for e in manifest["defects"]} == {"missing_age"}


def test_interval_and_jsonl(tmp_path: Path) -> None:
    code = main(
        [
            "generate",
            "--date",
            "2025-03-01",
            "--interval",
            "19:40",
            "--format",
            "jsonl",
            "--out",
            str(tmp_path),
            "-q",
            *SMALL,
        ]
    )
    assert code == 0
    manifest = _manifest(tmp_path, "2025-03-01", "interval=1940")
    assert manifest["interval"] == ["2025-03-01T19:40:00", "2025-03-01T19:50:00"]
    assert (tmp_path / "orders" / "dt=2025-03-01" / "interval=1940" / "orders.jsonl").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--date", "2025-13-01"], "is not a date"),
        (["--date", "2025-03-01", "--rate", "typo_rate=0.1"], "unknown defect kind"),
        (["--date", "2025-03-01", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_arguments_say_what_to_do(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit):
        main(["generate", *argv])
    assert message in capsys.readouterr().err


def test_bad_ranges_and_volumes_fail_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit, match="--start needs --end"):
        main(["generate", "--start", "2025-03-02", "--end", "2025-03-01", "--out", str(tmp_path)])
    code = main(["generate", "--date", "2025-03-01", "--out", str(tmp_path), "--products", "0"])
    assert code == 2 and "volumes out of range" in capsys.readouterr().err
    code = main(["generate", "--date", "2025-03-01", "--out", str(tmp_path), "--interval", "23:55"])
    assert code == 2 and "must lie within 2025-03-01" in capsys.readouterr().err
