//! The service runtime every aidoc service is built on: layered typed
//! configuration ([`config`]), logs and traces ([`telemetry`],
//! [`propagation`]), Prometheus metrics ([`metrics`]), liveness and readiness
//! ([`health`], [`admin`], [`healthcheck`]), graceful shutdown ([`shutdown`],
//! [`runtime`]), gRPC servers with health and reflection ([`grpc`]) and
//! resilient clients between services ([`client`]).

pub mod admin;
pub mod client;
pub mod config;
#[cfg(feature = "db")]
pub mod db;
pub mod events;
pub mod grpc;
pub mod health;
pub mod healthcheck;
pub mod info;
pub mod main_support;
pub mod metrics;
pub mod monitor;
pub mod propagation;
pub mod runtime;
pub mod secret;
pub mod shutdown;
pub mod telemetry;

pub use config::{BaseConfig, EnvMap, Environment, ServiceConfig, Settings};
pub use health::Health;
pub use runtime::Runtime;
pub use secret::Secret;
pub use shutdown::Shutdown;

/// The version every binary reports (`aidoc_build_info`, `/health/live`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
