//! Rows of the catalog tables and their conversion to the contract.

use crate::schema::{api_keys, audit_events, categories, document_versions, documents, ingest_jobs, users};
use crate::util::{opt_id, opt_ts, ts};
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct DocumentRow {
    pub id: Uuid,
    pub title: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub blob_key: String,
    pub category_id: Option<Uuid>,
    pub status: String,
    pub failure_code: String,
    pub failure_message: String,
    pub page_count: i32,
    pub chunk_count: i32,
    pub language: String,
    pub author: String,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub title_source: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = documents)]
pub struct NewDocument<'a> {
    pub id: Uuid,
    pub title: &'a str,
    pub file_name: &'a str,
    pub media_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
    pub blob_key: &'a str,
    pub category_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub title_source: &'a str,
}

pub fn status_name(s: pb::DocumentStatus) -> Option<&'static str> {
    Some(match s {
        pb::DocumentStatus::Unspecified => return None,
        pb::DocumentStatus::Queued => "queued",
        pb::DocumentStatus::Parsing => "parsing",
        pb::DocumentStatus::Indexing => "indexing",
        pb::DocumentStatus::Ready => "ready",
        pb::DocumentStatus::Failed => "failed",
    })
}

fn status_of(name: &str) -> pb::DocumentStatus {
    match name {
        "queued" => pb::DocumentStatus::Queued,
        "parsing" => pb::DocumentStatus::Parsing,
        "indexing" => pb::DocumentStatus::Indexing,
        "ready" => pb::DocumentStatus::Ready,
        "failed" => pb::DocumentStatus::Failed,
        _ => pb::DocumentStatus::Unspecified,
    }
}

