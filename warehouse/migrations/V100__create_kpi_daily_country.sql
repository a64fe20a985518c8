-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: sales_date x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_daily_country (
    sales_date date not null,
    country_code text not null,
    units_per_transaction double precision,
    profit_margin double precision,
    returned_units bigint,
    returned_value_usd numeric(18, 2),
    return_rate_units double precision,
    return_rate_value double precision,
    avg_orders_per_minute double precision,
    peak_orders_per_minute bigint,
    peak_minute_start timestamp,
    customers bigint,
    new_customers bigint,
    returning_customers bigint,
    returning_customer_rate double precision,
    net_sales_prev_day_usd numeric(18, 2),
    net_sales_growth_dod double precision,
    net_sales_7d_usd numeric(18, 2),
    net_sales_prev_7d_usd numeric(18, 2),
    net_sales_growth_wow double precision,
    net_sales_prev_year_usd numeric(18, 2),
    net_sales_growth_yoy double precision,
    primary key (sales_date, country_code)
);

comment on table mart.kpi_daily_country is 'Ratios, returns, order rate, customers and sales growth per business day and country (the totals they derive from are in kpi_daily_sales).';
comment on column mart.kpi_daily_country.sales_date is 'Business day (UTC).';
comment on column mart.kpi_daily_country.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_daily_country.units_per_transaction is 'Units / orders; NULL when no orders.';
comment on column mart.kpi_daily_country.profit_margin is 'Profit / net sales; NULL when net sales are 0.';
comment on column mart.kpi_daily_country.returned_units is 'Units returned that day (by return date).';
comment on column mart.kpi_daily_country.returned_value_usd is 'Refunds paid that day (by return date), USD.';
comment on column mart.kpi_daily_country.return_rate_units is 'Returned units / units sold the same day; NULL when no units sold.';
comment on column mart.kpi_daily_country.return_rate_value is 'Refunds / net sales the same day; NULL when net sales are 0.';
comment on column mart.kpi_daily_country.avg_orders_per_minute is 'Orders / 1440 minutes of the day.';
comment on column mart.kpi_daily_country.peak_orders_per_minute is 'Most orders placed in any one minute of the day (0 when none).';
comment on column mart.kpi_daily_country.peak_minute_start is 'First minute (UTC) that reached the peak; NULL when no orders.';
comment on column mart.kpi_daily_country.customers is 'Distinct identified customers who ordered that day.';
comment on column mart.kpi_daily_country.new_customers is 'Of those, customers whose first order in the lake is that day.';
comment on column mart.kpi_daily_country.returning_customers is 'Of those, customers who had ordered before that day.';
comment on column mart.kpi_daily_country.returning_customer_rate is 'Returning / customers; NULL when no customers.';
comment on column mart.kpi_daily_country.net_sales_prev_day_usd is 'Net sales of the previous day; NULL when that day is not in the lake.';
comment on column mart.kpi_daily_country.net_sales_growth_dod is 'Net sales / previous day''s - 1; NULL when the previous day is missing or 0.';
comment on column mart.kpi_daily_country.net_sales_7d_usd is 'Net sales of the 7 days ending this day; NULL unless all 7 days are in the lake.';
comment on column mart.kpi_daily_country.net_sales_prev_7d_usd is 'Net sales of the 7 days before those; NULL unless all 7 days are in the lake.';
comment on column mart.kpi_daily_country.net_sales_growth_wow is '7-day net sales / prior 7-day net sales - 1; NULL when either window is incomplete or the prior is 0.';
comment on column mart.kpi_daily_country.net_sales_prev_year_usd is 'Net sales of the same weekday 52 weeks (364 days) earlier; NULL when that day is not in the lake.';
comment on column mart.kpi_daily_country.net_sales_growth_yoy is 'Net sales / same weekday last year''s - 1; NULL when that day is missing or 0.';
