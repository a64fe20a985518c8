-- Products as SCD type 2 on (product_id, updated_at): price and category changes make
-- a new version; same validity rules as dim_customer.
create table dw.dim_product (
    product_key bigint primary key,
    product_id text not null,
    product_name text not null,
    category text not null,
    subcategory text,
    brand text,
    manufacturing_price_usd numeric(18, 2),
    list_price_usd numeric(18, 2),
    updated_at timestamptz not null,
    valid_from timestamptz not null,
    valid_to timestamptz not null,
    is_current boolean not null,
    constraint dim_product_version_uq unique (product_id, valid_from),
    constraint dim_product_validity_ck check (valid_from < valid_to),
    constraint dim_product_no_overlap_ex exclude using gist (
        product_id with =, tstzrange(valid_from, valid_to) with &&
    ) deferrable initially deferred
);

create unique index dim_product_one_current_uq on dw.dim_product (product_id) where is_current;

comment on table dw.dim_product is
'Product catalogue with history (SCD type 2): a new row when price or category changes. Key -1 = unknown product.';
comment on column dw.dim_product.product_key is 'Surrogate key of this version (stable hash of product_id and valid_from; -1 = unknown).';
comment on column dw.dim_product.product_id is 'Business identifier of the product (same for all versions).';
comment on column dw.dim_product.product_name is 'Product name.';
comment on column dw.dim_product.category is 'Product category.';
comment on column dw.dim_product.subcategory is 'Product subcategory.';
comment on column dw.dim_product.brand is 'Brand.';
comment on column dw.dim_product.manufacturing_price_usd is 'Unit manufacturing cost in USD (basis of COGS).';
comment on column dw.dim_product.list_price_usd is 'Unit list price in USD.';
comment on column dw.dim_product.updated_at is 'When the source catalogue last changed this product (UTC).';
comment on column dw.dim_product.valid_from is 'Start of validity of this version (inclusive, UTC).';
comment on column dw.dim_product.valid_to is 'End of validity (exclusive, UTC); 9999-12-31 for the current version.';
comment on column dw.dim_product.is_current is 'True for the latest version of the product.';

insert into dw.dim_product (
    product_key, product_id, product_name, category, updated_at, valid_from, valid_to, is_current
) values (
    -1, 'UNKNOWN', 'Unknown', 'Unknown',
    '1900-01-01 00:00:00+00', '1900-01-01 00:00:00+00', '9999-12-31 00:00:00+00', true
);
