use crate::support::*;
use aidoc_backup::archive::ArchiveManifest;
use std::io::Read;

/// (entry name, bytes) of every entry of a tar file, in order.
fn entries(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut tar = tar::Archive::new(std::fs::File::open(path).expect("archive"));
    tar.entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").to_string_lossy().into_owned();
            let mut body = Vec::new();
            e.read_to_end(&mut body).expect("read");
            (name, body)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_category_exports_with_its_documents_and_metadata_and_no_internal_ids() {
    let (work, docs_dir, backups, out) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let db = migrated_db().await;
    let engine = engine(config(&db, fs_storage(docs_dir.path()), fs_storage(backups.path()), work.path())).await;
    populate(&db, &*engine.docs, 2).await;
    // One more document outside the category.
    let stored =
        aidoc_storage::put_content_addressed(&*engine.docs, aidoc_storage::bytes_stream("loose notes"), u64::MAX)
            .await
            .unwrap();
    db.client()
        .await
        .execute(
            "INSERT INTO catalog.documents (id, title, title_source, file_name, media_type, size_bytes, sha256, blob_key)
             VALUES ($1, 'Loose', 'user', 'loose.txt', 'text/plain', $2, $3, $4)",
            &[&uuid::Uuid::new_v4(), &(stored.size as i64), &stored.sha256, &stored.key],
        )
        .await
        .unwrap();

    let file = out.path().join("ops.tar");
    let report = engine.export(Some("ops"), &file).await.expect("export");
    assert_eq!((report.documents, report.categories), (2, 2), "Ops and Ops/Runbooks, their two documents");
    let all = entries(&file);
    assert_eq!(all[0].0, "manifest.json", "the manifest comes first");
    let manifest: ArchiveManifest = serde_json::from_slice(&all[0].1).unwrap();
    assert_eq!(manifest.format, "aidoc-library-archive");
    assert_eq!(manifest.scope, vec!["ops"]);
    assert_eq!(manifest.categories.iter().map(|c| c.path.join("/")).collect::<Vec<_>>(), vec!["Ops", "Ops/Runbooks"]);
    assert_eq!(manifest.documents.len(), 2);
    for (doc, (name, body)) in manifest.documents.iter().zip(&all[1..]) {
        assert_eq!(&doc.file, name);
        assert_eq!(doc.category, vec!["Ops", "Runbooks"]);
        assert!(doc.tags.contains(&"ops".to_owned()), "{:?}", doc.tags);
        assert_eq!(aidoc_backup::files::sha256_hex(body), doc.sha256);
        assert_eq!(body.len() as u64, doc.size_bytes);
    }
    let text = String::from_utf8(all[0].1.clone()).unwrap();
    assert!(!text.contains("00000000-0000-0000-0000-00000000000b"), "no internal ids in the manifest");

    // The whole library includes the loose document; an unknown category is an error and writes nothing.
    let whole = out.path().join("all.tar");
    assert_eq!(engine.export(None, &whole).await.unwrap().documents, 3);
    let missing = out.path().join("none.tar");
    let err = engine.export(Some("Nowhere"), &missing).await.unwrap_err();
    assert!(err.to_string().contains("Nowhere"), "{err}");
    assert!(!missing.exists());

    // A blob damaged in the document store fails the export and leaves no archive behind.
    std::fs::write(docs_dir.path().join(&stored.key), "tampered").unwrap();
    let damaged = out.path().join("damaged.tar");
    let err = engine.export(None, &damaged).await.unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert!(!damaged.exists() && !out.path().join("damaged.partial").exists());
}
