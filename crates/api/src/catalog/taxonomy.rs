//! Categories and tags: the catalog service's handlers for them.

use super::Catalog;
use crate::audit::{self, Entry};
use crate::db::{Failure, conn, db_status};
use crate::models::CategoryRow;
use crate::schema::{categories, document_tags, documents};
use crate::util::{like_escape, parse_id, parse_opt_id};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use std::collections::HashMap;
use tonic::{Request, Response, Status};
use uuid::Uuid;

impl Catalog {
    pub(super) async fn handle_create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> Result<Response<pb::Category>, Status> {
        let req = request.into_inner();
        let name = clean_category_name(&req.name)?;
        let description = req.description.trim().to_owned();
        if description.chars().count() > 2000 {
            return Err(ErrorCode::InvalidArgument.status("description is longer than 2000 characters"));
        }
        let parent = parse_opt_id(&req.parent_id, "parent_id")?;
        let actor = req.actor;
        let mut c = conn(&self.pool).await?;
        let row = c
            .transaction::<_, Failure, _>(async |c| {
                let id = Uuid::now_v7();
                let row: CategoryRow = diesel::insert_into(categories::table)
                    .values((
                        categories::id.eq(id),
                        categories::name.eq(&name),
                        categories::description.eq(&description),
                        categories::parent_id.eq(parent),
                    ))
                    .returning(CategoryRow::as_returning())
                    .get_result(c)
                    .await
                    .map_err(|e| category_conflict(e, &name))?;
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "category.create",
                        target_type: "category",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({ "name": name }),
                    },
                )
                .await?;
                Ok(row)
            })
            .await?;
        Ok(Response::new(row.into_proto(0)))
    }

    pub(super) async fn handle_list_categories(
        &self,
        _request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let mut c = conn(&self.pool).await?;
        let rows: Vec<CategoryRow> = categories::table
            .select(CategoryRow::as_select())
            .order(categories::name.asc())
            .load(&mut c)
            .await
            .map_err(db_status)?;
        let counts: Vec<(Option<Uuid>, i64)> = documents::table
            .filter(documents::category_id.is_not_null())
            .group_by(documents::category_id)
            .select((documents::category_id, diesel::dsl::count_star()))
            .load(&mut c)
            .await
            .map_err(db_status)?;
        let counts: HashMap<Uuid, i64> = counts.into_iter().filter_map(|(k, n)| k.map(|k| (k, n))).collect();
        let categories = rows
            .into_iter()
            .map(|r| {
                let n = counts.get(&r.id).copied().unwrap_or(0);
                r.into_proto(n)
            })
            .collect();
        Ok(Response::new(pb::ListCategoriesResponse { categories }))
    }

    pub(super) async fn handle_update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> Result<Response<pb::Category>, Status> {
        let req = request.into_inner();
        let id = parse_id(&req.id, "category id")?;
        let name = req.name.as_deref().map(clean_category_name).transpose()?;
        let description = req.description.as_deref().map(|d| d.trim().to_owned());
        let actor = req.actor;
        let mut c = conn(&self.pool).await?;
        let (row, count) = c
            .transaction::<_, Failure, _>(async |c| {
                if let Some(n) = &name {
                    diesel::update(categories::table.find(id))
                        .set(categories::name.eq(n))
                        .execute(c)
                        .await
                        .map_err(|e| category_conflict(e, n))?;
                }
                if let Some(d) = &description {
                    diesel::update(categories::table.find(id)).set(categories::description.eq(d)).execute(c).await?;
                }
                let row: CategoryRow = categories::table
                    .find(id)
                    .select(CategoryRow::as_select())
                    .first(c)
                    .await
                    .optional()?
                    .ok_or_else(|| ErrorCode::NotFound.status(format!("category {id} does not exist")))?;
                let count: i64 = documents::table.filter(documents::category_id.eq(id)).count().get_result(c).await?;
                audit::record(
                    c,
                    &actor,
                    Entry {
                        action: "category.update",
                        target_type: "category",
                        target_id: id.to_string(),
                        success: true,
                        details: json!({ "name": name, "description": description }),
                    },
                )
                .await?;
                Ok((row, count))
            })
            .await?;
        Ok(Response::new(row.into_proto(count)))
    }

    pub(super) async fn handle_delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> Result<Response<pb::DeleteCategoryResponse>, Status> {
        let req = request.into_inner();
        let id = parse_id(&req.id, "category id")?;
        let actor = req.actor;
        let mut c = conn(&self.pool).await?;
        c.transaction::<_, Failure, _>(async |c| {
            let n = diesel::delete(categories::table.find(id)).execute(c).await?;
            if n == 0 {
                return Err(ErrorCode::NotFound.status(format!("category {id} does not exist")).into());
            }
            audit::record(
                c,
                &actor,
                Entry {
                    action: "category.delete",
                    target_type: "category",
                    target_id: id.to_string(),
                    success: true,
                    details: json!({}),
                },
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::DeleteCategoryResponse {}))
    }

    pub(super) async fn handle_list_tags(
        &self,
        request: Request<pb::ListTagsRequest>,
    ) -> Result<Response<pb::ListTagsResponse>, Status> {
        let prefix = request.get_ref().prefix.trim().to_lowercase();
        let mut c = conn(&self.pool).await?;
        let mut q = document_tags::table
            .group_by(document_tags::tag)
            .select((document_tags::tag, diesel::dsl::count_star()))
            .order(document_tags::tag.asc())
            .into_boxed();
        if !prefix.is_empty() {
            q = q.filter(document_tags::tag.like(format!("{}%", like_escape(&prefix))));
        }
        let rows: Vec<(String, i64)> = q.limit(1000).load(&mut c).await.map_err(db_status)?;
        let tags = rows.into_iter().map(|(name, n)| pb::Tag { name, document_count: n.max(0) as u64 }).collect();
        Ok(Response::new(pb::ListTagsResponse { tags }))
    }
}

fn clean_category_name(raw: &str) -> Result<String, Status> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(ErrorCode::InvalidArgument.status("category name is required"));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ErrorCode::InvalidArgument.status("category name: at most 100 printable characters"));
    }
    Ok(name)
}

fn category_conflict(e: diesel::result::Error, name: &str) -> Failure {
    match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            ErrorCode::AlreadyExists.status(format!("a category named `{name}` already exists here")).into()
        }
        other => other.into(),
    }
}
