//! `/api/v1/documents`: upload (streamed to object storage while hashing),
//! list, read, edit, download, delete and re-index.

use super::catalog;
use crate::auth::{Reader, Writer};
use crate::dto;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::sniff;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use aidoc_proto::indexer::v1 as idx;
use aidoc_storage::{StorageError, StoredBlob, put_content_addressed};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/documents").route(web::post().to(upload)).route(web::get().to(list)))
        .service(
            web::resource("/api/v1/documents/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete)),
        )
        .service(web::resource("/api/v1/documents/{id}/content").route(web::get().to(download)))
        .service(web::resource("/api/v1/documents/{id}/reindex").route(web::post().to(reindex)))
        .service(web::resource("/api/v1/documents/{id}/versions").route(web::get().to(versions)))
        .service(web::resource("/api/v1/documents/{id}/chunks").route(web::get().to(chunks)))
        .service(web::resource("/api/v1/documents/{id}/outline").route(web::get().to(outline)));
}

/// How much of each file is kept for sniffing.
const HEAD_BYTES: usize = 8192;

struct Stored {
    file_name: String,
    blob: StoredBlob,
    media_type: Result<&'static str, String>,
}

fn storage_error(e: StorageError, limit: u64) -> ApiError {
    match e {
        StorageError::TooLarge { .. } => {
            ApiError::new(ErrorCode::TooLarge, format!("the upload is larger than the limit of {limit} bytes"))
        }
        other => {
            tracing::error!(error = %other, "storing an upload failed");
            ApiError::new(ErrorCode::Unavailable, "object storage is unavailable; try again shortly")
        }
    }
}

