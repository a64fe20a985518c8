-- Tables created later by retail_etl in the BI schemas are readable by bi_reader
-- without another grant; functions are not executable by PUBLIC by default.
alter default privileges in schema dw, mart, audit grant select on tables to bi_reader;
alter default privileges revoke execute on functions from public;
