-- Sales by day x country x product category (cancelled orders excluded): the view
-- behind most dashboards. Category is the product's category when it was sold.
create view mart.v_sales_daily as
select
    d.calendar_date as sales_date,
    d.year_month,
    d.fiscal_year,
    d.day_name,
    d.is_weekend,
    h.holiday_name,
    c.country_code,
    c.country_name,
    c.region,
    p.category,
    count(distinct f.order_id) as orders,
    sum(f.quantity) as units,
    sum(f.gross_amount_usd) as gross_sales_usd,
    sum(f.discount_amount_usd) as discount_usd,
    sum(f.net_amount_usd) as net_sales_usd,
    sum(f.cogs_amount_usd) as cogs_usd,
    sum(f.profit_amount_usd) as profit_usd,
    round(100 * sum(f.profit_amount_usd) / nullif(sum(f.net_amount_usd), 0), 2)
        as profit_margin_pct
from dw.fct_order_line as f
inner join dw.dim_date as d on f.date_key = d.date_key
inner join dw.dim_country as c on f.country_key = c.country_key
inner join dw.dim_product as p on f.product_key = p.product_key
left join lateral (
    select string_agg(dh.holiday_name, ', ' order by dh.holiday_name) as holiday_name
    from dw.dim_holiday as dh
    where dh.holiday_date = d.calendar_date and dh.country_code = c.country_code
) as h on true
where f.order_status <> 'cancelled'
group by
    d.calendar_date, d.year_month, d.fiscal_year, d.day_name, d.is_weekend, h.holiday_name,
    c.country_code, c.country_name, c.region, p.category;

comment on view mart.v_sales_daily is
'Sales per day, country and product category in USD (cancelled orders excluded).';
comment on column mart.v_sales_daily.sales_date is 'Business date of the orders.';
comment on column mart.v_sales_daily.year_month is 'Calendar month, e.g. 2024-03.';
comment on column mart.v_sales_daily.fiscal_year is 'Fiscal year (starts 1 February).';
comment on column mart.v_sales_daily.day_name is 'Day of the week.';
comment on column mart.v_sales_daily.is_weekend is 'True on Saturday and Sunday.';
comment on column mart.v_sales_daily.holiday_name is 'Public holiday in that country that day, if any.';
comment on column mart.v_sales_daily.country_code is 'ISO alpha-3 country of the orders.';
comment on column mart.v_sales_daily.country_name is 'Country name.';
comment on column mart.v_sales_daily.region is 'Sales region.';
comment on column mart.v_sales_daily.category is 'Product category at the time of sale.';
comment on column mart.v_sales_daily.orders is 'Distinct orders with at least one line in the category.';
comment on column mart.v_sales_daily.units is 'Units sold.';
comment on column mart.v_sales_daily.gross_sales_usd is 'Sales before discounts, USD.';
comment on column mart.v_sales_daily.discount_usd is 'Discounts, USD.';
comment on column mart.v_sales_daily.net_sales_usd is 'Net sales, USD.';
comment on column mart.v_sales_daily.cogs_usd is 'Cost of goods sold, USD.';
comment on column mart.v_sales_daily.profit_usd is 'Net sales minus COGS, USD.';
comment on column mart.v_sales_daily.profit_margin_pct is 'Profit as a percentage of net sales.';
