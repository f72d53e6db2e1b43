//! `/api/v1/jobs`: the ingest queue, for operators.

use crate::auth::Reader;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use aidoc_proto::api::v1::job_service_client::JobServiceClient;
use serde::Deserialize;
use utoipa::IntoParams;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/jobs").route(web::get().to(list)))
        .service(web::resource("/api/v1/jobs/stats").route(web::get().to(stats)));
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// `queued`, `running`, `succeeded` or `failed`.
    #[param(value_type = Option<dto::JobStateName>)]
    pub state: Option<String>,
    /// Only this document's jobs.
    pub document_id: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(JobQuery),
    responses((status = 200, description = "One page of jobs.", body = dto::Page<dto::Job>)))]
pub async fn list(state: web::Data<AppState>, _: Reader, q: web::Query<JobQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let job_state = match q.state.as_deref().unwrap_or("") {
        "" => api::JobState::Unspecified,
        "queued" => api::JobState::Queued,
        "running" => api::JobState::Running,
        "succeeded" => api::JobState::Succeeded,
        "failed" => api::JobState::Failed,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!("state `{other}` is not one of queued, running, succeeded, failed"),
            ));
        }
    };
    let resp = JobServiceClient::new(state.backends.api.clone())
        .list_jobs(api::ListJobsRequest {
            state: job_state as i32,
            document_id: q.document_id.unwrap_or_default(),
            limit: q.limit.unwrap_or(0),
            cursor: q.cursor.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Page {
        items: resp.jobs.into_iter().map(dto::Job::from).collect::<Vec<_>>(),
        next_cursor: (!resp.next_cursor.is_empty()).then_some(resp.next_cursor),
    }))
}

/// How many jobs are in each state, and the age of the oldest queued one.
#[utoipa::path(get, path = "/api/v1/jobs/stats", tag = "jobs",
    responses((status = 200, description = "Queue figures.", body = dto::QueueStats)))]
pub async fn stats(state: web::Data<AppState>, _: Reader) -> ApiResult<HttpResponse> {
    let s =
        JobServiceClient::new(state.backends.api.clone()).queue_stats(api::QueueStatsRequest {}).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::QueueStats {
        queued: s.queued,
        running: s.running,
        failed: s.failed,
        succeeded: s.succeeded,
        oldest_queued_age_seconds: s.oldest_queued_age_seconds,
    }))
}
