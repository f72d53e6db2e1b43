//! `CatalogService`: documents, versions, categories and tags.

use crate::audit::{self, Entry};
use crate::blobs;
use crate::db::{Failure, PgPool, conn, db_status};
use crate::models::{DocumentRow, NewDocument, NewJob, VersionRow, status_name};
use crate::schema::{categories, document_tags, document_versions, documents, ingest_jobs};
use crate::util::{Cursor, actor_user, like_escape, page_limit, parse_id, parse_opt_id};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use std::collections::HashMap;
use tonic::{Request, Response, Status};
use uuid::Uuid;

mod taxonomy;

pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_FILE_NAME_BYTES: usize = 255;

#[derive(Clone)]
pub struct Catalog {
    pool: PgPool,
    max_attempts: i32,
}

impl Catalog {
    pub fn new(pool: PgPool, max_attempts: u32) -> Self {
        Catalog { pool, max_attempts: max_attempts.min(100) as i32 }
    }
}

/// Tags: trimmed, inner whitespace collapsed, lowercased, deduplicated.
pub fn normalize_tags(raw: &[String]) -> Result<Vec<String>, Status> {
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let tag = t.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
            return Err(ErrorCode::InvalidArgument
                .status(format!("tag `{tag}` is invalid: at most {MAX_TAG_CHARS} printable characters")));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(ErrorCode::InvalidArgument.status(format!("at most {MAX_TAGS} tags per document")));
    }
    out.sort();
    Ok(out)
}

/// The last path component of an uploaded name, without control characters.
pub fn clean_file_name(raw: &str) -> Result<String, Status> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let name: String = base.chars().filter(|c| !c.is_control()).collect();
    if name.is_empty() || name == "." || name == ".." {
        return Err(ErrorCode::InvalidArgument.status("file_name is required"));
    }
    if name.len() > MAX_FILE_NAME_BYTES {
        return Err(ErrorCode::InvalidArgument.status(format!("file_name is longer than {MAX_FILE_NAME_BYTES} bytes")));
    }
    Ok(name)
}

fn clean_title(raw: &str) -> Result<Option<String>, Status> {
    let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(ErrorCode::InvalidArgument.status(format!("title is longer than {MAX_TITLE_CHARS} characters")));
    }
    Ok(if t.is_empty() { None } else { Some(t) })
}

fn title_from_file_name(name: &str) -> String {
    let stem = match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    };
    stem.replace(['_'], " ").trim().to_owned()
}

/// Blob keys are content addresses under `blobs/`; nothing else is a blob.
fn check_blob_key(key: &str) -> Result<(), Status> {
    let ok = key.starts_with("blobs/")
        && key.len() <= 512
        && !key.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if ok { Ok(()) } else { Err(ErrorCode::InvalidArgument.status(format!("`{key}` is not a blob key"))) }
}

