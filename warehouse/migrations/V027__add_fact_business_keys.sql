-- The database refuses a doubled fact row: one unique constraint per fact on its
-- business key (until now only the warehouse gate's GX check stood between a loader
-- bug and a doubled sale).
--
-- Every fact is range-partitioned on its date, by month and then by day, and
-- PostgreSQL enforces uniqueness on a partitioned table only per partition: the key
-- must contain the partition column. So each key below ends with its table's date
-- column, and each is still the business key, because that date is a function of the
-- key: an order line's order_date is its order's date, a shipment's order_date its
-- order's date, a return's return_date the day of its return_ts, a session's
-- session_date the day it started. No two rows of one key can rightly differ in it.
-- What the constraint cannot see is one key under two dates (an order re-delivered
-- with a different order_ts leaves its lines on both days); that is a change of the
-- source record, for the clean step's conflict rule to settle.
--
-- fct_inventory_daily's grain (snapshot_date, warehouse_id, product) contains its
-- partition column already. The fact keeps the product as product_key, the version
-- valid at the end of the snapshot day, which is one key per product. The unknown
-- member (-1) should not occur there: the clean step quarantines inventory rows of
-- products missing from the day's snapshot (ORPHAN_KEY), and the load merges that
-- snapshot first. Should two unresolved products of one warehouse and day ever reach
-- the load, it is refused rather than storing two rows BI cannot tell apart.
--
-- Business-key columns come first, so the indexes also serve look-ups by key. The
-- load COPYs each day into a table without indexes and attaches it at the end of its
-- transaction; the attach builds that day's index and fails on a repeated key,
-- naming it (docs/WAREHOUSE.md, "Loading").
alter table dw.fct_order_line
add constraint fct_order_line_business_key_uq unique (order_id, line_number, order_date);

alter table dw.fct_return
add constraint fct_return_business_key_uq unique (return_id, return_date);

alter table dw.fct_shipment
add constraint fct_shipment_business_key_uq unique (shipment_id, order_date);

alter table dw.fct_web_session
add constraint fct_web_session_business_key_uq unique (session_id, session_date);

alter table dw.fct_inventory_daily
add constraint fct_inventory_daily_business_key_uq unique (
    snapshot_date, warehouse_id, product_key
);
