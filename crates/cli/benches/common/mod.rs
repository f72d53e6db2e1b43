//! What the benchmarks share: the files to upload and a check that the
//! service binaries they start are current.

use std::path::{Path, PathBuf};

/// `../shared/corpus`, or `None` after saying it is missing: benches skip
/// without it, except in CI, where its absence ends the process with an error.
pub fn corpus_or_skip() -> Option<PathBuf> {
    let corpus = aidoc_testkit::paths::corpus_dir();
    if corpus.is_none() {
        if std::env::var_os("CI").is_some() {
            eprintln!("error: ../shared/corpus is missing (it must be next to the checkout in CI)");
            std::process::exit(1);
        }
        println!("skipped: ../shared/corpus is not next to this checkout");
    }
    corpus
}

/// (key as queries.json names it, path): `pdf/NAME.pdf`, `docx/NAME.docx`, `docs/NAME.md`.
pub fn files_to_upload(corpus: &Path, docs: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    for (prefix, dir, exts) in [
        ("pdf", corpus.join("pdf"), &["pdf"][..]),
        ("docx", corpus.join("docx"), &["docx"][..]),
        ("docs", docs.to_path_buf(), &["md", "txt", "html", "pdf", "docx"][..]),
    ] {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()).is_some_and(|x| exts.contains(&x)) {
                files.push((format!("{prefix}/{}", p.file_name().unwrap().to_string_lossy()), p));
            }
        }
    }
    files.sort();
    files
}

/// Warns when a service binary the bench will start is older than a source
/// file it was built from (cargo's dep-info file `aidoc-NAME.d` lists them):
/// `cargo bench` uses the bench profile's binaries, which `cargo build` does not refresh.
pub fn warn_if_stale() {
    for name in ["gateway", "api", "parser", "indexer", "backup"] {
        let exe = aidoc_testkit::paths::profile_dir().join(format!("aidoc-{name}"));
        let Ok(built) = std::fs::metadata(&exe).and_then(|m| m.modified()) else {
            eprintln!("warning: {} is missing", exe.display());
            continue;
        };
        let deps = std::fs::read_to_string(exe.with_extension("d")).unwrap_or_default();
        let sources = deps.split_once(": ").map(|(_, list)| list).unwrap_or_default();
        let newer = sources
            .split_whitespace()
            .find(|src| std::fs::metadata(src).and_then(|m| m.modified()).is_ok_and(|changed| changed > built));
        if let Some(src) = newer {
            eprintln!("warning: {} is older than {src}: rebuild it first", exe.display());
        }
    }
}

/// Uploads `files` in batches of eight; returns the document ids and the
/// time spent in the upload requests (streaming into object storage).
pub async fn upload_files(
    http: &reqwest::Client,
    base: &str,
    files: &[(String, PathBuf)],
) -> (Vec<String>, std::time::Duration) {
    use reqwest::multipart::{Form, Part};
    let mut spent = std::time::Duration::ZERO;
    let mut ids = Vec::new();
    for batch in files.chunks(8) {
        let mut form = Form::new();
        for (key, path) in batch {
            let name = key.rsplit('/').next().unwrap_or(key).to_owned();
            form = form.part("file", Part::bytes(std::fs::read(path).expect("read")).file_name(name));
        }
        let t = std::time::Instant::now();
        let resp = http.post(format!("{base}/api/v1/documents")).multipart(form).send().await.expect("upload");
        let v: serde_json::Value = resp.json().await.expect("json");
        spent += t.elapsed();
        let items = v["items"].as_array().expect("items");
        ids.extend(items.iter().filter_map(|i| i["document"]["id"].as_str().map(str::to_owned)));
    }
    (ids, spent)
}

/// Waits until every document is `ready` or `failed` and returns them.
pub async fn settle(http: &reqwest::Client, base: &str, ids: &[String]) -> Vec<serde_json::Value> {
    // One listing every half second, not a request per document: polling must not take the CPU the
    // pipeline being measured needs.
    let started = std::time::Instant::now();
    loop {
        let mut by_id = std::collections::HashMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{base}/api/v1/documents?limit=500");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: serde_json::Value = http.get(url).send().await.expect("list").json().await.expect("json");
            for d in page["items"].as_array().expect("items") {
                by_id.insert(d["id"].as_str().unwrap_or_default().to_owned(), d.clone());
            }
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        let docs: Vec<serde_json::Value> =
            ids.iter().map(|id| by_id.get(id).cloned().unwrap_or(serde_json::Value::Null)).collect();
        let pending = docs.iter().filter(|d| !matches!(d["status"].as_str(), Some("ready" | "failed"))).count();
        if pending == 0 {
            return docs;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(3600), "{pending} documents never settled");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
