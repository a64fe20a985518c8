"""Country standardisation: variants and typos -> ISO alpha-3, unknown values -> None.

The rule, in order (the Spark job implements the same steps with built-in functions):

1. *Normalise*: fold accents (``ACCENTS_FROM`` -> ``ACCENTS_TO``), upper-case, keep
   only the letters A-Z (so ``" u.s.a "`` -> ``USA``, ``"México"`` -> ``MEXICO``).
2. *Exact alias*: look the key up in ``ALIASES`` (codes, names in several languages).
3. *Typo*: compare with the long names in ``FUZZY_TARGETS``; accept a target when the
   Levenshtein distance is <= 1, or the key is an anagram of the target with the same
   first letter (a transposition such as ``FRNACE``), or the distance is <= 2 and the
   target has at least ``LONG_NAME`` letters. Accept only when exactly one country fits.
4. Otherwise the value is unknown: the record is quarantined (UNKNOWN_COUNTRY) rather
   than guessed (``PANAMA`` is two edits from ``CANADA`` and must not become Canada).
"""

from __future__ import annotations

ACCENTS_FROM = "ÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÇÑáàâäãåéèêëíìîïóòôöõúùûüçñ"
ACCENTS_TO = "AAAAAAEEEEIIIIOOOOOUUUUCNaaaaaaeeeeiiiiooooouuuucn"

ALIASES: dict[str, str] = {
    # United States
    "USA": "USA",
    "US": "USA",
    "UNITEDSTATES": "USA",
    "UNITEDSTATESOFAMERICA": "USA",
    "AMERICA": "USA",
    "ETATSUNIS": "USA",
    "ESTADOSUNIDOS": "USA",
    # Canada
    "CAN": "CAN",
    "CA": "CAN",
    "CANADA": "CAN",
    # France
    "FRA": "FRA",
    "FR": "FRA",
    "FRANCE": "FRA",
    "FRANKREICH": "FRA",
    "FRANCIA": "FRA",
    # Germany
    "DEU": "DEU",
    "DE": "DEU",
    "GER": "DEU",
    "GERMANY": "DEU",
    "DEUTSCHLAND": "DEU",
    "ALLEMAGNE": "DEU",
    "ALEMANIA": "DEU",
    # Mexico
    "MEX": "MEX",
    "MX": "MEX",
    "MEXICO": "MEX",
    "MEXIQUE": "MEX",
    "MEXIKO": "MEX",
}

#: Long names that typos are matched against (short codes are never fuzzy-matched).
FUZZY_TARGETS: dict[str, str] = {
    "UNITEDSTATES": "USA",
    "AMERICA": "USA",
    "CANADA": "CAN",
    "FRANCE": "FRA",
    "GERMANY": "DEU",
    "DEUTSCHLAND": "DEU",
    "MEXICO": "MEX",
}
#: Targets at least this long tolerate two edits.
LONG_NAME = 8
#: Keys shorter than this are never fuzzy-matched (too easy to collide).
MIN_FUZZY_LEN = 4

_ACCENT_TABLE = str.maketrans(ACCENTS_FROM, ACCENTS_TO)


def normalise_key(raw: str | None) -> str:
    """Accent-folded, upper-cased letters of ``raw`` ("" when nothing is left)."""
    if raw is None:
        return ""
    folded = raw.translate(_ACCENT_TABLE).upper()
    return "".join(ch for ch in folded if "A" <= ch <= "Z")


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute), as Spark's ``levenshtein``."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def fuzzy_match(key: str, target: str) -> bool:
    """True when ``key`` is an acceptable typo of ``target`` (see module docstring)."""
    if len(key) < MIN_FUZZY_LEN:
        return False
    if key[0] == target[0] and sorted(key) == sorted(target):
        return True
    limit = 2 if len(target) >= LONG_NAME else 1
    return levenshtein(key, target) <= limit


def standardise_country(raw: str | None) -> str | None:
    """ISO alpha-3 code of ``raw``, or None when it is missing or not recognisable."""
    key = normalise_key(raw)
    if not key:
        return None
    if key in ALIASES:
        return ALIASES[key]
    codes = {code for target, code in FUZZY_TARGETS.items() if fuzzy_match(key, target)}
    return codes.pop() if len(codes) == 1 else None
