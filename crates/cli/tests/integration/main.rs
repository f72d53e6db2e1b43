//! The whole stack as real processes: every service binary against a real
//! PostgreSQL (and a real S3 server for the ingest tests), and `aidoc up` as
//! a user runs it.

mod auth;
mod backup;
mod edge;
mod embeddings;
mod hostile;
mod ingest;
mod mcp;
mod monitor;
mod openapi;
mod stack;
mod support;
mod up;
mod web;
