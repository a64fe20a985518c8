-- Stock health per snapshot day x country x warehouse x category.
create view mart.v_inventory_health as
select
    i.snapshot_date,
    c.country_code,
    i.warehouse_id,
    p.category,
    count(*) as products,
    sum(i.on_hand) as units_on_hand,
    sum(i.on_order) as units_on_order,
    count(*) filter (where i.is_low_stock) as low_stock_products,
    count(*) filter (where i.is_stock_out) as stock_out_products,
    round(100.0 * count(*) filter (where i.is_stock_out) / count(*), 1) as stock_out_pct,
    sum(i.on_hand * p.manufacturing_price_usd) as stock_value_usd
from dw.fct_inventory_daily as i
inner join dw.dim_country as c on i.country_key = c.country_key
inner join dw.dim_product as p on i.product_key = p.product_key
group by i.snapshot_date, c.country_code, i.warehouse_id, p.category;

comment on view mart.v_inventory_health is
'Inventory health per day, country, warehouse and category: stock, low stock, stock-outs.';
comment on column mart.v_inventory_health.snapshot_date is 'Day of the stock snapshot.';
comment on column mart.v_inventory_health.country_code is 'Country of the warehouse.';
comment on column mart.v_inventory_health.warehouse_id is 'Warehouse.';
comment on column mart.v_inventory_health.category is 'Product category.';
comment on column mart.v_inventory_health.products is 'Products stocked.';
comment on column mart.v_inventory_health.units_on_hand is 'Units in stock.';
comment on column mart.v_inventory_health.units_on_order is 'Units ordered from suppliers.';
comment on column mart.v_inventory_health.low_stock_products is 'Products at or below their reorder point.';
comment on column mart.v_inventory_health.stock_out_products is 'Products with nothing on hand.';
comment on column mart.v_inventory_health.stock_out_pct is 'Share of products out of stock, %.';
comment on column mart.v_inventory_health.stock_value_usd is 'Stock valued at manufacturing cost, USD.';
