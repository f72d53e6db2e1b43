use crate::support::{Api, code_of};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use std::collections::HashSet;
use std::time::Duration;

async fn claim(api: &Api, worker: &str, lease: u32) -> Option<pb::Job> {
    api.jobs()
        .claim_job(pb::ClaimJobRequest { worker_id: worker.into(), lease_seconds: lease })
        .await
        .expect("claim")
        .into_inner()
        .job
}

async fn document(api: &Api, id: &str) -> pb::Document {
    api.catalog().get_document(pb::GetDocumentRequest { id: id.into() }).await.expect("get").into_inner()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_runs_from_claim_to_ready_and_reindex_queues_it_again() {
    let api = Api::start(&[]).await;
    let doc = api.upload("manual.pdf", "manual", &[]).await.document.unwrap();
    let job = claim(&api, "w1", 30).await.expect("a job is due");
    assert_eq!(
        (job.document_id.as_str(), job.attempts, job.blob_key.as_str()),
        (doc.id.as_str(), 1, doc.blob_key.as_str())
    );
    assert_eq!(document(&api, &doc.id).await.status, pb::DocumentStatus::Parsing as i32);
    assert!(claim(&api, "w2", 30).await.is_none(), "a leased job is not handed out twice");

    let mut jobs = api.jobs();
    jobs.heartbeat(pb::HeartbeatRequest { job_id: job.id.clone(), worker_id: "w1".into(), lease_seconds: 30 })
        .await
        .expect("heartbeat");
    let stolen = jobs
        .heartbeat(pb::HeartbeatRequest { job_id: job.id.clone(), worker_id: "w2".into(), lease_seconds: 30 })
        .await;
    assert_eq!(code_of(stolen), ErrorCode::Conflict);
    jobs.report_progress(pb::ReportProgressRequest {
        job_id: job.id.clone(),
        worker_id: "w1".into(),
        stage: pb::Stage::Indexing as i32,
    })
    .await
    .expect("progress");
    assert_eq!(document(&api, &doc.id).await.status, pb::DocumentStatus::Indexing as i32);

    jobs.complete_job(pb::CompleteJobRequest {
        job_id: job.id.clone(),
        worker_id: "w1".into(),
        page_count: 12,
        chunk_count: 40,
        language: "en".into(),
        title: "The Operator's Manual".into(),
        author: "Ops Team".into(),
    })
    .await
    .expect("complete");
    let ready = document(&api, &doc.id).await;
    assert_eq!(ready.status, pb::DocumentStatus::Ready as i32);
    assert_eq!((ready.page_count, ready.chunk_count, ready.language.as_str()), (12, 40, "en"));
    assert_eq!((ready.title.as_str(), ready.author.as_str()), ("The Operator's Manual", "Ops Team"));
    let twice = jobs
        .complete_job(pb::CompleteJobRequest { job_id: job.id.clone(), worker_id: "w1".into(), ..Default::default() })
        .await;
    assert_eq!(code_of(twice), ErrorCode::Conflict);

    let again = api
        .catalog()
        .reindex_document(pb::ReindexDocumentRequest { id: doc.id.clone(), ..Default::default() })
        .await
        .expect("reindex")
        .into_inner();
    assert_eq!(again.status, pb::DocumentStatus::Queued as i32);
    // Reindexing twice does not queue two jobs.
    api.catalog()
        .reindex_document(pb::ReindexDocumentRequest { id: doc.id.clone(), ..Default::default() })
        .await
        .unwrap();
    let stats = jobs.queue_stats(pb::QueueStatsRequest {}).await.unwrap().into_inner();
    assert_eq!((stats.queued, stats.succeeded, stats.running), (1, 1, 0));
    let next = claim(&api, "w2", 30).await.expect("the reindex job");
    assert_eq!(next.document_id, doc.id);
    // A user-chosen title survives the parsed one.
    api.catalog()
        .update_document(pb::UpdateDocumentRequest {
            id: doc.id.clone(),
            title: Some("Mine".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    jobs.complete_job(pb::CompleteJobRequest {
        job_id: next.id,
        worker_id: "w2".into(),
        title: "Parsed".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(document(&api, &doc.id).await.title, "Mine");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_lease_is_reclaimed_and_the_old_worker_is_refused() {
    let api = Api::start(&[]).await;
    let doc = api.upload("a.pdf", "a", &[]).await.document.unwrap();
    let first = claim(&api, "killed-worker", 1).await.expect("job");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = claim(&api, "w2", 30).await.expect("the expired job is claimable again");
    assert_eq!((second.id.as_str(), second.attempts), (first.id.as_str(), 2));
    let late = api
        .jobs()
        .complete_job(pb::CompleteJobRequest {
            job_id: first.id,
            worker_id: "killed-worker".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(code_of(late), ErrorCode::Conflict);
    api.jobs()
        .complete_job(pb::CompleteJobRequest { job_id: second.id, worker_id: "w2".into(), ..Default::default() })
        .await
        .expect("the new owner completes");
    assert_eq!(document(&api, &doc.id).await.status, pb::DocumentStatus::Ready as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_retry_with_backoff_then_fail_with_the_typed_reason() {
    let api = Api::start(&[("AIDOC_JOBS__MAX_ATTEMPTS", "2"), ("AIDOC_JOBS__RETRY_BACKOFF", "1s")]).await;
    let doc = api.upload("broken.pdf", "broken", &[]).await.document.unwrap();
    let mut jobs = api.jobs();

    let j = claim(&api, "w", 30).await.unwrap();
    let r = jobs
        .fail_job(pb::FailJobRequest {
            job_id: j.id.clone(),
            worker_id: "w".into(),
            error_code: "parser_unavailable".into(),
            message: "parser down".into(),
            retryable: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.state, pb::JobState::Queued as i32);
    assert!(!r.run_after.is_empty());
    assert_eq!(document(&api, &doc.id).await.status, pb::DocumentStatus::Queued as i32);
    assert!(claim(&api, "w", 30).await.is_none(), "not before the backoff");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let j2 = claim(&api, "w", 30).await.expect("due after the backoff");
    assert_eq!(j2.attempts, 2);
    let r = jobs
        .fail_job(pb::FailJobRequest {
            job_id: j2.id.clone(),
            worker_id: "w".into(),
            error_code: "parser_unavailable".into(),
            message: "still down".into(),
            retryable: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.state, pb::JobState::Failed as i32, "attempts exhausted");
    let failed = document(&api, &doc.id).await;
    assert_eq!(failed.status, pb::DocumentStatus::Failed as i32);
    assert_eq!((failed.failure_code.as_str(), failed.failure_message.as_str()), ("parser_unavailable", "still down"));

    // A non-retryable error fails at once.
    let other = api.upload("locked.pdf", "locked", &[]).await.document.unwrap();
    let j3 = claim(&api, "w", 30).await.unwrap();
    assert_eq!(j3.document_id, other.id);
    jobs.fail_job(pb::FailJobRequest {
        job_id: j3.id,
        worker_id: "w".into(),
        error_code: "encrypted_pdf".into(),
        message: "a password is needed".into(),
        retryable: false,
    })
    .await
    .unwrap();
    assert_eq!(document(&api, &other.id).await.failure_code, "encrypted_pdf");

    // A job whose worker dies on every attempt ends as worker_lost.
    let doomed = api.upload("crasher.pdf", "crasher", &[]).await.document.unwrap();
    for _ in 0..2 {
        claim(&api, "dies", 1).await.expect("claim");
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    assert!(claim(&api, "w", 30).await.is_none());
    let lost = document(&api, &doomed.id).await;
    assert_eq!((lost.status, lost.failure_code.as_str()), (pb::DocumentStatus::Failed as i32, "worker_lost"));
    let listed = jobs
        .list_jobs(pb::ListJobsRequest { state: pb::JobState::Failed as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.jobs.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_workers_never_claim_the_same_job() {
    let api = Api::start(&[]).await;
    for i in 0..12 {
        api.upload(&format!("{i}.pdf"), &format!("doc {i}"), &[]).await;
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let mut client = api.jobs();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let job = client
                    .claim_job(pb::ClaimJobRequest { worker_id: format!("w{w}"), lease_seconds: 60 })
                    .await
                    .expect("claim")
                    .into_inner()
                    .job;
                match job {
                    Some(j) => mine.push(j.id),
                    None => break mine,
                }
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().cloned().collect();
    assert_eq!((all.len(), distinct.len()), (12, 12));
}
