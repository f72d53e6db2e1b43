use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use aidoc_proto::api::v1::catalog_service_client::CatalogServiceClient;
use aidoc_proto::api::v1::job_service_client::JobServiceClient;
use aidoc_testkit::service::Launch;
use aidoc_testkit::{ServiceProcess, TestDb};
use std::time::Duration;
use tonic::transport::Channel;

pub struct Api {
    pub _process: ServiceProcess,
    pub db: TestDb,
    pub channel: Channel,
}

impl Api {
    pub async fn start(env: &[(&str, &str)]) -> Api {
        let db = TestDb::new(&[("catalog", aidoc_api::migrations::MIGRATIONS)]).await;
        let mut launch = Launch::new("api").env("AIDOC_DATABASE__URL", db.url.clone());
        for (k, v) in env {
            launch = launch.env(k, *v);
        }
        let mut process = launch.spawn();
        process.wait_ready(Duration::from_secs(30)).await;
        let channel =
            tonic::transport::Endpoint::from_shared(process.url()).expect("url").connect().await.expect("connect");
        Api { _process: process, db, channel }
    }

    pub fn catalog(&self) -> CatalogServiceClient<Channel> {
        CatalogServiceClient::new(self.channel.clone())
    }

    pub fn jobs(&self) -> JobServiceClient<Channel> {
        JobServiceClient::new(self.channel.clone())
    }

    /// Registers a document for `content` under the blob key the gateway
    /// would use; the api records blobs and never reads them.
    pub async fn upload(&self, name: &str, content: &str, tags: &[&str]) -> pb::CreateDocumentResponse {
        self.catalog()
            .create_document(new_document(name, content, tags))
            .await
            .unwrap_or_else(|s| panic!("create {name}: {s:?}"))
            .into_inner()
    }
}

/// A 64-hex-digit content digest (FNV-1a, repeated): the api checks a
/// digest's format and uniqueness, never recomputes it, so any stable
/// digest of the content exercises the same paths as SHA-256.
pub fn digest_of(content: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in content.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}").repeat(4)
}

pub fn new_document(name: &str, content: &str, tags: &[&str]) -> pb::CreateDocumentRequest {
    let sha = digest_of(content);
    pb::CreateDocumentRequest {
        actor: Some(pb::Actor { ip: "127.0.0.1".into(), user_agent: "tests".into(), ..Default::default() }),
        file_name: name.into(),
        media_type: "application/pdf".into(),
        size_bytes: content.len() as u64,
        blob_key: format!("blobs/sha256/{}/{}/{sha}", &sha[..2], &sha[2..4]),
        sha256: sha,
        title: String::new(),
        category_id: String::new(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
    }
}

pub fn code_of<T: std::fmt::Debug>(r: Result<T, tonic::Status>) -> ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(s) => aidoc_proto::status_code_of(&s),
    }
}
