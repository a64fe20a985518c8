-- V300's view joined every try back to each task's last try, so a task that was
-- retried counted once per try. Count tasks from the last tries alone and take
-- the run's start from a separate aggregate over all tries.
create or replace view audit.v_dag_run as
with latest as (
    select distinct on (dag_id, run_id, task_id, map_index) *
    from audit.task_run
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
    max(l.try_number) - 1 as max_retries_used,
    max(l.rows_out) filter (where l.task_id = 'generate_landing') as rows_generated,
    max(l.rows_quarantined) filter (where l.task_id = 'clean_silver') as rows_quarantined,
    max(l.rows_out) filter (where l.task_id = 'load_warehouse') as rows_loaded,
    count(*) filter (where l.validation_outcome = 'failed') as gates_failed
from latest as l
inner join first_start as f on l.dag_id = f.dag_id and l.run_id = f.run_id
group by l.dag_id, l.run_id;
