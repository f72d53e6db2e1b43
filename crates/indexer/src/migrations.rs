//! The search schema's migrations, in order. Never edit a released one.

use aidoc_common::db::Migration;

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 20261125010001,
    name: "search",
    sql: include_str!("../migrations/20261125010001_search.sql"),
}];
