-- Surrogate keys of SCD2 dimensions are a hash of (natural id, valid_from), so a
-- version gets the same key whatever order dates are loaded or reloaded in.
-- 60 bits of md5 keep the key a positive bigint; -1 is reserved for "unknown".
create function dw.version_key(natural_id text, valid_from timestamptz)
returns bigint
language sql
immutable
strict
parallel safe
as $$
    select ('x' || substr(
        md5(natural_id || '|' || ((extract(epoch from valid_from) * 1000000)::bigint)::text),
        1,
        15
    ))::bit(60)::bigint
$$;

comment on function dw.version_key(text, timestamptz) is
'Deterministic surrogate key of an SCD2 version: first 60 bits of md5(id|epoch microseconds).';
