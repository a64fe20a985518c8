-- Returns by day x country x category x reason.
create view mart.v_returns_daily as
select
    r.return_date,
    c.country_code,
    c.country_name,
    p.category,
    r.return_reason,
    count(*) as returned_lines,
    sum(r.quantity) as units_returned,
    sum(r.refund_amount_usd) as refund_usd
from dw.fct_return as r
inner join dw.dim_country as c on r.country_key = c.country_key
inner join dw.dim_product as p on r.product_key = p.product_key
group by r.return_date, c.country_code, c.country_name, p.category, r.return_reason;

comment on view mart.v_returns_daily is 'Returns per day, country, product category and reason.';
comment on column mart.v_returns_daily.return_date is 'Day the return was registered.';
comment on column mart.v_returns_daily.country_code is 'ISO alpha-3 country of the order.';
comment on column mart.v_returns_daily.country_name is 'Country name.';
comment on column mart.v_returns_daily.category is 'Product category.';
comment on column mart.v_returns_daily.return_reason is 'Reason given by the customer.';
comment on column mart.v_returns_daily.returned_lines is 'Order lines returned.';
comment on column mart.v_returns_daily.units_returned is 'Units returned.';
comment on column mart.v_returns_daily.refund_usd is 'Refunds, USD.';
