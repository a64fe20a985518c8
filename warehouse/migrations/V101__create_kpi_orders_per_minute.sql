-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: minute_start x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_orders_per_minute (
    minute_start timestamp not null,
    sales_date date not null,
    country_code text not null,
    orders bigint,
    units bigint,
    net_sales_usd numeric(18, 2),
    primary key (minute_start, country_code)
);

create index kpi_orders_per_minute_sales_date_idx on mart.kpi_orders_per_minute (sales_date);

comment on table mart.kpi_orders_per_minute is 'Orders per minute and country; only minutes with at least one order have a row.';
comment on column mart.kpi_orders_per_minute.minute_start is 'Start of the minute (UTC).';
comment on column mart.kpi_orders_per_minute.sales_date is 'Business day (UTC) of the minute.';
comment on column mart.kpi_orders_per_minute.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_orders_per_minute.orders is 'Orders placed in the minute (cancelled excluded).';
comment on column mart.kpi_orders_per_minute.units is 'Units of those orders.';
comment on column mart.kpi_orders_per_minute.net_sales_usd is 'Net sales of those orders, USD.';
