-- Who the customers are (current version of each) and what they bought over time.
create view mart.v_customer_demographics as
with customer_sales as (
    select
        c.customer_id,
        count(distinct f.order_id) as orders,
        sum(f.net_amount_usd) as net_sales_usd
    from dw.fct_order_line as f
    inner join dw.dim_customer as c on f.customer_key = c.customer_key
    where f.order_status <> 'cancelled' and f.customer_key <> -1
    group by c.customer_id
)

select
    cur.country_code,
    cur.segment,
    cur.age_group,
    coalesce(cur.gender, 'Unknown') as gender,
    count(*) as customers,
    count(s.customer_id) as buying_customers,
    round(avg(cur.age), 1) as avg_age,
    round(100.0 * count(*) filter (where cur.is_email_valid) / count(*), 1) as email_valid_pct,
    coalesce(sum(s.orders), 0) as orders,
    coalesce(sum(s.net_sales_usd), 0) as net_sales_usd,
    round(coalesce(sum(s.net_sales_usd), 0) / count(*), 2) as net_sales_per_customer_usd
from dw.dim_customer as cur
left join customer_sales as s on cur.customer_id = s.customer_id
where cur.is_current and cur.customer_key <> -1
group by cur.country_code, cur.segment, cur.age_group, coalesce(cur.gender, 'Unknown');

comment on view mart.v_customer_demographics is
'Customers by country, segment, age group and gender (current profile), with lifetime sales.';
comment on column mart.v_customer_demographics.country_code is 'Country of residence (current).';
comment on column mart.v_customer_demographics.segment is 'Customer segment (current).';
comment on column mart.v_customer_demographics.age_group is 'Age band (current).';
comment on column mart.v_customer_demographics.gender is 'Gender; Unknown when not given.';
comment on column mart.v_customer_demographics.customers is 'Number of customers.';
comment on column mart.v_customer_demographics.buying_customers is 'Customers with at least one non-cancelled order.';
comment on column mart.v_customer_demographics.avg_age is 'Average age in years.';
comment on column mart.v_customer_demographics.email_valid_pct is 'Share of customers with a valid e-mail, %.';
comment on column mart.v_customer_demographics.orders is 'Non-cancelled orders placed, all time.';
comment on column mart.v_customer_demographics.net_sales_usd is 'Net sales, all time, USD.';
comment on column mart.v_customer_demographics.net_sales_per_customer_usd is 'Net sales per customer, USD.';
