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
