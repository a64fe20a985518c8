"""Kafka as a source: the topic contract, the offsets ledger and micro-batch planning."""
