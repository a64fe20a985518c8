-- Grain: sales date x country. Cancelled orders are excluded.
create table mart.kpi_daily_sales (
    sales_date date not null,
    country_code text not null,
    orders integer not null,
    units integer not null,
    gross_sales_usd numeric(18, 2) not null,
    discount_usd numeric(18, 2) not null,
    net_sales_usd numeric(18, 2) not null,
    cogs_usd numeric(18, 2) not null,
    profit_usd numeric(18, 2) not null,
    avg_order_value_usd numeric(18, 2) not null,
    primary key (sales_date, country_code)
);

comment on table mart.kpi_daily_sales is 'Daily sales KPIs per country (cancelled orders excluded), USD.';
comment on column mart.kpi_daily_sales.sales_date is 'Business date of the orders.';
comment on column mart.kpi_daily_sales.country_code is 'ISO alpha-3 country of the orders.';
comment on column mart.kpi_daily_sales.orders is 'Number of distinct orders.';
comment on column mart.kpi_daily_sales.units is 'Units sold.';
comment on column mart.kpi_daily_sales.gross_sales_usd is 'Gross sales before discount, USD.';
comment on column mart.kpi_daily_sales.discount_usd is 'Discounts granted, USD.';
comment on column mart.kpi_daily_sales.net_sales_usd is 'Net sales (gross - discount), USD.';
comment on column mart.kpi_daily_sales.cogs_usd is 'Cost of goods sold, USD.';
comment on column mart.kpi_daily_sales.profit_usd is 'Net sales minus COGS, USD.';
comment on column mart.kpi_daily_sales.avg_order_value_usd is 'Average order value: net sales / orders, USD, rounded to cents.';
