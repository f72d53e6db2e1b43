//! RPCs of the contract whose capability lands with a later part of the
//! system answer `UNIMPLEMENTED` with a typed error; they never invent data.

use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;

macro_rules! pending_service {
    ($svc:ident, $trait_path:path, $why:literal, { $($method:ident($req:ty) -> $resp:ty;)* }) => {
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $svc;

        #[tonic::async_trait]
        impl $trait_path for $svc {
            $(
                async fn $method(&self, _request: tonic::Request<$req>) -> Result<tonic::Response<$resp>, tonic::Status> {
                    Err(ErrorCode::Unimplemented.status(concat!(stringify!($method), ": ", $why)))
                }
            )*
        }
    };
}

pending_service!(Identity, pb::identity_service_server::IdentityService, "users and keys are not available in this release", {
    authenticate(pb::AuthenticateRequest) -> pb::AuthenticateResponse;
    create_session(pb::CreateSessionRequest) -> pb::CreateSessionResponse;
    refresh_session(pb::RefreshSessionRequest) -> pb::RefreshSessionResponse;
    revoke_session(pb::RevokeSessionRequest) -> pb::RevokeSessionResponse;
    create_user(pb::CreateUserRequest) -> pb::User;
    get_user(pb::GetUserRequest) -> pb::User;
    list_users(pb::ListUsersRequest) -> pb::ListUsersResponse;
    update_user(pb::UpdateUserRequest) -> pb::User;
    ensure_admin(pb::EnsureAdminRequest) -> pb::EnsureAdminResponse;
    create_api_key(pb::CreateApiKeyRequest) -> pb::CreateApiKeyResponse;
    list_api_keys(pb::ListApiKeysRequest) -> pb::ListApiKeysResponse;
    revoke_api_key(pb::RevokeApiKeyRequest) -> pb::RevokeApiKeyResponse;
    verify_api_key(pb::VerifyApiKeyRequest) -> pb::VerifyApiKeyResponse;
});

pending_service!(Audit, pb::audit_service_server::AuditService, "the audit log is not available in this release", {
    record_event(pb::RecordEventRequest) -> pb::RecordEventResponse;
    list_events(pb::ListEventsRequest) -> pb::ListEventsResponse;
});
