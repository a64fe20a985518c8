-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: session_date x country_code x channel. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_engagement_daily (
    session_date date not null,
    country_code text not null,
    channel text not null,
    sessions bigint,
    cart_sessions bigint,
    converted_sessions bigint,
    add_to_cart_rate double precision,
    conversion_rate double precision,
    avg_session_duration_s double precision,
    avg_pages_per_session double precision,
    primary key (session_date, country_code, channel)
);

comment on table mart.kpi_engagement_daily is 'Web and app engagement per day, country and channel.';
comment on column mart.kpi_engagement_daily.session_date is 'Business day (UTC) the session started.';
comment on column mart.kpi_engagement_daily.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_engagement_daily.channel is 'web, mobile or store.';
comment on column mart.kpi_engagement_daily.sessions is 'Sessions started.';
comment on column mart.kpi_engagement_daily.cart_sessions is 'Sessions that added at least one item to the cart.';
comment on column mart.kpi_engagement_daily.converted_sessions is 'Sessions that ended in an order.';
comment on column mart.kpi_engagement_daily.add_to_cart_rate is 'Cart sessions / sessions; NULL when no sessions.';
comment on column mart.kpi_engagement_daily.conversion_rate is 'Converted sessions / sessions; NULL when no sessions.';
comment on column mart.kpi_engagement_daily.avg_session_duration_s is 'Mean session duration in seconds.';
comment on column mart.kpi_engagement_daily.avg_pages_per_session is 'Mean pages viewed per session.';
