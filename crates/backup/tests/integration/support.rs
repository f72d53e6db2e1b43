use aidoc_backup::Engine;
use aidoc_backup::config::{BackupConfig, BackupServiceConfig};
use aidoc_common::Secret;
use aidoc_common::db::DatabaseConfig;
use aidoc_storage::{Backend, FsConfig, ObjectStore, StorageConfig, testing::S3Server};
use aidoc_testkit::{TestDb, TestPostgres};
use std::path::Path;

pub async fn migrated_db() -> TestDb {
    TestDb::new(&[("catalog", aidoc_backup::db::migrations::CATALOG), ("search", aidoc_backup::db::migrations::SEARCH)])
        .await
}

/// A database with no schema at all (an empty system).
pub async fn empty_db() -> TestDb {
    TestDb::new(&[]).await
}

pub fn fs_storage(root: &Path) -> StorageConfig {
    StorageConfig { backend: Backend::Fs, fs: FsConfig { root: root.to_path_buf() }, ..StorageConfig::default() }
}

pub fn s3_storage(s3: &S3Server, bucket: &str) -> StorageConfig {
    StorageConfig { backend: Backend::S3, s3: s3.config(bucket), ..StorageConfig::default() }
}

pub fn config(db: &TestDb, docs: StorageConfig, target: StorageConfig, work: &Path) -> BackupServiceConfig {
    BackupServiceConfig {
        database: DatabaseConfig { url: Secret::new(db.url.clone()), ..DatabaseConfig::default() },
        storage: docs,
        backup: BackupConfig {
            target,
            pg_bin_dir: TestPostgres::shared().bin_dir().to_path_buf(),
            work_dir: work.to_path_buf(),
            ..BackupConfig::default()
        },
        ..BackupServiceConfig::default()
    }
}

pub async fn engine(cfg: BackupServiceConfig) -> Engine {
    Engine::open(cfg).await.expect("engine")
}

/// A small library: a category tree, documents with versions and tags, chunks with vectors, and their blobs in
/// `docs`. Returns the blob keys.
pub async fn populate(db: &TestDb, docs: &dyn ObjectStore, documents: usize) -> Vec<String> {
    let client = db.client().await;
    client
        .batch_execute(
            "INSERT INTO catalog.categories (id, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'Ops');
             INSERT INTO catalog.categories (id, name, parent_id)
                 VALUES ('00000000-0000-0000-0000-00000000000b', 'Runbooks', '00000000-0000-0000-0000-00000000000a');",
        )
        .await
        .expect("categories");
    let mut keys = Vec::new();
    for i in 0..documents {
        let body =
            format!("# Document {i}\n\nThe queue reports PPR-{i:04} when a worker loses its lease.\n").repeat(50 + i);
        let stored = aidoc_storage::put_content_addressed(docs, aidoc_storage::bytes_stream(body.clone()), u64::MAX)
            .await
            .expect("blob");
        let id = uuid::Uuid::new_v4();
        client
            .execute(
                "INSERT INTO catalog.documents (id, title, file_name, media_type, size_bytes, sha256, blob_key, category_id, status, chunk_count)
                 VALUES ($1, $2, $3, 'text/markdown', $4, $5, $6, '00000000-0000-0000-0000-00000000000b', 'ready', 3)",
                &[&id, &format!("Document {i}"), &format!("doc-{i}.md"), &(stored.size as i64), &stored.sha256, &stored.key],
            )
            .await
            .expect("document");
        client
            .execute(
                "INSERT INTO catalog.document_versions (document_id, version, sha256, blob_key, size_bytes, file_name)
                 VALUES ($1, 1, $2, $3, $4, $5)",
                &[&id, &stored.sha256, &stored.key, &(stored.size as i64), &format!("doc-{i}.md")],
            )
            .await
            .expect("version");
        client
            .execute(
                "INSERT INTO catalog.document_tags (document_id, tag) VALUES ($1, 'ops'), ($1, $2)",
                &[&id, &format!("t{i}")],
            )
            .await
            .expect("tags");
        for c in 0..3i32 {
            let text = format!("chunk {c} of document {i}: PPR-{i:04} lease");
            client
                .execute(
                    "INSERT INTO search.chunks (id, document_id, chunk_index, text, tsv, embedding, dims, model_id)
                     VALUES ($1, $2, $3, $4, to_tsvector('simple', $4), array_fill(($3 + 1)::real / 10, ARRAY[384])::vector, 384, 'test-model')",
                    &[&uuid::Uuid::new_v4(), &id, &c, &text],
                )
                .await
                .expect("chunk");
        }
        keys.push(stored.key);
    }
    keys
}

/// (table, rows, digest) of what a restore must bring back, read the same way as by the backup itself but with
/// independent SQL.
pub async fn fingerprint(db_url: &str) -> Vec<(String, i64, String)> {
    let client =
        aidoc_common::db::connect(&Secret::new(db_url), std::time::Duration::from_secs(5)).await.expect("connect");
    let mut out = Vec::new();
    for (table, key) in [
        ("catalog.documents", "id::text || sha256 || blob_key || title || status"),
        ("catalog.document_versions", "document_id::text || version || sha256"),
        ("catalog.document_tags", "document_id::text || tag"),
        ("catalog.categories", "id::text || name || coalesce(parent_id::text, '')"),
        ("search.chunks", "id::text || text || embedding::text || tsv::text"),
    ] {
        let row = client
            .query_one(
                &format!("SELECT count(*), coalesce(md5(string_agg({key}, ',' ORDER BY {key})), '') FROM {table}"),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"));
        out.push((table.to_owned(), row.get(0), row.get(1)));
    }
    out
}

/// key → SHA-256 of every object under `prefix`.
pub async fn objects(store: &dyn ObjectStore, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in store.list(prefix).await.expect("list") {
        let body = aidoc_storage::collect_bytes(store.get(&o.key).await.expect("get")).await.expect("read");
        out.push((o.key, aidoc_backup::files::sha256_hex(&body)));
    }
    out
}
