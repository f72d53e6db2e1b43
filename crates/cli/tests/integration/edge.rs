//! The whole stack behind the nginx edge of `deploy/nginx/`, as Compose and the edge image run it: the built web UI
//! from the edge's own disk (cache headers, the CSP), SPA routes through a gateway, the REST API with an API key and
//! uploads streamed through, and MCP sessions passed through unbuffered and uncompressed — the session header, the
//! auth challenge, tool calls and the end of a session, also driven by the MCP Inspector CLI.

use crate::mcp::{Mcp, inspector, node_client};
use crate::support::{one_at_a_time, start_stack};
use aidoc_testkit::nginx::{Edge, binary_or_skip};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_the_api_and_mcp_sessions_work_through_the_nginx_edge() {
    let _serial = one_at_a_time().await;
    let Some(nginx) = binary_or_skip() else { return };
    let dist = aidoc_testkit::paths::workspace_root().join("web/dist");
    let stand_in = tempfile::tempdir().expect("web root");
    let built = dist.join("index.html").is_file();
    let root = if built {
        dist.clone()
    } else {
        assert!(std::env::var_os("CI").is_none(), "scripts/test.sh builds web/dist before the Rust tests");
        eprintln!("web/dist is not built: the edge serves a stand-in page");
        std::fs::write(stand_in.path().join("index.html"), "<!doctype html><title>aidoc</title>").unwrap();
        stand_in.path().to_owned()
    };
    let stack = start_stack(&[("AIDOC_GATEWAY__WEB_DIR", &root.display().to_string())]).await;
    let edge = Edge::start(&nginx, &[stack.gateway.main_addr], &root, 3, "10s").await;
    let base = edge.url();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();

    // The UI comes from the edge's disk: index.html never cached, hashed assets cached for good, the CSP on both.
    let index = std::fs::read_to_string(root.join("index.html")).unwrap();
    let resp = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let direct = http.get(stack.gateway.url()).send().await.unwrap();
    assert_eq!(csp, direct.headers()["content-security-policy"].to_str().unwrap(), "the edge's CSP is the gateway's");
    assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(resp.text().await.unwrap(), index);
    if built {
        let asset = index
            .split('"')
            .find(|s| s.starts_with("/assets/") && s.ends_with(".js"))
            .unwrap_or_else(|| panic!("no script in {index}"));
        let resp = http.get(format!("{base}{asset}")).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{asset}");
        assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(resp.bytes().await.unwrap(), std::fs::read(root.join(&asset[1..])).unwrap());
    }
    // A route of the single-page app is no file: a gateway answers it with the app.
    let resp = http.get(format!("{base}/search?q=lease")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), index);

    // The REST API with a key; without one, the gateway's challenge and error body come through.
    let keyed = stack.client(Duration::from_secs(60));
    let resp = http.get(format!("{base}/api/v1/documents")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "unauthenticated", "{body}");
    // An upload streams through the edge to a gateway.
    let form = Form::new().part(
        "file",
        Part::bytes(b"# Edge notes\n\nUploads stream through the edge to a gateway.\n".to_vec())
            .file_name("edge.md".to_owned()),
    );
    let resp = keyed.post(format!("{base}/api/v1/documents")).multipart(form).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    let up: Value = resp.json().await.unwrap();
    let id = up["items"][0]["document"]["id"].as_str().unwrap_or_else(|| panic!("{up}")).to_owned();
    let doc: Value = keyed.get(format!("{base}/api/v1/documents/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["file_name"], "edge.md", "{doc}");

    // MCP: a session through the edge.
    let mut mcp = Mcp { http: http.clone(), url: format!("{base}/mcp"), key: stack.api_key.clone(), session: None };
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "edge-test", "version": "1" } } });
    let (status, headers, body) = mcp.post(init.clone(), false).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"aidoc\"");
    assert_eq!(body["code"], "unauthenticated", "{body}");
    let (status, headers, body) = mcp.post(init, true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["serverInfo"]["name"], "aidoc", "{body}");
    assert!(headers.get("content-encoding").is_none(), "MCP answers are not compressed by the edge: {headers:?}");
    mcp.session = Some(headers["mcp-session-id"].to_str().expect("a session id").to_owned());
    let (status, _, _) = mcp.post(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }), true).await;
    assert_eq!(status, 202);
    let listed = mcp.rpc("tools/list", json!({})).await;
    assert_eq!(listed["result"]["tools"].as_array().map(Vec::len), Some(5), "{listed}");
    let docs = mcp.tool("list_documents", json!({})).await;
    assert!(docs["structuredContent"]["documents"].to_string().contains(&id), "{docs}");
    let get = http.get(format!("{base}/mcp")).bearer_auth(&stack.api_key).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);
    let del = http
        .delete(format!("{base}/mcp"))
        .bearer_auth(&stack.api_key)
        .header("mcp-session-id", mcp.session.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    let (status, _, _) = mcp.post(json!({ "jsonrpc": "2.0", "id": 9, "method": "ping" }), true).await;
    assert_eq!(status, 404, "the ended session is gone on the gateway behind the edge");

    // A client nobody here wrote, through the edge.
    let Some(dir) = node_client() else { return };
    let (ok, out) = inspector(&dir, &format!("{base}/mcp"), Some(&stack.api_key), &["--method", "tools/list"]);
    assert!(ok && out.contains("search_docs") && out.contains("read_document"), "inspector through the edge:\n{out}");
}
