//! The gRPC service `aidoc.parser.v1.ParserService`: the file arrives as a
//! client stream (header, then byte chunks), is parsed on a blocking thread
//! under a deadline, and goes back as a stream (info, one message per page,
//! summary). A panic or a limit is an error for that file only.

use crate::model::{self, BlockKind, Document, Format};
use crate::{Hint, Limits, ParseError};
use aidoc_common::config::{BaseConfig, ServiceConfig};
use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::ErrorCode;
use aidoc_proto::parser::v1 as pb;
use futures::Stream;
use serde::{Deserialize, Serialize};
use std::pin::Pin;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParserConfig {
    pub max_bytes: u64,
    pub max_pages: u32,
    pub max_objects: u64,
    pub max_decompressed_bytes: u64,
    pub max_nesting_depth: u32,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Documents parsed at once; 0 = one per core.
    pub concurrency: u32,
}

impl Default for ParserConfig {
    fn default() -> Self {
        let l = Limits::default();
        ParserConfig {
            max_bytes: l.max_bytes,
            max_pages: l.max_pages,
            max_objects: l.max_objects,
            max_decompressed_bytes: l.max_decompressed_bytes,
            max_nesting_depth: l.max_nesting_depth,
            timeout: l.timeout,
            concurrency: 0,
        }
    }
}

impl ParserConfig {
    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.max_bytes,
            max_pages: self.max_pages,
            max_objects: self.max_objects,
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_nesting_depth: self.max_nesting_depth,
            timeout: self.timeout,
        }
    }
}

impl ServiceConfig for ParserConfig {
    const SERVICE: &'static str = "parser";
    const DEFAULT_LISTEN_PORT: u16 = 50051;
    const DEFAULT_ADMIN_PORT: u16 = 9182;

    fn validate(&self, _base: &BaseConfig) -> Vec<String> {
        let mut p = Vec::new();
        if self.max_bytes == 0 {
            p.push("AIDOC_MAX_BYTES: must be positive".into());
        }
        if self.max_pages == 0 {
            p.push("AIDOC_MAX_PAGES: must be positive".into());
        }
        if self.timeout.is_zero() {
            p.push("AIDOC_TIMEOUT: must be positive".into());
        }
        p
    }
}

pub fn error_code(e: &ParseError) -> ErrorCode {
    match e {
        ParseError::TooLarge { .. } => ErrorCode::TooLarge,
        ParseError::Timeout { .. } => ErrorCode::Timeout,
        ParseError::Corrupt(_) => ErrorCode::Corrupt,
        ParseError::Encrypted(_) => ErrorCode::Encrypted,
        ParseError::UnsupportedFormat(_) => ErrorCode::UnsupportedFormat,
        ParseError::Internal(_) => ErrorCode::Internal,
    }
}

fn format_pb(f: Format) -> pb::Format {
    match f {
        Format::Pdf => pb::Format::Pdf,
        Format::Docx => pb::Format::Docx,
        Format::Markdown => pb::Format::Markdown,
        Format::Html => pb::Format::Html,
        Format::Text => pb::Format::Text,
    }
}

fn info_pb(i: &model::DocumentInfo) -> pb::DocumentInfo {
    pb::DocumentInfo {
        format: format_pb(i.format) as i32,
        title: i.title.clone().unwrap_or_default(),
        author: i.author.clone().unwrap_or_default(),
        subject: i.subject.clone().unwrap_or_default(),
        keywords: i.keywords.clone(),
        created: i.created.clone().unwrap_or_default(),
        modified: i.modified.clone().unwrap_or_default(),
        page_count: i.page_count,
        language: i.language.clone().unwrap_or_default(),
        producer: i.producer.clone().unwrap_or_default(),
        outline: i
            .outline
            .iter()
            .map(|o| pb::OutlineEntry { title: o.title.clone(), level: o.level, page: o.page.unwrap_or(0) })
            .collect(),
    }
}

