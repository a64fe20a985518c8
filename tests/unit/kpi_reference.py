"""Independent recomputation of every KPI table in plain Python, from the catalogue's words.

Written from the definitions in retail_kpi/kpi/catalogue.yaml without reusing any of the
job's code: plain loops and dicts over the silver rows, Decimal money, float ratios.
Returns {table: {grain tuple: {column: value}}}.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.silver_rows import BUSINESS_DATE

Z = Decimal("0.00")
DAY = dt.timedelta(days=1)
FACTS = ("orders", "order_items", "returns", "shipments", "inventory", "web_sessions")


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _div(a: Any, b: Any) -> float | None:
    return None if not b else float(a) / float(b)


def _growth(cur: Decimal | None, prev: Decimal | None) -> float | None:
    return None if cur is None or not prev else float(cur) / float(prev) - 1


def _snapshot_for(day: dt.date, snaps: list[dt.date]) -> dt.date | None:
    before = [s for s in snaps if s <= day]
    return max(before) if before else (min(snaps) if snaps else None)


class Reference:
    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.rows = rows
        self.available: set[dt.date] = set()
        for e in FACTS:
            column = BUSINESS_DATE[e]
            assert column is not None, e
            self.available |= {r[column] for r in rows.get(e, [])}
        # growth compares only with complete days: some order of the day landed that day
        self.complete = {
            o["order_date"]
            for o in rows["orders"]
            if o.get("ingest_date", o["order_date"]) == o["order_date"]
        }
        orders = {o["order_id"]: o for o in rows["orders"]}
        self.lines = []
        for it in rows["order_items"]:
            o = orders.get(it["order_id"])
            if o is None or o["status"] == "cancelled":
                continue
            self.lines.append(
                {
                    **it,
                    "day": o["order_date"],
                    "country": o["country_code"],
                    "customer": o["customer_id"],
                    "ts": o["order_ts"],
                }
            )
        with_lines = {it["order_id"] for it in rows["order_items"]}
        # customers count orders with at least one sales line (docs/KPIS.md)
        self.live_orders = [
            o for o in rows["orders"] if o["status"] != "cancelled" and o["order_id"] in with_lines
        ]
        self.first_order: dict[str, dt.date] = {}
        for o in self.live_orders:
            c = o["customer_id"]
            if c != "UNKNOWN":
                self.first_order[c] = min(self.first_order.get(c, o["order_date"]), o["order_date"])
        self.products = self._snapshots("products", "product_id")
        self.customers = self._snapshots("customers", "customer_id")

    def _snapshots(self, entity: str, key: str) -> tuple[list[dt.date], dict]:
        by_snap: dict[dt.date, dict[str, dict]] = defaultdict(dict)
        for r in self.rows[entity]:
            by_snap[r["ingest_date"]][r[key]] = r
        return sorted(by_snap), by_snap

    def product(self, day: dt.date, pid: str) -> dict[str, str]:
        snaps, by_snap = self.products
        s = _snapshot_for(day, snaps)
        p = by_snap[s].get(pid) if s else None
        return (
            {"name": p["product_name"], "category": p["category"]}
            if p
            else {"name": "Unknown", "category": "Unknown"}
        )

    # ---- sales -------------------------------------------------------------------------

    def _totals(self, key_fn) -> dict[tuple, dict[str, Any]]:
        acc: dict[tuple, dict[str, Any]] = {}
        for ln in self.lines:
            k = key_fn(ln)
            a = acc.setdefault(
                k,
                {
                    "ids": set(),
                    "units": 0,
                    "gross_sales_usd": Z,
                    "discount_usd": Z,
                    "net_sales_usd": Z,
                    "cogs_usd": Z,
                    "profit_usd": Z,
                },
            )
            a["ids"].add(ln["order_id"])
            a["units"] += ln["quantity"]
            a["gross_sales_usd"] += ln["gross_amount_usd"]
            a["discount_usd"] += ln["discount_amount_usd"]
            a["net_sales_usd"] += ln["net_amount_usd"]
            a["cogs_usd"] += ln["cogs_usd"]
            a["profit_usd"] += ln["profit_usd"]
        for a in acc.values():
            a["orders"] = len(a.pop("ids"))
        return acc

    def daily_sales(self) -> dict[tuple, dict[str, Any]]:
        out = {}
        for k, a in self._totals(lambda ln: (ln["day"], ln["country"])).items():
            out[k] = {**a, "avg_order_value_usd": _cents(a["net_sales_usd"] / a["orders"])}
        return out

    def minutes(self) -> dict[tuple, dict[str, Any]]:
        out: dict[tuple, dict[str, Any]] = {}
        per_order = self._totals(lambda ln: (ln["order_id"], ln["ts"], ln["day"], ln["country"]))
        for (_, ts, day, country), a in per_order.items():
            k = (ts.replace(second=0, microsecond=0), country)
            m = out.setdefault(k, {"sales_date": day, "orders": 0, "units": 0, "net_sales_usd": Z})
            m["orders"] += 1
            m["units"] += a["units"]
            m["net_sales_usd"] += a["net_sales_usd"]
        return out

    def hourly(self) -> dict[tuple, dict[str, Any]]:
        out: dict[tuple, dict[str, Any]] = {}
        for (minute, country), m in self.minutes().items():
            k = (minute.replace(minute=0), country)
            h = out.setdefault(
                k,
                {
                    "sales_date": m["sales_date"],
                    "orders": 0,
                    "units": 0,
                    "net_sales_usd": Z,
                    "peak_orders_per_minute": 0,
                },
            )
            h["orders"] += m["orders"]
            h["units"] += m["units"]
            h["net_sales_usd"] += m["net_sales_usd"]
            h["peak_orders_per_minute"] = max(h["peak_orders_per_minute"], m["orders"])
        for h in out.values():
            h["avg_orders_per_minute"] = h["orders"] / 60
        return out

    def _returns(self, key_fn) -> dict[tuple, tuple[int, Decimal]]:
        acc: dict[tuple, list] = defaultdict(lambda: [0, Z])
        for r in self.rows["returns"]:
            a = acc[key_fn(r)]
            a[0] += r["quantity"]
            a[1] += r["refund_amount_usd"]
        return {k: (v[0], v[1]) for k, v in acc.items()}

    def _growth_cols(self, net: dict[tuple, Decimal], day: dt.date, rest: tuple) -> dict:
        def one(d: dt.date) -> Decimal | None:
            return net.get((d, *rest), Z) if d in self.complete else None

        def window(offsets: range) -> Decimal | None:
            vals = [one(day - k * DAY) for k in offsets]
            return None if any(v is None for v in vals) else sum(vals, Z)

        cur = net[(day, *rest)]
        prev, c7, p7 = one(day - DAY), window(range(7)), window(range(7, 14))
        prev_year = one(day - 364 * DAY)
        return {
            "net_sales_prev_day_usd": prev,
            "net_sales_growth_dod": _growth(cur, prev),
            "net_sales_7d_usd": c7,
            "net_sales_prev_7d_usd": p7,
            "net_sales_growth_wow": _growth(c7, p7),
            "net_sales_prev_year_usd": prev_year,
            "net_sales_growth_yoy": _growth(cur, prev_year),
        }

    def daily_country(self) -> dict[tuple, dict[str, Any]]:
        sales = self.daily_sales()
        rets = self._returns(lambda r: (r["return_date"], r["country_code"]))
        net = {k: v["net_sales_usd"] for k, v in sales.items()}
        peaks: dict[tuple, tuple[int, dt.datetime]] = {}
        for (minute, country), m in sorted(self.minutes().items()):
            k = (m["sales_date"], country)
            if k not in peaks or m["orders"] > peaks[k][0]:
                peaks[k] = (m["orders"], minute)
        custs: dict[tuple, set[str]] = defaultdict(set)
        for o in self.live_orders:
            if o["customer_id"] != "UNKNOWN":
                custs[(o["order_date"], o["country_code"])].add(o["customer_id"])
        out = {}
        for (day, country), s in sales.items():
            ru, rv = rets.get((day, country), (0, Z))
            cs = custs.get((day, country), set())
            new = sum(1 for c in cs if self.first_order[c] == day)
            out[(day, country)] = {
                "units_per_transaction": _div(s["units"], s["orders"]),
                "profit_margin": _div(s["profit_usd"], s["net_sales_usd"]),
                "returned_units": ru,
                "returned_value_usd": rv,
                "return_rate_units": _div(ru, s["units"]),
                "return_rate_value": _div(rv, s["net_sales_usd"]),
                "avg_orders_per_minute": s["orders"] / 1440,
                "peak_orders_per_minute": peaks[(day, country)][0],
                "peak_minute_start": peaks[(day, country)][1],
                "customers": len(cs),
                "new_customers": new,
                "returning_customers": len(cs) - new,
                "returning_customer_rate": _div(len(cs) - new, len(cs)),
                **self._growth_cols(net, day, (country,)),
            }
        return out

    def category(self) -> dict[tuple, dict[str, Any]]:
        cat = self._totals(
            lambda ln: (
                ln["day"],
                self.product(ln["day"], ln["product_id"])["category"],
                ln["country"],
            )
        )
        rets = self._returns(
            lambda r: (
                r["return_date"],
                self.product(r["return_date"], r["product_id"])["category"],
                r["country_code"],
            )
        )
        net = {k: v["net_sales_usd"] for k, v in cat.items()}
        out = {}
        for (day, c, country), s in cat.items():
            ru, rv = rets.get((day, c, country), (0, Z))
            out[(day, c, country)] = {
                **s,
                "profit_margin": _div(s["profit_usd"], s["net_sales_usd"]),
                "returned_units": ru,
                "returned_value_usd": rv,
                "return_rate_units": _div(ru, s["units"]),
                "return_rate_value": _div(rv, s["net_sales_usd"]),
                **self._growth_cols(net, day, (c, country)),
            }
        return out

    def _month_window(
        self, month: dt.date, lag: int, last: int, country: str, net: dict[tuple, Decimal]
    ) -> Decimal | None:
        y, m = divmod(month.year * 12 + month.month - 1 - lag, 12)
        start = dt.date(y, m + 1, 1)
        days = [start + k * DAY for k in range(31) if (start + k * DAY).month == m + 1][:last]
        if not days or any(d not in self.complete for d in days):
            return None
        return sum((net.get((d, country), Z) for d in days), Z)

    def monthly(self) -> dict[tuple, dict[str, Any]]:
        sales = self.daily_sales()
        net = {k: v["net_sales_usd"] for k, v in sales.items()}
        acc: dict[tuple, dict[str, Any]] = {}
        for (day, country), s in sales.items():
            a = acc.setdefault((day.replace(day=1), country), defaultdict(lambda: 0))
            for col in (
                "orders",
                "units",
                "gross_sales_usd",
                "discount_usd",
                "net_sales_usd",
                "cogs_usd",
                "profit_usd",
            ):
                a[col] += s[col]
        rets = self._returns(lambda r: (r["return_date"].replace(day=1), r["country_code"]))
        per_cust: dict[tuple, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for o in self.live_orders:
            if o["customer_id"] != "UNKNOWN":
                k = (o["order_date"].replace(day=1), o["country_code"])
                per_cust[k][o["customer_id"]].add(o["order_id"])
        out = {}
        for (month, country), a in acc.items():
            present = [d for d in self.available if d.replace(day=1) == month]
            last = max(present).day
            ru, rv = rets.get((month, country), (0, Z))
            cs = per_cust.get((month, country), {})
            n = len(cs)
            new = sum(1 for c in cs if self.first_order[c].replace(day=1) == month)
            repeat = sum(1 for ids in cs.values() if len(ids) >= 2)
            pm = self._month_window(month, 1, last, country, net)
            py = self._month_window(month, 12, last, country, net)
            out[(month, country)] = {
                "days_with_data": len(present),
                **{k: Decimal(v) if "usd" in k else v for k, v in a.items()},
                "profit_margin": _div(a["profit_usd"], a["net_sales_usd"]),
                "avg_order_value_usd": _cents(a["net_sales_usd"] / a["orders"]),
                "units_per_transaction": _div(a["units"], a["orders"]),
                "returned_units": ru,
                "returned_value_usd": rv,
                "return_rate_units": _div(ru, a["units"]),
                "return_rate_value": _div(rv, a["net_sales_usd"]),
                "customers": n,
                "new_customers": new,
                "repeat_customers": repeat,
                "repeat_purchase_rate": _div(repeat, n),
                "net_sales_prev_month_usd": pm,
                "net_sales_growth_mom": _growth(a["net_sales_usd"], pm),
                "net_sales_prev_year_usd": py,
                "net_sales_growth_yoy": _growth(a["net_sales_usd"], py),
            }
        return out

    def top_products(self) -> dict[tuple, dict[str, Any]]:
        per = self._totals(lambda ln: (ln["day"], ln["country"], ln["product_id"]))
        groups: dict[tuple, list] = defaultdict(list)
        for (day, country, pid), a in per.items():
            groups[(day, country)].append((-a["net_sales_usd"], pid, a))
        out = {}
        for (day, country), items in groups.items():
            for rank, (_, pid, a) in enumerate(sorted(items, key=lambda x: (x[0], x[1]))[:10], 1):
                p = self.product(day, pid)
                out[(day, country, rank)] = {
                    "product_id": pid,
                    "product_name": p["name"],
                    "category": p["category"],
                    "units": a["units"],
                    "net_sales_usd": a["net_sales_usd"],
                }
        return out

    def demographics(self) -> dict[tuple, dict[str, Any]]:
        snaps, by_snap = self.customers

        def group(ln: dict) -> str:
            s = _snapshot_for(ln["day"], snaps)
            c = by_snap[s].get(ln["customer"]) if s else None
            return c["age_group"] if c else "Unknown"

        acc: dict[tuple, dict[str, Any]] = {}
        for ln in self.lines:
            k = (ln["day"], ln["country"], group(ln))
            a = acc.setdefault(k, {"c": set(), "o": set(), "units": 0, "net_sales_usd": Z})
            if ln["customer"] != "UNKNOWN":
                a["c"].add(ln["customer"])
            a["o"].add(ln["order_id"])
            a["units"] += ln["quantity"]
            a["net_sales_usd"] += ln["net_amount_usd"]
        return {
            k: {
                "customers": len(a["c"]),
                "orders": len(a["o"]),
                "units": a["units"],
                "net_sales_usd": a["net_sales_usd"],
                "avg_order_value_usd": _cents(a["net_sales_usd"] / len(a["o"])),
            }
            for k, a in acc.items()
        }

    def engagement(self) -> dict[tuple, dict[str, Any]]:
        acc: dict[tuple, list] = defaultdict(list)
        for s in self.rows["web_sessions"]:
            acc[(s["session_date"], s["country_code"], s["channel"])].append(s)
        out = {}
        for k, ss in acc.items():
            n, cart = len(ss), sum(s["added_to_cart"] for s in ss)
            conv = sum(s["converted"] for s in ss)
            out[k] = {
                "sessions": n,
                "cart_sessions": cart,
                "converted_sessions": conv,
                "add_to_cart_rate": cart / n,
                "conversion_rate": conv / n,
                "avg_session_duration_s": sum(s["duration_s"] for s in ss) / n,
                "avg_pages_per_session": sum(s["pages_viewed"] for s in ss) / n,
            }
        return out

    def inventory(self) -> dict[tuple, dict[str, Any]]:
        units = {k: v["units"] for k, v in self.daily_sales().items()}
        acc: dict[tuple, list] = defaultdict(list)
        for r in self.rows["inventory"]:
            acc[(r["snapshot_date"], r["country_code"])].append(r)
        out = {}
        for (day, country), rs in acc.items():
            window = [day - k * DAY for k in range(28) if day - k * DAY in self.available]
            rate = sum(units.get((d, country), 0) for d in window) / len(window)
            on_hand = sum(r["on_hand"] for r in rs)
            outs = sum(r["on_hand"] == 0 for r in rs)
            out[(day, country)] = {
                "stock_positions": len(rs),
                "products": len({r["product_id"] for r in rs}),
                "on_hand_units": on_hand,
                "on_order_units": sum(r["on_order"] for r in rs),
                "stock_out_positions": outs,
                "stock_out_rate": outs / len(rs),
                "low_stock_positions": sum(r["is_low_stock"] for r in rs),
                "low_stock_products": len({r["product_id"] for r in rs if r["is_low_stock"]}),
                "avg_daily_units_sold_28d": rate,
                "days_of_supply": _div(on_hand, rate),
            }
        return out

    def low_stock(self) -> dict[tuple, dict[str, Any]]:
        return {
            (r["snapshot_date"], r["country_code"], r["warehouse_id"], r["product_id"]): {
                "product_name": self.product(r["snapshot_date"], r["product_id"])["name"],
                "on_hand": r["on_hand"],
                "on_order": r["on_order"],
                "reorder_point": r["reorder_point"],
                "is_stock_out": r["on_hand"] == 0,
            }
            for r in self.rows["inventory"]
            if r["is_low_stock"]
        }

    def shipping(self) -> dict[tuple, dict[str, Any]]:
        acc: dict[tuple, list] = defaultdict(list)
        for s in self.rows["shipments"]:
            acc[(s["order_date"], s["country_code"])].append(s)
        out = {}
        for k, ss in acc.items():
            ship = [float(s["days_to_ship"]) for s in ss if s["days_to_ship"] is not None]
            dlv = [float(s["days_to_deliver"]) for s in ss if s["days_to_deliver"] is not None]
            known = [s["is_on_time"] for s in ss if s["is_on_time"] is not None]
            out[k] = {
                "shipments": len(ss),
                "shipped_shipments": sum(s["shipped_ts"] is not None for s in ss),
                "delivered_shipments": sum(s["delivered_ts"] is not None for s in ss),
                "avg_days_to_ship": sum(ship) / len(ship) if ship else None,
                "avg_days_to_deliver": sum(dlv) / len(dlv) if dlv else None,
                "on_time_shipments": sum(known),
                "on_time_rate": _div(sum(known), len(known)),
            }
        return out

    def tables(self) -> dict[str, dict[tuple, dict[str, Any]]]:
        return {
            "kpi_daily_sales": self.daily_sales(),
            "kpi_daily_country": self.daily_country(),
            "kpi_orders_per_minute": self.minutes(),
            "kpi_hourly_sales": self.hourly(),
            "kpi_daily_category_sales": self.category(),
            "kpi_monthly_sales": self.monthly(),
            "kpi_top_products_daily": self.top_products(),
            "kpi_customer_demographics_daily": self.demographics(),
            "kpi_engagement_daily": self.engagement(),
            "kpi_inventory_daily": self.inventory(),
            "kpi_low_stock_daily": self.low_stock(),
            "kpi_shipping_daily": self.shipping(),
        }