/// Streams one multipart file into object storage. The field is read here
/// (it is tied to this worker thread) and handed to the storage task
/// through a small channel, so memory stays bounded whatever the size.
async fn store_field(
    state: &AppState,
    field: &mut actix_multipart::Field,
    remaining: u64,
) -> ApiResult<(StoredBlob, Vec<u8>, u64)> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = state.store.clone();
    let task = tokio::spawn(async move {
        let body = tokio_stream::wrappers::ReceiverStream::new(rx).boxed();
        put_content_addressed(store.as_ref(), body, remaining).await
    });
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut read: u64 = 0;
    let mut failed: Option<ApiError> = None;
    while let Some(chunk) = field.next().await {
        match chunk {
            Ok(bytes) => {
                read += bytes.len() as u64;
                if head.len() < HEAD_BYTES {
                    let take = (HEAD_BYTES - head.len()).min(bytes.len());
                    head.extend_from_slice(&bytes[..take]);
                }
                if read > remaining {
                    let _ = tx.send(Err(std::io::Error::other("upload limit exceeded"))).await;
                    failed = Some(ApiError::new(
                        ErrorCode::TooLarge,
                        format!("the upload is larger than the limit of {} bytes", state.config.upload_limit_bytes()),
                    ));
                    break;
                }
                if tx.send(Ok(bytes)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                failed = Some(ApiError::new(ErrorCode::MalformedBody, format!("the upload was cut off: {e}")));
                break;
            }
        }
    }
    drop(tx);
    let stored = task.await.map_err(|e| ApiError::new(ErrorCode::Internal, format!("upload task failed: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    let blob = stored.map_err(|e| storage_error(e, state.config.upload_limit_bytes()))?;
    Ok((blob, head, read))
}

/// `POST /api/v1/documents` — multipart with one or more `file` parts and
/// optional `title`, `category_id` and `tags` (comma-separated or repeated).
#[utoipa::path(post, path = "/api/v1/documents", tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored and queued for ingest; one item per file (a batch may hold refused files).", body = UploadResults),
        (status = 404, description = "`category_id` names no category (`not_found`).", body = ErrorBody),
        (status = 409, description = "The stored file was removed by a concurrent delete; upload again (`conflict`).", body = ErrorBody),
        (status = 415, description = "No file of the request is a supported format (`unsupported_format`).", body = ErrorBody),
    ))]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    let limit = state.config.upload_limit_bytes();
    let mut used: u64 = 0;
    let mut files: Vec<Stored> = Vec::new();
    let mut title = String::new();
    let mut category_id = String::new();
    let mut tags: Vec<String> = Vec::new();
    let result: ApiResult<()> = async {
        while let Some(mut field) =
            form.try_next().await.map_err(|e| ApiError::new(ErrorCode::MalformedBody, format!("multipart: {e}")))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_owned);
            match (name.as_str(), file_name) {
                ("file" | "files" | "files[]", Some(file_name)) => {
                    let (blob, head, size) = store_field(&state, &mut field, limit - used).await?;
                    used += size;
                    let media_type = sniff::sniff(&head, &file_name);
                    files.push(Stored { file_name, blob, media_type });
                }
                ("title" | "category_id" | "tags", None) => {
                    let mut value = Vec::new();
                    while let Some(chunk) = field.next().await {
                        let chunk = chunk.map_err(|e| ApiError::new(ErrorCode::MalformedBody, format!("multipart: {e}")))?;
                        if value.len() + chunk.len() > 64 * 1024 {
                            return Err(ApiError::new(ErrorCode::InvalidArgument, format!("field `{name}` is too long")));
                        }
                        value.extend_from_slice(&chunk);
                    }
                    let value = String::from_utf8(value)
                        .map_err(|_| ApiError::new(ErrorCode::InvalidArgument, format!("field `{name}` is not UTF-8")))?;
                    match name.as_str() {
                        "title" => title = value,
                        "category_id" => category_id = value.trim().to_owned(),
                        _ => tags.extend(value.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())),
                    }
                }
                (other, _) => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidArgument,
                        format!("unexpected form field `{other}`: send files as `file` parts, and `title`, `category_id`, `tags`"),
                    ));
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        discard(&state, &files).await;
        return Err(e);
    }
    if files.is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "no file: send the document as a multipart `file` part"));
    }
    if files.len() > 1 && !title.trim().is_empty() {
        discard(&state, &files).await;
        return Err(ApiError::new(ErrorCode::InvalidArgument, "`title` applies to a single file; omit it for a batch"));
    }

    let actor = who.actor(&req);
    let mut client = catalog(&state);
    let mut results = Vec::with_capacity(files.len());
    let mut first_error: Option<ApiError> = None;
    for f in &files {
        let media_type = match &f.media_type {
            Ok(t) => *t,
            Err(why) => {
                discard(&state, std::slice::from_ref(f)).await;
                let e = ApiError::new(ErrorCode::UnsupportedFormat, format!("{}: {why}", f.file_name));
                results.push(refused(f, &e));
                first_error.get_or_insert(e);
                continue;
            }
        };
        let r = client
            .create_document(api::CreateDocumentRequest {
                actor: Some(actor.clone()),
                file_name: f.file_name.clone(),
                media_type: media_type.to_owned(),
                size_bytes: f.blob.size,
                sha256: f.blob.sha256.clone(),
                blob_key: f.blob.key.clone(),
                title: title.clone(),
                category_id: category_id.clone(),
                tags: tags.clone(),
            })
            .await;
        match r {
            Ok(r) => {
                let r = r.into_inner();
                if r.created
                    && let Some(e) = vanished(&state, &actor, f, r.document.as_ref()).await
                {
                    results.push(refused(f, &e));
                    first_error.get_or_insert(e);
                    continue;
                }
                if r.created {
                    metrics::counter!(crate::metrics::UPLOADS_TOTAL, "outcome" => "created").increment(1);
                    metrics::counter!(crate::metrics::UPLOAD_BYTES_TOTAL).increment(f.blob.size);
                } else {
                    metrics::counter!(crate::metrics::UPLOADS_TOTAL, "outcome" => "duplicate").increment(1);
                }
                match r.document {
                    Some(doc) => results.push(dto::UploadItem::Stored {
                        file_name: f.file_name.clone(),
                        created: r.created,
                        document: doc.into(),
                    }),
                    None => {
                        let e = ApiError::new(ErrorCode::Internal, "the api returned no document");
                        results.push(refused(f, &e));
                        first_error.get_or_insert(e);
                    }
                }
            }
            Err(status) => {
                // The blob stays only if a document refers to it.
                discard(&state, std::slice::from_ref(f)).await;
                let e = ApiError::from(status);
                results.push(refused(f, &e));
                first_error.get_or_insert(e);
            }
        }
    }
    let succeeded = results.iter().filter(|r| matches!(r, dto::UploadItem::Stored { .. })).count();
    if let (0, Some(e)) = (succeeded, first_error) {
        return Err(e);
    }
    Ok(HttpResponse::Accepted().json(UploadResults { items: results }))
}

