-- Grain: one returned order line. Partitioned by month, then day, on return_date.
create table dw.fct_return (
    return_date date not null,
    date_key integer not null,
    return_id text not null,
    order_id text not null,
    line_number integer not null,
    return_ts timestamptz not null,
    product_key bigint not null,
    country_key smallint not null,
    quantity integer not null,
    return_reason text not null,
    refund_amount_local numeric(18, 2) not null,
    refund_amount_usd numeric(18, 2) not null,
    ingest_date date not null
) partition by range (return_date);

create index fct_return_return_ts_brin on dw.fct_return using brin (return_ts);

comment on table dw.fct_return is 'Returns: one row per returned order line.';
comment on column dw.fct_return.return_date is 'Business date of the return (UTC).';
comment on column dw.fct_return.date_key is 'Return date key (dim_date).';
comment on column dw.fct_return.return_id is 'Return number.';
comment on column dw.fct_return.order_id is 'Order the returned line belongs to.';
comment on column dw.fct_return.line_number is 'Returned order line.';
comment on column dw.fct_return.return_ts is 'When the return was registered (UTC).';
comment on column dw.fct_return.product_key is 'Product version at return time (dim_product; -1 = unknown).';
comment on column dw.fct_return.country_key is 'Country of the order (dim_country).';
comment on column dw.fct_return.quantity is 'Units returned.';
comment on column dw.fct_return.return_reason is 'Reason given for the return.';
comment on column dw.fct_return.refund_amount_local is 'Refund in local currency.';
comment on column dw.fct_return.refund_amount_usd is 'Refund in USD.';
comment on column dw.fct_return.ingest_date is 'Landing date the return arrived on.';
