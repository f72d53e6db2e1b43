//! Audit entries, written in the same transaction as the change they record.

use crate::schema::audit_events;
use aidoc_proto::api::v1 as pb;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// What happened, to what.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: String,
    pub success: bool,
    pub details: serde_json::Value,
}

pub async fn record(conn: &mut AsyncPgConnection, actor: &Option<pb::Actor>, e: Entry<'_>) -> QueryResult<()> {
    let a = actor.clone().unwrap_or_default();
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::id.eq(Uuid::now_v7()),
            audit_events::user_id.eq(Uuid::parse_str(&a.user_id).ok()),
            audit_events::api_key_id.eq(Uuid::parse_str(&a.api_key_id).ok()),
            audit_events::ip.eq(truncate(&a.ip, 64)),
            audit_events::user_agent.eq(truncate(&a.user_agent, 512)),
            audit_events::action.eq(e.action),
            audit_events::target_type.eq(e.target_type),
            audit_events::target_id.eq(&e.target_id),
            audit_events::success.eq(e.success),
            audit_events::details.eq(&e.details),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `AuditService`: events recorded by other services (the gateway's refused
/// requests) and the listing for admins.
#[derive(Clone)]
pub struct Audit {
    pool: crate::db::PgPool,
}

impl Audit {
    pub fn new(pool: crate::db::PgPool) -> Self {
        Audit { pool }
    }
}

pub const MAX_ACTION_CHARS: usize = 100;
pub const MAX_DETAILS_BYTES: usize = 16 * 1024;

fn parse_time(v: &str, what: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, tonic::Status> {
    if v.is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .map_err(|_| aidoc_proto::ErrorCode::InvalidArgument.status(format!("{what} must be an RFC 3339 time")))
}

#[tonic::async_trait]
impl pb::audit_service_server::AuditService for Audit {
    async fn record_event(
        &self,
        request: tonic::Request<pb::RecordEventRequest>,
    ) -> Result<tonic::Response<pb::RecordEventResponse>, tonic::Status> {
        use aidoc_proto::ErrorCode;
        let e = request.into_inner().event.ok_or_else(|| ErrorCode::InvalidArgument.status("event is required"))?;
        let action = e.action.trim();
        if action.is_empty()
            || action.chars().count() > MAX_ACTION_CHARS
            || !action.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(ErrorCode::InvalidArgument
                .status(format!("action: 1 to {MAX_ACTION_CHARS} characters of a-z 0-9 . _ -")));
        }
        if e.details.len() > MAX_DETAILS_BYTES {
            return Err(ErrorCode::InvalidArgument.status(format!("details: at most {MAX_DETAILS_BYTES} bytes")));
        }
        let details: serde_json::Value = if e.details.is_empty() {
            serde_json::json!({})
        } else {
            match serde_json::from_str(&e.details) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                _ => return Err(ErrorCode::InvalidArgument.status("details must be a JSON object")),
            }
        };
        let actor =
            Some(pb::Actor { user_id: e.user_id, api_key_id: e.api_key_id, ip: e.ip, user_agent: e.user_agent });
        let mut c = crate::db::conn(&self.pool).await?;
        record(
            &mut c,
            &actor,
            Entry {
                action,
                target_type: truncate(&e.target_type, 64),
                target_id: truncate(&e.target_id, 200).to_owned(),
                success: e.success,
                details,
            },
        )
        .await
        .map_err(crate::db::db_status)?;
        Ok(tonic::Response::new(pb::RecordEventResponse {}))
    }

    async fn list_events(
        &self,
        request: tonic::Request<pb::ListEventsRequest>,
    ) -> Result<tonic::Response<pb::ListEventsResponse>, tonic::Status> {
        use crate::models::AuditRow;
        use crate::util::{Cursor, like_escape, page_limit, parse_opt_id};
        const SORT: &str = "-at";
        let req = request.into_inner();
        let limit = page_limit(req.limit);
        let cursor = Cursor::decode(&req.cursor, SORT)?;
        let mut q = audit_events::table
            .select(AuditRow::as_select())
            .order((audit_events::at.desc(), audit_events::id.desc()))
            .into_boxed();
        if let Some(u) = parse_opt_id(&req.user_id, "user_id")? {
            q = q.filter(audit_events::user_id.eq(u));
        }
        let prefix = req.action_prefix.trim();
        if !prefix.is_empty() {
            q = q.filter(audit_events::action.like(format!("{}%", like_escape(prefix))));
        }
        if let Some(t) = parse_time(&req.since, "since")? {
            q = q.filter(audit_events::at.ge(t));
        }
        if let Some(t) = parse_time(&req.until, "until")? {
            q = q.filter(audit_events::at.lt(t));
        }
        if let Some(cur) = cursor {
            let at = parse_time(&cur.v, "cursor")?.unwrap_or_default();
            q = q.filter(audit_events::at.lt(at).or(audit_events::at.eq(at).and(audit_events::id.lt(cur.id))));
        }
        let mut c = crate::db::conn(&self.pool).await?;
        let mut rows: Vec<AuditRow> = q.limit(limit + 1).load(&mut c).await.map_err(crate::db::db_status)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => {
                Cursor { s: SORT.into(), v: last.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true), id: last.id }
                    .encode()
            }
            _ => String::new(),
        };
        Ok(tonic::Response::new(pb::ListEventsResponse {
            events: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }
}
