-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: month_start x country_code. Loaded per month by retail_kpi.kpi.load.
create table mart.kpi_monthly_sales (
    month_start date not null,
    country_code text not null,
    days_with_data integer,
    orders bigint,
    units bigint,
    gross_sales_usd numeric(18, 2),
    discount_usd numeric(18, 2),
    net_sales_usd numeric(18, 2),
    cogs_usd numeric(18, 2),
    profit_usd numeric(18, 2),
    profit_margin double precision,
    avg_order_value_usd numeric(18, 2),
    units_per_transaction double precision,
    returned_units bigint,
    returned_value_usd numeric(18, 2),
    return_rate_units double precision,
    return_rate_value double precision,
    customers bigint,
    new_customers bigint,
    repeat_customers bigint,
    repeat_purchase_rate double precision,
    net_sales_prev_month_usd numeric(18, 2),
    net_sales_growth_mom double precision,
    net_sales_prev_year_usd numeric(18, 2),
    net_sales_growth_yoy double precision,
    primary key (month_start, country_code)
);

comment on table mart.kpi_monthly_sales is 'Sales, returns, customers and growth per calendar month and country. The current month is month-to-date; growth compares the same days of the month (see KPI definitions).';
comment on column mart.kpi_monthly_sales.month_start is 'First day of the month.';
comment on column mart.kpi_monthly_sales.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_monthly_sales.days_with_data is 'Days of the month present in the lake (month-to-date when below the month length).';
comment on column mart.kpi_monthly_sales.orders is 'Orders in the month (cancelled excluded).';
comment on column mart.kpi_monthly_sales.units is 'Units sold in the month.';
comment on column mart.kpi_monthly_sales.gross_sales_usd is 'Gross sales, USD.';
comment on column mart.kpi_monthly_sales.discount_usd is 'Discounts, USD.';
comment on column mart.kpi_monthly_sales.net_sales_usd is 'Net sales, USD.';
comment on column mart.kpi_monthly_sales.cogs_usd is 'COGS, USD.';
comment on column mart.kpi_monthly_sales.profit_usd is 'Profit, USD.';
comment on column mart.kpi_monthly_sales.profit_margin is 'Profit / net sales; NULL when net sales are 0.';
comment on column mart.kpi_monthly_sales.avg_order_value_usd is 'Net sales / orders, rounded half-up to the cent; NULL when no orders.';
comment on column mart.kpi_monthly_sales.units_per_transaction is 'Units / orders; NULL when no orders.';
comment on column mart.kpi_monthly_sales.returned_units is 'Units returned in the month (by return date).';
comment on column mart.kpi_monthly_sales.returned_value_usd is 'Refunds paid in the month, USD.';
comment on column mart.kpi_monthly_sales.return_rate_units is 'Returned units / units sold; NULL when none sold.';
comment on column mart.kpi_monthly_sales.return_rate_value is 'Refunds / net sales; NULL when net sales are 0.';
comment on column mart.kpi_monthly_sales.customers is 'Distinct identified customers who ordered in the month.';
comment on column mart.kpi_monthly_sales.new_customers is 'Of those, customers whose first order in the lake is in the month.';
comment on column mart.kpi_monthly_sales.repeat_customers is 'Of those, customers with two or more orders in the month.';
comment on column mart.kpi_monthly_sales.repeat_purchase_rate is 'Repeat customers / customers; NULL when no customers.';
comment on column mart.kpi_monthly_sales.net_sales_prev_month_usd is 'Net sales of the previous month over the same days (1..last day with data); NULL unless all those days are in the lake.';
comment on column mart.kpi_monthly_sales.net_sales_growth_mom is 'Month-over-month growth over the same days; NULL when the prior window is incomplete or 0.';
comment on column mart.kpi_monthly_sales.net_sales_prev_year_usd is 'Net sales of the same month last year over the same days; NULL unless all those days are in the lake.';
comment on column mart.kpi_monthly_sales.net_sales_growth_yoy is 'Year-over-year growth over the same days; NULL when the prior window is incomplete or 0.';
