//! `JobService`: the ingest queue. Workers claim jobs with a lease
//! (`FOR UPDATE SKIP LOCKED`), extend it with heartbeats and complete or
//! fail them; an expired lease makes the job claimable again, so a worker
//! killed mid-job loses nothing.

use crate::db::{Failure, PgPool, conn, db_status};
use crate::models::{JobRow, job_state_name, job_state_of};
use crate::util::{Cursor, page_limit, parse_id, parse_opt_id, ts};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Bool, Double, Int4, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::time::Duration;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct Jobs {
    pool: PgPool,
    retry_backoff: Duration,
    max_lease: Duration,
}

impl Jobs {
    pub fn new(pool: PgPool, retry_backoff: Duration, max_lease: Duration) -> Self {
        Jobs { pool, retry_backoff, max_lease }
    }

    fn lease_seconds(&self, requested: u32) -> f64 {
        let max = self.max_lease.as_secs_f64().max(1.0);
        match requested {
            0 => 60f64.min(max),
            n => f64::from(n).min(max),
        }
    }
}

const JOB_COLUMNS: &str = "j.id, j.document_id, j.state, j.attempts, j.max_attempts, j.worker_id, j.lease_expires_at, \
     j.run_after, j.last_error_code, j.last_error, j.created_at, j.updated_at, \
     d.blob_key, d.file_name, d.media_type, d.sha256";

/// Jobs whose lease expired after their last allowed attempt fail with
/// `worker_lost` (a file that keeps killing its worker must not loop).
const FAIL_EXHAUSTED: &str = "WITH exhausted AS (
    UPDATE catalog.ingest_jobs SET state = 'failed', lease_expires_at = NULL, updated_at = now(),
        last_error_code = 'worker_lost',
        last_error = 'the worker processing this document stopped responding on every attempt'
    WHERE state = 'running' AND lease_expires_at < now() AND attempts >= max_attempts
    RETURNING document_id, last_error_code, last_error)
UPDATE catalog.documents d SET status = 'failed', failure_code = e.last_error_code,
    failure_message = e.last_error, updated_at = now()
FROM exhausted e WHERE d.id = e.document_id";

fn claim_sql() -> String {
    format!(
        "WITH next AS (
            SELECT id FROM catalog.ingest_jobs
            WHERE (state = 'queued' AND run_after <= now()) OR (state = 'running' AND lease_expires_at < now())
            ORDER BY run_after, created_at
            LIMIT 1
            FOR UPDATE SKIP LOCKED),
        claimed AS (
            UPDATE catalog.ingest_jobs j SET state = 'running', attempts = j.attempts + 1, worker_id = $1,
                lease_expires_at = now() + make_interval(secs => $2), updated_at = now()
            FROM next WHERE j.id = next.id
            RETURNING j.*),
        d AS (
            UPDATE catalog.documents doc SET status = 'parsing', updated_at = now()
            FROM claimed c WHERE doc.id = c.document_id
            RETURNING doc.id, doc.blob_key, doc.file_name, doc.media_type, doc.sha256)
        SELECT {JOB_COLUMNS} FROM claimed j JOIN d ON d.id = j.document_id"
    )
}

#[derive(QueryableByName)]
struct LeaseRow {
    #[diesel(sql_type = Timestamptz)]
    lease_expires_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct FailRow {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Timestamptz)]
    run_after: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct StatsRow {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    queued: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    running: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    failed: i64,
    #[diesel(sql_type = diesel::sql_types::Int8)]
    succeeded: i64,
    #[diesel(sql_type = Double)]
    oldest: f64,
}

fn lease_lost(job: Uuid) -> Status {
    ErrorCode::Conflict.status(format!("lease_lost: job {job} is not running under this worker"))
}

fn worker(id: &str) -> Result<&str, Status> {
    if id.is_empty() || id.len() > 200 {
        return Err(ErrorCode::InvalidArgument.status("worker_id is required (at most 200 bytes)"));
    }
    Ok(id)
}

