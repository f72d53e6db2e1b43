//! The search schema's migrations, in order. The search schema references
//! `catalog.documents`, so the catalog migrations run first.

use aidoc_common::db::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 20261125010001, name: "search", sql: include_str!("../migrations/20261125010001_search.sql") },
    Migration { version: 20261125010002, name: "chunks", sql: include_str!("../migrations/20261125010002_chunks.sql") },
    Migration {
        version: 20261126010001,
        name: "embedding_reuse",
        sql: include_str!("../migrations/20261126010001_embedding_reuse.sql"),
    },
];
