-- Grain: one shipment. Partitioned by month, then day, on the order date.
create table dw.fct_shipment (
    order_date date not null,
    date_key integer not null,
    shipment_id text not null,
    order_id text not null,
    country_key smallint not null,
    carrier text not null,
    promised_days integer,
    shipped_ts timestamptz,
    delivered_ts timestamptz,
    days_to_ship numeric(9, 2),
    days_to_deliver numeric(9, 2),
    is_on_time boolean,
    shipping_cost_local numeric(18, 2),
    shipping_cost_usd numeric(18, 2),
    ingest_date date not null
) partition by range (order_date);

create index fct_shipment_shipped_ts_brin on dw.fct_shipment using brin (shipped_ts);

comment on table dw.fct_shipment is 'Shipments: one row per shipment of an order, with delivery performance.';
comment on column dw.fct_shipment.order_date is 'Business date of the shipped order (UTC).';
comment on column dw.fct_shipment.date_key is 'Order date key (dim_date).';
comment on column dw.fct_shipment.shipment_id is 'Shipment number.';
comment on column dw.fct_shipment.order_id is 'Order shipped.';
comment on column dw.fct_shipment.country_key is 'Destination country (dim_country).';
comment on column dw.fct_shipment.carrier is 'Carrier name.';
comment on column dw.fct_shipment.promised_days is 'Delivery time promised to the customer, days.';
comment on column dw.fct_shipment.shipped_ts is 'When the parcel left the warehouse (UTC).';
comment on column dw.fct_shipment.delivered_ts is 'When the parcel was delivered (UTC); empty while in transit.';
comment on column dw.fct_shipment.days_to_ship is 'Days from order to shipping.';
comment on column dw.fct_shipment.days_to_deliver is 'Days from order to delivery.';
comment on column dw.fct_shipment.is_on_time is 'True when delivered within the promised days.';
comment on column dw.fct_shipment.shipping_cost_local is 'Shipping cost in local currency.';
comment on column dw.fct_shipment.shipping_cost_usd is 'Shipping cost in USD.';
comment on column dw.fct_shipment.ingest_date is 'Landing date the shipment arrived on.';