/// Queue depth by state and the age of the oldest runnable job.
pub async fn queue_stats(c: &mut AsyncPgConnection) -> diesel::QueryResult<pb::QueueStatsResponse> {
    let s: StatsRow = diesel::sql_query(
        "SELECT count(*) FILTER (WHERE state = 'queued') AS queued,
                count(*) FILTER (WHERE state = 'running') AS running,
                count(*) FILTER (WHERE state = 'failed') AS failed,
                count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
                coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'queued')), 0)::float8 AS oldest
         FROM catalog.ingest_jobs",
    )
    .get_result(c)
    .await?;
    Ok(pb::QueueStatsResponse {
        queued: s.queued.max(0) as u64,
        running: s.running.max(0) as u64,
        failed: s.failed.max(0) as u64,
        succeeded: s.succeeded.max(0) as u64,
        oldest_queued_age_seconds: s.oldest.max(0.0),
    })
}

/// Publishes the queue as `aidoc_ingest_queue_depth{state}` and
/// `aidoc_ingest_oldest_job_age_seconds`.
/// Returns the figures for the monitor's queue samples.
pub async fn record_queue_metrics(pool: &PgPool) -> Option<pb::QueueStatsResponse> {
    let Ok(mut c) = pool.get().await else { return None };
    match queue_stats(&mut c).await {
        Ok(s) => {
            for (state, n) in [("queued", s.queued), ("running", s.running), ("failed", s.failed)] {
                metrics::gauge!(crate::metrics::INGEST_QUEUE_DEPTH, "state" => state).set(n as f64);
            }
            metrics::gauge!(crate::metrics::INGEST_OLDEST_JOB_AGE_SECONDS).set(s.oldest_queued_age_seconds);
            Some(s)
        }
        Err(e) => {
            tracing::warn!(error = %e, "queue statistics unavailable");
            None
        }
    }
}

#[tonic::async_trait]
impl pb::job_service_server::JobService for Jobs {
    async fn claim_job(&self, request: Request<pb::ClaimJobRequest>) -> Result<Response<pb::ClaimJobResponse>, Status> {
        let req = request.into_inner();
        let worker_id = worker(&req.worker_id)?.to_owned();
        let secs = self.lease_seconds(req.lease_seconds);
        let mut c = conn(&self.pool).await?;
        let job = c
            .transaction::<_, Failure, _>(async |c| {
                diesel::sql_query(FAIL_EXHAUSTED).execute(c).await?;
                let job: Option<JobRow> = diesel::sql_query(claim_sql())
                    .bind::<Text, _>(&worker_id)
                    .bind::<Double, _>(secs)
                    .get_result(c)
                    .await
                    .optional()?;
                Ok(job)
            })
            .await?;
        if let Some(j) = &job {
            tracing::info!(job = %j.id, document = %j.document_id, attempt = j.attempts, worker = %worker_id, "job claimed");
        }
        Ok(Response::new(pb::ClaimJobResponse { job: job.map(Into::into) }))
    }

    async fn heartbeat(
        &self,
        request: Request<pb::HeartbeatRequest>,
    ) -> Result<Response<pb::HeartbeatResponse>, Status> {
        let req = request.into_inner();
        let job = parse_id(&req.job_id, "job_id")?;
        let worker_id = worker(&req.worker_id)?;
        let secs = self.lease_seconds(req.lease_seconds);
        let mut c = conn(&self.pool).await?;
        let row: Option<LeaseRow> = diesel::sql_query(
            "UPDATE catalog.ingest_jobs SET lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
             WHERE id = $1 AND worker_id = $2 AND state = 'running' RETURNING lease_expires_at",
        )
        .bind::<diesel::sql_types::Uuid, _>(job)
        .bind::<Text, _>(worker_id)
        .bind::<Double, _>(secs)
        .get_result(&mut c)
        .await
        .optional()
        .map_err(db_status)?;
        let row = row.ok_or_else(|| lease_lost(job))?;
        Ok(Response::new(pb::HeartbeatResponse { lease_expires_at: ts(row.lease_expires_at) }))
    }

