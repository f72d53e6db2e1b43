//! `/mcp` end to end: a long Markdown document (and a PDF from the shared
//! corpus when present) ingested for real, then driven over MCP by hand, by
//! the official TypeScript SDK client and by the MCP Inspector CLI.

use crate::support::{Stack, create_key, start_stack};
use aidoc_testkit::service::http_get;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const BUDGET: usize = 3000;
const TITLE: &str = "Harbour operations manual";
/// A word only section 17 holds.
const WORD: &str = "zephyrine";

fn long_markdown() -> String {
    let mut s = format!("# {TITLE}\n\n");
    for n in 1..=60 {
        s.push_str(&format!("## Section {n}: berth procedure {n}\n\n"));
        for p in 0..3 {
            s.push_str(&format!(
                "Paragraph {p} of section {n}. The pilot boards the vessel at the outer buoy and confirms the berth \
                 number, the draught and the expected tide window with the harbour master. Mooring crews stand by \
                 with two spring lines and two breast lines, and the tug master reports bollard pull before the \
                 approach begins. Cargo documents are checked against the manifest before any hatch is opened.{}\n\n",
                if n == 17 && p == 1 {
                    format!(" In section 17 the {WORD} valve must be closed first.")
                } else {
                    String::new()
                }
            ));
        }
    }
    s
}

fn chinese_markdown() -> String {
    let mut s = String::from("# 数据库备份手册\n\n");
    for n in 1..=30 {
        s.push_str(&format!(
            "## 第{n}节 备份策略\n\n系统每天凌晨两点自动备份数据库，备份文件保留七天。恢复之前必须先校验备份文件的校验和，\
             校验失败的备份不会被恢复。第{n}节说明了存储位置、加密方式和保留期限，运维人员应当每周检查一次恢复演练的结果，\
             并把检查记录写入运行日志。向量检索使用余弦相似度对文本片段排序。\n\n"
        ));
    }
    s
}

async fn r_total(stack: &Stack, id: &str) -> u64 {
    wait_ready(stack, id).await["chunk_count"].as_u64().expect("chunk_count")
}

/// The gateway's estimate: one token per three ASCII characters, one per other character.
fn tokens(s: &str) -> usize {
    let ascii = s.chars().filter(char::is_ascii).count();
    ascii.div_ceil(3) + s.chars().count() - ascii
}

pub(crate) struct Mcp {
    pub http: reqwest::Client,
    pub url: String,
    pub key: String,
    pub session: Option<String>,
}

impl Mcp {
    pub async fn post(&self, body: Value, auth: bool) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.post(&self.url).header("accept", "application/json, text/event-stream").json(&body);
        if auth {
            req = req.header("authorization", format!("Bearer {}", self.key));
        }
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        let resp = req.send().await.expect("mcp post");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        let (status, _, body) =
            self.post(json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }), true).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert_eq!(body["id"], 7, "{body}");
        body
    }

    /// A tool's result; checks it stayed within the budget.
    pub async fn tool(&self, name: &str, arguments: Value) -> Value {
        let body = self.rpc("tools/call", json!({ "name": name, "arguments": arguments })).await;
        let result = body["result"].clone();
        assert!(result.is_object(), "{name}: {body}");
        let size = tokens(&result.to_string());
        assert!(size <= BUDGET, "{name}: {size} tokens > {BUDGET}");
        result
    }
}

async fn wait_ready(stack: &Stack, id: &str) -> Value {
    let d = crate::support::settled(stack, id).await;
    assert_eq!(d["status"], "ready", "{id} failed: {d:#}");
    d
}

