"""The Kafka topic contract: one topic per landing entity, JSON events keyed by business key.

A source (our simulator, or a real system) publishes each record of entity ``E`` to the
topic ``<RETAIL_KAFKA_TOPIC_PREFIX>E`` (default ``retail.E``):

* **value**: one JSON object with exactly the entity's landing columns
  (:data:`retail_kpi.schemas.LANDING`), every value a JSON string or ``null`` — the same
  text as one line of a JSON-lines landing file;
* **key**: the record's business key (:data:`retail_kpi.schemas.BUSINESS_KEYS`,
  columns joined by ``|``), so every version of a record lands in one partition;
* **timestamp**: when the record arrived at the source (event time, UTC). Its UTC date is
  the record's *ingest date*, the Kafka analogue of a landing file's ``dt=`` folder; the
  record's business date comes from its own columns, as for files.

Reference entities (customers, products, inventory, fx_rates) are published as the
source's daily snapshot at the start of the day, transactional ones as they happen.
"""

from __future__ import annotations

from retail_kpi.config import env
from retail_kpi.schemas import BUSINESS_KEYS, ENTITIES, KEY_SEPARATOR, MAX_RECORD_BYTES

#: Partitions of a topic the simulator creates (a real source decides its own).
DEFAULT_PARTITIONS = 3
#: Messages larger than this are quarantined as poison (value bytes): the landing limit.
MAX_MESSAGE_BYTES = MAX_RECORD_BYTES


def prefix() -> str:
    return env("RETAIL_KAFKA_TOPIC_PREFIX")


def topic(entity: str) -> str:
    """Topic of a landing entity, e.g. ``retail.orders``."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; use one of {', '.join(ENTITIES)}")
    return f"{prefix()}{entity}"


def entity_of(topic_name: str) -> str:
    """Entity of a topic name (inverse of :func:`topic`)."""
    p = prefix()
    entity = topic_name[len(p) :] if topic_name.startswith(p) else ""
    if entity not in ENTITIES:
        raise ValueError(f"topic {topic_name!r} is not one of the {p}<entity> topics")
    return entity


def topics() -> dict[str, str]:
    """entity -> topic, for every landing entity."""
    return {e: topic(e) for e in ENTITIES}


def message_key(entity: str, record: dict[str, str | None]) -> str:
    """The Kafka key of a record: its business key columns joined by ``|``."""
    return KEY_SEPARATOR.join(str(record.get(c) or "") for c in BUSINESS_KEYS[entity])