fn block_pb(b: &model::Block) -> pb::Block {
    let mut out = pb::Block { text: b.text.clone(), page: b.page, ..Default::default() };
    match &b.kind {
        BlockKind::Heading { level } => {
            out.kind = pb::BlockKind::Heading as i32;
            out.level = u32::from(*level);
        }
        BlockKind::Paragraph => out.kind = pb::BlockKind::Paragraph as i32,
        BlockKind::ListItem { label, level } => {
            out.kind = pb::BlockKind::ListItem as i32;
            out.level = u32::from(*level);
            out.label = label.clone();
        }
        BlockKind::Table { rows } => {
            out.kind = pb::BlockKind::Table as i32;
            out.table = Some(pb::Table {
                rows: rows
                    .iter()
                    .map(|r| pb::TableRow {
                        cells: r
                            .iter()
                            .map(|c| pb::TableCell { text: c.text.clone(), row_span: c.row_span, col_span: c.col_span })
                            .collect(),
                    })
                    .collect(),
            });
        }
        BlockKind::Code { language } => {
            out.kind = pb::BlockKind::Code as i32;
            out.language = language.clone().unwrap_or_default();
        }
    }
    out
}

/// The messages a parsed document is sent as.
pub fn to_messages(doc: &Document, elapsed: Duration) -> Vec<pb::ParseResponse> {
    use pb::parse_response::Msg;
    let mut out = Vec::with_capacity(doc.pages.len() + 2);
    out.push(pb::ParseResponse { msg: Some(Msg::Info(info_pb(&doc.info))) });
    let mut blocks = 0u32;
    let mut chars = 0u64;
    for page in &doc.pages {
        blocks += page.blocks.len() as u32;
        chars += page.blocks.iter().map(|b| b.text.chars().count() as u64).sum::<u64>();
        out.push(pb::ParseResponse {
            msg: Some(Msg::Page(pb::Page { number: page.number, blocks: page.blocks.iter().map(block_pb).collect() })),
        });
    }
    out.push(pb::ParseResponse {
        msg: Some(Msg::Summary(pb::ParseSummary {
            pages: doc.pages.len() as u32,
            blocks,
            chars,
            duration_ms: elapsed.as_millis() as u64,
            page_errors: doc
                .page_errors
                .iter()
                .map(|e| pb::PageError { page: e.page, message: e.message.clone() })
                .collect(),
            warnings: doc.warnings.clone(),
        })),
    });
    out
}

pub struct ParserSvc {
    limits: Limits,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl ParserSvc {
    pub fn new(limits: Limits, concurrency: usize) -> Self {
        ParserSvc { limits, permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))) }
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::ParseResponse, tonic::Status>> + Send>>;

#[tonic::async_trait]
impl pb::parser_service_server::ParserService for ParserSvc {
    type ParseStream = ResponseStream;