/// `tests/mcp-client` with its packages installed, or `None` (skip) when
/// Node is absent outside CI.
pub(crate) fn node_client() -> Option<PathBuf> {
    let dir = aidoc_testkit::paths::workspace_root().join("tests/mcp-client");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node {
        assert!(std::env::var_os("CI").is_none(), "node is required in CI for the MCP client tests");
        eprintln!("skipped: node is not installed, so the SDK and Inspector clients did not run");
        return None;
    }
    if !dir.join("node_modules/@modelcontextprotocol/sdk/package.json").is_file()
        || !dir.join("node_modules/.bin/mcp-inspector").exists()
    {
        let out =
            Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir).output().expect("npm runs");
        assert!(out.status.success(), "npm ci: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some(dir)
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("the command starts");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

pub(crate) fn inspector(dir: &Path, url: &str, key: Option<&str>, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(dir.join("node_modules/.bin/mcp-inspector"));
    cmd.current_dir(dir).args(["--cli", url, "--transport", "http"]).args(args);
    if let Some(k) = key {
        cmd.env("AIDOC_API_KEY", k).env("NODE_OPTIONS", format!("--import={}", dir.join("with-key.mjs").display()));
    }
    run(&mut cmd)
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_search_read_and_page_through_documents_over_mcp() {
    let _serial = crate::support::one_at_a_time().await;
    let budget = BUDGET.to_string();
    let stack = start_stack(&[("AIDOC_GATEWAY__MCP_TOKEN_BUDGET", &budget)]).await;
    let base = stack.gateway.url();
    let doc = crate::support::upload_file(&stack, "harbour.md", long_markdown().into_bytes(), TITLE).await;
    let chinese =
        crate::support::upload_file(&stack, "backup-zh.md", chinese_markdown().into_bytes(), "数据库备份手册").await;
    let pdf = aidoc_testkit::paths::corpus_dir().map(|c| c.join("pdf/pypdf-pdflatex-4-pages.pdf"));
    let pdf = match pdf.filter(|p| p.is_file()) {
        Some(p) => {
            Some(crate::support::upload_file(&stack, "four-pages.pdf", std::fs::read(p).unwrap(), "Four pages").await)
        }
        None => {
            assert!(std::env::var_os("CI").is_none(), "../shared/corpus is missing in CI");
            eprintln!("PDF part skipped: ../shared/corpus is not next to this checkout");
            None
        }
    };
    let d = wait_ready(&stack, &doc).await;
    wait_ready(&stack, &chinese).await;
    let total_chunks = d["chunk_count"].as_u64().expect("chunk_count");
    assert!(total_chunks >= 20, "a long document: {d:#}");
    if let Some(p) = &pdf {
        wait_ready(&stack, p).await;
    }

    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut mcp = Mcp { http: http.clone(), url: format!("{base}/mcp"), key: stack.api_key.clone(), session: None };
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "test", "version": "1" } } });

    // No key: 401 with a challenge and the gateway's error body.
    let (status, headers, body) = mcp.post(init.clone(), false).await;
    assert_eq!(status, 401, "{body}");
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer "), "{headers:?}");
    assert_eq!(body["code"], "unauthenticated", "{body}");

    // Before a session: no session header → 400; unknown session → 404; GET → 405.
    let (status, _, body) = mcp.post(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }), true).await;
    assert_eq!(status, 400, "{body}");
    mcp.session = Some("no-such-session".into());
    let (status, _, _) = mcp.post(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }), true).await;
    assert_eq!(status, 404);
    mcp.session = None;
    let get = http.get(format!("{base}/mcp")).header("x-api-key", &stack.api_key).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);

    // initialize negotiates the version and opens a session.
    let (status, headers, body) = mcp.post(init.clone(), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18", "{body}");
    assert!(body["result"]["capabilities"]["tools"].is_object(), "{body}");
    assert!(body["result"]["capabilities"]["resources"].is_object(), "{body}");
    let mut newer = init.clone();
    newer["params"]["protocolVersion"] = json!("2099-01-01");
    let (_, _, other) = mcp.post(newer, true).await;
    assert_eq!(other["result"]["protocolVersion"], "2025-11-25", "an unknown version gets the newest: {other}");
    mcp.session = Some(headers["mcp-session-id"].to_str().unwrap().to_owned());
    let (status, _, _) = mcp.post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }), true).await;
    assert_eq!(status, 202);

    // tools/list: five tools, each with a schema and a description.
    let tools = mcp.rpc("tools/list", json!({})).await;
    let mut names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["get_chunk", "list_categories", "list_documents", "read_document", "search_docs"]);
    for t in tools["result"]["tools"].as_array().unwrap() {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
        assert!(t["description"].as_str().unwrap().len() > 40, "{t}");
    }

    // search_docs finds the one section with the word, with a citation.
    let r = mcp.tool("search_docs", json!({ "query": WORD, "mode": "keyword" })).await;
    assert_eq!(r["isError"], false, "{r}");
    let hit = &r["structuredContent"]["hits"][0];
    assert_eq!(hit["citation"]["document_id"], doc.as_str(), "{r}");
    assert_eq!(hit["citation"]["title"], TITLE, "{r}");
    assert!(
        hit["citation"]["heading_path"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str().unwrap().starts_with("Section 17")),
        "{r}"
    );
    assert_eq!(hit["citation"]["api_url"], format!("{base}/api/v1/documents/{doc}"));
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains(TITLE) && text.contains("Section 17") && text.contains(&format!("/documents/{doc}")),
        "{text}"
    );

    // get_chunk: the hit with a neighbour on each side.
    let chunk_id = hit["chunk_id"].as_str().unwrap();
    let r = mcp.tool("get_chunk", json!({ "chunk_id": chunk_id, "before": 1, "after": 1 })).await;
    let c = &r["structuredContent"];
    assert!(c["chunk"]["text"].as_str().unwrap().contains(WORD), "{r}");
    let index = c["chunk"]["chunk_index"].as_u64().unwrap();
    assert_eq!(c["before"][0]["chunk_index"].as_u64(), Some(index - 1), "{r}");
    assert_eq!(c["after"][0]["chunk_index"].as_u64(), Some(index + 1), "{r}");
    assert_eq!(c["citation"]["title"], TITLE);

    // read_document: page through with next_from_chunk; every chunk once, every result within budget.
    let mut seen = Vec::new();
    let (mut from, mut calls) = (0u64, 0);
    loop {
        let r = mcp.tool("read_document", json!({ "document_id": doc, "from_chunk": from })).await;
        assert_eq!(r["isError"], false, "{r}");
        calls += 1;
        seen.extend(
            r["structuredContent"]["chunks"].as_array().unwrap().iter().map(|c| c["chunk_index"].as_u64().unwrap()),
        );
        match r["structuredContent"]["next_from_chunk"].as_u64() {
            Some(next) => {
                let text = r["content"][0]["text"].as_str().unwrap();
                assert!(text.contains(&format!("from_chunk={next}")), "the text says how to read on: {text}");
                assert!(next > from);
                from = next;
            }
            None => break,
        }
        assert!(calls < 200);
    }
    assert_eq!(seen, (0..total_chunks).collect::<Vec<_>>(), "every chunk exactly once, in order");
    assert!(calls >= 3, "a {total_chunks}-chunk document within {BUDGET} tokens takes several results: {calls}");
    eprintln!("read {total_chunks} chunks in {calls} results of at most {BUDGET} tokens");

    // CJK text counts one token per character: the budget holds for it too.
    let (mut from, mut zh_calls, mut zh_chunks) = (0u64, 0, 0);
    loop {
        let r = mcp.tool("read_document", json!({ "document_id": chinese, "from_chunk": from })).await;
        zh_calls += 1;
        zh_chunks += r["structuredContent"]["chunks"].as_array().unwrap().len();
        match r["structuredContent"]["next_from_chunk"].as_u64() {
            Some(next) => from = next,
            None => break,
        }
        assert!(zh_calls < 100);
    }
    assert!(zh_calls >= 2, "the Chinese document takes several results: {zh_calls}");
    assert_eq!(zh_chunks as u64, r_total(&stack, &chinese).await);

    // Search pages follow next_cursor without repeats.
    let mut ids = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    for _ in 0..3 {
        let mut args = json!({ "query": "berth procedure pilot", "mode": "keyword", "limit": 4 });
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = mcp.tool("search_docs", args).await;
        let hits = r["structuredContent"]["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{r}");
        for h in hits {
            assert!(ids.insert(h["chunk_id"].as_str().unwrap().to_owned()), "repeated hit {h}");
        }
        cursor = r["structuredContent"]["next_cursor"].as_str().map(str::to_owned);
        assert!(cursor.is_some(), "many sections match: {r}");
        assert!(r["content"][0]["text"].as_str().unwrap().contains(cursor.as_deref().unwrap()));
    }
    assert_eq!(ids.len(), 12);

    // A chunk range ends where asked.
    let r = mcp.tool("read_document", json!({ "document_id": doc, "from_chunk": 2, "to_chunk": 3 })).await;
    let got: Vec<u64> = r["structuredContent"]["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["chunk_index"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [2, 3], "{r}");
    assert!(r["structuredContent"]["next_from_chunk"].is_null());

    // The PDF by page: every chunk touches the page, citations link to it.
    if let Some(p) = &pdf {
        let r = mcp.tool("read_document", json!({ "document_id": p, "page_from": 2, "page_to": 2 })).await;
        let chunks = r["structuredContent"]["chunks"].as_array().unwrap();
        assert!(!chunks.is_empty(), "{r}");
        for c in chunks {
            assert!(c["page_start"].as_u64().unwrap() <= 2 && c["page_end"].as_u64().unwrap() >= 2, "{c}");
            assert!(c["url"].as_str().unwrap().contains(&format!("/documents/{p}?page=")), "{c}");
        }
        assert!(r["content"][0]["text"].as_str().unwrap().contains("Four pages"), "{r}");
    }

    // list_documents and list_categories.
    let cat = stack
        .client(Duration::from_secs(10))
        .post(format!("{base}/api/v1/categories"))
        .json(&json!({ "name": "Port operations" }))
        .send()
        .await
        .unwrap();
    assert_eq!(cat.status().as_u16(), 201);
    let r = mcp.tool("list_documents", json!({ "status": "ready" })).await;
    let titles: Vec<&str> =
        r["structuredContent"]["documents"].as_array().unwrap().iter().map(|d| d["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&TITLE), "{r}");
    let r = mcp.tool("list_categories", json!({})).await;
    assert!(r["content"][0]["text"].as_str().unwrap().contains("Port operations"), "{r}");

    // Resources.
    let r = mcp.rpc("resources/list", json!({})).await;
    let uri = format!("aidoc://documents/{doc}");
    assert!(r["result"]["resources"].as_array().unwrap().iter().any(|x| x["uri"] == uri.as_str()), "{r}");
    let r = mcp.rpc("resources/read", json!({ "uri": uri })).await;
    let text = r["result"]["contents"][0]["text"].as_str().unwrap();
    assert!(text.contains(TITLE) && text.contains(&format!("{uri}?from_chunk=")), "{text}");
    assert!(tokens(&r["result"].to_string()) <= BUDGET);
    let r = mcp.rpc("resources/templates/list", json!({})).await;
    assert_eq!(r["result"]["resourceTemplates"][0]["uriTemplate"], "aidoc://documents/{document_id}");
    let r = mcp.rpc("resources/read", json!({ "uri": "aidoc://documents/0190a0a0-0000-7000-8000-000000000000" })).await;
    assert_eq!(r["error"]["code"], -32002, "{r}");

    // Bad arguments: tool errors with a clear message, never a 5xx.
    for (tool, args, needle) in [
        ("search_docs", json!({}), "query"),
        ("search_docs", json!({ "query": "x", "mode": "fuzzy" }), "fuzzy"),
        ("search_docs", json!({ "query": "x", "limit": 500 }), "limit"),
        ("search_docs", json!({ "query": "x", "cursor": "garbage!" }), "cursor"),
        ("read_document", json!({ "document_id": "0190a0a0-0000-7000-8000-000000000000" }), "no document"),
        ("read_document", json!({ "document_id": "not-an-id" }), "not-an-id"),
        ("read_document", json!({ "document_id": doc, "from_chunk": 5, "to_chunk": 1 }), "to_chunk"),
        ("read_document", json!({ "document_id": doc, "from_chunk": -1 }), "from_chunk"),
        ("get_chunk", json!({ "chunk_id": "0190a0a0-0000-7000-8000-000000000000" }), "no chunk"),
        ("get_chunk", json!({ "chunk_id": chunk_id, "before": 99 }), "from 0 to 10"),
        ("list_documents", json!({ "status": "lost" }), "lost"),
        ("list_categories", json!({ "surprise": 1 }), "surprise"),
    ] {
        let r = mcp.tool(tool, args.clone()).await;
        assert_eq!(r["isError"], true, "{tool} {args}: {r}");
        let msg = r["content"][0]["text"].as_str().unwrap();
        assert!(msg.contains(needle), "{tool} {args}: {msg}");
    }
    let r = mcp.rpc("tools/call", json!({ "name": "delete_everything", "arguments": {} })).await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = mcp.rpc("prompts/list", json!({})).await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
    let bad = http
        .post(format!("{base}/mcp"))
        .header("x-api-key", &stack.api_key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["code"], -32700);

    // Tool calls are counted by tool and outcome.
    let (_, metrics) = http_get(&format!("{}/metrics", stack.gateway.admin_url()), &[]).await;
    for (tool, outcome) in [
        ("search_docs", "ok"),
        ("read_document", "ok"),
        ("search_docs", "bad_arguments"),
        ("read_document", "not_found"),
    ] {
        assert!(
            metrics.lines().any(|l| l.starts_with("aidoc_mcp_tool_calls_total")
                && l.contains(&format!("tool=\"{tool}\""))
                && l.contains(&format!("outcome=\"{outcome}\""))),
            "{tool}/{outcome} missing:\n{metrics}"
        );
    }

    // DELETE ends the session.
    let del = http
        .delete(format!("{base}/mcp"))
        .header("x-api-key", &stack.api_key)
        .header("mcp-session-id", mcp.session.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    let (status, _, _) = mcp.post(json!({ "jsonrpc": "2.0", "id": 9, "method": "ping" }), true).await;
    assert_eq!(status, 404, "an ended session is gone");

    // A read-only key is enough.
    let read_key = create_key(&base, &stack.admin_token, "mcp reader", &["read"]).await;
    let reader = Mcp { http: http.clone(), url: format!("{base}/mcp"), key: read_key.clone(), session: None };
    let (status, _, body) = reader.post(init, true).await;
    assert_eq!(status, 200, "{body}");

    // Clients nobody here wrote: the official SDK client and the Inspector CLI.
    let Some(dir) = node_client() else { return };
    let url = format!("{base}/mcp");
    let (ok, out) = run(Command::new("node")
        .arg("sdk-client.mjs")
        .current_dir(&dir)
        .env("AIDOC_MCP_URL", &url)
        .env("AIDOC_API_KEY", &read_key)
        .env("AIDOC_DOC_ID", &doc)
        .env("AIDOC_BUDGET", &budget)
        .env("AIDOC_WORD", WORD));
    assert!(ok && out.contains("RESULT {\"ok\":true"), "SDK client:\n{out}");
    eprintln!("{}", out.lines().find(|l| l.starts_with("RESULT")).unwrap_or(""));

    let (ok, out) = inspector(&dir, &url, Some(&read_key), &["--method", "tools/list"]);
    assert!(ok, "inspector tools/list:\n{out}");
    let listed: Value = serde_json::from_str(out[out.find('{').unwrap()..].trim()).unwrap_or(Value::Null);
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(5), "{out}");
    let (ok, out) = inspector(
        &dir,
        &url,
        Some(&read_key),
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "search_docs",
            "--tool-arg",
            &format!("query={WORD}"),
            "--tool-arg",
            "mode=keyword",
        ],
    );
    assert!(ok && out.contains(TITLE) && out.contains("Section 17"), "inspector tools/call:\n{out}");
    let (ok, out) = inspector(&dir, &url, None, &["--method", "tools/list"]);
    assert!(!ok && out.contains("unauthenticated"), "without a key the inspector is refused:\n{out}");
}
