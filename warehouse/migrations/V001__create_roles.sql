-- run-as: session
-- Roles are cluster-wide, so several warehouse databases on one server (demo, tests)
-- share them: create each only when missing. Both start without login: the ETL
-- connects as a member of retail_etl, and bi_reader gets a login (and a password)
-- from the bootstrap only when BI_READER_PASSWORD is set.
do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'retail_etl') then
        create role retail_etl nologin;
    end if;
    if not exists (select from pg_catalog.pg_roles where rolname = 'bi_reader') then
        create role bi_reader nologin;
    end if;
end
$$;

comment on role retail_etl is 'Owns every warehouse object and performs all writes (migrations, loads).';
comment on role bi_reader is 'Read-only access for BI tools: select on the dw, mart and audit schemas.';

-- Nothing is granted to PUBLIC: only our roles may connect to this database.
do $$
begin
    execute format('revoke all on database %I from public', current_database());
    execute format(
        'grant connect, create, temporary on database %I to retail_etl', current_database()
    );
    execute format('grant connect on database %I to bi_reader', current_database());
end
$$;

revoke all on schema public from public;
