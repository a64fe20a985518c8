-- Empty polls (a batch with no new messages has no offset ranges) were missing from
-- v_kafka_batch, which joined the ranges with an inner join; they now show with a null
-- topic, so the Pipeline health dashboard shows the micro-batches are alive.
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
left join audit.kafka_offsets as o on b.batch_id = o.batch_id;

comment on view audit.v_kafka_batch is
'One row per batch and topic partition (an empty poll: one row, topic null): the offset range read, when, how many messages.';