fn valid_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn tags_of(c: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, Vec<String>>> {
    let rows: Vec<(Uuid, String)> = document_tags::table
        .filter(document_tags::document_id.eq_any(ids))
        .select((document_tags::document_id, document_tags::tag))
        .order((document_tags::document_id, document_tags::tag))
        .load(c)
        .await?;
    let mut map: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (id, tag) in rows {
        map.entry(id).or_default().push(tag);
    }
    Ok(map)
}

async fn load_document(c: &mut AsyncPgConnection, id: Uuid) -> Result<pb::Document, Failure> {
    let row = documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(c)
        .await
        .optional()?
        .ok_or_else(|| ErrorCode::NotFound.status(format!("document {id} does not exist")))?;
    let mut tags = tags_of(c, &[id]).await?;
    Ok(row.into_proto(tags.remove(&id).unwrap_or_default()))
}

async fn set_tags(c: &mut AsyncPgConnection, id: Uuid, tags: &[String]) -> QueryResult<()> {
    diesel::delete(document_tags::table.filter(document_tags::document_id.eq(id))).execute(c).await?;
    if !tags.is_empty() {
        let rows: Vec<_> =
            tags.iter().map(|t| (document_tags::document_id.eq(id), document_tags::tag.eq(t.as_str()))).collect();
        diesel::insert_into(document_tags::table).values(rows).execute(c).await?;
    }
    Ok(())
}

async fn existing_by_sha(c: &mut AsyncPgConnection, sha: &str) -> QueryResult<Option<Uuid>> {
    if let Some(id) =
        documents::table.filter(documents::sha256.eq(sha)).select(documents::id).first::<Uuid>(c).await.optional()?
    {
        return Ok(Some(id));
    }
    document_versions::table
        .filter(document_versions::sha256.eq(sha))
        .select(document_versions::document_id)
        .first::<Uuid>(c)
        .await
        .optional()
}

/// Creates a queued job for `doc` unless one is already open.
async fn enqueue(c: &mut AsyncPgConnection, doc: Uuid, max_attempts: i32) -> QueryResult<bool> {
    let open: i64 = ingest_jobs::table
        .filter(ingest_jobs::document_id.eq(doc))
        .filter(ingest_jobs::state.eq_any(["queued", "running"]))
        .count()
        .get_result(c)
        .await?;
    if open > 0 {
        return Ok(false);
    }
    diesel::insert_into(ingest_jobs::table)
        .values(NewJob { id: Uuid::now_v7(), document_id: doc, max_attempts })
        .execute(c)
        .await?;
    Ok(true)
}

fn micros(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_time(v: &str) -> Result<DateTime<Utc>, Status> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ErrorCode::InvalidArgument.status("cursor is not valid for this listing"))
}

