//! The catalog schema's migrations, in order. Never edit a released one:
//! add a new file (expand/contract).

use aidoc_common::db::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 20261125000001,
        name: "catalog",
        sql: include_str!("../migrations/20261125000001_catalog.sql"),
    },
    Migration { version: 20261125000002, name: "ingest", sql: include_str!("../migrations/20261125000002_ingest.sql") },
    Migration {
        version: 20261126000001,
        name: "identity",
        sql: include_str!("../migrations/20261126000001_identity.sql"),
    },
    Migration {
        version: 20261126000010,
        name: "blob_deletions",
        sql: include_str!("../migrations/20261126000010_blob_deletions.sql"),
    },
    Migration {
        version: 20261126000020,
        name: "monitor",
        sql: include_str!("../migrations/20261126000020_monitor.sql"),
    },
    Migration {
        version: 20261126000030,
        name: "document_blob_index",
        sql: include_str!("../migrations/20261126000030_document_blob_index.sql"),
    },
];
