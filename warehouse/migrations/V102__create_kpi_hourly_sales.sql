-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: hour_start x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_hourly_sales (
    hour_start timestamp not null,
    sales_date date not null,
    country_code text not null,
    orders bigint,
    units bigint,
    net_sales_usd numeric(18, 2),
    avg_orders_per_minute double precision,
    peak_orders_per_minute bigint,
    primary key (hour_start, country_code)
);

create index kpi_hourly_sales_sales_date_idx on mart.kpi_hourly_sales (sales_date);

comment on table mart.kpi_hourly_sales is 'Orders, units, sales and order rate per hour and country (hours with orders only).';
comment on column mart.kpi_hourly_sales.hour_start is 'Start of the hour (UTC).';
comment on column mart.kpi_hourly_sales.sales_date is 'Business day (UTC) of the hour.';
comment on column mart.kpi_hourly_sales.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_hourly_sales.orders is 'Orders placed in the hour (cancelled excluded).';
comment on column mart.kpi_hourly_sales.units is 'Units of those orders.';
comment on column mart.kpi_hourly_sales.net_sales_usd is 'Net sales of those orders, USD.';
comment on column mart.kpi_hourly_sales.avg_orders_per_minute is 'Orders / 60.';
comment on column mart.kpi_hourly_sales.peak_orders_per_minute is 'Most orders placed in any one minute of the hour.';
