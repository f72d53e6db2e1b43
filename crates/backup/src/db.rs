//! What the backup reads from and does to the database besides `pg_dump`/`pg_restore`: the snapshot the dump runs
//! in, the blob manifest, row counts and digests of the key tables, and the migrations of both schemas.

use crate::error::{BackupError, Result};
use crate::layout::{BlobEntry, BlobManifest, Contents, Versions};
use aidoc_common::db::Migration;
use std::collections::BTreeMap;
use tokio_postgres::Client;

/// The schemas aidoc owns, in dependency order (search references catalog).
pub const SCHEMAS: [&str; 2] = ["catalog", "search"];
/// Extensions the schemas need; they live outside the dumped schemas and are created before a restore.
pub const EXTENSIONS: [&str; 2] = ["vector", "pg_trgm"];

/// The migrations this release applies, generated from `crates/{api,indexer}/migrations` by `build.rs`.
pub mod migrations {
    use aidoc_common::db::Migration;
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

pub fn migration_sets() -> [(&'static str, &'static [Migration]); 2] {
    [("catalog", migrations::CATALOG), ("search", migrations::SEARCH)]
}

/// Order-independent digests of the tables a restore must bring back exactly. A digest is skipped when its table
/// does not exist (an older schema).
const DIGESTS: [(&str, &str); 3] = [
    (
        "catalog.documents",
        "SELECT coalesce(md5(string_agg(id::text || ':' || sha256 || ':' || blob_key, ',' ORDER BY id)), '') FROM catalog.documents",
    ),
    (
        "catalog.document_versions",
        "SELECT coalesce(md5(string_agg(document_id::text || ':' || version || ':' || sha256, ',' ORDER BY document_id, version)), '') FROM catalog.document_versions",
    ),
    (
        "search.chunks",
        "SELECT coalesce(md5(string_agg(id::text || ':' || md5(text), ',' ORDER BY id)), '') FROM search.chunks",
    ),
];

/// Quotes an identifier for SQL.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `schema.table` of every table in aidoc's schemas.
pub async fn tables(client: &Client) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = ANY($1) ORDER BY 1",
            &[&SCHEMAS.to_vec()],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Row counts and digests of what `client` sees now (inside a snapshot when one is open).
pub async fn contents(client: &Client) -> Result<Contents> {
    let tables = tables(client).await?;
    let mut row_counts = BTreeMap::new();
    for t in &tables {
        let (schema, table) = t.split_once('.').unwrap_or(("", t));
        let n: i64 =
            client.query_one(&format!("SELECT count(*) FROM {}.{}", ident(schema), ident(table)), &[]).await?.get(0);
        row_counts.insert(t.clone(), n);
    }
    let mut digests = BTreeMap::new();
    for (table, sql) in DIGESTS {
        if tables.iter().any(|t| t == table) {
            let d: String = client.query_one(sql, &[]).await?.get(0);
            digests.insert(table.to_owned(), d);
        }
    }
    Ok(Contents { row_counts, digests, blob_count: 0, blob_bytes: 0 })
}

/// Every blob the catalog references (current documents and all their versions), one entry per key.
pub async fn blob_manifest(client: &Client) -> Result<BlobManifest> {
    let tables = tables(client).await?;
    if !tables.iter().any(|t| t == "catalog.documents") {
        return Ok(BlobManifest::default());
    }
    let versions = if tables.iter().any(|t| t == "catalog.document_versions") {
        " UNION SELECT blob_key, sha256, size_bytes FROM catalog.document_versions"
    } else {
        ""
    };
    let rows = client
        .query(&format!("SELECT blob_key, sha256, size_bytes FROM catalog.documents{versions} ORDER BY 1, 2"), &[])
        .await?;
    let mut blobs: Vec<BlobEntry> = Vec::with_capacity(rows.len());
    for r in rows {
        let entry = BlobEntry {
            key: r.get(0),
            sha256: r.get::<_, String>(1).to_ascii_lowercase(),
            size: r.get::<_, i64>(2).max(0) as u64,
        };
        match blobs.last() {
            Some(prev) if prev.key == entry.key => {
                tracing::warn!(key = %entry.key, "two rows name one blob with different checksums or sizes; keeping the first");
            }
            _ => blobs.push(entry),
        }
    }
    Ok(BlobManifest { blobs })
}

/// Server, extension and migration versions.
pub async fn versions(client: &Client) -> Result<Versions> {
    let server: String = client.query_one("SHOW server_version", &[]).await?.get(0);
    let mut extensions = BTreeMap::new();
    for r in client
        .query("SELECT extname, extversion FROM pg_extension WHERE extname = ANY($1)", &[&EXTENSIONS.to_vec()])
        .await?
    {
        extensions.insert(r.get(0), r.get(1));
    }
    let tables = tables(client).await?;
    let mut migrations = BTreeMap::new();
    for schema in SCHEMAS {
        if tables.iter().any(|t| *t == format!("{schema}.schema_migrations")) {
            let rows = client.query(&format!("SELECT version FROM {schema}.schema_migrations ORDER BY 1"), &[]).await?;
            migrations.insert(schema.to_owned(), rows.iter().map(|r| r.get(0)).collect());
        }
    }
    Ok(Versions { aidoc: aidoc_common::VERSION.into(), server, migrations, extensions, pg_dump: String::new() })
}

/// A read-only REPEATABLE READ transaction whose snapshot is exported for `pg_dump --snapshot`; it must stay open
/// until the dump has finished. `client` must not be used for anything else meanwhile.
pub async fn begin_snapshot(client: &Client) -> Result<String> {
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    Ok(client.query_one("SELECT pg_export_snapshot()", &[]).await?.get(0))
}

pub async fn end_snapshot(client: &Client) -> Result<()> {
    client.batch_execute("COMMIT").await?;
    Ok(())
}

/// Why the database is not empty (documents, categories or chunks present), or `None`.
pub async fn non_empty_reason(client: &Client) -> Result<Option<String>> {
    let tables = tables(client).await?;
    let mut found = Vec::new();
    for t in ["catalog.documents", "catalog.categories", "search.chunks"] {
        if tables.iter().any(|x| x == t) {
            let n: i64 = client.query_one(&format!("SELECT count(*) FROM {t}"), &[]).await?.get(0);
            if n > 0 {
                found.push(format!("{n} rows in {t}"));
            }
        }
    }
    Ok((!found.is_empty()).then(|| found.join(", ")))
}

/// Drops aidoc's schemas (the restore brings them back whole).
pub async fn drop_schemas(client: &Client) -> Result<()> {
    for schema in SCHEMAS.iter().rev() {
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    }
    Ok(())
}

/// Gathers the statistics of every table in aidoc's schemas. `pg_restore` brings rows back, not statistics, and
/// keyword search plans its queries from the `tsv` column's lexeme statistics: without this a restored library
/// would rank differently until autovacuum got round to it.
pub async fn analyze(client: &Client) -> Result<()> {
    for table in tables(client).await? {
        let (schema, name) = table.split_once('.').unwrap_or(("public", table.as_str()));
        client.batch_execute(&format!("ANALYZE {}.{}", ident(schema), ident(name))).await?;
    }
    Ok(())
}

pub async fn create_extensions(client: &Client) -> Result<()> {
    for ext in EXTENSIONS {
        client.batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS {}", ident(ext))).await?;
    }
    Ok(())
}

/// Applies this release's migrations of both schemas; returns the versions applied now.
pub async fn migrate(client: &mut Client) -> Result<Vec<i64>> {
    let mut applied = Vec::new();
    for (schema, list) in migration_sets() {
        if list.is_empty() {
            return Err(BackupError::NoMigrations);
        }
        applied.extend(aidoc_common::db::migrate(client, schema, list).await?);
    }
    Ok(applied)
}

/// Migrations a backup has that this release does not know (it comes from a newer release).
pub fn unknown_migrations(versions: &Versions) -> Vec<String> {
    let mut unknown = Vec::new();
    for (schema, list) in migration_sets() {
        for v in versions.migrations.get(schema).into_iter().flatten() {
            if !list.iter().any(|m| m.version == *v) {
                unknown.push(format!("{schema} {v}"));
            }
        }
    }
    unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_migration_lists_are_embedded_in_version_order() {
        for (schema, list) in migration_sets() {
            assert!(!list.is_empty(), "{schema}: no migrations embedded");
            assert!(list.windows(2).all(|w| w[0].version < w[1].version), "{schema} out of order");
        }
        assert_eq!(migrations::CATALOG[0].name, "catalog");
        assert!(migrations::CATALOG[0].sql.contains("CREATE TABLE catalog.documents"));
        assert!(migrations::SEARCH.iter().any(|m| m.sql.contains("CREATE TABLE search.chunks")));
    }

    #[test]
    fn a_backup_from_a_newer_release_is_recognised() {
        let mut v = Versions::default();
        v.migrations.insert("catalog".into(), migrations::CATALOG.iter().map(|m| m.version).collect());
        assert!(unknown_migrations(&v).is_empty());
        v.migrations.insert("search".into(), vec![99991231000000]);
        assert_eq!(unknown_migrations(&v), vec!["search 99991231000000"]);
    }
}
