-- Periodic snapshot. Grain: one product in one warehouse at the end of a day.
create table dw.fct_inventory_daily (
    snapshot_date date not null,
    date_key integer not null,
    country_key smallint not null,
    warehouse_id text not null,
    product_key bigint not null,
    on_hand integer not null,
    on_order integer not null,
    reorder_point integer not null,
    is_low_stock boolean not null,
    is_stock_out boolean not null,
    ingest_date date not null
) partition by range (snapshot_date);

comment on table dw.fct_inventory_daily is 'Inventory snapshot: stock of each product in each warehouse at the end of each day.';
comment on column dw.fct_inventory_daily.snapshot_date is 'Day of the snapshot.';
comment on column dw.fct_inventory_daily.date_key is 'Snapshot date key (dim_date).';
comment on column dw.fct_inventory_daily.country_key is 'Country of the warehouse (dim_country).';
comment on column dw.fct_inventory_daily.warehouse_id is 'Warehouse identifier.';
comment on column dw.fct_inventory_daily.product_key is 'Product version valid at the end of the day (dim_product).';
comment on column dw.fct_inventory_daily.on_hand is 'Units in stock.';
comment on column dw.fct_inventory_daily.on_order is 'Units ordered from suppliers, not yet received.';
comment on column dw.fct_inventory_daily.reorder_point is 'Stock level at which to reorder.';
comment on column dw.fct_inventory_daily.is_low_stock is 'True when on hand <= reorder point.';
comment on column dw.fct_inventory_daily.is_stock_out is 'True when nothing is on hand.';
comment on column dw.fct_inventory_daily.ingest_date is 'Landing date of the snapshot.';
