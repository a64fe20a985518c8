-- Web and app engagement by day x country x channel.
create view mart.v_engagement_daily as
select
    s.session_date,
    c.country_code,
    ch.channel_name,
    count(*) as sessions,
    count(*) filter (where s.customer_key <> -1) as signed_in_sessions,
    round(avg(s.duration_s), 1) as avg_duration_s,
    round(avg(s.pages_viewed), 2) as avg_pages_viewed,
    round(100.0 * count(*) filter (where s.is_added_to_cart) / count(*), 2) as add_to_cart_pct,
    round(100.0 * count(*) filter (where s.is_converted) / count(*), 2) as conversion_pct
from dw.fct_web_session as s
inner join dw.dim_country as c on s.country_key = c.country_key
inner join dw.dim_channel as ch on s.channel_key = ch.channel_key
group by s.session_date, c.country_code, ch.channel_name;

comment on view mart.v_engagement_daily is 'Customer engagement per day, country and channel: sessions and conversion.';
comment on column mart.v_engagement_daily.session_date is 'Day the sessions started.';
comment on column mart.v_engagement_daily.country_code is 'Country of the visitors.';
comment on column mart.v_engagement_daily.channel_name is 'Web or mobile app.';
comment on column mart.v_engagement_daily.sessions is 'Sessions.';
comment on column mart.v_engagement_daily.signed_in_sessions is 'Sessions of a signed-in customer.';
comment on column mart.v_engagement_daily.avg_duration_s is 'Average session length, seconds.';
comment on column mart.v_engagement_daily.avg_pages_viewed is 'Average pages or screens per session.';
comment on column mart.v_engagement_daily.add_to_cart_pct is 'Sessions that added to cart, %.';
comment on column mart.v_engagement_daily.conversion_pct is 'Sessions that ended with an order, %.';
