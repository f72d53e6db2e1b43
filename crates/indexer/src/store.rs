//! The search index in PostgreSQL: replacing a document's chunks in one
//! transaction, and the embedding model's registration.

use aidoc_text::chunk::Chunk;
use deadpool_postgres::Pool;
use pgvector::Vector;
use std::collections::HashMap;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

/// One chunk ready to be written.
pub struct IndexedChunk {
    pub chunk: Chunk,
    pub tsvector: String,
    pub language: String,
    pub embedding: Vec<f32>,
    /// SHA-256 of the text the vector was computed from ([`embedded_digest`]).
    pub embedded_sha256: Vec<u8>,
}

/// The digest under which a vector computed from `text` is stored and found again.
pub fn embedded_digest(text: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).to_vec()
}

/// Vectors already stored under `model_id` for any of `digests` (one per digest found).
pub async fn reusable_vectors(
    pool: &Pool,
    model_id: &str,
    digests: &[Vec<u8>],
) -> Result<HashMap<Vec<u8>, Vec<f32>>, StoreError> {
    if digests.is_empty() {
        return Ok(HashMap::new());
    }
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT DISTINCT ON (embedded_sha256) embedded_sha256, embedding FROM search.chunks
             WHERE embedded_sha256 = ANY($1) AND model_id = $2",
            &[&digests, &model_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vector>(1).to_vec())).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the document no longer exists")]
    DocumentGone,
    #[error("database: {0}")]
    Db(String),
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
            return StoreError::DocumentGone;
        }
        StoreError::Db(e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_else(|| e.to_string()))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Db(e.to_string())
    }
}

/// Replaces every chunk of `document` with `chunks`, atomically: readers see
/// the old set or the new one, and running it twice leaves one copy.
pub async fn replace_chunks(
    pool: &Pool,
    document: Uuid,
    page_count: u32,
    model_id: &str,
    outline: &serde_json::Value,
    chunks: &[IndexedChunk],
) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // Two workers finishing the same document (a lease taken over) write
    // one after the other.
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))", &[&document.to_string()]).await?;
    tx.execute("DELETE FROM search.chunks WHERE document_id = $1", &[&document]).await?;
    let insert = tx
        .prepare(
            "INSERT INTO search.chunks (id, document_id, chunk_index, text, heading_path, page_start, page_end,
                block_kinds, token_count, language, tsv, embedding, dims, model_id, embedded_sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::tsvector, $12, $13, $14, $15)",
        )
        .await?;
    let rows: Vec<_> = chunks
        .iter()
        .map(|c| {
            (
                Uuid::now_v7(),
                c.chunk.index as i32,
                c.chunk.page_start as i32,
                c.chunk.page_end as i32,
                c.chunk.token_count as i32,
                c.embedding.len() as i32,
                Vector::from(c.embedding.clone()),
            )
        })
        .collect();
    let params: Vec<[&(dyn ToSql + Sync); 15]> = chunks
        .iter()
        .zip(&rows)
        .map(|(c, r)| {
            [
                &r.0 as &(dyn ToSql + Sync),
                &document,
                &r.1,
                &c.chunk.text,
                &c.chunk.heading_path,
                &r.2,
                &r.3,
                &c.chunk.block_kinds,
                &r.4,
                &c.language,
                &c.tsvector,
                &r.6,
                &r.5,
                &model_id,
                &c.embedded_sha256,
            ]
        })
        .collect();
    // Pipelined: the statements go out without waiting for each answer.
    let mut pending = Vec::with_capacity(params.len());
    for p in &params {
        pending.push(tx.execute(&insert, p));
    }
    futures::future::try_join_all(pending).await?;
    tx.execute(
        "INSERT INTO search.indexed_documents (document_id, chunk_count, page_count, model_id, outline, indexed_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (document_id) DO UPDATE SET chunk_count = EXCLUDED.chunk_count,
            page_count = EXCLUDED.page_count, model_id = EXCLUDED.model_id, outline = EXCLUDED.outline,
            indexed_at = now()",
        &[&document, &(chunks.len() as i32), &(page_count as i32), &model_id, outline],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records the active embedding model, makes sure an HNSW index exists for
/// its vector length, and returns how many chunks carry vectors from
/// another model (they must be re-embedded).
pub async fn register_model(pool: &Pool, model_id: &str, dims: usize) -> Result<u64, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('aidoc.search.model', 7))", &[]).await?;
    tx.execute("UPDATE search.embedding_models SET active = false WHERE id <> $1 AND active", &[&model_id]).await?;
    tx.execute(
        "INSERT INTO search.embedding_models (id, dimensions, revision, active) VALUES ($1, $2, $3, true)
         ON CONFLICT (id) DO UPDATE SET active = true",
        &[&model_id, &(dims as i32), &model_id],
    )
    .await?;
    let dims = dims as i32;
    // The index name and cast carry the length; `dims` is a validated integer.
    tx.batch_execute(&format!(
        "CREATE INDEX IF NOT EXISTS chunks_embedding_{dims} ON search.chunks
         USING hnsw ((embedding::vector({dims})) vector_cosine_ops) WHERE dims = {dims}"
    ))
    .await?;
    let stale: i64 = tx
        .query_one("SELECT count(DISTINCT document_id) FROM search.chunks WHERE model_id <> $1", &[&model_id])
        .await?
        .get(0);
    tx.commit().await?;
    Ok(stale.max(0) as u64)
}

/// Documents indexed with another model, to queue for re-embedding.
pub async fn stale_documents(pool: &Pool, model_id: &str) -> Result<Vec<Uuid>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT document_id FROM search.indexed_documents WHERE model_id <> $1 ORDER BY document_id",
            &[&model_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