    async fn complete_job(
        &self,
        request: Request<pb::CompleteJobRequest>,
    ) -> Result<Response<pb::CompleteJobResponse>, Status> {
        let req = request.into_inner();
        let job = parse_id(&req.job_id, "job_id")?;
        let worker_id = worker(&req.worker_id)?.to_owned();
        let title: String = req.title.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(500).collect();
        let author: String = req.author.chars().take(500).collect();
        let language: String = req.language.chars().take(35).collect();
        let mut c = conn(&self.pool).await?;
        let done = c
            .transaction::<_, Failure, _>(async |c| {
                let n = diesel::sql_query(
                    "WITH j AS (
                        UPDATE catalog.ingest_jobs SET state = 'succeeded', lease_expires_at = NULL, updated_at = now(),
                            last_error_code = '', last_error = ''
                        WHERE id = $1 AND worker_id = $2 AND state = 'running' RETURNING document_id)
                     UPDATE catalog.documents d SET status = 'ready', page_count = $3, chunk_count = $4,
                        language = $5, author = $6,
                        title = CASE WHEN d.title_source <> 'user' AND $7 <> '' THEN $7 ELSE d.title END,
                        title_source = CASE WHEN d.title_source <> 'user' AND $7 <> '' THEN 'document' ELSE d.title_source END,
                        failure_code = '', failure_message = '', updated_at = now()
                     FROM j WHERE d.id = j.document_id",
                )
                .bind::<diesel::sql_types::Uuid, _>(job)
                .bind::<Text, _>(&worker_id)
                .bind::<Int4, _>(i32::try_from(req.page_count).unwrap_or(i32::MAX))
                .bind::<Int4, _>(i32::try_from(req.chunk_count).unwrap_or(i32::MAX))
                .bind::<Text, _>(&language)
                .bind::<Text, _>(&author)
                .bind::<Text, _>(&title)
                .execute(c)
                .await?;
                if n > 0 {
                    crate::monitor::record_completed(c, req.page_count, req.chunk_count).await?;
                }
                Ok(n)
            })
            .await?;
        if done == 0 {
            return Err(lease_lost(job));
        }
        tracing::info!(job = %job, worker = %worker_id, chunks = req.chunk_count, "job succeeded");
        Ok(Response::new(pb::CompleteJobResponse {}))
    }

    async fn fail_job(&self, request: Request<pb::FailJobRequest>) -> Result<Response<pb::FailJobResponse>, Status> {
        let req = request.into_inner();
        let job = parse_id(&req.job_id, "job_id")?;
        let worker_id = worker(&req.worker_id)?.to_owned();
        if req.error_code.is_empty() {
            return Err(ErrorCode::InvalidArgument.status("error_code is required"));
        }
        let code: String = req.error_code.chars().take(64).collect();
        let message: String = req.message.chars().take(2000).collect();
        let backoff = self.retry_backoff.as_secs_f64();
        let mut c = conn(&self.pool).await?;
        let row = c
            .transaction::<_, Failure, _>(async |c| {
                let row: Option<FailRow> = diesel::sql_query(
                    "WITH j AS (
                        UPDATE catalog.ingest_jobs SET
                            state = CASE WHEN $5 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                            run_after = CASE WHEN $5 AND attempts < max_attempts
                                THEN now() + make_interval(secs => least($6 * power(2, attempts - 1), 3600))
                                ELSE run_after END,
                            lease_expires_at = NULL, worker_id = '', last_error_code = $3, last_error = $4,
                            updated_at = now()
                        WHERE id = $1 AND worker_id = $2 AND state = 'running'
                        RETURNING document_id, state, run_after),
                     d AS (
                        UPDATE catalog.documents doc SET
                            status = CASE WHEN j.state = 'failed' THEN 'failed' ELSE 'queued' END,
                            failure_code = CASE WHEN j.state = 'failed' THEN $3 ELSE '' END,
                            failure_message = CASE WHEN j.state = 'failed' THEN $4 ELSE '' END,
                            updated_at = now()
                        FROM j WHERE doc.id = j.document_id)
                     SELECT state, run_after FROM j",
                )
                .bind::<diesel::sql_types::Uuid, _>(job)
                .bind::<Text, _>(&worker_id)
                .bind::<Text, _>(&code)
                .bind::<Text, _>(&message)
                .bind::<Bool, _>(req.retryable)
                .bind::<Double, _>(backoff)
                .get_result(c)
                .await
                .optional()?;
                Ok(row)
            })
            .await?;
        let row = row.ok_or_else(|| lease_lost(job))?;
        tracing::warn!(job = %job, code = %code, state = %row.state, "job failed: {message}");
        Ok(Response::new(pb::FailJobResponse {
            state: job_state_of(&row.state) as i32,
            run_after: if row.state == "queued" { ts(row.run_after) } else { String::new() },
        }))
    }

    async fn report_progress(
        &self,
        request: Request<pb::ReportProgressRequest>,
    ) -> Result<Response<pb::ReportProgressResponse>, Status> {
        let req = request.into_inner();
        let job = parse_id(&req.job_id, "job_id")?;
        let worker_id = worker(&req.worker_id)?;
        let status = match pb::Stage::try_from(req.stage).unwrap_or(pb::Stage::Unspecified) {
            pb::Stage::Parsing => "parsing",
            pb::Stage::Indexing => "indexing",
            pb::Stage::Unspecified => return Err(ErrorCode::InvalidArgument.status("stage is required")),
        };
        let mut c = conn(&self.pool).await?;
        let n = diesel::sql_query(
            "UPDATE catalog.documents SET status = $3, updated_at = now()
             WHERE id = (SELECT document_id FROM catalog.ingest_jobs WHERE id = $1 AND worker_id = $2 AND state = 'running')",
        )
        .bind::<diesel::sql_types::Uuid, _>(job)
        .bind::<Text, _>(worker_id)
        .bind::<Text, _>(status)
        .execute(&mut c)
        .await
        .map_err(db_status)?;
        if n == 0 {
            return Err(lease_lost(job));
        }
        Ok(Response::new(pb::ReportProgressResponse {}))
    }

    async fn list_jobs(&self, request: Request<pb::ListJobsRequest>) -> Result<Response<pb::ListJobsResponse>, Status> {
        let req = request.into_inner();
        let limit = page_limit(req.limit);
        let state = job_state_name(pb::JobState::try_from(req.state).unwrap_or(pb::JobState::Unspecified));
        let document = parse_opt_id(&req.document_id, "document_id")?;
        let cursor = Cursor::decode(&req.cursor, "-id")?;
        let mut c = conn(&self.pool).await?;
        let rows: Vec<JobRow> = diesel::sql_query(format!(
            "SELECT {JOB_COLUMNS} FROM catalog.ingest_jobs j JOIN catalog.documents d ON d.id = j.document_id
             WHERE ($1::text IS NULL OR j.state = $1) AND ($2::uuid IS NULL OR j.document_id = $2)
               AND ($3::uuid IS NULL OR j.id < $3)
             ORDER BY j.id DESC LIMIT $4"
        ))
        .bind::<Nullable<Text>, _>(state)
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(document)
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(cursor.map(|c| c.id))
        .bind::<diesel::sql_types::Int8, _>(limit + 1)
        .load(&mut c)
        .await
        .map_err(db_status)?;
        let more = rows.len() as i64 > limit;
        let mut rows = rows;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => Cursor { s: "-id".into(), v: String::new(), id: last.id }.encode(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListJobsResponse { jobs: rows.into_iter().map(Into::into).collect(), next_cursor }))
    }

    async fn queue_stats(
        &self,
        _request: Request<pb::QueueStatsRequest>,
    ) -> Result<Response<pb::QueueStatsResponse>, Status> {
        let mut c = conn(&self.pool).await?;
        Ok(Response::new(queue_stats(&mut c).await.map_err(db_status)?))
    }
}
