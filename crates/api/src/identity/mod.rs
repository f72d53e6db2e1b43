//! `IdentityService`: users and their passwords, sessions (rotating refresh
//! tokens), API keys, and the first admin.
//!
//! Authorisation happens at the gateway, the only client; this service keeps
//! the invariants that hold whoever calls: a disabled user neither signs in
//! nor keeps working sessions or keys, a viewer's key cannot write, and at
//! least one enabled admin always remains.

pub mod keys;
pub mod passwords;
pub mod sessions;
pub mod tokens;
pub mod users;

use crate::audit::{self, Entry};
use crate::config::LoginConfig;
use crate::db::PgPool;
use aidoc_proto::api::v1 as pb;
use diesel_async::AsyncPgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct Identity {
    pool: PgPool,
    login: LoginConfig,
}

impl Identity {
    pub fn new(pool: PgPool, login: LoginConfig) -> Self {
        Identity { pool, login }
    }
}

/// `actor`, with the user it acts as filled in (a sign-in has no actor yet).
pub(crate) fn acting_as(actor: &Option<pb::Actor>, user: Uuid) -> Option<pb::Actor> {
    let mut a = actor.clone().unwrap_or_default();
    a.user_id = user.to_string();
    Some(a)
}

/// Records an authentication event in the audit log and counts it.
pub(crate) async fn auth_event(
    c: &mut AsyncPgConnection,
    actor: &Option<pb::Actor>,
    event: &'static str,
    target: Option<(&'static str, String)>,
    success: bool,
    details: serde_json::Value,
) -> diesel::QueryResult<()> {
    metrics::counter!(crate::metrics::AUTH_EVENTS_TOTAL, "event" => event).increment(1);
    let (target_type, target_id) = target.unwrap_or(("", String::new()));
    audit::record(c, actor, Entry { action: &format!("auth.{event}"), target_type, target_id, success, details }).await
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for Identity {
    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let user = sessions::authenticate(&self.pool, &self.login, request.into_inner()).await?;
        Ok(Response::new(pb::AuthenticateResponse { user: Some(user) }))
    }

    async fn create_session(
        &self,
        request: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::CreateSessionResponse>, Status> {
        Ok(Response::new(sessions::create(&self.pool, &self.login, request.into_inner()).await?))
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        Ok(Response::new(sessions::refresh(&self.pool, &self.login, request.into_inner()).await?))
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        sessions::revoke(&self.pool, request.into_inner()).await?;
        Ok(Response::new(pb::RevokeSessionResponse {}))
    }

    async fn verify_session(
        &self,
        request: Request<pb::VerifySessionRequest>,
    ) -> Result<Response<pb::VerifySessionResponse>, Status> {
        let user = sessions::verify(&self.pool, &request.get_ref().session_id).await?;
        Ok(Response::new(pb::VerifySessionResponse { user: Some(user) }))
    }

    async fn create_user(&self, request: Request<pb::CreateUserRequest>) -> Result<Response<pb::User>, Status> {
        Ok(Response::new(users::create(&self.pool, request.into_inner()).await?))
    }

    async fn get_user(&self, request: Request<pb::GetUserRequest>) -> Result<Response<pb::User>, Status> {
        Ok(Response::new(users::get(&self.pool, &request.get_ref().id).await?))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        Ok(Response::new(users::list(&self.pool, request.into_inner()).await?))
    }

    async fn update_user(&self, request: Request<pb::UpdateUserRequest>) -> Result<Response<pb::User>, Status> {
        Ok(Response::new(users::update(&self.pool, request.into_inner()).await?))
    }

    async fn ensure_admin(
        &self,
        request: Request<pb::EnsureAdminRequest>,
    ) -> Result<Response<pb::EnsureAdminResponse>, Status> {
        let req = request.into_inner();
        Ok(Response::new(users::ensure_admin(&self.pool, &req.username, &req.password).await?))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Result<Response<pb::CreateApiKeyResponse>, Status> {
        Ok(Response::new(keys::create(&self.pool, request.into_inner()).await?))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, Status> {
        Ok(Response::new(keys::list(&self.pool, &request.get_ref().user_id).await?))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokeApiKeyResponse>, Status> {
        keys::revoke(&self.pool, request.into_inner()).await?;
        Ok(Response::new(pb::RevokeApiKeyResponse {}))
    }

    async fn verify_api_key(
        &self,
        request: Request<pb::VerifyApiKeyRequest>,
    ) -> Result<Response<pb::VerifyApiKeyResponse>, Status> {
        let req = request.into_inner();
        Ok(Response::new(keys::verify(&self.pool, &req.secret, &req.actor).await?))
    }
}
