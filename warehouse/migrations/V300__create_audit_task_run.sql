-- One row per Airflow task try: when it ran, what it read and wrote, how its gate
-- ended. Written by retail_kpi.ops.audit from the task callbacks; feeds the
-- pipeline-health dashboard through audit.v_dag_run.
create table if not exists audit.task_run (
    dag_id text not null,
    run_id text not null,
    task_id text not null,
    map_index integer not null default -1,
    try_number integer not null,
    run_type text,
    business_date date,
    state text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    rows_in bigint,
    rows_out bigint,
    rows_quarantined bigint,
    validation_outcome text,
    error text,
    details jsonb,
    primary key (dag_id, run_id, task_id, map_index, try_number),
    constraint task_run_state_ck check (
        state in ('running', 'success', 'up_for_retry', 'failed', 'skipped')
    ),
    constraint task_run_validation_ck check (
        validation_outcome is null or validation_outcome in ('passed', 'warned', 'failed')
    )
);

create index if not exists task_run_date_idx on audit.task_run (business_date, dag_id);

comment on table audit.task_run is
'Run audit: one row per Airflow task try (start, end, rows in/out/quarantined, gate outcome).';
comment on column audit.task_run.dag_id is 'Airflow DAG id (retail_daily, retail_microbatch).';
comment on column audit.task_run.run_id is 'Airflow run id.';
comment on column audit.task_run.task_id is 'Airflow task id, e.g. load_warehouse.';
comment on column audit.task_run.map_index is 'Index of a mapped task instance; -1 when not mapped.';
comment on column audit.task_run.try_number is 'Try of the task instance, 1 for the first attempt.';
comment on column audit.task_run.run_type is 'scheduled, manual, backfill or asset_triggered.';
comment on column audit.task_run.business_date is 'Business date the task processed.';
comment on column audit.task_run.state is 'running, success, up_for_retry, failed or skipped.';
comment on column audit.task_run.started_at is 'When the try started (UTC).';
comment on column audit.task_run.finished_at is 'When the try ended (UTC); null while running.';
comment on column audit.task_run.rows_in is 'Rows the task read.';
comment on column audit.task_run.rows_out is 'Rows the task wrote (generated, cleaned or loaded).';
comment on column audit.task_run.rows_quarantined is 'Rows set aside in quarantine.';
comment on column audit.task_run.validation_outcome is 'Gate tasks: passed, warned or failed.';
comment on column audit.task_run.error is 'First line of the error of a failed try.';
comment on column audit.task_run.details is 'The task''s result summary (JSON).';

create or replace view audit.v_dag_run as
with latest as (
    select distinct on (dag_id, run_id, task_id, map_index) *
    from audit.task_run
    order by dag_id asc, run_id asc, task_id asc, map_index asc, try_number desc
)

select
    l.dag_id,
    l.run_id,
    min(l.run_type) as run_type,
    min(l.business_date) as business_date,
    min(t.started_at) as started_at,
    case when bool_or(l.state = 'running') then null else max(l.finished_at) end as finished_at,
    case
        when bool_or(l.state = 'failed') then 'failed'
        when bool_or(l.state in ('running', 'up_for_retry')) then 'running'
        else 'success'
    end as state,
    count(*) as task_count,
    count(*) filter (where l.state = 'success') as tasks_succeeded,
    count(*) filter (where l.state = 'failed') as tasks_failed,
    max(l.try_number) - 1 as max_retries_used,
    max(l.rows_out) filter (where l.task_id = 'generate_landing') as rows_generated,
    max(l.rows_quarantined) filter (where l.task_id = 'clean_silver') as rows_quarantined,
    max(l.rows_out) filter (where l.task_id = 'load_warehouse') as rows_loaded,
    count(*) filter (where l.validation_outcome = 'failed') as gates_failed
from latest as l
inner join audit.task_run as t
    on
        l.dag_id = t.dag_id
        and l.run_id = t.run_id
        and l.task_id = t.task_id
        and l.map_index = t.map_index
group by l.dag_id, l.run_id;

comment on view audit.v_dag_run is
'Run audit per DAG run: state, duration, rows generated/quarantined/loaded, failed gates.';
comment on column audit.v_dag_run.state is 'failed if any task''s last try failed, else running or success.';
comment on column audit.v_dag_run.max_retries_used is 'Most retries any task needed in the run.';
comment on column audit.v_dag_run.rows_generated is 'Raw rows written by generate_landing.';
comment on column audit.v_dag_run.rows_quarantined is 'Rows quarantined by clean_silver.';
comment on column audit.v_dag_run.rows_loaded is 'Rows loaded by load_warehouse.';
comment on column audit.v_dag_run.gates_failed is 'Quality gates whose last try failed.';
