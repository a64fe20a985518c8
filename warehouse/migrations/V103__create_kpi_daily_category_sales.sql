-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: sales_date x category x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_daily_category_sales (
    sales_date date not null,
    category text not null,
    country_code text not null,
    orders bigint,
    units bigint,
    gross_sales_usd numeric(18, 2),
    discount_usd numeric(18, 2),
    net_sales_usd numeric(18, 2),
    cogs_usd numeric(18, 2),
    profit_usd numeric(18, 2),
    profit_margin double precision,
    returned_units bigint,
    returned_value_usd numeric(18, 2),
    return_rate_units double precision,
    return_rate_value double precision,
    net_sales_prev_day_usd numeric(18, 2),
    net_sales_growth_dod double precision,
    net_sales_7d_usd numeric(18, 2),
    net_sales_prev_7d_usd numeric(18, 2),
    net_sales_growth_wow double precision,
    net_sales_prev_year_usd numeric(18, 2),
    net_sales_growth_yoy double precision,
    primary key (sales_date, category, country_code)
);

comment on table mart.kpi_daily_category_sales is 'Sales, margin, returns and growth per business day, product category and country.';
comment on column mart.kpi_daily_category_sales.sales_date is 'Business day (UTC).';
comment on column mart.kpi_daily_category_sales.category is 'Product category as of that day (''Unknown'' when the product is not in the catalogue).';
comment on column mart.kpi_daily_category_sales.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_daily_category_sales.orders is 'Orders with at least one line of the category.';
comment on column mart.kpi_daily_category_sales.units is 'Units of the category sold.';
comment on column mart.kpi_daily_category_sales.gross_sales_usd is 'Gross sales of the category, USD.';
comment on column mart.kpi_daily_category_sales.discount_usd is 'Discounts on the category, USD.';
comment on column mart.kpi_daily_category_sales.net_sales_usd is 'Net sales of the category, USD.';
comment on column mart.kpi_daily_category_sales.cogs_usd is 'COGS of the category, USD.';
comment on column mart.kpi_daily_category_sales.profit_usd is 'Profit of the category, USD.';
comment on column mart.kpi_daily_category_sales.profit_margin is 'Profit / net sales; NULL when net sales are 0.';
comment on column mart.kpi_daily_category_sales.returned_units is 'Units of the category returned that day.';
comment on column mart.kpi_daily_category_sales.returned_value_usd is 'Refunds on the category paid that day, USD.';
comment on column mart.kpi_daily_category_sales.return_rate_units is 'Returned units / units sold; NULL when none sold.';
comment on column mart.kpi_daily_category_sales.return_rate_value is 'Refunds / net sales; NULL when net sales are 0.';
comment on column mart.kpi_daily_category_sales.net_sales_prev_day_usd is 'Net sales of the previous day; NULL when that day is not in the lake.';
comment on column mart.kpi_daily_category_sales.net_sales_growth_dod is 'Day-over-day growth of net sales; NULL when the previous day is missing or 0.';
comment on column mart.kpi_daily_category_sales.net_sales_7d_usd is 'Net sales of the 7 days ending this day; NULL unless all 7 days are in the lake.';
comment on column mart.kpi_daily_category_sales.net_sales_prev_7d_usd is 'Net sales of the 7 days before those; NULL unless all 7 days are in the lake.';
comment on column mart.kpi_daily_category_sales.net_sales_growth_wow is 'Week-over-week growth of 7-day net sales; NULL when a window is incomplete or the prior is 0.';
comment on column mart.kpi_daily_category_sales.net_sales_prev_year_usd is 'Net sales 364 days earlier (same weekday); NULL when that day is not in the lake.';
comment on column mart.kpi_daily_category_sales.net_sales_growth_yoy is 'Year-over-year growth vs the same weekday; NULL when that day is missing or 0.';
