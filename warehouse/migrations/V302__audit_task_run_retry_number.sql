-- A try is a retry only when Airflow started it because the previous try failed.
-- try_number also grows when a user clears a task to rerun it, so V301's
-- max(try_number) - 1 counted every clear as a retry used. The audit callbacks
-- now record each try's retry_number (retail_kpi.ops.audit.retry_number); rows
-- written before this migration have none and keep the old reading.
alter table audit.task_run add column if not exists retry_number integer;

comment on column audit.task_run.retry_number is
'Automatic retries the task had used when this try started: 0 for a first try and for the first try after a clear, n for the n-th retry.';
comment on column audit.task_run.business_date is
'Business date the task processed; for an asset-triggered run the date its asset event carries.';

create or replace view audit.v_dag_run as
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
    max(l.rows_out) filter (where l.task_id = 'generate_landing') as rows_generated,
    max(l.rows_quarantined) filter (where l.task_id = 'clean_silver') as rows_quarantined,
    max(l.rows_out) filter (where l.task_id = 'load_warehouse') as rows_loaded,
    count(*) filter (where l.validation_outcome = 'failed') as gates_failed
from latest as l
inner join first_start as f on l.dag_id = f.dag_id and l.run_id = f.run_id
group by l.dag_id, l.run_id;

comment on column audit.v_dag_run.max_retries_used is
'Most automatic retries any task needed in the run (a manual clear is not a retry).';
