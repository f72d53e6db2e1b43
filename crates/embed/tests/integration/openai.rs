//! The OpenAI-compatible client against a loopback server.

use aidoc_embed::{EmbedConfig, EmbedError, Embedder, OpenAiConfig, Provider, from_config};
use serde_json::{Value, json};

use crate::support::{Handler, MockServer};

fn config(base_url: &str, dimensions: usize) -> EmbedConfig {
    EmbedConfig {
        provider: Provider::Openai,
        batch_size: 2,
        openai: OpenAiConfig {
            base_url: base_url.to_string(),
            model: "test-embed".into(),
            dimensions,
            api_key: Some("sk-test".to_string().into()),
            query_prefix: "query: ".into(),
            passage_prefix: "passage: ".into(),
            timeout_secs: 2,
            connect_timeout_secs: 1,
            ..OpenAiConfig::default()
        },
        ..EmbedConfig::default()
    }
}

/// Answers with vector [i+1, 0, 0] for input i, listed in reverse order (clients must sort by index).
fn reversed_vectors(body: &Value) -> (u16, String) {
    let n = body["input"].as_array().map_or(0, Vec::len);
    let data: Vec<Value> = (0..n)
        .rev()
        .map(|i| json!({"object": "embedding", "index": i, "embedding": [(i + 1) as f32, 0.0, 0.0]}))
        .collect();
    (200, json!({"object": "list", "data": data, "model": "test-embed"}).to_string())
}

#[test]
fn embeds_in_batches_with_prefixes_auth_and_order() {
    let server = MockServer::start(3, Box::new(reversed_vectors));
    let e = from_config(&config(&server.base_url, 3)).unwrap();
    assert_eq!(e.model_id(), "openai:test-embed");
    assert_eq!(e.dimensions(), 3);
    let v = e.embed_passages(&["a", "b", "c"]).unwrap();
    assert_eq!(v, vec![vec![1.0, 0.0, 0.0]; 3], "normalised, one per input");
    let q = e.embed_query("what").unwrap();
    assert_eq!(q, vec![1.0, 0.0, 0.0]);

    let seen = server.seen();
    assert_eq!(seen.len(), 3, "batch_size 2: two requests for three passages, one for the query");
    assert_eq!(seen[0].request_line, "POST /v1/embeddings HTTP/1.1");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test"));
    assert_eq!(seen[0].body["model"], "test-embed");
    assert_eq!(seen[0].body["input"], json!(["passage: a", "passage: b"]));
    assert_eq!(seen[1].body["input"], json!(["passage: c"]));
    assert_eq!(seen[2].body["input"], json!(["query: what"]));
    assert!(seen[0].body.get("dimensions").is_none());
}

#[test]
fn error_statuses_are_typed_and_classified() {
    for (status, retryable) in [(500u16, true), (429, true), (401, false), (400, false)] {
        let server = MockServer::start(1, Box::new(move |_| (status, r#"{"error":{"message":"nope"}}"#.into())));
        let e = from_config(&config(&server.base_url, 3)).unwrap();
        match e.embed_query("x") {
            Err(err @ EmbedError::Status { .. }) => {
                let EmbedError::Status { status: got, ref body, .. } = err else { unreachable!() };
                assert_eq!(got, status);
                assert!(body.contains("nope"));
                assert_eq!(err.is_retryable(), retryable, "{status}");
            }
            other => panic!("expected Status for {status}, got {other:?}"),
        }
    }
}

#[test]
fn malformed_responses_are_rejected() {
    let cases: Vec<(&str, Handler)> = vec![
        ("wrong length", Box::new(|_| (200, json!({"data": [{"index": 0, "embedding": [1.0, 2.0]}]}).to_string()))),
        ("missing data", Box::new(|_| (200, json!({"nothing": true}).to_string()))),
        ("not json", Box::new(|_| (200, "<html>".to_string()))),
        ("bad index", Box::new(|_| (200, json!({"data": [{"index": 5, "embedding": [1.0, 0.0, 0.0]}]}).to_string()))),
        ("too few", Box::new(|_| (200, json!({"data": []}).to_string()))),
    ];
    for (what, handler) in cases {
        let server = MockServer::start(1, handler);
        let e = from_config(&config(&server.base_url, 3)).unwrap();
        match e.embed_query("x") {
            Err(err @ EmbedError::InvalidResponse { .. }) => assert!(!err.is_retryable()),
            other => panic!("{what}: expected InvalidResponse, got {other:?}"),
        }
    }
}

#[test]
fn unreachable_and_slow_endpoints_are_transport_errors() {
    // nothing listens on a port we bound and released
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = from_config(&config(&format!("http://127.0.0.1:{port}/v1"), 3)).unwrap();
    assert!(matches!(e.embed_query("x"), Err(ref err @ EmbedError::Transport { .. }) if err.is_retryable()));

    // a server that accepts and never answers: the 2 s request timeout fires
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let hold = std::thread::spawn(move || {
        let conn = listener.accept();
        std::thread::sleep(std::time::Duration::from_secs(4));
        drop(conn);
    });
    let e = from_config(&config(&url, 3)).unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(e.embed_query("x"), Err(EmbedError::Transport { .. })));
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "timed out after {:?}", started.elapsed());
    hold.join().unwrap();
}

#[test]
fn api_key_file_is_read_and_debug_hides_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "sk-from-file\n").unwrap();
    let server = MockServer::start(1, Box::new(reversed_vectors));
    let mut c = config(&server.base_url, 3);
    c.openai.api_key = None;
    c.openai.api_key_file = Some(key_file);
    let e = aidoc_embed::OpenAiEmbedder::new(&c).unwrap();
    assert!(!format!("{e:?}").contains("sk-from-file"));
    e.embed_query("x").unwrap();
    assert_eq!(server.seen()[0].header("authorization"), Some("Bearer sk-from-file"));
}
