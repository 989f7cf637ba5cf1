//! Public API behaviour: trail requests, ingest rules, readers and writers.

mod analysis;
mod breach;
mod conditions;
mod parquet_io;
mod persist;
mod readers;
mod trail_report;
mod trail_request;
mod writers;
mod zones;
