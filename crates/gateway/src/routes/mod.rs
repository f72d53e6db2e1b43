//! REST routes, one module per resource.

pub mod health;
pub mod system;
