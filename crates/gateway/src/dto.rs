//! The JSON shapes of the REST API, converted from the gRPC messages.

use aidoc_proto::api::v1 as api;
use aidoc_proto::indexer::v1 as idx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn none_if_empty(s: String) -> Option<String> {
    if s.is_empty() { None } else { Some(s) }
}

pub fn status_name(s: i32) -> &'static str {
    match api::DocumentStatus::try_from(s).unwrap_or(api::DocumentStatus::Unspecified) {
        api::DocumentStatus::Queued => "queued",
        api::DocumentStatus::Parsing => "parsing",
        api::DocumentStatus::Indexing => "indexing",
        api::DocumentStatus::Ready => "ready",
        api::DocumentStatus::Failed => "failed",
        api::DocumentStatus::Unspecified => "unknown",
    }
}

pub fn parse_status(s: &str) -> Option<api::DocumentStatus> {
    Some(match s {
        "queued" => api::DocumentStatus::Queued,
        "parsing" => api::DocumentStatus::Parsing,
        "indexing" => api::DocumentStatus::Indexing,
        "ready" => api::DocumentStatus::Ready,
        "failed" => api::DocumentStatus::Failed,
        _ => return None,
    })
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Failure {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = DocumentStatus)]
    pub status: String,
    /// Why ingest failed (`status` is `failed`).
    pub failure: Option<Failure>,
    pub page_count: u32,
    pub chunk_count: u32,
    pub language: Option<String>,
    pub author: Option<String>,
    pub version: u32,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
}

impl From<api::Document> for Document {
    fn from(d: api::Document) -> Self {
        let failure = if d.failure_code.is_empty() {
            None
        } else {
            Some(Failure { code: d.failure_code, message: d.failure_message })
        };
        Document {
            status: status_name(d.status).to_owned(),
            id: d.id,
            title: d.title,
            file_name: d.file_name,
            media_type: d.media_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            category_id: none_if_empty(d.category_id),
            tags: d.tags,
            failure,
            page_count: d.page_count,
            chunk_count: d.chunk_count,
            language: none_if_empty(d.language),
            author: none_if_empty(d.author),
            version: d.version,
            created_at: d.created_at,
            updated_at: d.updated_at,
            created_by: none_if_empty(d.created_by),
        }
    }
}

