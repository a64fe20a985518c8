-- Customers as SCD type 2: one version per (customer_id, updated_at) seen in the
-- silver snapshots. valid_to is the next version's valid_from (9999-12-31 for the
-- current one), so versions never overlap and exactly one is current per customer.
create table dw.dim_customer (
    customer_key bigint primary key,
    customer_id text not null,
    first_name text,
    last_name text,
    email text,
    is_email_valid boolean not null,
    age smallint,
    is_age_imputed boolean not null,
    age_group text not null,
    gender text,
    segment text not null,
    country_code text not null,
    city text,
    address text,
    registration_date date,
    updated_at timestamptz not null,
    valid_from timestamptz not null,
    valid_to timestamptz not null,
    is_current boolean not null,
    constraint dim_customer_version_uq unique (customer_id, valid_from),
    constraint dim_customer_validity_ck check (valid_from < valid_to),
    constraint dim_customer_no_overlap_ex exclude using gist (
        customer_id with =, tstzrange(valid_from, valid_to) with &&
    ) deferrable initially deferred
);

create unique index dim_customer_one_current_uq on dw.dim_customer (customer_id) where is_current;

comment on table dw.dim_customer is
'Customers with full history (SCD type 2): a new row each time a customer''s attributes change. Key -1 = unknown customer.';
comment on column dw.dim_customer.customer_key is 'Surrogate key of this version (stable hash of customer_id and valid_from; -1 = unknown).';
comment on column dw.dim_customer.customer_id is 'Business identifier of the customer (same for all versions).';
comment on column dw.dim_customer.first_name is 'First name.';
comment on column dw.dim_customer.last_name is 'Last name.';
comment on column dw.dim_customer.email is 'E-mail address; empty when missing or malformed in the source.';
comment on column dw.dim_customer.is_email_valid is 'True when the source e-mail address was present and well-formed.';
comment on column dw.dim_customer.age is 'Age in years (imputed with the country median when missing).';
comment on column dw.dim_customer.is_age_imputed is 'True when age was missing and imputed.';
comment on column dw.dim_customer.age_group is 'Age band: 18-24, 25-34, 35-44, 45-54, 55-64, 65+.';
comment on column dw.dim_customer.gender is 'Gender as reported by the customer.';
comment on column dw.dim_customer.segment is 'Customer segment, e.g. Consumer, Enterprise.';
comment on column dw.dim_customer.country_code is 'ISO alpha-3 country of residence.';
comment on column dw.dim_customer.city is 'City of residence.';
comment on column dw.dim_customer.address is 'Postal address.';
comment on column dw.dim_customer.registration_date is 'Day the customer registered.';
comment on column dw.dim_customer.updated_at is 'When the source system last changed this customer (UTC).';
comment on column dw.dim_customer.valid_from is 'Start of validity of this version (inclusive, UTC).';
comment on column dw.dim_customer.valid_to is 'End of validity (exclusive, UTC); 9999-12-31 for the current version.';
comment on column dw.dim_customer.is_current is 'True for the latest version of the customer.';

insert into dw.dim_customer (
    customer_key, customer_id, is_email_valid, is_age_imputed, age_group, segment,
    country_code, updated_at, valid_from, valid_to, is_current
) values (
    -1, 'UNKNOWN', false, false, 'Unknown', 'Unknown', 'UNKNOWN',
    '1900-01-01 00:00:00+00', '1900-01-01 00:00:00+00', '9999-12-31 00:00:00+00', true
);
