-- One row per pipeline run, task and entity: how many rows came in, were cleaned,
-- quarantined, deduplicated and loaded. Counts reconcile: in = clean + quarantined.
create table audit.run_audit (
    run_id text not null,
    task text not null,
    entity text not null,
    run_date date,
    rows_in bigint,
    rows_clean bigint,
    rows_quarantined bigint,
    rows_deduplicated bigint,
    rows_loaded bigint,
    status text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    details jsonb,
    primary key (run_id, task, entity),
    constraint run_audit_status_ck check (status in ('running', 'success', 'failed'))
);

comment on table audit.run_audit is 'Row counts of each pipeline run, per task and entity (reconciliation and monitoring).';
comment on column audit.run_audit.run_id is 'Airflow run id (or the id given on the command line).';
comment on column audit.run_audit.task is 'Task name: generate, clean, validate, kpis, load.';
comment on column audit.run_audit.entity is 'Entity or table the counts are about.';
comment on column audit.run_audit.run_date is 'Landing (logical) date of the run.';
comment on column audit.run_audit.rows_in is 'Rows read by the task.';
comment on column audit.run_audit.rows_clean is 'Rows that passed cleaning.';
comment on column audit.run_audit.rows_quarantined is 'Rows set aside in quarantine with a reason.';
comment on column audit.run_audit.rows_deduplicated is 'Duplicate rows removed.';
comment on column audit.run_audit.rows_loaded is 'Rows written to the target.';
comment on column audit.run_audit.status is 'running, success or failed.';
comment on column audit.run_audit.started_at is 'When the task started working on the entity.';
comment on column audit.run_audit.finished_at is 'When it finished.';
comment on column audit.run_audit.details is 'Task-specific extra information (JSON).';
