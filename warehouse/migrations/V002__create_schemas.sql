-- One schema per layer. Owned by retail_etl (migrations run as that role).
create schema if not exists staging;
comment on schema staging is
'Typed landing tables for the silver Parquet contract; loads COPY into copies of them. Not for BI.';

create schema if not exists dw;
comment on schema dw is
'Star schema: conformed dimensions (dim_*) and facts (fct_*). Read by BI tools.';

create schema if not exists mart;
comment on schema mart is
'KPI tables (kpi_*) and friendly BI views (v_*) for the common business questions.';

create schema if not exists audit;
comment on schema audit is
'Pipeline run audit (row counts per run, task and entity) and data-quality results.';

grant usage on schema dw, mart, audit to bi_reader;
