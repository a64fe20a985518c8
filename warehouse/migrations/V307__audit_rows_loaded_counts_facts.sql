-- From this version on, load_warehouse's rows_out counts fact rows only: dimension
-- versions and KPI rows are not records of the day, and counting them made a run's
-- "rows loaded" exceed the rows it ingested. Rows audited before keep their old sum.
comment on column audit.task_run.rows_out is
'Rows the task wrote: clean rows for clean_silver, fact rows for load_warehouse.';
comment on column audit.v_dag_run.rows_loaded is
'Fact rows loaded by load_warehouse (dimension versions and KPI rows are not counted).';
