//! `IndexerService`: keyword, semantic and hybrid search over the chunks,
//! and reading chunks back for citations and agents.
//!
//! Keyword search matches the lexemes the indexer wrote (see `aidoc-text`)
//! and ranks as [`crate::keyword`] describes; semantic search walks the HNSW index of the
//! active model's vectors; hybrid fuses both lists by reciprocal rank.

use crate::config::SearchConfig;
use crate::embedding::EmbedPool;
use crate::keyword::{KeywordQuery, StatsCache};
use crate::metrics as m;
use aidoc_proto::ErrorCode;
use aidoc_proto::indexer::v1 as pb;
use aidoc_text::tokenize::{Token, query_tokens};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deadpool_postgres::Pool;
use pgvector::Vector;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Instant;
use tokio_postgres::types::ToSql;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct Search {
    pub pool: Pool,
    pub model: crate::ModelSlot,
    pub cfg: SearchConfig,
    /// Lexeme statistics for planning keyword queries.
    pub stats: StatsCache,
}

type Param = Box<dyn ToSql + Sync + Send>;

/// SQL conditions on `c` (chunks) and `d` (documents) with their parameters.
struct Filters {
    sql: String,
    params: Vec<Param>,
    needs_documents: bool,
}

fn parse_ids(raw: &[String], what: &str) -> Result<Vec<Uuid>, Status> {
    raw.iter()
        .map(|s| {
            Uuid::parse_str(s)
                .map_err(|_| ErrorCode::InvalidArgument.status(format!("{what}: `{s}` is not a valid id")))
        })
        .collect()
}

fn parse_time(raw: &str, what: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, Status> {
    if raw.is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .map_err(|_| ErrorCode::InvalidArgument.status(format!("{what}: `{raw}` is not an RFC 3339 time")))
}

impl Filters {
    /// Conditions numbered from `$first`.
    fn build(f: &pb::SearchFilters, first: usize) -> Result<Filters, Status> {
        let mut sql = String::new();
        let mut params: Vec<Param> = Vec::new();
        let mut needs_documents = false;
        let next = |params: &mut Vec<Param>, p: Param| {
            params.push(p);
            first + params.len() - 1
        };
        if !f.document_ids.is_empty() {
            let n = next(&mut params, Box::new(parse_ids(&f.document_ids, "document_ids")?));
            sql.push_str(&format!(" AND c.document_id = ANY(${n}::uuid[])"));
        }
        if !f.languages.is_empty() {
            let langs: Vec<String> = f.languages.iter().map(|l| l.to_lowercase()).collect();
            let n = next(&mut params, Box::new(langs));
            sql.push_str(&format!(" AND c.language = ANY(${n}::text[])"));
        }
        if !f.category_ids.is_empty() {
            needs_documents = true;
            let n = next(&mut params, Box::new(parse_ids(&f.category_ids, "category_ids")?));
            sql.push_str(&format!(" AND d.category_id = ANY(${n}::uuid[])"));
        }
        if !f.tags.is_empty() {
            let mut tags: Vec<String> =
                f.tags.iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
            tags.sort();
            tags.dedup();
            let n = next(&mut params, Box::new(tags));
            sql.push_str(&format!(
                " AND (SELECT count(*) FROM catalog.document_tags t WHERE t.document_id = c.document_id AND t.tag = ANY(${n}::text[])) = cardinality(${n}::text[])"
            ));
        }
        if let Some(t) = parse_time(&f.created_after, "created_after")? {
            needs_documents = true;
            let n = next(&mut params, Box::new(t));
            sql.push_str(&format!(" AND d.created_at >= ${n}"));
        }
        if let Some(t) = parse_time(&f.created_before, "created_before")? {
            needs_documents = true;
            let n = next(&mut params, Box::new(t));
            sql.push_str(&format!(" AND d.created_at < ${n}"));
        }
        Ok(Filters { sql, params, needs_documents })
    }

    fn join(&self) -> &'static str {
        if self.needs_documents { " JOIN catalog.documents d ON d.id = c.document_id" } else { "" }
    }

    fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

/// Where a cursor continues: an offset into the fused list of one query.
#[derive(Serialize, Deserialize)]
struct SearchCursor {
    o: usize,
    h: u64,
}

fn query_hash(req: &pb::SearchRequest, mode: pb::SearchMode) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    req.query.hash(&mut h);
    (mode as i32).hash(&mut h);
    if let Some(f) = &req.filters {
        (&f.category_ids, &f.tags, &f.document_ids, &f.languages, &f.created_after, &f.created_before).hash(&mut h);
    }
    h.finish()
}

