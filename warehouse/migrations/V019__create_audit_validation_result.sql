-- One row per expectation evaluated by a Great Expectations gate.
create table audit.validation_result (
    run_id text not null,
    suite text not null,
    expectation text not null,
    "column" text,
    is_blocking boolean not null,
    success boolean not null,
    observed_value text,
    unexpected_count bigint,
    details jsonb,
    validated_at timestamptz not null
);

create index validation_result_run_idx on audit.validation_result (run_id, suite);

comment on table audit.validation_result is 'Data-quality results: one row per expectation checked in a run.';
comment on column audit.validation_result.run_id is 'Pipeline run id.';
comment on column audit.validation_result.suite is 'Expectation suite (named after the table it guards).';
comment on column audit.validation_result.expectation is 'Expectation type, e.g. expect_column_values_to_not_be_null.';
comment on column audit.validation_result."column" is 'Column checked, when the expectation is about one column.';
comment on column audit.validation_result.is_blocking is 'True when a failure stops the pipeline; false = warning only.';
comment on column audit.validation_result.success is 'True when the expectation held.';
comment on column audit.validation_result.observed_value is 'Observed value reported by Great Expectations, as text.';
comment on column audit.validation_result.unexpected_count is 'Number of rows that broke the expectation.';
comment on column audit.validation_result.details is 'Full result of the expectation (JSON).';
comment on column audit.validation_result.validated_at is 'When the check ran (UTC).';
