//! # aidoc-cli
//!
//! The `aidoc` command. `aidoc up` runs the whole stack locally on embedded
//! defaults; [`postgres`] and [`supervisor`] are also used by the test kit.

pub mod postgres;
pub mod supervisor;
pub mod up;