/// One ranked list's entry.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    id: Uuid,
    score: f64,
}

/// Reciprocal rank fusion: each list contributes `1 / (k + rank)`.
fn fuse(keyword: &[Ranked], semantic: &[Ranked], k: f64) -> Vec<(Uuid, f64, u32, u32)> {
    let mut by_id: HashMap<Uuid, (f64, u32, u32)> = HashMap::new();
    for (i, r) in keyword.iter().enumerate() {
        let e = by_id.entry(r.id).or_insert((0.0, 0, 0));
        e.0 += 1.0 / (k + (i + 1) as f64);
        e.1 = (i + 1) as u32;
    }
    for (i, r) in semantic.iter().enumerate() {
        let e = by_id.entry(r.id).or_insert((0.0, 0, 0));
        e.0 += 1.0 / (k + (i + 1) as f64);
        e.2 = (i + 1) as u32;
    }
    let mut out: Vec<_> = by_id.into_iter().map(|(id, (s, kr, sr))| (id, s, kr, sr)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn db_error(e: impl std::fmt::Display) -> Status {
    let text = e.to_string();
    if text.contains("invalid byte sequence") {
        // PostgreSQL text cannot hold NUL: a caller's input, not a failure.
        return ErrorCode::InvalidArgument.status("text must not contain NUL (\\0) characters");
    }
    tracing::error!(error = %e, "search query failed");
    if text.contains("statement timeout") {
        ErrorCode::Timeout.status("the search took too long")
    } else {
        ErrorCode::Unavailable.status("the search index is unavailable")
    }
}

/// The semantic list over the HNSW index of `dims`-long vectors: `$1` the
/// query vector, `$2` the depth.
pub fn semantic_sql(dims: usize, join: &str, cond: &str) -> String {
    format!(
        "SELECT c.id, (1 - (c.embedding::vector({dims}) <=> $1))::float8 AS score
         FROM search.chunks c{join}
         WHERE c.dims = {dims}{cond}
         ORDER BY c.embedding::vector({dims}) <=> $1 LIMIT $2"
    )
}

/// Reads the page of hits back with their documents' titles.
pub const HITS_SQL: &str =
    "SELECT c.id, c.document_id, d.title, c.heading_path, c.page_start, c.page_end, c.text, c.chunk_index
     FROM search.chunks c JOIN catalog.documents d ON d.id = c.document_id WHERE c.id = ANY($1)";

impl Search {
    fn embed(&self) -> Result<&EmbedPool, Status> {
        match self.model.get() {
            Some(Ok(p)) => Ok(p),
            Some(Err(e)) => Err(ErrorCode::Unavailable.status(format!("semantic search is unavailable: {e}"))),
            None => Err(ErrorCode::Unavailable.status("semantic search is unavailable: the model is loading")),
        }
    }

    async fn keyword(
        &self,
        tokens: &[Token],
        filters: &pb::SearchFilters,
        depth: usize,
    ) -> Result<Vec<Ranked>, Status> {
        let client = self.pool.get().await.map_err(db_error)?;
        let stats = self.stats.get(&client).await;
        let Some(q) = KeywordQuery::plan(tokens, stats.as_deref(), self.cfg.keyword_candidate_budget as f64) else {
            return Ok(Vec::new());
        };
        let f = Filters::build(filters, q.first_filter_param())?;
        let sql = q.sql(f.join(), &f.sql);
        let rerank = (self.cfg.keyword_rerank.max(depth)) as i64;
        let depth = depth as i64;
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&q.any, &q.candidates, &rerank, &depth];
        params.extend(q.weighted.iter().map(|(t, _)| t as &(dyn ToSql + Sync)));
        params.extend(f.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)));
        let rows = client.query(&sql, &params).await.map_err(db_error)?;
        Ok(rows.iter().map(|r| Ranked { id: r.get(0), score: r.get(1) }).collect())
    }

    async fn semantic(&self, query: &str, filters: &pb::SearchFilters, depth: usize) -> Result<Vec<Ranked>, Status> {
        let embed = self.embed()?;
        let vector = embed.embed_query(query).await.map_err(|e| {
            tracing::error!(error = %e, "query embedding failed");
            ErrorCode::Unavailable.status("the embedding model is unavailable")
        })?;
        let dims = vector.len();
        let f = Filters::build(filters, 3)?;
        let sql = semantic_sql(dims, f.join(), &f.sql);
        let v = Vector::from(vector);
        let depth = depth as i64;
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&v, &depth];
        params.extend(f.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)));
        let mut client = self.pool.get().await.map_err(db_error)?;
        let tx = client.transaction().await.map_err(db_error)?;
        let mut settings = format!("SET LOCAL hnsw.ef_search = {}", self.cfg.ef_search.max(depth as u32).min(1000));
        if !f.is_empty() {
            // Filtered: keep walking the graph until enough rows pass.
            settings.push_str("; SET LOCAL hnsw.iterative_scan = relaxed_order");
        }
        tx.batch_execute(&settings).await.map_err(db_error)?;
        let rows = tx.query(&sql, &params).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        let mut out: Vec<Ranked> = rows.iter().map(|r| Ranked { id: r.get(0), score: r.get(1) }).collect();
        // relaxed_order may return slightly out of order.
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(out)
    }
}