/// Every list: the items, and the cursor of the next page (`null` on the
/// last page, and always for lists that fit in one page).
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list answered in one page.
    pub fn whole(items: Vec<T>) -> Self {
        Page { items, next_cursor: None }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Version {
    pub version: u32,
    pub sha256: String,
    pub size_bytes: u64,
    pub file_name: String,
    pub created_at: String,
    pub created_by: Option<String>,
}

impl From<api::DocumentVersion> for Version {
    fn from(v: api::DocumentVersion) -> Self {
        Version {
            version: v.version,
            sha256: v.sha256,
            size_bytes: v.size_bytes,
            file_name: v.file_name,
            created_at: v.created_at,
            created_by: none_if_empty(v.created_by),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub document_count: u64,
    pub created_at: String,
}

impl From<api::Category> for Category {
    fn from(c: api::Category) -> Self {
        Category {
            id: c.id,
            name: c.name,
            description: c.description,
            parent_id: none_if_empty(c.parent_id),
            document_count: c.document_count,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Tag {
    pub name: String,
    pub document_count: u64,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Job {
    pub id: String,
    pub document_id: String,
    #[schema(value_type = JobStateName)]
    pub state: String,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_after: String,
    pub lease_expires_at: Option<String>,
    pub last_error: Option<Failure>,
    pub created_at: String,
    pub updated_at: String,
    pub file_name: String,
}

pub fn job_state_name(s: i32) -> &'static str {
    match api::JobState::try_from(s).unwrap_or(api::JobState::Unspecified) {
        api::JobState::Queued => "queued",
        api::JobState::Running => "running",
        api::JobState::Succeeded => "succeeded",
        api::JobState::Failed => "failed",
        api::JobState::Unspecified => "unknown",
    }
}

impl From<api::Job> for Job {
    fn from(j: api::Job) -> Self {
        let last_error = if j.last_error_code.is_empty() {
            None
        } else {
            Some(Failure { code: j.last_error_code, message: j.last_error })
        };
        Job {
            state: job_state_name(j.state).to_owned(),
            id: j.id,
            document_id: j.document_id,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_after: j.run_after,
            lease_expires_at: none_if_empty(j.lease_expires_at),
            last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
            file_name: j.file_name,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct QueueStats {
    pub queued: u64,
    pub running: u64,
    pub failed: u64,
    pub succeeded: u64,
    pub oldest_queued_age_seconds: f64,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct SearchHit {
    pub chunk_id: String,
    pub document_id: String,
    pub document_title: String,
    pub heading_path: Vec<String>,
    pub page_start: u32,
    pub page_end: u32,
    pub chunk_index: u32,
    /// HTML-escaped text with matches in `<mark>`.
    pub snippet: String,
    pub score: f64,
    pub keyword_rank: Option<u32>,
    pub semantic_rank: Option<u32>,
}

impl From<idx::SearchHit> for SearchHit {
    fn from(h: idx::SearchHit) -> Self {
        SearchHit {
            chunk_id: h.chunk_id,
            document_id: h.document_id,
            document_title: h.document_title,
            heading_path: h.heading_path,
            page_start: h.page_start,
            page_end: h.page_end,
            chunk_index: h.chunk_index,
            snippet: h.snippet,
            score: h.score,
            keyword_rank: (h.keyword_rank > 0).then_some(h.keyword_rank),
            semantic_rank: (h.semantic_rank > 0).then_some(h.semantic_rank),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct SearchResults {
    /// The mode that ran: a `hybrid` search answers in `keyword` mode while the embedding model is unavailable.
    #[schema(value_type = SearchMode)]
    pub mode: String,
    pub hits: Vec<SearchHit>,
    pub next_cursor: Option<String>,
    pub took_ms: u64,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Chunk {
    pub chunk_id: String,
    pub document_id: String,
    pub chunk_index: u32,
    pub text: String,
    pub heading_path: Vec<String>,
    pub page_start: u32,
    pub page_end: u32,
    pub block_kinds: Vec<String>,
    pub token_count: u32,
}

impl From<idx::Chunk> for Chunk {
    fn from(c: idx::Chunk) -> Self {
        Chunk {
            chunk_id: c.chunk_id,
            document_id: c.document_id,
            chunk_index: c.chunk_index,
            text: c.text,
            heading_path: c.heading_path,
            page_start: c.page_start,
            page_end: c.page_end,
            block_kinds: c.block_kinds,
            token_count: c.token_count,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct ChunkWithContext {
    pub chunk: Chunk,
    pub before: Vec<Chunk>,
    pub after: Vec<Chunk>,
    pub document_title: String,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct ChunkList {
    pub items: Vec<Chunk>,
    pub total_chunks: u32,
    pub total_pages: u32,
}

/// One entry of a document's structure.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct OutlineEntry {
    pub title: String,
    /// 1 = top level.
    pub level: u32,
    /// `null` when the page is unknown.
    pub page: Option<u32>,
    /// The first chunk at or after the entry (for `/chunks?from=`).
    pub chunk_index: u32,
}

/// `GET /api/v1/documents/{id}/outline`.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Outline {
    /// `bookmarks` (the file's own outline), `headings` (found in the text),
    /// or `none` (not indexed yet).
    #[schema(value_type = OutlineSource)]
    pub source: String,
    pub entries: Vec<OutlineEntry>,
    pub total_chunks: u32,
    pub total_pages: u32,
}

impl From<idx::GetOutlineResponse> for Outline {
    fn from(r: idx::GetOutlineResponse) -> Self {
        let source = match idx::OutlineSource::try_from(r.source).unwrap_or(idx::OutlineSource::Unspecified) {
            idx::OutlineSource::Bookmarks => "bookmarks",
            idx::OutlineSource::Headings => "headings",
            idx::OutlineSource::Unspecified => "none",
        };
        Outline {
            source: source.to_owned(),
            entries: r
                .entries
                .into_iter()
                .map(|e| OutlineEntry {
                    title: e.title,
                    level: e.level,
                    page: (e.page > 0).then_some(e.page),
                    chunk_index: e.chunk_index,
                })
                .collect(),
            total_chunks: r.total_chunks,
            total_pages: r.total_pages,
        }
    }
}

pub fn role_name(r: i32) -> &'static str {
    crate::auth::Role::from_proto(r).map(|r| r.as_str()).unwrap_or("unknown")
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = RoleName)]
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub last_seen_at: Option<String>,
}

impl From<api::User> for User {
    fn from(u: api::User) -> Self {
        User {
            role: role_name(u.role).to_owned(),
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
            created_at: u.created_at,
            last_login_at: none_if_empty(u.last_login_at),
            last_seen_at: none_if_empty(u.last_seen_at),
        }
    }
}

pub fn scope_name(s: i32) -> &'static str {
    match api::Scope::try_from(s).unwrap_or(api::Scope::Unspecified) {
        api::Scope::Read => "read",
        api::Scope::Write => "write",
        api::Scope::Unspecified => "unknown",
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    #[schema(value_type = Vec<ScopeName>)]
    pub scopes: Vec<String>,
    pub user_id: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<api::ApiKey> for ApiKey {
    fn from(k: api::ApiKey) -> Self {
        ApiKey {
            scopes: k.scopes.iter().map(|s| scope_name(*s).to_owned()).collect(),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            user_id: k.user_id,
            created_at: k.created_at,
            expires_at: none_if_empty(k.expires_at),
            last_used_at: none_if_empty(k.last_used_at),
            revoked_at: none_if_empty(k.revoked_at),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub at: String,
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
    pub ip: String,
    pub user_agent: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub success: bool,
    /// Free-form JSON about the event (`null` when there is none).
    pub details: serde_json::Value,
}

impl From<api::AuditEvent> for AuditEvent {
    fn from(e: api::AuditEvent) -> Self {
        AuditEvent {
            details: serde_json::from_str(&e.details).unwrap_or(serde_json::Value::Null),
            id: e.id,
            at: e.at,
            user_id: none_if_empty(e.user_id),
            api_key_id: none_if_empty(e.api_key_id),
            ip: e.ip,
            user_agent: e.user_agent,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            success: e.success,
        }
    }
}

/// The answer to a sign-in or a refresh.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_at: String,
    pub user: User,
}

/// A document's ingest state.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum DocumentStatus {
    Queued,
    Parsing,
    Indexing,
    Ready,
    Failed,
    Unknown,
}

/// An ingest job's state.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum JobStateName {
    Queued,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

/// How a search ranks: `hybrid` (default), `keyword` or `semantic`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SearchMode {
    Hybrid,
    Keyword,
    Semantic,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum OutlineSource {
    Bookmarks,
    Headings,
    None,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum RoleName {
    Admin,
    Editor,
    Viewer,
    Unknown,
}

/// `read`, or `write` (which includes read).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ScopeName {
    Read,
    Write,
    Unknown,
}

/// One file of an upload: stored (new or a duplicate of an existing
/// document), or refused with the reason.
#[derive(Debug, Serialize, Clone, PartialEq, ToSchema)]
#[serde(untagged)]
pub enum UploadItem {
    Stored {
        file_name: String,
        /// `false` when the same bytes were already stored: `document` is the existing one.
        created: bool,
        document: Document,
    },
    Refused {
        file_name: String,
        error: ItemError,
    },
}

/// Why one item of a batch failed; `code` as in the error body.
#[derive(Debug, Serialize, Clone, PartialEq, ToSchema)]
pub struct ItemError {
    #[schema(value_type = crate::openapi::ErrorCodeName)]
    pub code: aidoc_proto::ErrorCode,
    pub message: String,
}

/// The answer to creating an API key: the only time its secret is shown.
#[derive(Debug, Serialize, Clone, PartialEq, ToSchema)]
pub struct CreatedKey {
    pub key: ApiKey,
    /// The key itself (`aidoc_…`): send it as `X-API-Key` or `Authorization: Bearer`.
    pub secret: String,
    pub note: String,
}

/// How the caller authenticated.
#[derive(Debug, Serialize, Clone, PartialEq, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Credentials {
    Session {
        session_id: String,
    },
    ApiKey {
        key_id: String,
        #[schema(value_type = Vec<ScopeName>)]
        scopes: Vec<String>,
    },
}

/// `GET /api/v1/auth/me`: the caller's account and credentials.
#[derive(Debug, Serialize, Clone, PartialEq, ToSchema)]
pub struct Me {
    pub user: User,
    pub via: Credentials,
}