    async fn parse(
        &self,
        request: tonic::Request<tonic::Streaming<pb::ParseRequest>>,
    ) -> Result<tonic::Response<Self::ParseStream>, tonic::Status> {
        let mut stream = request.into_inner();
        let header = match stream.message().await? {
            Some(pb::ParseRequest { msg: Some(pb::parse_request::Msg::Header(h)) }) => h,
            _ => return Err(ErrorCode::InvalidArgument.status("the first message must be the header")),
        };
        let limits = self.limits.clone();
        if header.declared_size > limits.max_bytes {
            return Err(ErrorCode::TooLarge
                .status(format!("the file is {} bytes; the limit is {}", header.declared_size, limits.max_bytes)));
        }
        let mut bytes = Vec::with_capacity(header.declared_size.min(limits.max_bytes) as usize);
        while let Some(msg) = stream.message().await? {
            match msg.msg {
                Some(pb::parse_request::Msg::Chunk(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > limits.max_bytes {
                        return Err(ErrorCode::TooLarge
                            .status(format!("the file exceeds the limit of {} bytes", limits.max_bytes)));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                _ => return Err(ErrorCode::InvalidArgument.status("only byte chunks may follow the header")),
            }
        }
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ErrorCode::Unavailable.status("parser shutting down"))?;
        let hint = Hint {
            file_name: Some(header.file_name.clone()).filter(|s| !s.is_empty()),
            declared_type: Some(header.declared_type.clone()).filter(|s| !s.is_empty()),
        };
        let deadline = limits.timeout + Duration::from_secs(1);
        let started = Instant::now();
        let size = bytes.len();
        let task = tokio::task::spawn_blocking(move || crate::parse(&bytes, &hint, &limits));
        let doc = match tokio::time::timeout(deadline, task).await {
            Ok(Ok(Ok(doc))) => doc,
            Ok(Ok(Err(e))) => {
                tracing::info!(file = %header.file_name, code = e.code(), error = %e, "document refused");
                return Err(error_code(&e).status(e.to_string()));
            }
            Ok(Err(join)) => return Err(ErrorCode::Internal.status(format!("parser task failed: {join}"))),
            Err(_) => {
                return Err(ErrorCode::Timeout.status(format!("parsing took longer than {} ms", deadline.as_millis())));
            }
        };
        let elapsed = started.elapsed();
        tracing::info!(file = %header.file_name, bytes = size, pages = doc.pages.len(), ms = elapsed.as_millis() as u64, "parsed document");
        metrics::histogram!(crate::metrics::PARSE_DURATION_SECONDS, "format" => doc.info.format.as_str())
            .record(elapsed.as_secs_f64());
        metrics::counter!(crate::metrics::PARSE_PAGES_TOTAL).increment(doc.pages.len() as u64);
        let messages = to_messages(&doc, elapsed);
        Ok(tonic::Response::new(Box::pin(futures::stream::iter(messages.into_iter().map(Ok))) as ResponseStream))
    }

    async fn formats(
        &self,
        _request: tonic::Request<pb::FormatsRequest>,
    ) -> Result<tonic::Response<pb::FormatsResponse>, tonic::Status> {
        let l = &self.limits;
        Ok(tonic::Response::new(pb::FormatsResponse {
            formats: Format::ALL
                .iter()
                .map(|f| pb::FormatInfo {
                    format: format_pb(*f) as i32,
                    media_types: f.media_types().iter().map(|s| (*s).to_owned()).collect(),
                    extensions: f.extensions().iter().map(|s| (*s).to_owned()).collect(),
                })
                .collect(),
            limits: Some(pb::Limits {
                max_bytes: l.max_bytes,
                max_pages: l.max_pages,
                max_objects: l.max_objects,
                max_decompressed_bytes: l.max_decompressed_bytes,
                max_nesting_depth: l.max_nesting_depth,
                timeout_ms: l.timeout.as_millis() as u64,
            }),
        }))
    }
}

pub const SERVICE_NAMES: [&str; 1] = ["aidoc.parser.v1.ParserService"];

/// Serves the parser until `shutdown`.
pub async fn run(settings: Settings<ParserConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = &settings.service;
    let runtime = Runtime::start("parser", aidoc_common::VERSION, &settings.base, shutdown).await?;
    let concurrency = match cfg.concurrency {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n as usize,
    };
    let svc = ParserSvc::new(cfg.limits(), concurrency);
    let max_message = 8 * 1024 * 1024;
    let mut routes = tonic::service::Routes::builder();
    routes.add_service(
        pb::parser_service_server::ParserServiceServer::new(svc)
            .max_decoding_message_size(max_message)
            .max_encoding_message_size(64 * 1024 * 1024),
    );
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;
    runtime.finish().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt as _;

    #[test]
    fn every_parse_error_maps_to_its_code() {
        let cases = [
            (ParseError::TooLarge { what: "pages", limit: 1 }, ErrorCode::TooLarge),
            (ParseError::Timeout { limit_ms: 1 }, ErrorCode::Timeout),
            (ParseError::Corrupt("x".into()), ErrorCode::Corrupt),
            (ParseError::Encrypted("x".into()), ErrorCode::Encrypted),
            (ParseError::UnsupportedFormat("x".into()), ErrorCode::UnsupportedFormat),
            (ParseError::Internal("x".into()), ErrorCode::Internal),
        ];
        for (e, code) in cases {
            assert_eq!(error_code(&e), code);
            assert_eq!(e.code(), code.as_str(), "parser codes and system codes agree");
        }
    }

    #[tokio::test]
    async fn markdown_round_trips_into_messages() {
        let doc =
            crate::parse(b"# Title\n\nSome text.\n\n- item\n", &Hint::default(), &Limits::default()).expect("parses");
        let msgs = to_messages(&doc, Duration::from_millis(3));
        let stream = futures::stream::iter(msgs);
        let msgs: Vec<_> = stream.collect().await;
        assert!(matches!(msgs.first().and_then(|m| m.msg.as_ref()), Some(pb::parse_response::Msg::Info(_))));
        let Some(pb::parse_response::Msg::Page(page)) = msgs.get(1).and_then(|m| m.msg.clone()) else {
            panic!("no page")
        };
        assert_eq!(page.blocks[0].kind, pb::BlockKind::Heading as i32);
        assert_eq!(page.blocks[0].text, "Title");
        assert!(page.blocks.iter().any(|b| b.kind == pb::BlockKind::ListItem as i32 && b.text.contains("item")));
        assert!(
            matches!(msgs.last().and_then(|m| m.msg.as_ref()), Some(pb::parse_response::Msg::Summary(s)) if s.pages == 1)
        );
    }
}
