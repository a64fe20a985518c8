-- Grain: one web or app session (engagement). Partitioned by month, then day.
create table dw.fct_web_session (
    session_date date not null,
    date_key integer not null,
    session_id text not null,
    session_start_ts timestamptz not null,
    customer_key bigint not null,
    country_key smallint not null,
    channel_key smallint not null,
    duration_s integer not null,
    pages_viewed integer not null,
    is_added_to_cart boolean not null,
    is_converted boolean not null,
    ingest_date date not null
) partition by range (session_date);

create index fct_web_session_start_ts_brin on dw.fct_web_session using brin (session_start_ts);

comment on table dw.fct_web_session is 'Customer engagement: one row per web or mobile session.';
comment on column dw.fct_web_session.session_date is 'Business date of the session start (UTC).';
comment on column dw.fct_web_session.date_key is 'Session date key (dim_date).';
comment on column dw.fct_web_session.session_id is 'Session identifier.';
comment on column dw.fct_web_session.session_start_ts is 'When the session started (UTC).';
comment on column dw.fct_web_session.customer_key is 'Signed-in customer version (dim_customer; -1 = anonymous or unknown).';
comment on column dw.fct_web_session.country_key is 'Country of the visitor (dim_country).';
comment on column dw.fct_web_session.channel_key is 'Channel of the session (dim_channel).';
comment on column dw.fct_web_session.duration_s is 'Session length in seconds.';
comment on column dw.fct_web_session.pages_viewed is 'Pages or screens viewed.';
comment on column dw.fct_web_session.is_added_to_cart is 'True when something was added to the cart.';
comment on column dw.fct_web_session.is_converted is 'True when the session ended with an order.';
comment on column dw.fct_web_session.ingest_date is 'Landing date of the session.';