impl DocumentRow {
    pub fn into_proto(self, tags: Vec<String>) -> pb::Document {
        pb::Document {
            id: self.id.to_string(),
            title: self.title,
            file_name: self.file_name,
            media_type: self.media_type,
            size_bytes: self.size_bytes.max(0) as u64,
            sha256: self.sha256,
            blob_key: self.blob_key,
            category_id: opt_id(self.category_id),
            tags,
            status: status_of(&self.status) as i32,
            failure_code: self.failure_code,
            failure_message: self.failure_message,
            page_count: self.page_count.max(0) as u32,
            chunk_count: self.chunk_count.max(0) as u32,
            language: self.language,
            version: self.version.max(0) as u32,
            created_at: ts(self.created_at),
            updated_at: ts(self.updated_at),
            created_by: opt_id(self.created_by),
            author: self.author,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = document_versions, check_for_backend(diesel::pg::Pg))]
pub struct VersionRow {
    pub document_id: Uuid,
    pub version: i32,
    pub sha256: String,
    pub blob_key: String,
    pub size_bytes: i64,
    pub file_name: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<VersionRow> for pb::DocumentVersion {
    fn from(v: VersionRow) -> Self {
        pb::DocumentVersion {
            version: v.version.max(0) as u32,
            sha256: v.sha256,
            blob_key: v.blob_key,
            size_bytes: v.size_bytes.max(0) as u64,
            file_name: v.file_name,
            created_at: ts(v.created_at),
            created_by: opt_id(v.created_by),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories, check_for_backend(diesel::pg::Pg))]
pub struct CategoryRow {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl CategoryRow {
    pub fn into_proto(self, document_count: i64) -> pb::Category {
        pb::Category {
            id: self.id.to_string(),
            name: self.name,
            description: self.description,
            parent_id: opt_id(self.parent_id),
            document_count: document_count.max(0) as u64,
            created_at: ts(self.created_at),
        }
    }
}

/// A job row joined with what the worker needs from its document.
#[derive(Debug, Clone, QueryableByName)]
pub struct JobRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub document_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub state: String,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    pub max_attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub worker_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub lease_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub run_after: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub last_error_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub last_error: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub blob_key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub file_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub media_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub sha256: String,
}

pub fn job_state_of(name: &str) -> pb::JobState {
    match name {
        "queued" => pb::JobState::Queued,
        "running" => pb::JobState::Running,
        "succeeded" => pb::JobState::Succeeded,
        "failed" => pb::JobState::Failed,
        _ => pb::JobState::Unspecified,
    }
}

pub fn job_state_name(s: pb::JobState) -> Option<&'static str> {
    Some(match s {
        pb::JobState::Unspecified => return None,
        pb::JobState::Queued => "queued",
        pb::JobState::Running => "running",
        pb::JobState::Succeeded => "succeeded",
        pb::JobState::Failed => "failed",
    })
}

impl From<JobRow> for pb::Job {
    fn from(j: JobRow) -> Self {
        pb::Job {
            id: j.id.to_string(),
            document_id: j.document_id.to_string(),
            state: job_state_of(&j.state) as i32,
            attempts: j.attempts.max(0) as u32,
            max_attempts: j.max_attempts.max(0) as u32,
            worker_id: j.worker_id,
            lease_expires_at: opt_ts(j.lease_expires_at),
            run_after: ts(j.run_after),
            last_error_code: j.last_error_code,
            last_error: j.last_error,
            created_at: ts(j.created_at),
            updated_at: ts(j.updated_at),
            blob_key: j.blob_key,
            file_name: j.file_name,
            media_type: j.media_type,
            sha256: j.sha256,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ingest_jobs)]
pub struct NewJob {
    pub id: Uuid,
    pub document_id: Uuid,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub fn role_name(r: pb::Role) -> Option<&'static str> {
    Some(match r {
        pb::Role::Unspecified => return None,
        pb::Role::Viewer => "viewer",
        pb::Role::Editor => "editor",
        pb::Role::Admin => "admin",
    })
}

pub fn role_of(name: &str) -> pb::Role {
    match name {
        "viewer" => pb::Role::Viewer,
        "editor" => pb::Role::Editor,
        "admin" => pb::Role::Admin,
        _ => pb::Role::Unspecified,
    }
}

impl From<UserRow> for pb::User {
    fn from(u: UserRow) -> Self {
        pb::User {
            id: u.id.to_string(),
            username: u.username,
            display_name: u.display_name,
            role: role_of(&u.role) as i32,
            disabled: u.disabled,
            created_at: ts(u.created_at),
            last_login_at: opt_ts(u.last_login_at),
            last_seen_at: opt_ts(u.last_seen_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub fn scope_name(s: pb::Scope) -> Option<&'static str> {
    Some(match s {
        pb::Scope::Unspecified => return None,
        pb::Scope::Read => "read",
        pb::Scope::Write => "write",
    })
}

fn scope_of(name: &str) -> pb::Scope {
    match name {
        "read" => pb::Scope::Read,
        "write" => pb::Scope::Write,
        _ => pb::Scope::Unspecified,
    }
}

impl From<ApiKeyRow> for pb::ApiKey {
    fn from(k: ApiKeyRow) -> Self {
        pb::ApiKey {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes.iter().map(|s| scope_of(s) as i32).collect(),
            user_id: k.user_id.to_string(),
            created_at: ts(k.created_at),
            expires_at: opt_ts(k.expires_at),
            last_used_at: opt_ts(k.last_used_at),
            revoked_at: opt_ts(k.revoked_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events, check_for_backend(diesel::pg::Pg))]
pub struct AuditRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub ip: String,
    pub user_agent: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub success: bool,
    pub details: serde_json::Value,
}

impl From<AuditRow> for pb::AuditEvent {
    fn from(e: AuditRow) -> Self {
        pb::AuditEvent {
            id: e.id.to_string(),
            at: ts(e.at),
            user_id: opt_id(e.user_id),
            api_key_id: opt_id(e.api_key_id),
            ip: e.ip,
            user_agent: e.user_agent,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            success: e.success,
            details: e.details.to_string(),
        }
    }
}
