-- Typed mirror of the silver Parquet contract (retail_kpi.schemas.SILVER), one table
-- per entity. Loads never write here: they COPY into session-private copies
-- (create temp table ... (like staging.<entity>)), so concurrent loads cannot collide.
-- Unlogged and without constraints on purpose: the contract is checked by the
-- silver validation suites, and a test keeps this file equal to SILVER.

create unlogged table staging.customers (
    customer_id text,
    first_name text,
    last_name text,
    email text,
    is_email_valid boolean,
    age integer,
    is_age_imputed boolean,
    age_group text,
    gender text,
    segment text,
    country_code text,
    city text,
    address text,
    registration_date date,
    updated_at timestamptz
);
comment on table staging.customers is 'Silver contract of customers (template for load staging tables).';

create unlogged table staging.products (
    product_id text,
    product_name text,
    category text,
    subcategory text,
    brand text,
    manufacturing_price_usd numeric,
    list_price_usd numeric,
    updated_at timestamptz
);
comment on table staging.products is 'Silver contract of products (template for load staging tables).';

create unlogged table staging.orders (
    order_id text,
    customer_id text,
    order_ts timestamptz,
    order_date date,
    country_code text,
    currency text,
    channel text,
    payment_method text,
    status text,
    fx_usd_per_unit numeric,
    total_items integer,
    total_amount_local numeric,
    total_amount_usd numeric,
    is_late boolean,
    ingest_date date
);
comment on table staging.orders is 'Silver contract of orders (template for load staging tables).';

create unlogged table staging.order_items (
    order_id text,
    line_number integer,
    product_id text,
    order_date date,
    order_ts timestamptz,
    country_code text,
    currency text,
    quantity integer,
    unit_price_local numeric,
    discount_pct numeric,
    discount_band text,
    gross_amount_local numeric,
    discount_amount_local numeric,
    net_amount_local numeric,
    gross_amount_usd numeric,
    discount_amount_usd numeric,
    net_amount_usd numeric,
    cogs_usd numeric,
    profit_usd numeric,
    ingest_date date
);
comment on table staging.order_items is 'Silver contract of order_items (template for load staging tables).';

create unlogged table staging.shipments (
    shipment_id text,
    order_id text,
    order_date date,
    country_code text,
    carrier text,
    promised_days integer,
    shipped_ts timestamptz,
    delivered_ts timestamptz,
    days_to_ship numeric,
    days_to_deliver numeric,
    is_on_time boolean,
    shipping_cost_local numeric,
    shipping_cost_usd numeric,
    ingest_date date
);
comment on table staging.shipments is 'Silver contract of shipments (template for load staging tables).';

create unlogged table staging.returns (
    return_id text,
    order_id text,
    line_number integer,
    product_id text,
    return_date date,
    return_ts timestamptz,
    country_code text,
    quantity integer,
    reason text,
    refund_amount_local numeric,
    refund_amount_usd numeric,
    ingest_date date
);
comment on table staging.returns is 'Silver contract of returns (template for load staging tables).';

create unlogged table staging.inventory (
    snapshot_date date,
    country_code text,
    warehouse_id text,
    product_id text,
    on_hand integer,
    on_order integer,
    reorder_point integer,
    is_low_stock boolean,
    is_stock_out boolean,
    ingest_date date
);
comment on table staging.inventory is 'Silver contract of inventory (template for load staging tables).';

create unlogged table staging.web_sessions (
    session_id text,
    customer_id text,
    session_date date,
    session_start_ts timestamptz,
    country_code text,
    channel text,
    duration_s integer,
    pages_viewed integer,
    added_to_cart boolean,
    converted boolean,
    ingest_date date
);
comment on table staging.web_sessions is 'Silver contract of web_sessions (template for load staging tables).';

create unlogged table staging.fx_rates (
    rate_date date,
    currency text,
    usd_per_unit numeric
);
comment on table staging.fx_rates is 'Silver contract of fx_rates (template for load staging tables).';
