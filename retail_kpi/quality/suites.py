"""Load the suites kept as data under ``expectations/`` and turn them into GX suites.

A suite file is YAML, named after the table it guards (``expectations/silver/orders.yml``
-> suite ``silver_orders``)::

    suite: silver_orders
    guards: lake/silver/orders (rows the clean job wrote for the landing date)
    keys: [order_id]            # quoted with every unexpected row sample
    expectations:
      - type: expect_column_values_to_not_be_null      # any GX 1.x expectation type
        kwargs: {column: order_id}
        policy: blocking                                # or: warning
        why: an order without id cannot be loaded or joined

Values that depend on the run (the date, the manifest's count, the allowed countries)
are GX suite parameters, written ``{$PARAMETER: name}``; the runner supplies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from retail_kpi.config import REPO_ROOT
from retail_kpi.quality.policy import BLOCKING, POLICIES

EXPECTATIONS_DIR = REPO_ROOT / "expectations"

#: Our policy, mirrored into GX's own severity (FailureSeverity values).
_SEVERITY = {BLOCKING: "critical", "warning": "warning"}


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    policy: str
    why: str

    @property
    def column(self) -> str | None:
        kw = self.kwargs
        if "column" in kw:
            return str(kw["column"])
        if "column_A" in kw:
            return f"{kw['column_A']}, {kw['column_B']}"
        if isinstance(kw.get("column_list"), list):
            return ", ".join(map(str, kw["column_list"]))
        return None


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    guards: str
    keys: tuple[str, ...]
    expectations: tuple[ExpectationSpec, ...]
    path: Path

    def columns(self) -> set[str] | None:
        """Columns the checks read (keys included); None when a check is about the table's
        column list itself, so the batch must keep all of them."""
        out = set(self.keys)
        for exp in self.expectations:
            if exp.type.startswith("expect_table_column"):
                return None
            kw = exp.kwargs
            for key in ("column", "column_A", "column_B"):
                if isinstance(kw.get(key), str):
                    out.add(kw[key])
            if isinstance(kw.get("column_list"), list):
                out.update(map(str, kw["column_list"]))
            condition = kw.get("row_condition")
            if isinstance(condition, dict) and isinstance(condition.get("column"), dict):
                out.add(str(condition["column"].get("name")))
        return out


def _spec(path: Path, index: int, item: Any) -> ExpectationSpec:
    where = f"{path.name}, expectation #{index + 1}"
    if not isinstance(item, dict) or "type" not in item:
        raise SuiteError(f"{where}: every expectation needs a 'type'.")
    policy = item.get("policy")
    if policy not in POLICIES:
        raise SuiteError(f"{where} ({item['type']}): set 'policy' to blocking or warning.")
    if not item.get("why"):
        raise SuiteError(f"{where} ({item['type']}): say 'why' the check exists.")
    return ExpectationSpec(item["type"], dict(item.get("kwargs") or {}), policy, item["why"])


def load_suite_file(path: Path) -> SuiteSpec:
    """Parse and check one suite file (policy and reason present on every expectation)."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteError(f"Cannot read suite file {path}: {exc}.") from exc
    if not isinstance(doc, dict) or not doc.get("suite") or not doc.get("expectations"):
        raise SuiteError(f"{path} must define 'suite' and a non-empty 'expectations' list.")
    return SuiteSpec(
        name=doc["suite"],
        guards=doc.get("guards", ""),
        keys=tuple(doc.get("keys") or ()),
        expectations=tuple(_spec(path, i, e) for i, e in enumerate(doc["expectations"])),
        path=path,
    )


@cache
def _all_suites(root: Path) -> dict[str, SuiteSpec]:
    suites: dict[str, SuiteSpec] = {}
    for path in sorted(root.glob("*/*.yml")):
        spec = load_suite_file(path)
        if spec.name in suites:
            raise SuiteError(f"Suite {spec.name} is defined twice ({path}).")
        suites[spec.name] = spec
    return suites


def load_suite(name: str, root: Path = EXPECTATIONS_DIR) -> SuiteSpec:
    """The suite called ``name`` from ``root`` (files are parsed once per process)."""
    suites = _all_suites(root)
    if name not in suites:
        raise SuiteError(f"No suite named {name} under {root}; add expectations/<layer>/*.yml.")
    return suites[name]


def all_suites(root: Path = EXPECTATIONS_DIR) -> dict[str, SuiteSpec]:
    return dict(_all_suites(root))


def to_gx(spec: SuiteSpec) -> Any:
    """Build the ``gx.ExpectationSuite``; our policy goes into meta and GX severity."""
    import great_expectations as gx
    from great_expectations.expectations.metadata_types import FailureSeverity
    from great_expectations.expectations.registry import get_expectation_impl

    suite = gx.ExpectationSuite(name=spec.name, meta={"guards": spec.guards})
    for index, exp in enumerate(spec.expectations):
        cls = get_expectation_impl(exp.type)
        meta = {"policy": exp.policy, "why": exp.why, "index": index}
        try:
            obj = cls(**exp.kwargs, meta=meta, severity=FailureSeverity(_SEVERITY[exp.policy]))
        except Exception as exc:  # pydantic validation: bad kwargs in YAML
            raise SuiteError(f"{spec.path.name}: {exp.type} has invalid kwargs: {exc}") from exc
        suite.add_expectation(obj)
    return suite
