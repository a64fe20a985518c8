-- Grain: one order line. Partitioned by month on order_date; each month is itself
-- partitioned by day so that a load can swap a whole day in one step (see
-- docs/WAREHOUSE.md). Partitions are created by the loader. No declared foreign keys:
-- the loader resolves every key (unknown = -1) and tests check referential integrity.
create table dw.fct_order_line (
    order_date date not null,
    date_key integer not null,
    order_id text not null,
    line_number integer not null,
    order_ts timestamptz not null,
    customer_key bigint not null,
    product_key bigint not null,
    country_key smallint not null,
    channel_key smallint not null,
    currency_code text not null,
    order_status text not null,
    payment_method text,
    quantity integer not null,
    unit_price_local numeric(18, 2) not null,
    discount_pct numeric(9, 4) not null,
    discount_band text not null,
    gross_amount_local numeric(18, 2) not null,
    discount_amount_local numeric(18, 2) not null,
    net_amount_local numeric(18, 2) not null,
    gross_amount_usd numeric(18, 2) not null,
    discount_amount_usd numeric(18, 2) not null,
    net_amount_usd numeric(18, 2) not null,
    cogs_amount_usd numeric(18, 2) not null,
    profit_amount_usd numeric(18, 2) not null,
    fx_usd_per_unit numeric(18, 8),
    is_late boolean not null,
    ingest_date date not null
) partition by range (order_date);

create index fct_order_line_order_ts_brin on dw.fct_order_line using brin (order_ts);

comment on table dw.fct_order_line is 'Sales: one row per order line, amounts in local currency and USD.';
comment on column dw.fct_order_line.order_date is 'Business date of the order (UTC).';
comment on column dw.fct_order_line.date_key is 'Order date key (dim_date).';
comment on column dw.fct_order_line.order_id is 'Order number.';
comment on column dw.fct_order_line.line_number is 'Line number within the order.';
comment on column dw.fct_order_line.order_ts is 'When the order was placed (UTC).';
comment on column dw.fct_order_line.customer_key is 'Customer version at order time (dim_customer; -1 = unknown).';
comment on column dw.fct_order_line.product_key is 'Product version at order time (dim_product; -1 = unknown).';
comment on column dw.fct_order_line.country_key is 'Country of the order (dim_country).';
comment on column dw.fct_order_line.channel_key is 'Sales channel (dim_channel).';
comment on column dw.fct_order_line.currency_code is 'Currency of the local amounts (ISO 4217).';
comment on column dw.fct_order_line.order_status is 'Order status: completed, cancelled or refunded.';
comment on column dw.fct_order_line.payment_method is 'Payment method.';
comment on column dw.fct_order_line.quantity is 'Units ordered.';
comment on column dw.fct_order_line.unit_price_local is 'Unit price in local currency.';
comment on column dw.fct_order_line.discount_pct is 'Discount as a fraction of the gross amount, 0 <= x < 1.';
comment on column dw.fct_order_line.discount_band is 'Discount band: None, Low (<5%), Medium (<10%), High (>=10%).';
comment on column dw.fct_order_line.gross_amount_local is 'Quantity x unit price, local currency.';
comment on column dw.fct_order_line.discount_amount_local is 'Discount, local currency.';
comment on column dw.fct_order_line.net_amount_local is 'Gross minus discount, local currency.';
comment on column dw.fct_order_line.gross_amount_usd is 'Gross amount in USD (rate of the order day).';
comment on column dw.fct_order_line.discount_amount_usd is 'Discount in USD.';
comment on column dw.fct_order_line.net_amount_usd is 'Net sales in USD.';
comment on column dw.fct_order_line.cogs_amount_usd is 'Cost of goods sold in USD (quantity x manufacturing price).';
comment on column dw.fct_order_line.profit_amount_usd is 'Net sales minus COGS, USD.';
comment on column dw.fct_order_line.fx_usd_per_unit is 'USD value of one unit of the local currency on the order day (empty if the order header is missing).';
comment on column dw.fct_order_line.is_late is 'True when the order arrived after its business date.';
comment on column dw.fct_order_line.ingest_date is 'Landing date the line arrived on.';
