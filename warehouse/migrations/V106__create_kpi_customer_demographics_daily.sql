-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: sales_date x country_code x age_group. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_customer_demographics_daily (
    sales_date date not null,
    country_code text not null,
    age_group text not null,
    customers bigint,
    orders bigint,
    units bigint,
    net_sales_usd numeric(18, 2),
    avg_order_value_usd numeric(18, 2),
    primary key (sales_date, country_code, age_group)
);

comment on table mart.kpi_customer_demographics_daily is 'Customers and sales per business day, country and customer age group.';
comment on column mart.kpi_customer_demographics_daily.sales_date is 'Business day (UTC).';
comment on column mart.kpi_customer_demographics_daily.country_code is 'ISO 3166 alpha-3 country of the order.';
comment on column mart.kpi_customer_demographics_daily.age_group is '18-24 ... 65+, or ''Unknown'' when the customer is not identified.';
comment on column mart.kpi_customer_demographics_daily.customers is 'Distinct customers who ordered (unidentified customers count as 0).';
comment on column mart.kpi_customer_demographics_daily.orders is 'Orders (cancelled excluded).';
comment on column mart.kpi_customer_demographics_daily.units is 'Units sold.';
comment on column mart.kpi_customer_demographics_daily.net_sales_usd is 'Net sales, USD.';
comment on column mart.kpi_customer_demographics_daily.avg_order_value_usd is 'Net sales / orders, rounded half-up to the cent.';