fn refused(f: &Stored, e: &ApiError) -> dto::UploadItem {
    dto::UploadItem::Refused {
        file_name: f.file_name.clone(),
        error: dto::ItemError { code: e.code, message: e.message.clone() },
    }
}

/// Checks, once the document is registered, that its blob is still there.
///
/// A concurrent removal that was claimed and finished between this upload
/// finding the bytes already stored and registering them could have taken
/// the object; from the moment the document exists no new removal can be
/// claimed, so one look now settles it. When the object is gone the document
/// is taken back and the caller is asked to upload again.
async fn vanished(state: &AppState, actor: &api::Actor, f: &Stored, doc: Option<&api::Document>) -> Option<ApiError> {
    match state.store.head(&f.blob.key).await {
        Ok(Some(_)) => None,
        Err(e) => {
            // Cannot tell; the document stays (re-index reports a missing blob if it is gone).
            tracing::warn!(key = %f.blob.key, error = %e, "could not confirm an upload's blob");
            None
        }
        Ok(None) => {
            tracing::warn!(key = %f.blob.key, "an upload's blob was removed by a concurrent delete");
            if let Some(doc) = doc {
                let taken_back = catalog(state)
                    .delete_document(api::DeleteDocumentRequest { actor: Some(actor.clone()), id: doc.id.clone() })
                    .await;
                match taken_back {
                    Ok(r) => {
                        for d in &r.into_inner().deletions {
                            crate::blobs::remove(state, d).await;
                        }
                    }
                    Err(s) => {
                        tracing::error!(document = %doc.id, error = %s.message(), "could not take back a document without its file")
                    }
                }
            }
            Some(ApiError::new(
                ErrorCode::Conflict,
                format!("{}: the stored file was removed by a concurrent delete; upload it again", f.file_name),
            ))
        }
    }
}

/// Removes blobs stored by this request that no document refers to (the api
/// decides, so bytes another upload just registered stay).
async fn discard(state: &AppState, files: &[Stored]) {
    for f in files {
        crate::blobs::release(state, &f.blob.key).await;
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only documents in this category.
    pub category_id: Option<String>,
    /// Only documents with all these tags (comma-separated).
    pub tag: Option<String>,
    /// `queued`, `parsing`, `indexing`, `ready` or `failed`.
    pub status: Option<String>,
    /// Only this media type, e.g. `application/pdf`.
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    /// Words in the title or file name.
    pub q: Option<String>,
    /// `created_at`, `-created_at` (default), `title`, `-title`, `updated_at`, `-updated_at`, `size`, `-size`.
    pub sort: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/documents", tag = "documents", params(ListQuery),
    responses((status = 200, description = "One page of documents.", body = dto::Page<dto::Document>)))]