#[tonic::async_trait]
impl pb::catalog_service_server::CatalogService for Catalog {
    async fn create_document(
        &self,
        request: Request<pb::CreateDocumentRequest>,
    ) -> Result<Response<pb::CreateDocumentResponse>, Status> {
        let req = request.into_inner();
        let file_name = clean_file_name(&req.file_name)?;
        let sha = req.sha256.to_ascii_lowercase();
        if !valid_sha256(&sha) {
            return Err(ErrorCode::InvalidArgument.status("sha256 must be 64 lowercase hex digits"));
        }
        check_blob_key(&req.blob_key)?;
        let media_type = if req.media_type.is_empty() { "application/octet-stream".to_owned() } else { req.media_type };
        let size = i64::try_from(req.size_bytes).map_err(|_| ErrorCode::InvalidArgument.status("size is too large"))?;
        let category = parse_opt_id(&req.category_id, "category_id")?;
        let tags = normalize_tags(&req.tags)?;
        let user_title = clean_title(&req.title)?;
        let (title, title_source) = match user_title {
            Some(t) => (t, "user"),
            None => (title_from_file_name(&file_name), "file"),
        };
        let actor = req.actor;
        let max_attempts = self.max_attempts;
        let mut c = conn(&self.pool).await?;
        let outcome = c
            .transaction::<_, Failure, _>(async |c| {
                blobs::lock(c, &req.blob_key).await?;
                blobs::ensure_not_removing(c, &req.blob_key).await?;
                if let Some(id) = existing_by_sha(c, &sha).await? {
                    return Ok((id, false));
                }
                if let Some(cat) = category {
                    let found: i64 = categories::table.find(cat).count().get_result(c).await?;
                    if found == 0 {
                        return Err(ErrorCode::NotFound.status(format!("category {cat} does not exist")).into());
                    }
                }
                let id = Uuid::now_v7();
                let created_by = actor_user(&actor);
                diesel::insert_into(documents::table)
                    .values(NewDocument {
                        id,
                        title: &title,
                        file_name: &file_name,
                        media_type: &media_type,
                        size_bytes: size,
                        sha256: &sha,
                        blob_key: &req.blob_key,
                        category_id: category,
                        created_by,
                        title_source,
                    })
                    .execute(c)
                    .await?;
                diesel::insert_into(document_versions::table)
                    .values((
                        document_versions::document_id.eq(id),
                        document_versions::version.eq(1),
                        document_versions::sha256.eq(&sha),
                        document_versions::blob_key.eq(&req.blob_key),
                        document_versions::size_bytes.eq(size),
                        document_versions::file_name.eq(&file_name),
                        document_versions::created_by.eq(created_by),
                    ))
                    .execute(c)
                    .await?;
                set_tags(c, id, &tags).await?;
                enqueue(c, id, max_attempts).await?;
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "document.create",
                        target_type: "document",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({ "file_name": file_name, "size_bytes": size, "sha256": sha }),
                    },
                )
                .await?;
                Ok((id, true))
            })
            .await;
        let (id, created) = match outcome {
            Ok(v) => v,
            // Two uploads of the same bytes raced: the other one won.
            Err(Failure::Db(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ))) => match existing_by_sha(&mut c, &sha).await.map_err(db_status)? {
                Some(id) => (id, false),
                None => return Err(ErrorCode::Conflict.status("the document was created and removed concurrently")),
            },
            Err(e) => return Err(e.into()),
        };
        let document = load_document(&mut c, id).await?;
        Ok(Response::new(pb::CreateDocumentResponse { document: Some(document), created }))
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Result<Response<pb::Document>, Status> {
        let id = parse_id(&request.get_ref().id, "document id")?;
        let mut c = conn(&self.pool).await?;
        Ok(Response::new(load_document(&mut c, id).await?))
    }

    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Result<Response<pb::ListDocumentsResponse>, Status> {
        let req = request.into_inner();
        let sort = if req.sort.is_empty() { "-created_at".to_owned() } else { req.sort.clone() };
        let (desc, key) = match sort.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, sort.as_str()),
        };
        if !matches!(key, "created_at" | "updated_at" | "title" | "size") {
            return Err(ErrorCode::InvalidArgument.status(format!(
                "sort `{sort}` is not one of created_at, updated_at, title, size (prefix - to reverse)"
            )));
        }
        let cursor = Cursor::decode(&req.cursor, &sort)?;
        let limit = page_limit(req.limit);

        let mut q = documents::table.select(DocumentRow::as_select()).into_boxed();
        if let Some(cat) = parse_opt_id(&req.category_id, "category_id")? {
            q = q.filter(documents::category_id.eq(cat));
        }
        let status = pb::DocumentStatus::try_from(req.status).unwrap_or(pb::DocumentStatus::Unspecified);
        if let Some(s) = status_name(status) {
            q = q.filter(documents::status.eq(s));
        }
        if !req.media_type.is_empty() {
            q = q.filter(documents::media_type.eq(req.media_type.clone()));
        }
        let text = req.text.trim();
        if !text.is_empty() {
            let pattern = format!("%{}%", like_escape(text));
            q = q.filter(documents::title.ilike(pattern.clone()).or(documents::file_name.ilike(pattern)));
        }
        for tag in normalize_tags(&req.tags)? {
            q = q
                .filter(documents::id.eq_any(
                    document_tags::table.filter(document_tags::tag.eq(tag)).select(document_tags::document_id),
                ));
        }

        macro_rules! keyset {
            ($q:expr, $col:expr, $val:expr) => {{
                let mut q = $q;
                if let Some((v, id)) = $val {
                    q = if desc {
                        q.filter($col.lt(v.clone()).or($col.eq(v).and(documents::id.lt(id))))
                    } else {
                        q.filter($col.gt(v.clone()).or($col.eq(v).and(documents::id.gt(id))))
                    };
                }
                if desc {
                    q.order(($col.desc(), documents::id.desc()))
                } else {
                    q.order(($col.asc(), documents::id.asc()))
                }
            }};
        }
        let q = match key {
            "created_at" => {
                let v = cursor.as_ref().map(|c| parse_time(&c.v).map(|t| (t, c.id))).transpose()?;
                keyset!(q, documents::created_at, v)
            }
            "updated_at" => {
                let v = cursor.as_ref().map(|c| parse_time(&c.v).map(|t| (t, c.id))).transpose()?;
                keyset!(q, documents::updated_at, v)
            }
            "title" => keyset!(q, documents::title, cursor.as_ref().map(|c| (c.v.clone(), c.id))),
            _ => {
                let v = cursor
                    .as_ref()
                    .map(|c| {
                        c.v.parse::<i64>()
                            .map(|n| (n, c.id))
                            .map_err(|_| ErrorCode::InvalidArgument.status("cursor is not valid for this listing"))
                    })
                    .transpose()?;
                keyset!(q, documents::size_bytes, v)
            }
        };

        let mut c = conn(&self.pool).await?;
        let mut rows: Vec<DocumentRow> = q.limit(limit + 1).load(&mut c).await.map_err(db_status)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(last)) => Cursor {
                s: sort.clone(),
                v: match key {
                    "created_at" => micros(last.created_at),
                    "updated_at" => micros(last.updated_at),
                    "title" => last.title.clone(),
                    _ => last.size_bytes.to_string(),
                },
                id: last.id,
            }
            .encode(),
            _ => String::new(),
        };
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut tags = tags_of(&mut c, &ids).await.map_err(db_status)?;
        let documents = rows
            .into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                r.into_proto(t)
            })
            .collect();
        Ok(Response::new(pb::ListDocumentsResponse { documents, next_cursor }))
    }

    async fn update_document(
        &self,
        request: Request<pb::UpdateDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let req = request.into_inner();
        let id = parse_id(&req.id, "document id")?;
        let title = match &req.title {
            Some(t) => {
                Some(clean_title(t)?.ok_or_else(|| ErrorCode::InvalidArgument.status("title must not be empty"))?)
            }
            None => None,
        };
        let category = match &req.category_id {
            Some(c) => Some(parse_opt_id(c, "category_id")?),
            None => None,
        };
        let tags = if req.set_tags { Some(normalize_tags(&req.tags)?) } else { None };
        let actor = req.actor;
        let mut c = conn(&self.pool).await?;
        let doc = c
            .transaction::<_, Failure, _>(async |c| {
                let exists: i64 = documents::table.find(id).count().get_result(c).await?;
                if exists == 0 {
                    return Err(ErrorCode::NotFound.status(format!("document {id} does not exist")).into());
                }
                if let Some(t) = &title {
                    diesel::update(documents::table.find(id))
                        .set((documents::title.eq(t), documents::title_source.eq("user")))
                        .execute(c)
                        .await?;
                }
                if let Some(cat) = category {
                    if let Some(cat) = cat {
                        let found: i64 = categories::table.find(cat).count().get_result(c).await?;
                        if found == 0 {
                            return Err(ErrorCode::NotFound.status(format!("category {cat} does not exist")).into());
                        }
                    }
                    diesel::update(documents::table.find(id)).set(documents::category_id.eq(cat)).execute(c).await?;
                }
                if let Some(tags) = &tags {
                    set_tags(c, id, tags).await?;
                }
                diesel::update(documents::table.find(id)).set(documents::updated_at.eq(Utc::now())).execute(c).await?;
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "document.update",
                        target_type: "document",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({ "title": title, "category_id": category.map(|c| c.map(|u| u.to_string())), "tags": tags }),
                    },
                )
                .await?;
                load_document(c, id).await
            })
            .await?;
        Ok(Response::new(doc))
    }

    async fn delete_document(
        &self,
        request: Request<pb::DeleteDocumentRequest>,
    ) -> Result<Response<pb::DeleteDocumentResponse>, Status> {
        let req = request.into_inner();
        let id = parse_id(&req.id, "document id")?;
        let actor = req.actor;
        let mut c = conn(&self.pool).await?;
        let orphaned = c
            .transaction::<_, Failure, _>(async |c| {
                let doc: Option<(String, String)> = documents::table
                    .find(id)
                    .select((documents::blob_key, documents::file_name))
                    .for_update()
                    .first(c)
                    .await
                    .optional()?;
                let Some((blob_key, file_name)) = doc else {
                    return Err(ErrorCode::NotFound.status(format!("document {id} does not exist")).into());
                };
                let mut keys: Vec<String> = document_versions::table
                    .filter(document_versions::document_id.eq(id))
                    .select(document_versions::blob_key)
                    .load(c)
                    .await?;
                keys.push(blob_key);
                keys.sort();
                keys.dedup();
                // In key order, so two deletes sharing blobs cannot deadlock.
                for key in &keys {
                    blobs::lock(c, key).await?;
                }
                diesel::delete(documents::table.find(id)).execute(c).await?;
                let still_used: Vec<String> = document_versions::table
                    .filter(document_versions::blob_key.eq_any(&keys))
                    .select(document_versions::blob_key)
                    .union(documents::table.filter(documents::blob_key.eq_any(&keys)).select(documents::blob_key))
                    .load(c)
                    .await?;
                keys.retain(|k| !still_used.contains(k));
                let mut deletions = Vec::with_capacity(keys.len());
                for key in &keys {
                    deletions.extend(blobs::claim(c, key).await?);
                }
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "document.delete",
                        target_type: "document",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({ "file_name": file_name }),
                    },
                )
                .await?;
                Ok((keys, deletions))
            })
            .await?;
        let (orphaned_blob_keys, deletions) = orphaned;
        Ok(Response::new(pb::DeleteDocumentResponse { orphaned_blob_keys, deletions }))
    }

    async fn claim_blob_deletion(
        &self,
        request: Request<pb::ClaimBlobDeletionRequest>,
    ) -> Result<Response<pb::ClaimBlobDeletionResponse>, Status> {
        let key = request.into_inner().blob_key;
        check_blob_key(&key)?;
        let mut c = conn(&self.pool).await?;
        let deletion = c
            .transaction::<_, Failure, _>(async |c| {
                blobs::lock(c, &key).await?;
                blobs::claim(c, &key).await
            })
            .await?;
        Ok(Response::new(pb::ClaimBlobDeletionResponse { deletion }))
    }

    async fn finish_blob_deletion(
        &self,
        request: Request<pb::FinishBlobDeletionRequest>,
    ) -> Result<Response<pb::FinishBlobDeletionResponse>, Status> {
        let req = request.into_inner();
        check_blob_key(&req.blob_key)?;
        let token = parse_id(&req.token, "token")?;
        let mut c = conn(&self.pool).await?;
        if !blobs::finish(&mut c, &req.blob_key, token).await? {
            return Err(ErrorCode::Conflict
                .status(format!("the removal of {} is no longer claimed by this token", req.blob_key)));
        }
        Ok(Response::new(pb::FinishBlobDeletionResponse {}))
    }

    async fn find_unreferenced_blobs(
        &self,
        request: Request<pb::FindUnreferencedBlobsRequest>,
    ) -> Result<Response<pb::FindUnreferencedBlobsResponse>, Status> {
        let keys = request.into_inner().blob_keys;
        if keys.len() > 1000 {
            return Err(ErrorCode::InvalidArgument.status(format!("{} blob keys; at most 1000 at once", keys.len())));
        }
        for key in &keys {
            check_blob_key(key)?;
        }
        let mut c = conn(&self.pool).await?;
        let blob_keys = blobs::unreferenced(&mut c, &keys).await?;
        Ok(Response::new(pb::FindUnreferencedBlobsResponse { blob_keys }))
    }

    async fn claim_stale_blob_deletions(
        &self,
        request: Request<pb::ClaimStaleBlobDeletionsRequest>,
    ) -> Result<Response<pb::ClaimStaleBlobDeletionsResponse>, Status> {
        let limit = match request.into_inner().limit {
            0 => 100,
            n => i64::from(n.min(1000)),
        };
        let mut c = conn(&self.pool).await?;
        let keys = blobs::expired(&mut c, limit).await?;
        let mut deletions = Vec::new();
        for key in keys {
            let claimed = c
                .transaction::<_, Failure, _>(async |c| {
                    blobs::lock(c, &key).await?;
                    // Another sweeper may have taken it over meanwhile.
                    if blobs::removal_pending(c, &key).await? {
                        return Ok(None);
                    }
                    blobs::claim(c, &key).await
                })
                .await?;
            deletions.extend(claimed);
        }
        Ok(Response::new(pb::ClaimStaleBlobDeletionsResponse { deletions }))
    }

    async fn reindex_document(
        &self,
        request: Request<pb::ReindexDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let req = request.into_inner();
        let id = parse_id(&req.id, "document id")?;
        let actor = req.actor;
        let max_attempts = self.max_attempts;
        let mut c = conn(&self.pool).await?;
        let doc = c
            .transaction::<_, Failure, _>(async |c| {
                let exists: Option<Uuid> =
                    documents::table.find(id).select(documents::id).for_update().first(c).await.optional()?;
                if exists.is_none() {
                    return Err(ErrorCode::NotFound.status(format!("document {id} does not exist")).into());
                }
                if enqueue(c, id, max_attempts).await? {
                    diesel::update(documents::table.find(id))
                        .set((
                            documents::status.eq("queued"),
                            documents::failure_code.eq(""),
                            documents::failure_message.eq(""),
                            documents::updated_at.eq(Utc::now()),
                        ))
                        .execute(c)
                        .await?;
                }
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "document.reindex",
                        target_type: "document",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({}),
                    },
                )
                .await?;
                load_document(c, id).await
            })
            .await?;
        Ok(Response::new(doc))
    }

    async fn list_versions(
        &self,
        request: Request<pb::ListVersionsRequest>,
    ) -> Result<Response<pb::ListVersionsResponse>, Status> {
        let id = parse_id(&request.get_ref().document_id, "document id")?;
        let mut c = conn(&self.pool).await?;
        let exists: i64 = documents::table.find(id).count().get_result(&mut c).await.map_err(db_status)?;
        if exists == 0 {
            return Err(ErrorCode::NotFound.status(format!("document {id} does not exist")));
        }
        let rows: Vec<VersionRow> = document_versions::table
            .filter(document_versions::document_id.eq(id))
            .select(VersionRow::as_select())
            .order(document_versions::version.desc())
            .load(&mut c)
            .await
            .map_err(db_status)?;
        Ok(Response::new(pb::ListVersionsResponse { versions: rows.into_iter().map(Into::into).collect() }))
    }

    async fn create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> Result<Response<pb::Category>, Status> {
        self.handle_create_category(request).await
    }

    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        self.handle_list_categories(request).await
    }

    async fn update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> Result<Response<pb::Category>, Status> {
        self.handle_update_category(request).await
    }

    async fn delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> Result<Response<pb::DeleteCategoryResponse>, Status> {
        self.handle_delete_category(request).await
    }

    async fn list_tags(&self, request: Request<pb::ListTagsRequest>) -> Result<Response<pb::ListTagsResponse>, Status> {
        self.handle_list_tags(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        let t = normalize_tags(&[" Kubernetes ".into(), "kubernetes".into(), "".into(), "Ops  Guide".into()]).unwrap();
        assert_eq!(t, vec!["kubernetes".to_owned(), "ops guide".to_owned()]);
        assert!(normalize_tags(&["x".repeat(65)]).is_err());
        let many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
        assert!(normalize_tags(&many).is_err());
    }

    #[test]
    fn file_names_lose_their_path() {
        assert_eq!(clean_file_name("C:\\Users\\a\\report.pdf").unwrap(), "report.pdf");
        assert_eq!(clean_file_name("../../etc/passwd").unwrap(), "passwd");
        assert!(clean_file_name("dir/").is_err());
        assert!(clean_file_name("..").is_err());
    }

    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(title_from_file_name("install_guide.v2.pdf"), "install guide.v2");
        assert_eq!(title_from_file_name(".profile"), ".profile");
    }
}
