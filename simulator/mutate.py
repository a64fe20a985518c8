"""How each defect kind changes one value or one raw line (Python, a few rows only).

The bulk of a file is rendered vectorised; defects touch well under a few percent of
rows, so they are applied here one by one, driven by a draw ``u`` in [0, 1) from the
entity's defect stream so the result is deterministic.
"""

from __future__ import annotations

import datetime as dt
import json

from simulator import defects as d

FUTURE_MIN_DAYS, FUTURE_MAX_DAYS = 365, 1095
ORPHAN_PREFIX = "P9"  # catalogue ids are P00001..P89999, so P9xxxx never exists
BAD_BYTES = (b"\xe9", b"\xfc", b"\xff\xfe", b"\xc3\x28", b"\x80")
_TS = "%Y-%m-%dT%H:%M:%S"


def _pick(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _bad_email(email: str, u: float) -> str:
    local, _, domain = email.partition("@")
    variants = (
        f"{local}@@{domain}",
        f"{local}{domain}",
        f"{local}@{domain.rsplit('.', 1)[0]}",
        f"{local.replace('.', ' ')}@{domain}",
        f"{local}@.{domain}",
    )
    return _pick(variants, u)


def value(kind: str, original: str, u: float) -> str:
    """The defective replacement of ``original`` for a VALUE-level kind."""
    if kind in (d.MISSING_AGE, d.MISSING_EMAIL, d.MISSING_COUNTRY):
        return ""
    if kind == d.COUNTRY_TYPO:
        return _pick(d.COUNTRY_TYPOS[original], u)
    if kind == d.COUNTRY_VARIANT:
        return _pick(d.COUNTRY_VARIANTS[original], u)
    if kind == d.UNKNOWN_COUNTRY:
        return _pick(d.UNKNOWN_COUNTRIES, u)
    if kind == d.MALFORMED_EMAIL:
        return _bad_email(original, u)
    if kind == d.NON_POSITIVE_QUANTITY:
        return "0" if u < 0.4 else f"-{original}"
    if kind == d.ABSURD_PRICE:
        cents = _cents(original)
        return _money(cents * 1000) if u < 0.7 else _money(-max(cents, 1))
    if kind == d.FUTURE_DATE:
        days = FUTURE_MIN_DAYS + int(u * (FUTURE_MAX_DAYS - FUTURE_MIN_DAYS))
        return (dt.datetime.strptime(original, _TS) + dt.timedelta(days=days)).strftime(_TS)
    if kind == d.ORPHAN_PRODUCT:
        return f"{ORPHAN_PREFIX}{int(u * 10_000):04d}"
    raise ValueError(f"{kind} is not a value-level defect kind.")


def _near_value(text: str) -> str:
    """A cosmetic variant that cleaning normalises back: 12.50 -> 12.5, web -> 'WEB '."""
    if text.replace(".", "", 1).replace("-", "", 1).isdigit() and "." in text:
        stripped = text.rstrip("0").rstrip(".")
        return stripped if stripped != text else text + "0"
    return text.upper() + " "


#: The field a near duplicate changes, per entity.
NEAR_FIELD = {"orders": "channel", "order_items": "unit_price", "web_sessions": "channel"}


def near_duplicate(fields: list[str], columns: list[str], entity: str) -> list[str]:
    out = list(fields)
    i = columns.index(NEAR_FIELD[entity])
    out[i] = _near_value(out[i])
    return out


def line(kind: str, text: str, fmt: str, u: float) -> bytes:
    """The broken version of one raw line (without its newline) for a LINE-level kind."""
    if fmt == "jsonl":
        return _json_line(kind, text, u)
    fields = text.split(",")
    if kind == d.WRONG_FIELD_COUNT:
        broken = fields[:-1] if u < 0.5 else [*fields, "extra"]
        return ",".join(broken).encode()
    if kind == d.BROKEN_QUOTING:
        fields[1] = '"' + fields[1]
        return ",".join(fields).encode()
    if kind == d.NON_UTF8:
        head, sep, rest = text.partition(",")
        mid = len(rest.split(",", 1)[0]) // 2
        return (head + sep).encode() + rest[:mid].encode() + _pick_bytes(u) + rest[mid:].encode()
    raise ValueError(f"{kind} is not a line-level defect kind.")


def _pick_bytes(u: float) -> bytes:
    return BAD_BYTES[min(int(u * len(BAD_BYTES)), len(BAD_BYTES) - 1)]


def _json_line(kind: str, text: str, u: float) -> bytes:
    record = json.loads(text)
    keys = list(record)
    if kind == d.WRONG_FIELD_COUNT:
        if u < 0.5:
            record.pop(keys[-1])
        else:
            record["extra"] = "x"
        return dumps(record).encode()
    if kind == d.BROKEN_QUOTING:
        return text.replace('",', ",", 1).encode()  # an unterminated JSON string
    if kind == d.NON_UTF8:
        head, sep, rest = text.partition('","')
        return (head + sep).encode() + _pick_bytes(u) + rest.encode()
    raise ValueError(f"{kind} is not a line-level defect kind.")


def dumps(record: dict[str, str | None]) -> str:
    """One JSON-lines record exactly as the vectorised renderer writes it."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
