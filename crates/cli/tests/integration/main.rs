//! The whole stack as real processes: every service binary against a real
//! PostgreSQL, and `aidoc up` as a user runs it.

mod stack;
mod support;
mod up;