pub async fn list(state: web::Data<AppState>, _: Reader, query: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None | Some("") => api::DocumentStatus::Unspecified,
        Some(s) => dto::parse_status(s).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidArgument,
                format!("status `{s}` is not one of queued, parsing, indexing, ready, failed"),
            )
        })?,
    };
    let resp = catalog(&state)
        .list_documents(api::ListDocumentsRequest {
            category_id: q.category_id.unwrap_or_default(),
            tags: q
                .tag
                .map(|t| t.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            status: status as i32,
            media_type: q.media_type.unwrap_or_default(),
            text: q.q.unwrap_or_default(),
            sort: q.sort.unwrap_or_default(),
            limit: q.limit.unwrap_or(0),
            cursor: q.cursor.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Page {
        items: resp.documents.into_iter().map(dto::Document::from).collect::<Vec<_>>(),
        next_cursor: (!resp.next_cursor.is_empty()).then_some(resp.next_cursor),
    }))
}

async fn fetch(state: &AppState, id: String) -> ApiResult<api::Document> {
    Ok(catalog(state).get_document(api::GetDocumentRequest { id }).await?.into_inner())
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses((status = 200, description = "The document.", body = dto::Document)))]
pub async fn get(state: web::Data<AppState>, _: Reader, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(dto::Document::from(fetch(&state, id.into_inner()).await?)))
}

/// Changes the title, category or tags (`null` clears title and category).
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    request_body = DocumentPatch,
    responses((status = 200, description = "The updated document.", body = dto::Document)))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let obj = body.as_object().ok_or_else(|| ApiError::new(ErrorCode::MalformedBody, "expected a JSON object"))?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "title" | "category_id" | "tags") {
            return Err(ApiError::new(ErrorCode::InvalidArgument, format!("unknown field `{key}`")));
        }
    }
    let text = |key: &str| -> ApiResult<Option<String>> {
        match obj.get(key) {
            None => Ok(None),
            Some(serde_json::Value::Null) => Ok(Some(String::new())),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::new(ErrorCode::InvalidArgument, format!("`{key}` must be a string"))),
        }
    };
    let title = text("title")?;
    let category_id = text("category_id")?;
    let tags = match obj.get("tags") {
        None => None,
        Some(serde_json::Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::new(ErrorCode::InvalidArgument, "`tags` must be an array of strings"))
                })
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        Some(_) => return Err(ApiError::new(ErrorCode::InvalidArgument, "`tags` must be an array of strings")),
    };
    let doc = catalog(&state)
        .update_document(api::UpdateDocumentRequest {
            actor: Some(who.actor(&req)),
            id: id.into_inner(),
            title,
            category_id,
            set_tags: tags.is_some(),
            tags: tags.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Document::from(doc)))
}

/// Deletes the document, its versions, chunks and (when no other document
/// shares them) its stored files.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses((status = 204, description = "Deleted.")))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let resp = catalog(&state)
        .delete_document(api::DeleteDocumentRequest { actor: Some(who.actor(&req)), id: id.into_inner() })
        .await?
        .into_inner();
    // The rows are gone; blobs no document refers to go too, under the
    // api's claims. A failure here leaves the claim to the sweeper, never a
    // document without its file.
    for d in &resp.deletions {
        crate::blobs::remove(&state, d).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `filename*` per RFC 6266/5987, with an ASCII fallback.
fn content_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The original file, with `Content-Disposition`, `ETag` and `If-None-Match` support.
#[utoipa::path(get, path = "/api/v1/documents/{id}/content", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses(
        (status = 200, description = "The file's bytes, with its media type.", content_type = "*/*", body = Vec<u8>),
        (status = 304, description = "`If-None-Match` matched the current `ETag`."),
    ))]
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    _: Reader,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let doc = fetch(&state, id.into_inner()).await?;
    let etag = format!("\"{}\"", doc.sha256);
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let body = state.store.get(&doc.blob_key).await.map_err(|e| match e {
        StorageError::NotFound { .. } => {
            ApiError::new(ErrorCode::NotFound, "the original file is missing from storage")
        }
        other => storage_error(other, 0),
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, doc.media_type.clone()))
        .insert_header((header::CONTENT_DISPOSITION, content_disposition(&doc.file_name)))
        .insert_header((header::ETAG, etag))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .no_chunking(doc.size_bytes)
        .streaming(body))
}

