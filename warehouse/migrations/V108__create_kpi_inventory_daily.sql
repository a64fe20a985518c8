-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: snapshot_date x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_inventory_daily (
    snapshot_date date not null,
    country_code text not null,
    stock_positions bigint,
    products bigint,
    on_hand_units bigint,
    on_order_units bigint,
    stock_out_positions bigint,
    stock_out_rate double precision,
    low_stock_positions bigint,
    low_stock_products bigint,
    avg_daily_units_sold_28d double precision,
    days_of_supply double precision,
    primary key (snapshot_date, country_code)
);

comment on table mart.kpi_inventory_daily is 'Inventory health per snapshot day and country.';
comment on column mart.kpi_inventory_daily.snapshot_date is 'Day of the end-of-day inventory snapshot.';
comment on column mart.kpi_inventory_daily.country_code is 'ISO 3166 alpha-3 country of the warehouses.';
comment on column mart.kpi_inventory_daily.stock_positions is 'Warehouse x product positions in the snapshot.';
comment on column mart.kpi_inventory_daily.products is 'Distinct products stocked.';
comment on column mart.kpi_inventory_daily.on_hand_units is 'Units on hand.';
comment on column mart.kpi_inventory_daily.on_order_units is 'Units on order from suppliers.';
comment on column mart.kpi_inventory_daily.stock_out_positions is 'Positions with nothing on hand.';
comment on column mart.kpi_inventory_daily.stock_out_rate is 'Stock-out positions / positions; NULL when no positions.';
comment on column mart.kpi_inventory_daily.low_stock_positions is 'Positions at or below their reorder point.';
comment on column mart.kpi_inventory_daily.low_stock_products is 'Distinct products with at least one low-stock position.';
comment on column mart.kpi_inventory_daily.avg_daily_units_sold_28d is 'Units sold per day over the 28 days ending the snapshot day (days in the lake only).';
comment on column mart.kpi_inventory_daily.days_of_supply is 'On-hand units / average daily units sold; NULL when nothing was sold.';
