//! Hostile strings through the whole stack: path traversal in upload file
//! names never leaves the object store and never reaches a download header;
//! SQL and tsquery metacharacters in every string parameter are only ever
//! data — answered with results or a typed `400`, never a `5xx` — and the
//! library is intact afterwards.

use crate::ingest::ids_of;
use crate::support::start_stack;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const DOC: &str = "# Lease handling\n\nWhen the queue reports PPR-4711 the worker lost its lease; another worker \
    retries the job after the lease expires.\n";

/// Strings that mean something to SQL, `to_tsquery`, `LIKE`, JSON or a shell.
const HOSTILE: &[&str] = &[
    "'; DROP TABLE catalog.documents; --",
    "\" OR 1=1 --",
    "a & b | !c <-> d:* (e",
    "!!!:*&|<->()",
    "%_\\%",
    "\\",
    "' || pg_sleep(5) || '",
    "$1 $$ $tag$",
    "../../../etc/passwd",
    "🦀 日本語 \u{202e}",
];

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Either an answer or a typed client error; never a server error.
fn harmless(what: &str, status: u16, body: &Value) {
    assert!(status < 500, "{what}: {status} {body}");
    if status >= 400 {
        assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "{what}: {status} without a code: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
    }
}

/// Every file below `root`, relative to it.
fn files_under(root: &std::path::Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    crate::ingest::walk(root).into_iter().map(|f| f.strip_prefix(&prefix).unwrap_or(&f).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn traversal_names_and_query_metacharacters_are_only_data() {
    let _serial = crate::support::one_at_a_time().await;
    // Rate limits off: hundreds of requests from one key and one address are the point here.
    let stack = start_stack(&[
        ("AIDOC_RATE_LIMIT__KEY__PER_MINUTE", "0"),
        ("AIDOC_RATE_LIMIT__USER__PER_MINUTE", "0"),
        ("AIDOC_RATE_LIMIT__IP__PER_MINUTE", "0"),
        ("AIDOC_RATE_LIMIT__LOGIN__PER_MINUTE", "0"),
    ])
    .await;
    let base = stack.gateway.url();
    let http = stack.client(Duration::from_secs(60));
    let storage = stack._storage.as_ref().expect("filesystem store").path().to_path_buf();
    let outside = storage.parent().expect("parent").to_path_buf();
    let outside_before = std::fs::read_dir(&outside).map(|d| d.count()).unwrap_or(0);

    // Path traversal in file names: the name keeps only its last component.
    let names = ["../../../../tmp/escape.md", "..\\..\\windows\\lease.md", "/etc/cron.d/x.md"];
    let mut form = Form::new();
    for (i, n) in names.iter().enumerate() {
        form = form.part("file", Part::bytes(format!("{DOC}\nCopy {i}.\n").into_bytes()).file_name(n.to_string()));
    }
    let resp = http.post(format!("{base}/api/v1/documents")).multipart(form).send().await.expect("upload");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 202, "{body}");
    let ids = ids_of(&body);
    assert_eq!(ids.len(), names.len(), "{body}");
    let stored: Vec<String> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["document"]["file_name"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(stored, ["escape.md", "lease.md", "x.md"], "{body}");
    for f in files_under(&storage) {
        assert!(f.starts_with("blobs/") || f.starts_with("staging/"), "object outside the store's folders: {f}");
    }
    assert!(!std::path::Path::new("/tmp/escape.md").exists(), "an upload name escaped to /tmp");
    assert_eq!(
        std::fs::read_dir(&outside).map(|d| d.count()).unwrap_or(0),
        outside_before,
        "a file appeared next to the store"
    );
    for id in &ids {
        let resp = http.get(format!("{base}/api/v1/documents/{id}/content")).send().await.expect("download");
        assert_eq!(resp.status().as_u16(), 200);
        let cd = resp.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(!cd.contains('/') && !cd.contains('\\') && !cd.contains(".."), "download names a path: {cd}");
    }

    // Wait until the documents are searchable, so search runs real queries.
    let started = Instant::now();
    loop {
        let (ready, _) = ready_count(&http, &base, &ids).await;
        if ready == ids.len() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "documents not ready");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Every string query parameter of every read route, with every hostile string.
    let routes: &[(&str, &[&str])] = &[
        ("/api/v1/search", &["q", "mode", "cursor", "category", "tag", "document", "lang", "after", "before"]),
        ("/api/v1/documents", &["category_id", "tag", "status", "type", "q", "sort", "cursor"]),
        ("/api/v1/tags", &["prefix"]),
        ("/api/v1/jobs", &["state", "document_id", "cursor"]),
        ("/api/v1/audit", &["user_id", "action", "since", "until", "cursor"]),
        ("/api/v1/users", &["cursor"]),
        ("/api/v1/keys", &["user_id"]),
    ];
    // Administrative routes take the admin's session, not the stack's key.
    let admin = stack.admin_header();
    let admin_http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut answered = 0;
    for (path, params) in routes {
        for p in *params {
            for h in HOSTILE {
                // Search needs a query; the other parameters ride along with a real one.
                let extra = if *path == "/api/v1/search" && *p != "q" { "&q=lease" } else { "" };
                let url = format!("{base}{path}?{p}={}{extra}", encode(h));
                let resp = admin_http.get(&url).header(admin.0, &admin.1).send().await.expect("get");
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                harmless(&format!("GET {path}?{p}={h:?}"), status, &body);
                answered += 1;
            }
        }
    }
    // And in JSON bodies: search, category names, key names, user names, document edits.
    for h in HOSTILE {
        let (s, b) = post(&http, &format!("{base}/api/v1/search"), json!({ "query": h, "mode": "hybrid" })).await;
        harmless(&format!("POST search {h:?}"), s, &b);
        let (s, b) = post(
            &http,
            &format!("{base}/api/v1/search"),
            json!({ "query": h, "mode": "keyword", "filters": { "tags": [h] } }),
        )
        .await;
        harmless(&format!("POST search tags {h:?}"), s, &b);
        let (s, b) = post(&http, &format!("{base}/api/v1/categories"), json!({ "name": h })).await;
        harmless(&format!("POST category {h:?}"), s, &b);
        let resp = http
            .patch(format!("{base}/api/v1/documents/{}", ids[0]))
            .json(&json!({ "title": h, "tags": [h] }))
            .send()
            .await
            .expect("patch");
        let s = resp.status().as_u16();
        let b: Value = resp.json().await.unwrap_or(Value::Null);
        harmless(&format!("PATCH document {h:?}"), s, &b);
        let resp = admin_http
            .post(format!("{base}/api/v1/users"))
            .header(admin.0, &admin.1)
            .json(&json!({ "username": h, "password": "a-long-enough-password-1", "role": "viewer" }))
            .send()
            .await
            .expect("user");
        let s = resp.status().as_u16();
        let b: Value = resp.json().await.unwrap_or(Value::Null);
        harmless(&format!("POST user {h:?}"), s, &b);
        let (s, b) = post(&http, &format!("{base}/api/v1/auth/login"), json!({ "username": h, "password": h })).await;
        harmless(&format!("login {h:?}"), s, &b);
        assert_eq!(s, 401, "{b}");
    }
    let expected: usize = routes.iter().map(|(_, params)| params.len()).sum::<usize>() * HOSTILE.len();
    assert_eq!(answered, expected, "every parameter met every hostile string");

    // Nothing was dropped or rewritten behind the API's back: every document is there and ready, and the
    // identifier still finds them.
    let (ready, docs) = ready_count(&http, &base, &ids).await;
    assert_eq!(ready, ids.len(), "{docs:?}");
    let resp = http.get(format!("{base}/api/v1/search?q=PPR-4711&mode=keyword")).send().await.expect("search");
    let r: Value = resp.json().await.expect("json");
    let found: std::collections::BTreeSet<&str> =
        r["hits"].as_array().expect("hits").iter().filter_map(|h| h["document_id"].as_str()).collect();
    for id in &ids {
        assert!(found.contains(id.as_str()), "{id} no longer found: {r}");
    }
    let db = stack.db.client().await;
    let n: i64 = db.query_one("SELECT count(*) FROM catalog.documents", &[]).await.expect("count").get(0);
    assert_eq!(n, ids.len() as i64, "documents table changed");
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let resp = http.post(url).json(&body).send().await.expect("post");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn ready_count(http: &reqwest::Client, base: &str, ids: &[String]) -> (usize, Vec<Value>) {
    let mut docs = Vec::new();
    for id in ids {
        let resp = http.get(format!("{base}/api/v1/documents/{id}")).send().await.expect("get");
        docs.push(resp.json::<Value>().await.unwrap_or(Value::Null));
    }
    (docs.iter().filter(|d| d["status"] == "ready").count(), docs)
}
