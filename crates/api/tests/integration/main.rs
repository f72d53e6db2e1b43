//! The catalog and the job queue, through gRPC against the real `aidoc-api`
//! binary and a real PostgreSQL.

mod catalog;
mod jobs;
mod monitor;
mod support;
