-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: snapshot_date x country_code x warehouse_id x product_id. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_low_stock_daily (
    snapshot_date date not null,
    country_code text not null,
    warehouse_id text not null,
    product_id text not null,
    product_name text,
    on_hand integer,
    on_order integer,
    reorder_point integer,
    is_stock_out boolean,
    primary key (snapshot_date, country_code, warehouse_id, product_id)
);

comment on table mart.kpi_low_stock_daily is 'Every low-stock position (on hand at or below the reorder point) per snapshot day.';
comment on column mart.kpi_low_stock_daily.snapshot_date is 'Day of the inventory snapshot.';
comment on column mart.kpi_low_stock_daily.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_low_stock_daily.warehouse_id is 'Warehouse business key.';
comment on column mart.kpi_low_stock_daily.product_id is 'Product business key.';
comment on column mart.kpi_low_stock_daily.product_name is 'Product name as of that day (''Unknown'' when not in the catalogue).';
comment on column mart.kpi_low_stock_daily.on_hand is 'Units on hand.';
comment on column mart.kpi_low_stock_daily.on_order is 'Units on order.';
comment on column mart.kpi_low_stock_daily.reorder_point is 'Reorder point of the position.';
comment on column mart.kpi_low_stock_daily.is_stock_out is 'True when nothing is on hand.';
