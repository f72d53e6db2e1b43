//! `aidoc.common.v1.Info`, served by every gRPC service: its name, version,
//! start time and most recent warnings and errors.

use aidoc_proto::common::v1 as pb;
use std::time::SystemTime;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct Info {
    name: &'static str,
    version: &'static str,
    started_at: SystemTime,
}

impl Info {
    pub fn new(name: &'static str, version: &'static str, started_at: SystemTime) -> Self {
        Info { name, version, started_at }
    }

    pub fn server(self) -> pb::info_server::InfoServer<Info> {
        pb::info_server::InfoServer::new(self)
    }
}

/// Most events returned by one call.
pub const MAX_EVENTS: usize = crate::events::CAPACITY;

#[tonic::async_trait]
impl pb::info_server::Info for Info {
    async fn get(&self, _: Request<pb::GetInfoRequest>) -> Result<Response<pb::GetInfoResponse>, Status> {
        Ok(Response::new(pb::GetInfoResponse {
            name: self.name.to_owned(),
            version: self.version.to_owned(),
            started_at: humantime::format_rfc3339_seconds(self.started_at).to_string(),
        }))
    }

    async fn recent_events(
        &self,
        request: Request<pb::RecentEventsRequest>,
    ) -> Result<Response<pb::RecentEventsResponse>, Status> {
        let limit = (request.into_inner().limit as usize).min(MAX_EVENTS);
        let events = crate::events::ring().recent(limit).iter().map(crate::events::LogEvent::to_proto).collect();
        Ok(Response::new(pb::RecentEventsResponse { events }))
    }
}
