//! # aidoc-testkit
//!
//! Real components for tests, never mocks: one PostgreSQL with pgvector per
//! test process ([`pg`]) with an isolated database per test cloned from a
//! migrated template, the real service binaries on free ports ([`service`]),
//! a real OTLP trace receiver ([`otlp`]) and an OpenAI-compatible embeddings
//! server that runs the real local model ([`embeddings`]).

pub mod embeddings;
pub mod nginx;
pub mod otlp;
pub mod paths;
pub mod pg;
pub mod service;

pub use pg::{TestDb, TestPostgres};
pub use service::{ServiceProcess, free_port};
pub use tokio_postgres;