/// Parses and indexes the document again.
#[utoipa::path(post, path = "/api/v1/documents/{id}/reindex", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses((status = 202, description = "Queued for ingest.", body = dto::Document)))]
pub async fn reindex(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let doc = catalog(&state)
        .reindex_document(api::ReindexDocumentRequest { actor: Some(who.actor(&req)), id: id.into_inner() })
        .await?
        .into_inner();
    Ok(HttpResponse::Accepted().json(dto::Document::from(doc)))
}

/// Earlier and current files of the document, newest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses((status = 200, description = "Every version (one page).", body = dto::Page<dto::Version>)))]
pub async fn versions(state: web::Data<AppState>, _: Reader, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let resp =
        catalog(&state).list_versions(api::ListVersionsRequest { document_id: id.into_inner() }).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::Page::whole(resp.versions.into_iter().map(dto::Version::from).collect())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChunksQuery {
    /// The first chunk index.
    pub from: Option<u32>,
    /// How many chunks.
    pub limit: Option<u32>,
    /// Only chunks on or after this page.
    pub page_from: Option<u32>,
    /// Only chunks on or before this page.
    pub page_to: Option<u32>,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One or more files (also accepted as `files` or `files[]`).
    #[schema(value_type = Vec<String>, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<Vec<u8>>,
    /// The title (one file only; default: from the file).
    title: Option<String>,
    category_id: Option<String>,
    /// Comma-separated; the field may repeat.
    tags: Option<String>,
}

/// The answer to an upload.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct UploadResults {
    pub items: Vec<dto::UploadItem>,
}

/// The fields of a document an editor may change; others are refused.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentPatch {
    /// `null` or empty: back to the title taken from the file.
    title: Option<Option<String>>,
    /// `null` or empty: no category.
    category_id: Option<Option<String>>,
    /// Replaces the tags.
    tags: Option<Vec<String>>,
}

/// The document's chunks in order, by index or by page range.
#[utoipa::path(get, path = "/api/v1/documents/{id}/chunks", tag = "documents", params(("id" = String, Path, description = "The document id."), ChunksQuery),
    responses((status = 200, description = "Chunks.", body = dto::ChunkList)))]
pub async fn chunks(
    state: web::Data<AppState>,
    _: Reader,
    id: web::Path<String>,
    q: web::Query<ChunksQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    // 404 for an unknown document, not an empty list.
    fetch(&state, id.clone()).await?;
    let resp = super::indexer(&state)
        .list_chunks(idx::ListChunksRequest {
            document_id: id,
            from_chunk: q.from.unwrap_or(0),
            limit: q.limit.unwrap_or(0),
            page_from: q.page_from.unwrap_or(0),
            page_to: q.page_to.unwrap_or(0),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::ChunkList {
        items: resp.chunks.into_iter().map(dto::Chunk::from).collect(),
        total_chunks: resp.total_chunks,
        total_pages: resp.total_pages,
    }))
}

/// `GET /api/v1/documents/{id}/outline` — headings or bookmarks with their
/// pages and first chunks; empty (`source: none`) until the document is indexed.
#[utoipa::path(get, path = "/api/v1/documents/{id}/outline", tag = "documents", params(("id" = String, Path, description = "The document id.")),
    responses((status = 200, description = "The outline.", body = dto::Outline)))]
pub async fn outline(state: web::Data<AppState>, _: Reader, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    fetch(&state, id.clone()).await?;
    let resp = super::indexer(&state).get_outline(idx::GetOutlineRequest { document_id: id }).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::Outline::from(resp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_encoded() {
        assert_eq!(
            content_disposition("运维 手册.pdf"),
            "attachment; filename=\"__ __.pdf\"; filename*=UTF-8''%E8%BF%90%E7%BB%B4%20%E6%89%8B%E5%86%8C.pdf"
        );
        assert_eq!(content_disposition("a\"b.pdf"), "attachment; filename=\"a_b.pdf\"; filename*=UTF-8''a%22b.pdf");
    }
}
