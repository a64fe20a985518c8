-- Supported countries (retail_kpi.schemas.COUNTRIES) with their currency, plus the
-- unknown member. Keys are fixed so that reloads never renumber them.
create table dw.dim_country (
    country_key smallint primary key,
    country_code text not null unique,
    country_name text not null,
    currency_code text not null,
    region text not null
);

comment on table dw.dim_country is 'Countries we sell in, with their currency and region. Key -1 = unknown.';
comment on column dw.dim_country.country_key is 'Surrogate key (fixed; -1 = unknown country).';
comment on column dw.dim_country.country_code is 'ISO 3166 alpha-3 code, e.g. USA.';
comment on column dw.dim_country.country_name is 'Country name in English.';
comment on column dw.dim_country.currency_code is 'ISO 4217 code of the local currency of orders in this country.';
comment on column dw.dim_country.region is 'Sales region (North America, Europe).';

insert into dw.dim_country (country_key, country_code, country_name, currency_code, region) values
(-1, 'UNKNOWN', 'Unknown', 'UNKNOWN', 'Unknown'),
(1, 'USA', 'United States', 'USD', 'North America'),
(2, 'CAN', 'Canada', 'CAD', 'North America'),
(3, 'FRA', 'France', 'EUR', 'Europe'),
(4, 'DEU', 'Germany', 'EUR', 'Europe'),
(5, 'MEX', 'Mexico', 'MXN', 'North America');
