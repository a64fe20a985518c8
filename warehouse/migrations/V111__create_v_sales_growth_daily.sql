-- Net sales growth of all countries together, per day: the Executive overview's headline.
-- The comparison sums come from mart.kpi_daily_sales (every country that sold, also one
-- that did not sell on the day itself); whether a window is complete comes from the KPI
-- job, through mart.kpi_daily_country, whose window sums are NULL when a day of the window
-- is missing or only partly landed. Growth against an incomplete window is NULL (N/A),
-- never a percentage of a partial day.
create view mart.v_sales_growth_daily as
with days as (
    select
        sales_date,
        sum(net_sales_usd) as net_sales_usd
    from mart.kpi_daily_sales
    group by sales_date
),

complete as (
    select
        sales_date,
        bool_and(net_sales_prev_day_usd is not null) as prev_day_ok,
        bool_and(net_sales_7d_usd is not null) as cur_7d_ok,
        bool_and(net_sales_prev_7d_usd is not null) as prev_7d_ok,
        bool_and(net_sales_prev_year_usd is not null) as prev_year_ok
    from mart.kpi_daily_country
    group by sales_date
),

windows as (
    select
        d.sales_date,
        d.net_sales_usd,
        case
            when k.prev_day_ok
                then
                    coalesce(sum(x.net_sales_usd) filter (where x.sales_date = d.sales_date - 1), 0)
        end as net_sales_prev_day_usd,
        case
            when k.cur_7d_ok
                then
                    coalesce(
                        sum(x.net_sales_usd) filter (
                            where x.sales_date between d.sales_date - 6 and d.sales_date
                        ),
                        0
                    )
        end as net_sales_7d_usd,
        case
            when k.prev_7d_ok
                then
                    coalesce(
                        sum(x.net_sales_usd) filter (
                            where x.sales_date between d.sales_date - 13 and d.sales_date - 7
                        ),
                        0
                    )
        end as net_sales_prev_7d_usd,
        case
            when k.prev_year_ok
                then
                    coalesce(
                        sum(x.net_sales_usd) filter (where x.sales_date = d.sales_date - 364), 0
                    )
        end as net_sales_prev_year_usd
    from days as d
    inner join complete as k on d.sales_date = k.sales_date
    left join days as x
        on
            x.sales_date between d.sales_date - 13 and d.sales_date - 1
            or x.sales_date = d.sales_date - 364
            or d.sales_date = x.sales_date
    group by
        d.sales_date, d.net_sales_usd,
        k.prev_day_ok, k.cur_7d_ok, k.prev_7d_ok, k.prev_year_ok
)

select
    sales_date,
    net_sales_usd,
    net_sales_prev_day_usd,
    net_sales_7d_usd,
    net_sales_prev_7d_usd,
    net_sales_prev_year_usd,
    (net_sales_usd / nullif(net_sales_prev_day_usd, 0) - 1)::double precision
        as net_sales_growth_dod,
    (net_sales_7d_usd / nullif(net_sales_prev_7d_usd, 0) - 1)::double precision
        as net_sales_growth_wow,
    (net_sales_usd / nullif(net_sales_prev_year_usd, 0) - 1)::double precision
        as net_sales_growth_yoy
from windows;

comment on view mart.v_sales_growth_daily is
'Net sales of all countries per day and its growth; NULL growth when the prior period is incomplete.';
comment on column mart.v_sales_growth_daily.sales_date is 'Business date of the orders.';
comment on column mart.v_sales_growth_daily.net_sales_usd is 'Net sales of all countries, USD.';
comment on column mart.v_sales_growth_daily.net_sales_prev_day_usd is 'Net sales the day before, USD; NULL when that day is incomplete.';
comment on column mart.v_sales_growth_daily.net_sales_growth_dod is 'Net sales / the day before - 1; NULL when that day is incomplete or had none.';
comment on column mart.v_sales_growth_daily.net_sales_7d_usd is 'Net sales of the 7 days ending on this day, USD; NULL when one is incomplete.';
comment on column mart.v_sales_growth_daily.net_sales_prev_7d_usd is 'Net sales of the 7 days before those, USD; NULL when one is incomplete.';
comment on column mart.v_sales_growth_daily.net_sales_growth_wow is 'Last 7 days / the 7 days before - 1; NULL when a window is incomplete.';
comment on column mart.v_sales_growth_daily.net_sales_prev_year_usd is 'Net sales 364 days before (same weekday), USD; NULL when that day is incomplete.';
comment on column mart.v_sales_growth_daily.net_sales_growth_yoy is 'Net sales / 364 days before - 1; NULL when that day is incomplete or had none.';
