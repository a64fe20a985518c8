-- The Kafka offsets ledger: which offsets of which topic partitions each micro-batch
-- read. A batch's ranges are fixed when it is planned, so a retry, a kill or a cleared
-- task re-reads exactly the same messages; the next batch starts where the last one
-- planned ends. Written by retail_kpi.events.ledger; shown on the Pipeline health
-- dashboard through audit.v_kafka_batch.
create table if not exists audit.kafka_batch (
    batch_id bigint primary key,
    run_id text not null,
    planned_at timestamptz not null,
    status text not null,
    ingested_at timestamptz,
    ingested_by_run_id text,
    messages bigint,
    ingest_dates date[],
    constraint kafka_batch_status_ck check (status in ('planned', 'ingested'))
);

create index if not exists kafka_batch_run_idx on audit.kafka_batch (run_id);

create table if not exists audit.kafka_offsets (
    batch_id bigint not null references audit.kafka_batch (batch_id),
    topic text not null,
    -- Kafka's own name for it, though a keyword
    partition integer not null,  -- noqa: RF04
    start_offset bigint not null,
    end_offset bigint not null,
    messages bigint,
    primary key (batch_id, topic, partition),
    constraint kafka_offsets_range_ck check (0 <= start_offset and start_offset <= end_offset)
);

create table if not exists audit.kafka_batch_date (
    batch_id bigint not null references audit.kafka_batch (batch_id),
    topic text not null,
    ingest_date date not null,
    messages bigint not null,
    primary key (batch_id, topic, ingest_date)
);

comment on table audit.kafka_batch is
'Kafka micro-batches: one row per planned batch (its offset ranges in audit.kafka_offsets).';
comment on column audit.kafka_batch.batch_id is 'Batch number, 1, 2, ... in planning order.';
comment on column audit.kafka_batch.run_id is 'Airflow run that planned the batch.';
comment on column audit.kafka_batch.planned_at is 'When the ranges were fixed (UTC).';
comment on column audit.kafka_batch.status is 'planned (ranges fixed, not yet in the lake) or ingested.';
comment on column audit.kafka_batch.ingested_at is 'When the batch''s raw events were committed to the lake.';
comment on column audit.kafka_batch.ingested_by_run_id is 'Run that committed it (another run adopts a failed run''s batch).';
comment on column audit.kafka_batch.messages is 'Messages read (sum over its ranges).';
comment on column audit.kafka_batch.ingest_dates is 'Ingest dates (UTC dates of the messages'' timestamps) the batch touched.';
comment on table audit.kafka_offsets is
'Offset range [start_offset, end_offset) of every topic partition a batch read.';
comment on column audit.kafka_offsets.topic is 'Kafka topic, e.g. retail.orders.';
comment on column audit.kafka_offsets.partition is 'Partition number.';
comment on column audit.kafka_offsets.start_offset is 'First offset read.';
comment on column audit.kafka_offsets.end_offset is 'Offset after the last one read (exclusive).';
comment on column audit.kafka_offsets.messages is 'Messages read from the range (end - start unless the topic has gaps).';
comment on table audit.kafka_batch_date is 'Messages of a batch per topic and ingest date.';

create or replace view audit.v_kafka_batch as
select
    b.batch_id,
    b.run_id,
    b.status,
    b.planned_at,
    b.ingested_at,
    b.messages,
    b.ingest_dates,
    o.topic,
    o.partition,
    o.start_offset,
    o.end_offset,
    o.messages as partition_messages,
    extract(epoch from b.ingested_at - b.planned_at) as ingest_seconds
from audit.kafka_batch as b
inner join audit.kafka_offsets as o on b.batch_id = o.batch_id;

comment on view audit.v_kafka_batch is
'One row per batch and topic partition: the offset range read, when, and how many messages.';
