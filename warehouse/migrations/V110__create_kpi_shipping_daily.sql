-- Generated from retail_kpi/kpi/catalogue.yaml by `python -m retail_kpi.kpi.ddl`.
-- Grain: order_date x country_code. Loaded per day by retail_kpi.kpi.load.
create table mart.kpi_shipping_daily (
    order_date date not null,
    country_code text not null,
    shipments bigint,
    shipped_shipments bigint,
    delivered_shipments bigint,
    avg_days_to_ship double precision,
    avg_days_to_deliver double precision,
    on_time_shipments bigint,
    on_time_rate double precision,
    primary key (order_date, country_code)
);

comment on table mart.kpi_shipping_daily is 'Shipping speed and punctuality per order day and country.';
comment on column mart.kpi_shipping_daily.order_date is 'Business day the shipped orders were placed.';
comment on column mart.kpi_shipping_daily.country_code is 'ISO 3166 alpha-3 country.';
comment on column mart.kpi_shipping_daily.shipments is 'Shipments of those orders.';
comment on column mart.kpi_shipping_daily.shipped_shipments is 'Shipments that have left the warehouse.';
comment on column mart.kpi_shipping_daily.delivered_shipments is 'Shipments delivered.';
comment on column mart.kpi_shipping_daily.avg_days_to_ship is 'Mean days from order to shipping (shipped only); NULL when none shipped.';
comment on column mart.kpi_shipping_daily.avg_days_to_deliver is 'Mean days from order to delivery (delivered only); NULL when none delivered.';
comment on column mart.kpi_shipping_daily.on_time_shipments is 'Delivered within the promised days.';
comment on column mart.kpi_shipping_daily.on_time_rate is 'On-time / shipments whose punctuality is known; NULL when none is known.';
