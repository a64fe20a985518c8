-- days_to_ship and days_to_deliver are decimal(10, 2) in silver
-- (retail_kpi.cleaning.rules.DECIMALS) but numeric(9, 2) in V014: widen the fact so
-- it holds every value silver can carry. Raising a numeric's precision at the same
-- scale needs no table rewrite.
alter table dw.fct_shipment
alter column days_to_ship type numeric(10, 2),
alter column days_to_deliver type numeric(10, 2);
