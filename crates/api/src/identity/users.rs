//! Users: create, read, list, change (role, disabled, password), and the
//! first admin.

use super::{passwords, sessions};
use crate::audit::{self, Entry};
use crate::db::{Failure, PgPool, conn, db_status};
use crate::models::{UserRow, role_name};
use crate::schema::users;
use crate::util::{Cursor, page_limit, parse_id};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use tonic::Status;
use uuid::Uuid;

pub const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// User names: 3–64 of `a-z 0-9 . _ - @`, compared in lower case.
pub fn clean_username(raw: &str) -> Result<String, String> {
    let name = raw.trim().to_lowercase();
    if !(3..=64).contains(&name.chars().count()) {
        return Err("a user name has 3 to 64 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')) {
        return Err("a user name uses only letters, digits and . _ - @".into());
    }
    Ok(name)
}

fn clean_display_name(raw: &str) -> Result<String, Status> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ErrorCode::InvalidArgument
            .status(format!("display_name: at most {MAX_DISPLAY_NAME_CHARS} printable characters")));
    }
    Ok(name)
}

fn role_from(raw: i32) -> Result<&'static str, Status> {
    pb::Role::try_from(raw)
        .ok()
        .and_then(role_name)
        .ok_or_else(|| ErrorCode::InvalidArgument.status("role must be one of admin, editor, viewer"))
}

fn policy(password: &str) -> Result<(), Status> {
    passwords::check_policy(password).map_err(|why| ErrorCode::InvalidArgument.status(format!("password: {why}")))
}

pub(crate) async fn load(c: &mut AsyncPgConnection, id: Uuid) -> Result<UserRow, Failure> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional()?
        .ok_or_else(|| ErrorCode::NotFound.status(format!("user {id} does not exist")).into())
}

fn taken(e: diesel::result::Error, name: &str) -> Failure {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            ErrorCode::AlreadyExists.status(format!("the user name `{name}` is taken")).into()
        }
        other => other.into(),
    }
}

pub async fn create(pool: &PgPool, req: pb::CreateUserRequest) -> Result<pb::User, Status> {
    let username = clean_username(&req.username).map_err(|why| ErrorCode::InvalidArgument.status(why))?;
    let display_name = clean_display_name(&req.display_name)?;
    let role = role_from(req.role)?;
    policy(&req.password)?;
    let hash = passwords::hash(req.password).await?;
    let actor = req.actor;
    let mut c = conn(pool).await?;
    let row = c
        .transaction::<_, Failure, _>(async |c| {
            let id = Uuid::now_v7();
            let row: UserRow = diesel::insert_into(users::table)
                .values((
                    users::id.eq(id),
                    users::username.eq(&username),
                    users::display_name.eq(&display_name),
                    users::password_hash.eq(&hash),
                    users::role.eq(role),
                ))
                .returning(UserRow::as_returning())
                .get_result(c)
                .await
                .map_err(|e| taken(e, &username))?;
            audit::record(
                c,
                &actor,
                Entry {
                    action: "user.create",
                    target_type: "user",
                    target_id: id.to_string(),
                    success: true,
                    details: json!({ "username": username, "role": role }),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(row.into())
}

pub async fn get(pool: &PgPool, id: &str) -> Result<pb::User, Status> {
    let id = parse_id(id, "user id")?;
    let mut c = conn(pool).await?;
    Ok(load(&mut c, id).await?.into())
}

fn micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub async fn list(pool: &PgPool, req: pb::ListUsersRequest) -> Result<pb::ListUsersResponse, Status> {
    const SORT: &str = "users";
    let limit = page_limit(req.limit);
    let cursor = Cursor::decode(&req.cursor, SORT)?;
    let mut q =
        users::table.select(UserRow::as_select()).order((users::created_at.asc(), users::id.asc())).into_boxed();
    if let Some(cur) = cursor {
        let at = DateTime::parse_from_rfc3339(&cur.v)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ErrorCode::InvalidArgument.status("cursor is not valid for this listing"))?;
        q = q.filter(users::created_at.gt(at).or(users::created_at.eq(at).and(users::id.gt(cur.id))));
    }
    let mut c = conn(pool).await?;
    let mut rows: Vec<UserRow> = q.limit(limit + 1).load(&mut c).await.map_err(db_status)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Cursor { s: SORT.into(), v: micros(last.created_at), id: last.id }.encode(),
        _ => String::new(),
    };
    Ok(pb::ListUsersResponse { users: rows.into_iter().map(Into::into).collect(), next_cursor })
}

/// Enabled admins other than `except`.
async fn other_admins(c: &mut AsyncPgConnection, except: Uuid) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::disabled.eq(false))
        .filter(users::id.ne(except))
        .count()
        .get_result(c)
        .await
}

