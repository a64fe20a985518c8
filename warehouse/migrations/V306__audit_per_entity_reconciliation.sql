-- Per-entity reconciliation in the warehouse (issue 24, item 11).
-- audit.run_audit gets one row per run, task, entity AND date: a micro-batch cleans and
-- loads several dates under one run id, whose rows used to overwrite each other. The clean
-- task now writes its per-entity counts there (task 'clean'), and audit.task_run /
-- v_dag_run carry the deduplicated count, so a run's counts add up:
-- ingested = clean + quarantined + deduplicated.
update audit.run_audit
set run_date = (started_at at time zone 'UTC')::date
where run_date is null;

alter table audit.run_audit alter column run_date set not null;
alter table audit.run_audit drop constraint run_audit_pkey;
alter table audit.run_audit add primary key (run_id, task, entity, run_date);
comment on column audit.run_audit.task is 'Task: clean (per entity, from the reconciliation report) or load (per table).';
comment on column audit.run_audit.run_date is
'Date the counts are about: the landing date for clean, the loaded date for load.';

alter table audit.task_run add column rows_deduplicated bigint;
comment on column audit.task_run.rows_deduplicated is
'Duplicate rows logged and dropped (clean_silver): rows_in = rows_out + rows_quarantined + rows_deduplicated.';

drop view if exists audit.v_dag_run;

create view audit.v_dag_run as
with tries as (
    select
        *,
        count(*) filter (where coalesce(retry_number, try_number - 1) > 0)
            over (partition by dag_id, run_id, task_id, map_index)
            as retries_used
    from audit.task_run
),

latest as (
    select distinct on (dag_id, run_id, task_id, map_index) *
    from tries
    order by dag_id asc, run_id asc, task_id asc, map_index asc, try_number desc
),

first_start as (
    select
        dag_id,
        run_id,
        min(started_at) as started_at
    from audit.task_run
    group by dag_id, run_id
)

select
    l.dag_id,
    l.run_id,
    min(l.run_type) as run_type,
    min(l.business_date) as business_date,
    min(f.started_at) as started_at,
    case when bool_or(l.state = 'running') then null else max(l.finished_at) end as finished_at,
    case
        when bool_or(l.state = 'failed') then 'failed'
        when bool_or(l.state in ('running', 'up_for_retry')) then 'running'
        else 'success'
    end as state,
    count(*) as task_count,
    count(*) filter (where l.state = 'success') as tasks_succeeded,
    count(*) filter (where l.state = 'failed') as tasks_failed,
    max(l.retries_used)::integer as max_retries_used,
    max(l.rows_in) filter (where l.task_id = 'clean_silver') as rows_ingested,
    max(l.rows_out) filter (where l.task_id = 'clean_silver') as rows_clean,
    max(l.rows_quarantined) filter (where l.task_id = 'clean_silver') as rows_quarantined,
    max(l.rows_deduplicated) filter (where l.task_id = 'clean_silver') as rows_deduplicated,
    max(l.rows_out) filter (where l.task_id = 'load_warehouse') as rows_loaded,
    count(*) filter (where l.validation_outcome = 'failed') as gates_failed
from latest as l
inner join first_start as f on l.dag_id = f.dag_id and l.run_id = f.run_id
group by l.dag_id, l.run_id;

comment on view audit.v_dag_run is
'One row per DAG run: state, tasks, retries, rows ingested/clean/quarantined/deduplicated/loaded, failed gates.';
comment on column audit.v_dag_run.rows_ingested is
'Records the clean task read: landing data lines plus Kafka messages of the run''s date.';
comment on column audit.v_dag_run.state is 'failed if any task''s last try failed, else running or success.';
comment on column audit.v_dag_run.max_retries_used is
'Most automatic retries any task needed in the run (a manual clear is not a retry).';
comment on column audit.v_dag_run.rows_clean is 'Rows clean_silver wrote to silver.';
comment on column audit.v_dag_run.rows_quarantined is 'Rows quarantined by clean_silver.';
comment on column audit.v_dag_run.rows_deduplicated is
'Duplicate rows clean_silver logged and dropped: rows_ingested = clean + quarantined + deduplicated.';
comment on column audit.v_dag_run.rows_loaded is 'Rows loaded by load_warehouse.';
comment on column audit.v_dag_run.gates_failed is 'Quality gates whose last try failed.';
