-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: sales_date x country_code x sales_rank. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_top_products_daily (
    sales_date date not null,
    country_code text not null,
    sales_rank integer not null,
    product_id text,
    product_name text,
    category text,
    units bigint,
    net_sales_usd numeric(18, 2),
    primary key (sales_date, country_code, sales_rank)
);

comment on table mart.kpi_top_products_daily is 'The ten best-selling products by net sales per business day and country.';
comment on column mart.kpi_top_products_daily.sales_date is 'Business day (UTC).';
comment on column mart.kpi_top_products_daily.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_top_products_daily.sales_rank is '1 = highest net sales; ties broken by product id.';
comment on column mart.kpi_top_products_daily.product_id is 'Product business key.';
comment on column mart.kpi_top_products_daily.product_name is 'Product name as of that day (''Unknown'' when not in the catalogue).';
comment on column mart.kpi_top_products_daily.category is 'Product category as of that day.';
comment on column mart.kpi_top_products_daily.units is 'Units of the product sold.';
comment on column mart.kpi_top_products_daily.net_sales_usd is 'Net sales of the product, USD.';