pub async fn update(pool: &PgPool, req: pb::UpdateUserRequest) -> Result<pb::User, Status> {
    let id = parse_id(&req.id, "user id")?;
    let display_name = req.display_name.as_deref().map(clean_display_name).transpose()?;
    let role = req.role.map(role_from).transpose()?;
    let hash = match req.password {
        Some(p) => {
            policy(&p)?;
            Some(passwords::hash(p).await?)
        }
        None => None,
    };
    let disabled = req.disabled;
    let actor = req.actor;
    let mut c = conn(pool).await?;
    let row = c
        .transaction::<_, Failure, _>(async |c| {
            // Serialise changes to admins so that two concurrent demotions
            // cannot leave none.
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('aidoc.users.admins'))").execute(c).await?;
            let before = load(c, id).await?;
            let stays_admin =
                role.map_or(before.role == "admin", |r| r == "admin") && !disabled.unwrap_or(before.disabled);
            if before.role == "admin" && !before.disabled && !stays_admin && other_admins(c, id).await? == 0 {
                return Err(ErrorCode::Conflict
                    .status("this is the last enabled admin: make another user admin first")
                    .into());
            }
            let now = Utc::now();
            diesel::update(users::table.find(id)).set(users::updated_at.eq(now)).execute(c).await?;
            if let Some(n) = &display_name {
                diesel::update(users::table.find(id)).set(users::display_name.eq(n)).execute(c).await?;
            }
            if let Some(r) = role {
                diesel::update(users::table.find(id)).set(users::role.eq(r)).execute(c).await?;
            }
            if let Some(d) = disabled {
                diesel::update(users::table.find(id)).set(users::disabled.eq(d)).execute(c).await?;
            }
            if let Some(h) = &hash {
                diesel::update(users::table.find(id))
                    .set((
                        users::password_hash.eq(h),
                        users::failed_logins.eq(0),
                        users::locked_until.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(c)
                    .await?;
            }
            // A disabled account or a new password ends every session.
            let ended =
                if disabled == Some(true) || hash.is_some() { sessions::revoke_all_of(c, id).await? } else { 0 };
            audit::record(
                c,
                &actor,
                Entry {
                    action: "user.update",
                    target_type: "user",
                    target_id: id.to_string(),
                    success: true,
                    details: json!({
                        "username": before.username,
                        "display_name": display_name,
                        "role": role.map(|r| json!({ "from": before.role, "to": r })),
                        "disabled": disabled,
                        "password_changed": hash.is_some(),
                        "sessions_revoked": ended,
                    }),
                },
            )
            .await?;
            load(c, id).await
        })
        .await?;
    Ok(row.into())
}

/// A readable generated password: 20 characters of letters and digits (~119 bits).
fn generated_password() -> String {
    use rand::Rng;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(20).map(char::from).collect()
}

/// Creates the first admin when there is no user at all; a no-op otherwise.
/// Safe to run from several replicas at once.
pub async fn ensure_admin(pool: &PgPool, username: &str, password: &str) -> Result<pb::EnsureAdminResponse, Status> {
    let username = clean_username(if username.trim().is_empty() { "admin" } else { username })
        .map_err(|why| ErrorCode::InvalidArgument.status(why))?;
    let (password, generated) =
        if password.is_empty() { (generated_password(), true) } else { (password.to_owned(), false) };
    policy(&password)?;
    let mut c = conn(pool).await?;
    let existing: i64 = users::table.count().get_result(&mut c).await.map_err(db_status)?;
    if existing > 0 {
        return Ok(pb::EnsureAdminResponse { created: false, username, generated_password: String::new() });
    }
    let hash = passwords::hash(password.clone()).await?;
    let created = c
        .transaction::<_, Failure, _>(async |c| {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('aidoc.users.bootstrap'))").execute(c).await?;
            let existing: i64 = users::table.count().get_result(c).await?;
            if existing > 0 {
                return Ok(false);
            }
            let id = Uuid::now_v7();
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(id),
                    users::username.eq(&username),
                    users::display_name.eq("Administrator"),
                    users::password_hash.eq(&hash),
                    users::role.eq("admin"),
                ))
                .execute(c)
                .await?;
            audit::record(
                c,
                &None,
                Entry {
                    action: "user.create",
                    target_type: "user",
                    target_id: id.to_string(),
                    success: true,
                    details: json!({ "username": username, "role": "admin", "first_admin": true, "generated_password": generated }),
                },
            )
            .await?;
            Ok(true)
        })
        .await?;
    Ok(pb::EnsureAdminResponse {
        created,
        username,
        generated_password: if created && generated { password } else { String::new() },
    })
}

/// Marks a user as seen now, at most once a minute (sign-in, refresh, key use).
pub(crate) async fn touch_seen(c: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    let minute_ago = Utc::now() - chrono::Duration::minutes(1);
    diesel::update(users::table.find(id))
        .filter(users::last_seen_at.is_null().or(users::last_seen_at.lt(minute_ago)))
        .set(users::last_seen_at.eq(Utc::now()))
        .execute(c)
        .await
        .map(|_| ())
}

/// Users seen within `window` and not disabled (`aidoc_active_users`).
pub async fn count_active(pool: &PgPool, window: chrono::Duration) -> Result<i64, String> {
    let mut c = pool.get().await.map_err(|e| e.to_string())?;
    users::table
        .filter(users::disabled.eq(false))
        .filter(users::last_seen_at.gt(Utc::now() - window))
        .count()
        .get_result(&mut c)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_lowercase_and_limited() {
        assert_eq!(clean_username("  Alice.Smith@Example.org ").unwrap(), "alice.smith@example.org");
        assert!(clean_username("ab").is_err());
        assert!(clean_username("has space").is_err());
        assert!(clean_username(&"a".repeat(65)).is_err());
        assert!(clean_username("名字名字").is_err());
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let p = generated_password();
        assert_eq!(p.len(), 20);
        assert!(passwords::check_policy(&p).is_ok());
        assert!(!crate::identity::tokens::random_token().is_empty());
    }
}
