use crate::support::{Api, code_of, new_document};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use std::collections::HashSet;

#[tokio::test(flavor = "multi_thread")]
async fn the_same_bytes_twice_give_the_existing_document_and_one_job() {
    let api = Api::start(&[]).await;
    let first = api.upload("guide_v2.pdf", "same bytes", &["Ops", "ops", " k8s "]).await;
    assert!(first.created);
    let doc = first.document.expect("document");
    assert_eq!(doc.title, "guide v2");
    assert_eq!(doc.tags, vec!["k8s", "ops"]);
    assert_eq!(doc.status, pb::DocumentStatus::Queued as i32);
    assert_eq!(doc.version, 1);

    let again = api.upload("other-name.pdf", "same bytes", &[]).await;
    assert!(!again.created);
    assert_eq!(again.document.expect("document").id, doc.id);

    let db = api.db.client().await;
    let jobs: i64 = db.query_one("SELECT count(*) FROM catalog.ingest_jobs", &[]).await.unwrap().get(0);
    assert_eq!(jobs, 1, "one job for one document");
    let docs: i64 = db.query_one("SELECT count(*) FROM catalog.documents", &[]).await.unwrap().get(0);
    assert_eq!(docs, 1);
    let audit: Vec<(String, String, String)> = db
        .query("SELECT action, target_id, ip FROM catalog.audit_events WHERE target_type = 'document'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(audit, vec![("document.create".to_owned(), doc.id.clone(), "127.0.0.1".to_owned())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_typed_errors_and_stores_nothing() {
    let api = Api::start(&[]).await;
    let mut c = api.catalog();
    let mut bad_sha = new_document("a.pdf", "x", &[]);
    bad_sha.sha256 = "not-a-hash".into();
    assert_eq!(code_of(c.create_document(bad_sha).await), ErrorCode::InvalidArgument);
    let mut no_name = new_document("", "y", &[]);
    no_name.file_name = "../".into();
    assert_eq!(code_of(c.create_document(no_name).await), ErrorCode::InvalidArgument);
    let mut missing_category = new_document("b.pdf", "z", &[]);
    missing_category.category_id = "0191b5a0-0000-7000-8000-000000000000".into();
    assert_eq!(code_of(c.create_document(missing_category).await), ErrorCode::NotFound);
    let long_tag = "t".repeat(65);
    assert_eq!(code_of(c.create_document(new_document("c.pdf", "w", &[&long_tag])).await), ErrorCode::InvalidArgument);
    assert_eq!(code_of(c.get_document(pb::GetDocumentRequest { id: "nope".into() }).await), ErrorCode::InvalidArgument);
    assert_eq!(
        code_of(c.get_document(pb::GetDocumentRequest { id: "0191b5a0-0000-7000-8000-000000000000".into() }).await),
        ErrorCode::NotFound
    );
    let db = api.db.client().await;
    let docs: i64 = db.query_one("SELECT count(*) FROM catalog.documents", &[]).await.unwrap().get(0);
    assert_eq!(docs, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_filters_sorts_and_pages_with_cursors() {
    let api = Api::start(&[]).await;
    for i in 0..7 {
        let tags: &[&str] = if i % 2 == 0 { &["even"] } else { &["odd"] };
        api.upload(&format!("doc-{i}.pdf"), &format!("content {i}"), tags).await;
    }
    let mut c = api.catalog();
    // Newest first, three per page, every document exactly once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = c
            .list_documents(pb::ListDocumentsRequest { limit: 3, cursor: cursor.clone(), ..Default::default() })
            .await
            .expect("list")
            .into_inner();
        assert!(page.documents.len() <= 3);
        seen.extend(page.documents.iter().map(|d| d.file_name.clone()));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("doc-{i}.pdf")).collect();
    assert_eq!(seen, expected);

    let by_title = c
        .list_documents(pb::ListDocumentsRequest { sort: "title".into(), limit: 2, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_title.documents.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(), vec!["doc-0", "doc-1"]);
    let next = c
        .list_documents(pb::ListDocumentsRequest {
            sort: "title".into(),
            limit: 2,
            cursor: by_title.next_cursor.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.documents.iter().map(|d| d.title.as_str()).collect::<Vec<_>>(), vec!["doc-2", "doc-3"]);
    // A cursor only works with the sort it came from.
    let wrong = c
        .list_documents(pb::ListDocumentsRequest {
            sort: "size".into(),
            cursor: by_title.next_cursor,
            ..Default::default()
        })
        .await;
    assert_eq!(code_of(wrong), ErrorCode::InvalidArgument);

    let odd = c
        .list_documents(pb::ListDocumentsRequest { tags: vec!["ODD".into()], ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let names: HashSet<String> = odd.documents.iter().map(|d| d.file_name.clone()).collect();
    assert_eq!(names, ["doc-1.pdf", "doc-3.pdf", "doc-5.pdf"].map(String::from).into_iter().collect());

    let text = c
        .list_documents(pb::ListDocumentsRequest { text: "DOC-4".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text.documents.len(), 1);
    // LIKE metacharacters are just text.
    let none = c
        .list_documents(pb::ListDocumentsRequest { text: "%".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(none.documents.is_empty());
    let bad = c.list_documents(pb::ListDocumentsRequest { sort: "sha256".into(), ..Default::default() }).await;
    assert_eq!(code_of(bad), ErrorCode::InvalidArgument);

    let tags = c.list_tags(pb::ListTagsRequest { prefix: "e".into() }).await.unwrap().into_inner();
    assert_eq!(tags.tags, vec![pb::Tag { name: "even".into(), document_count: 4 }]);
}

#[tokio::test(flavor = "multi_thread")]
async fn categories_and_document_edits() {
    let api = Api::start(&[]).await;
    let mut c = api.catalog();
    let manuals = c
        .create_category(pb::CreateCategoryRequest { name: " Manuals ".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(manuals.name, "Manuals");
    let dup = c.create_category(pb::CreateCategoryRequest { name: "manuals".into(), ..Default::default() }).await;
    assert_eq!(code_of(dup), ErrorCode::AlreadyExists);

    let mut req = new_document("install.pdf", "install", &[]);
    req.category_id = manuals.id.clone();
    req.title = "Installation  Guide".into();
    let doc = c.create_document(req).await.unwrap().into_inner().document.unwrap();
    assert_eq!(doc.category_id, manuals.id);
    assert_eq!(doc.title, "Installation Guide");

    let listed = c.list_categories(pb::ListCategoriesRequest {}).await.unwrap().into_inner();
    assert_eq!(listed.categories.len(), 1);
    assert_eq!(listed.categories[0].document_count, 1);

    let renamed = c
        .update_category(pb::UpdateCategoryRequest {
            id: manuals.id.clone(),
            name: Some("Handbooks".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((renamed.name.as_str(), renamed.document_count), ("Handbooks", 1));

    let edited = c
        .update_document(pb::UpdateDocumentRequest {
            id: doc.id.clone(),
            title: Some("Install".into()),
            set_tags: true,
            tags: vec!["Setup".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((edited.title.as_str(), edited.tags.clone()), ("Install", vec!["setup".to_owned()]));

    c.delete_category(pb::DeleteCategoryRequest { id: manuals.id.clone(), ..Default::default() }).await.unwrap();
    let after = c.get_document(pb::GetDocumentRequest { id: doc.id.clone() }).await.unwrap().into_inner();
    assert_eq!(after.category_id, "", "deleting a category keeps its documents");
    let again = c.delete_category(pb::DeleteCategoryRequest { id: manuals.id, ..Default::default() }).await;
    assert_eq!(code_of(again), ErrorCode::NotFound);

    let versions = c.list_versions(pb::ListVersionsRequest { document_id: doc.id.clone() }).await.unwrap().into_inner();
    assert_eq!(versions.versions.len(), 1);
    assert_eq!(versions.versions[0].blob_key, doc.blob_key);

    let deleted = c.delete_document(pb::DeleteDocumentRequest { id: doc.id.clone(), ..Default::default() }).await;
    assert_eq!(deleted.unwrap().into_inner().orphaned_blob_keys, vec![doc.blob_key.clone()]);
    let gone = c.get_document(pb::GetDocumentRequest { id: doc.id.clone() }).await;
    assert_eq!(code_of(gone), ErrorCode::NotFound);
    let db = api.db.client().await;
    let left: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM catalog.ingest_jobs) + (SELECT count(*) FROM catalog.document_versions)
                  + (SELECT count(*) FROM catalog.document_tags)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "jobs, versions and tags go with the document");
    let actions: Vec<String> = db
        .query(
            "SELECT action FROM catalog.audit_events WHERE target_type IN ('document', 'category') ORDER BY at, id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        [
            "category.create",
            "document.create",
            "category.update",
            "document.update",
            "category.delete",
            "document.delete"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_removal_is_claimed_and_never_strands_a_document() {
    let api = Api::start(&[]).await;
    let mut c = api.catalog();
    let claim = |key: &str| pb::ClaimBlobDeletionRequest { blob_key: key.to_owned() };

    // A blob a document refers to cannot be claimed.
    let doc = api.upload("kept.pdf", "kept bytes", &[]).await.document.unwrap();
    assert_eq!(c.claim_blob_deletion(claim(&doc.blob_key)).await.unwrap().into_inner().deletion, None);

    // An unreferenced blob can; while the claim lasts no document is created on it.
    let orphan = new_document("orphan.pdf", "orphan bytes", &[]);
    let d = c.claim_blob_deletion(claim(&orphan.blob_key)).await.unwrap().into_inner().deletion.expect("a claim");
    assert_eq!(d.blob_key, orphan.blob_key);
    assert!(!d.token.is_empty() && !d.expires_at.is_empty(), "{d:?}");
    assert_eq!(code_of(c.create_document(orphan.clone()).await), ErrorCode::Conflict);
    // Only the holder closes it; then the bytes may come again.
    let wrong = pb::FinishBlobDeletionRequest { blob_key: d.blob_key.clone(), token: uuid::Uuid::new_v4().to_string() };
    assert_eq!(code_of(c.finish_blob_deletion(wrong).await), ErrorCode::Conflict);
    let right = pb::FinishBlobDeletionRequest { blob_key: d.blob_key.clone(), token: d.token.clone() };
    c.finish_blob_deletion(right.clone()).await.unwrap();
    assert_eq!(code_of(c.finish_blob_deletion(right).await), ErrorCode::Conflict, "a claim closes once");
    assert!(c.create_document(orphan).await.unwrap().into_inner().created);

    // Deleting a document hands out the claims of the blobs it leaves behind,
    // and the same bytes cannot be registered until the removal is finished.
    let deleted =
        c.delete_document(pb::DeleteDocumentRequest { id: doc.id.clone(), ..Default::default() }).await.unwrap();
    let deletions = deleted.into_inner().deletions;
    assert_eq!(deletions.iter().map(|d| d.blob_key.as_str()).collect::<Vec<_>>(), [doc.blob_key.as_str()]);
    let again = new_document("kept-again.pdf", "kept bytes", &[]);
    assert_eq!(code_of(c.create_document(again.clone()).await), ErrorCode::Conflict);

    // A claim its holder abandoned expires and a sweeper takes it over with a new token.
    let db = api.db.client().await;
    db.execute("UPDATE catalog.blob_deletions SET expires_at = now() - interval '1 second'", &[]).await.unwrap();
    let stale = c
        .claim_stale_blob_deletions(pb::ClaimStaleBlobDeletionsRequest { limit: 10 })
        .await
        .unwrap()
        .into_inner()
        .deletions;
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].blob_key, doc.blob_key);
    assert_ne!(stale[0].token, deletions[0].token);
    let old = pb::FinishBlobDeletionRequest { blob_key: doc.blob_key.clone(), token: deletions[0].token.clone() };
    assert_eq!(code_of(c.finish_blob_deletion(old).await), ErrorCode::Conflict, "the old holder lost it");
    c.finish_blob_deletion(pb::FinishBlobDeletionRequest {
        blob_key: doc.blob_key.clone(),
        token: stale[0].token.clone(),
    })
    .await
    .unwrap();
    assert!(c.create_document(again).await.unwrap().into_inner().created);

    // Only content addresses are blobs.
    for key in ["staging/0191b5a0", "blobs/../etc/passwd", "", "blobs//x"] {
        assert_eq!(code_of(c.claim_blob_deletion(claim(key)).await), ErrorCode::InvalidArgument, "{key}");
    }
    let left: i64 = db.query_one("SELECT count(*) FROM catalog.blob_deletions", &[]).await.unwrap().get(0);
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreferenced_blobs_are_told_apart_from_those_documents_use() {
    let api = Api::start(&[]).await;
    let mut c = api.catalog();
    let find =
        |keys: &[&str]| pb::FindUnreferencedBlobsRequest { blob_keys: keys.iter().map(|k| k.to_string()).collect() };
    let doc = api.upload("used.pdf", "used bytes", &[]).await.document.unwrap();
    let stray = new_document("stray.pdf", "stray bytes", &[]);
    let found = c.find_unreferenced_blobs(find(&[&doc.blob_key, &stray.blob_key])).await.unwrap().into_inner();
    assert_eq!(found.blob_keys, std::slice::from_ref(&stray.blob_key));
    assert!(c.find_unreferenced_blobs(find(&[])).await.unwrap().into_inner().blob_keys.is_empty());
    // Once a document is created on it, the blob is in use.
    assert!(c.create_document(stray.clone()).await.unwrap().into_inner().created);
    let found = c.find_unreferenced_blobs(find(&[&doc.blob_key, &stray.blob_key])).await.unwrap().into_inner();
    assert!(found.blob_keys.is_empty(), "{found:?}");
    // Only content addresses, and a bounded number at once.
    assert_eq!(code_of(c.find_unreferenced_blobs(find(&["staging/0191b5a0"])).await), ErrorCode::InvalidArgument);
    let many: Vec<String> = (0..1001).map(|i| format!("blobs/sha256/00/00/{i:064}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(code_of(c.find_unreferenced_blobs(find(&refs)).await), ErrorCode::InvalidArgument);
}