const CHUNK_COLUMNS: &str = "c.id, c.document_id, c.chunk_index, c.text, c.heading_path, c.page_start, c.page_end, c.block_kinds, c.token_count";

fn chunk_of(r: &tokio_postgres::Row) -> pb::Chunk {
    let id: Uuid = r.get(0);
    let doc: Uuid = r.get(1);
    pb::Chunk {
        chunk_id: id.to_string(),
        document_id: doc.to_string(),
        chunk_index: r.get::<_, i32>(2).max(0) as u32,
        text: r.get(3),
        heading_path: r.get(4),
        page_start: r.get::<_, i32>(5).max(0) as u32,
        page_end: r.get::<_, i32>(6).max(0) as u32,
        block_kinds: r.get(7),
        token_count: r.get::<_, i32>(8).max(0) as u32,
    }
}

#[tonic::async_trait]
impl pb::indexer_service_server::IndexerService for Search {
    async fn search(&self, request: Request<pb::SearchRequest>) -> Result<Response<pb::SearchResponse>, Status> {
        let started = Instant::now();
        let req = request.into_inner();
        let query = req.query.trim();
        if query.is_empty() {
            return Err(ErrorCode::InvalidArgument.status("the query is empty"));
        }
        if query.chars().count() > self.cfg.max_query_chars {
            return Err(ErrorCode::InvalidArgument
                .status(format!("the query is longer than {} characters", self.cfg.max_query_chars)));
        }
        let mode = match pb::SearchMode::try_from(req.mode).unwrap_or(pb::SearchMode::Unspecified) {
            pb::SearchMode::Unspecified => pb::SearchMode::Hybrid,
            m => m,
        };
        let limit = match req.limit {
            0 => 10,
            n => (n as usize).min(100),
        };
        let hash = query_hash(&req, mode);
        let offset = if req.cursor.is_empty() {
            0
        } else {
            let bad = || ErrorCode::InvalidArgument.status("cursor does not belong to this search");
            let raw = URL_SAFE_NO_PAD.decode(&req.cursor).map_err(|_| bad())?;
            let c: SearchCursor = serde_json::from_slice(&raw).map_err(|_| bad())?;
            if c.h != hash {
                return Err(bad());
            }
            c.o
        };
        let depth = self.cfg.candidates.max(offset + limit).min(1000);
        let filters = req.filters.clone().unwrap_or_default();
        // Validate filters before any work.
        Filters::build(&filters, 1)?;
        let tokens = query_tokens(query);

        let (keyword, semantic, mode) = match mode {
            pb::SearchMode::Keyword => (self.keyword(&tokens, &filters, depth).await?, Vec::new(), mode),
            pb::SearchMode::Semantic => (Vec::new(), self.semantic(query, &filters, depth).await?, mode),
            _ => {
                let (k, s) =
                    tokio::join!(self.keyword(&tokens, &filters, depth), self.semantic(query, &filters, depth));
                match s {
                    Ok(s) => (k?, s, mode),
                    // Hybrid search outlives the embedding model (loading, or its endpoint down): the keyword
                    // list answers alone, and the response names the mode that ran.
                    Err(e) if e.code() == tonic::Code::Unavailable => {
                        tracing::warn!(reason = %e.message(), "hybrid search answered from the keyword index alone");
                        metrics::counter!(m::SEARCHES_DEGRADED_TOTAL).increment(1);
                        (k?, Vec::new(), pb::SearchMode::Keyword)
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let ranked: Vec<(Uuid, f64, u32, u32)> = match mode {
            pb::SearchMode::Keyword => {
                keyword.iter().enumerate().map(|(i, r)| (r.id, r.score, (i + 1) as u32, 0)).collect()
            }
            pb::SearchMode::Semantic => {
                semantic.iter().enumerate().map(|(i, r)| (r.id, r.score, 0, (i + 1) as u32)).collect()
            }
            _ => fuse(&keyword, &semantic, self.cfg.rrf_k),
        };
        let page: Vec<_> = ranked.iter().skip(offset).take(limit).copied().collect();
        let next_cursor = if offset + limit < ranked.len() && offset + limit < 1000 {
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&SearchCursor { o: offset + limit, h: hash }).unwrap_or_default())
        } else {
            String::new()
        };

        let ids: Vec<Uuid> = page.iter().map(|p| p.0).collect();
        let client = self.pool.get().await.map_err(db_error)?;
        let rows = client.query(HITS_SQL, &[&ids]).await.map_err(db_error)?;
        let mut found: HashMap<Uuid, &tokio_postgres::Row> = rows.iter().map(|r| (r.get(0), r)).collect();
        let hits = page
            .iter()
            .filter_map(|(id, score, kr, sr)| {
                let r = found.remove(id)?;
                let doc: Uuid = r.get(1);
                let text: String = r.get(6);
                Some(pb::SearchHit {
                    chunk_id: id.to_string(),
                    document_id: doc.to_string(),
                    document_title: r.get(2),
                    heading_path: r.get(3),
                    page_start: r.get::<_, i32>(4).max(0) as u32,
                    page_end: r.get::<_, i32>(5).max(0) as u32,
                    snippet: aidoc_text::highlight::snippet(&text, &tokens, self.cfg.snippet_chars),
                    score: *score,
                    keyword_rank: *kr,
                    semantic_rank: *sr,
                    chunk_index: r.get::<_, i32>(7).max(0) as u32,
                })
            })
            .collect();
        let mode_name = match mode {
            pb::SearchMode::Keyword => "keyword",
            pb::SearchMode::Semantic => "semantic",
            _ => "hybrid",
        };
        let took = started.elapsed();
        metrics::counter!(m::SEARCHES_TOTAL, "mode" => mode_name).increment(1);
        metrics::histogram!(m::SEARCH_DURATION_SECONDS, "mode" => mode_name).record(took.as_secs_f64());
        Ok(Response::new(pb::SearchResponse { hits, next_cursor, took_ms: took.as_millis() as u64, mode: mode as i32 }))
    }

    async fn get_chunk(&self, request: Request<pb::GetChunkRequest>) -> Result<Response<pb::GetChunkResponse>, Status> {
        let req = request.into_inner();
        let id = Uuid::parse_str(&req.chunk_id)
            .map_err(|_| ErrorCode::InvalidArgument.status(format!("chunk id `{}` is not valid", req.chunk_id)))?;
        let around = i32::try_from(req.neighbours.min(10)).unwrap_or(10);
        let client = self.pool.get().await.map_err(db_error)?;
        let rows = client
            .query(
                &format!(
                    "WITH target AS (SELECT document_id, chunk_index FROM search.chunks WHERE id = $1)
                     SELECT {CHUNK_COLUMNS}, d.title FROM search.chunks c
                     JOIN target t ON c.document_id = t.document_id
                     JOIN catalog.documents d ON d.id = c.document_id
                     WHERE c.chunk_index BETWEEN t.chunk_index - $2 AND t.chunk_index + $2
                     ORDER BY c.chunk_index"
                ),
                &[&id, &around],
            )
            .await
            .map_err(db_error)?;
        let title: String = rows.first().map(|r| r.get(9)).unwrap_or_default();
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mut chunk = None;
        for r in &rows {
            let c = chunk_of(r);
            if r.get::<_, Uuid>(0) == id {
                chunk = Some(c);
            } else if chunk.is_none() {
                before.push(c);
            } else {
                after.push(c);
            }
        }
        let chunk = chunk.ok_or_else(|| ErrorCode::NotFound.status(format!("chunk {id} does not exist")))?;
        Ok(Response::new(pb::GetChunkResponse { chunk: Some(chunk), before, after, document_title: title }))
    }

    async fn list_chunks(
        &self,
        request: Request<pb::ListChunksRequest>,
    ) -> Result<Response<pb::ListChunksResponse>, Status> {
        let req = request.into_inner();
        let doc = Uuid::parse_str(&req.document_id).map_err(|_| {
            ErrorCode::InvalidArgument.status(format!("document id `{}` is not valid", req.document_id))
        })?;
        let limit = match req.limit {
            0 => 50,
            n => i64::from(n.min(500)),
        };
        let client = self.pool.get().await.map_err(db_error)?;
        let totals = client
            .query_opt("SELECT chunk_count, page_count FROM search.indexed_documents WHERE document_id = $1", &[&doc])
            .await
            .map_err(db_error)?;
        let Some(totals) = totals else {
            let exists =
                client.query_opt("SELECT 1 FROM catalog.documents WHERE id = $1", &[&doc]).await.map_err(db_error)?;
            if exists.is_none() {
                return Err(ErrorCode::NotFound.status(format!("document {doc} does not exist")));
            }
            return Ok(Response::new(pb::ListChunksResponse::default()));
        };
        let rows = if req.page_from > 0 {
            let to = if req.page_to >= req.page_from { req.page_to } else { req.page_from };
            client
                .query(
                    &format!(
                        "SELECT {CHUNK_COLUMNS} FROM search.chunks c WHERE c.document_id = $1
                         AND c.page_end >= $2 AND c.page_start <= $3 ORDER BY c.chunk_index LIMIT $4"
                    ),
                    &[&doc, &(req.page_from as i32), &(to as i32), &limit],
                )
                .await
        } else {
            client
                .query(
                    &format!(
                        "SELECT {CHUNK_COLUMNS} FROM search.chunks c WHERE c.document_id = $1
                         AND c.chunk_index >= $2 ORDER BY c.chunk_index LIMIT $3"
                    ),
                    &[&doc, &(req.from_chunk.min(i32::MAX as u32) as i32), &limit],
                )
                .await
        }
        .map_err(db_error)?;
        Ok(Response::new(pb::ListChunksResponse {
            chunks: rows.iter().map(chunk_of).collect(),
            total_chunks: totals.get::<_, i32>(0).max(0) as u32,
            total_pages: totals.get::<_, i32>(1).max(0) as u32,
        }))
    }

    async fn get_outline(
        &self,
        request: Request<pb::GetOutlineRequest>,
    ) -> Result<Response<pb::GetOutlineResponse>, Status> {
        let req = request.into_inner();
        let doc = Uuid::parse_str(&req.document_id).map_err(|_| {
            ErrorCode::InvalidArgument.status(format!("document id `{}` is not valid", req.document_id))
        })?;
        let client = self.pool.get().await.map_err(db_error)?;
        let indexed = client
            .query_opt(
                "SELECT chunk_count, page_count, outline FROM search.indexed_documents WHERE document_id = $1",
                &[&doc],
            )
            .await
            .map_err(db_error)?;
        let Some(indexed) = indexed else {
            let exists =
                client.query_opt("SELECT 1 FROM catalog.documents WHERE id = $1", &[&doc]).await.map_err(db_error)?;
            if exists.is_none() {
                return Err(ErrorCode::NotFound.status(format!("document {doc} does not exist")));
            }
            return Ok(Response::new(pb::GetOutlineResponse::default()));
        };
        let rows = client
            .query(
                "SELECT chunk_index, heading_path, page_start, page_end FROM search.chunks
                 WHERE document_id = $1 ORDER BY chunk_index",
                &[&doc],
            )
            .await
            .map_err(db_error)?;
        let chunks: Vec<OutlineChunk> = rows
            .iter()
            .map(|r| OutlineChunk {
                index: r.get::<_, i32>(0).max(0) as u32,
                heading_path: r.get(1),
                page_start: r.get::<_, i32>(2).max(0) as u32,
                page_end: r.get::<_, i32>(3).max(0) as u32,
            })
            .collect();
        let bookmarks: Vec<Bookmark> =
            serde_json::from_value(indexed.get::<_, serde_json::Value>(2)).unwrap_or_default();
        let (entries, source) = outline(&bookmarks, &chunks);
        Ok(Response::new(pb::GetOutlineResponse {
            entries,
            source: source as i32,
            total_chunks: indexed.get::<_, i32>(0).max(0) as u32,
            total_pages: indexed.get::<_, i32>(1).max(0) as u32,
        }))
    }

    async fn stats(&self, _request: Request<pb::StatsRequest>) -> Result<Response<pb::StatsResponse>, Status> {
        let client = self.pool.get().await.map_err(db_error)?;
        let r = client
            .query_one(
                "SELECT (SELECT count(*) FROM search.chunks), (SELECT count(*) FROM search.indexed_documents)",
                &[],
            )
            .await
            .map_err(db_error)?;
        let chunks: i64 = r.get(0);
        metrics::gauge!(m::INDEX_CHUNKS).set(chunks as f64);
        Ok(Response::new(pb::StatsResponse {
            chunks: chunks.max(0) as u64,
            documents: r.get::<_, i64>(1).max(0) as u64,
            embedding_model: self.embed().map(|e| e.model_id().to_owned()).unwrap_or_default(),
            embedding_dimensions: self.embed().map(|e| e.dimensions() as u32).unwrap_or(0),
        }))
    }
}

/// At most this many outline entries are returned.
const MAX_OUTLINE_ENTRIES: usize = 2000;

/// One stored chunk, as the outline needs it.
struct OutlineChunk {
    index: u32,
    heading_path: Vec<String>,
    page_start: u32,
    page_end: u32,
}

/// A bookmark as the indexer stored it from the parser.
#[derive(Deserialize)]
struct Bookmark {
    title: String,
    level: u32,
    page: u32,
}

/// The file's bookmarks when it has a real outline (two entries or more),
/// else the headings the chunks carry, each where it first appears.
fn outline(bookmarks: &[Bookmark], chunks: &[OutlineChunk]) -> (Vec<pb::OutlineEntry>, pb::OutlineSource) {
    if bookmarks.len() >= 2 {
        let entries = bookmarks
            .iter()
            .take(MAX_OUTLINE_ENTRIES)
            .map(|b| pb::OutlineEntry {
                title: b.title.trim().to_owned(),
                level: b.level.max(1),
                page: b.page,
                chunk_index: chunks
                    .iter()
                    .find(|c| b.page == 0 || c.page_end >= b.page)
                    .or(chunks.last())
                    .map_or(0, |c| c.index),
            })
            .collect();
        return (entries, pb::OutlineSource::Bookmarks);
    }
    let mut entries = Vec::new();
    let mut previous: &[String] = &[];
    for c in chunks {
        let path = c.heading_path.as_slice();
        let shared = previous.iter().zip(path).take_while(|(a, b)| a == b).count();
        for (depth, title) in path.iter().enumerate().skip(shared) {
            if entries.len() == MAX_OUTLINE_ENTRIES {
                return (entries, pb::OutlineSource::Headings);
            }
            entries.push(pb::OutlineEntry {
                title: title.clone(),
                level: depth as u32 + 1,
                page: c.page_start,
                chunk_index: c.index,
            });
        }
        previous = path;
    }
    (entries, pb::OutlineSource::Headings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(index: u32, path: &[&str], pages: (u32, u32)) -> OutlineChunk {
        OutlineChunk {
            index,
            heading_path: path.iter().map(|s| s.to_string()).collect(),
            page_start: pages.0,
            page_end: pages.1,
        }
    }

    fn view(entries: &[pb::OutlineEntry]) -> Vec<(String, u32, u32, u32)> {
        entries.iter().map(|e| (e.title.clone(), e.level, e.page, e.chunk_index)).collect()
    }

    #[test]
    fn outline_from_headings_lists_each_heading_where_it_first_appears() {
        let chunks = [
            chunk(0, &[], (1, 1)),
            chunk(1, &["Guide"], (1, 1)),
            chunk(2, &["Guide", "Install"], (1, 2)),
            chunk(3, &["Guide", "Install"], (2, 2)),
            chunk(4, &["Guide", "Configure", "Pool"], (3, 3)),
            chunk(5, &["Appendix"], (4, 4)),
        ];
        let (entries, source) = outline(&[], &chunks);
        assert_eq!(source, pb::OutlineSource::Headings);
        let s = |t: &str| t.to_owned();
        assert_eq!(
            view(&entries),
            vec![
                (s("Guide"), 1, 1, 1),
                (s("Install"), 2, 1, 2),
                (s("Configure"), 2, 3, 4),
                (s("Pool"), 3, 3, 4),
                (s("Appendix"), 1, 4, 5),
            ]
        );
    }

    #[test]
    fn bookmarks_win_when_the_file_has_an_outline() {
        let chunks = [chunk(0, &["A"], (1, 1)), chunk(1, &["A"], (2, 3)), chunk(2, &["B"], (4, 4))];
        let bookmarks = [
            Bookmark { title: " Intro ".into(), level: 1, page: 1 },
            Bookmark { title: "Details".into(), level: 2, page: 3 },
            Bookmark { title: "Beyond the end".into(), level: 1, page: 9 },
        ];
        let (entries, source) = outline(&bookmarks, &chunks);
        assert_eq!(source, pb::OutlineSource::Bookmarks);
        let s = |t: &str| t.to_owned();
        assert_eq!(
            view(&entries),
            vec![(s("Intro"), 1, 1, 0), (s("Details"), 2, 3, 1), (s("Beyond the end"), 1, 9, 2)]
        );
        // a single bookmark (often just the file name) is not an outline
        let (_, source) = outline(&bookmarks[..1], &chunks);
        assert_eq!(source, pb::OutlineSource::Headings);
    }

    #[test]
    fn fusion_rewards_agreement() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let c = Uuid::from_u128(3);
        let kw = [Ranked { id: a, score: 1.0 }, Ranked { id: b, score: 0.5 }];
        let sem = [Ranked { id: c, score: 0.9 }, Ranked { id: b, score: 0.8 }];
        let fused = fuse(&kw, &sem, 60.0);
        assert_eq!(fused[0].0, b, "in both lists beats first in one");
        assert_eq!((fused[0].2, fused[0].3), (2, 2));
        assert_eq!(fused.len(), 3);
    }

    #[test]
    fn filters_number_their_parameters_and_reject_bad_ids() {
        let f = Filters::build(
            &pb::SearchFilters {
                document_ids: vec![Uuid::nil().to_string()],
                tags: vec!["Ops".into()],
                created_after: "2026-01-01T00:00:00Z".into(),
                ..Default::default()
            },
            4,
        )
        .unwrap();
        assert!(f.sql.contains("$4::uuid[]") && f.sql.contains("$5::text[]") && f.sql.contains("d.created_at >= $6"));
        assert!(f.needs_documents);
        assert!(
            Filters::build(&pb::SearchFilters { category_ids: vec!["x".into()], ..Default::default() }, 1).is_err()
        );
        assert!(
            Filters::build(&pb::SearchFilters { created_before: "yesterday".into(), ..Default::default() }, 1).is_err()
        );
    }
}
