//! An OpenAI-compatible embeddings server backed by the real local model.
//!
//! `POST /v1/embeddings` with `{"model", "input": [..] | "..", "encoding_format"}` answers
//! `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}`
//! with vectors computed by multilingual-e5-small from the model folder, on the inputs exactly as sent
//! (the client adds any `query: `/`passage: ` prefix). A bearer key is required. It can be switched to answer
//! 503 (an endpoint that is overloaded or down) and records every input it embedded, so tests of the
//! indexer's `openai` provider run against real vectors over real HTTP.

use aidoc_embed::{LocalEmbedder, LocalOptions};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Request bodies above this are refused (413), as a real endpoint would.
const MAX_BODY: usize = 8 << 20;

struct Shared {
    model: LocalEmbedder,
    model_name: String,
    api_key: String,
    available: AtomicBool,
    refused: AtomicUsize,
    inputs: Mutex<Vec<String>>,
}

/// The running server; it stops accepting when dropped.
pub struct EmbeddingsServer {
    /// `http://127.0.0.1:<port>/v1`, what the client's `base_url` takes.
    pub base_url: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl EmbeddingsServer {
    /// Loads the model in `model_dir` and serves it as `model_name`, requiring `Bearer <api_key>`.
    pub fn start(model_dir: &Path, model_name: &str, api_key: &str) -> Self {
        let options =
            LocalOptions { threads: 2, sessions: 2, batch_size: 8, verify_checksums: false, query_session: false };
        let model = LocalEmbedder::load(model_dir, &options).expect("the embedding model loads");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            model,
            model_name: model_name.to_owned(),
            api_key: api_key.to_owned(),
            available: AtomicBool::new(true),
            refused: AtomicUsize::new(0),
            inputs: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&shared), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Self { base_url: format!("http://{addr}/v1"), shared, stop, addr }
    }

    /// From now on answer every request with 503 (`false`) or serve it (`true`).
    pub fn set_available(&self, available: bool) {
        self.shared.available.store(available, Ordering::SeqCst);
    }

    /// How many requests were refused with 503 so far.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Every input embedded so far, in arrival order.
    pub fn inputs(&self) -> Vec<String> {
        self.shared.inputs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// The vector the server gives `text` (for comparing with what a client stored).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        self.shared.model.embed_texts(&[text]).expect("embed").remove(0)
    }
}

impl Drop for EmbeddingsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // wake the accept loop so it sees the flag
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves the requests of one connection (keep-alive) until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(write_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let mut out = write_half;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut authorization = String::new();
        let mut close = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse().unwrap_or(usize::MAX),
                    "authorization" => authorization = value.to_owned(),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let (status, body) = if length > MAX_BODY {
            close = true;
            (413, error("request body too large", "invalid_request_error"))
        } else {
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            answer(shared, request_line.trim_end(), &authorization, &body)
        };
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            404 => "Not Found",
            413 => "Payload Too Large",
            500 => "Internal Server Error",
            _ => "Service Unavailable",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n",
            body.len(),
            if close { "connection: close\r\n" } else { "" }
        );
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(body.as_bytes())).is_err() || close {
            return;
        }
    }
}

fn error(message: &str, kind: &str) -> String {
    json!({"error": {"message": message, "type": kind}}).to_string()
}

fn answer(shared: &Shared, request_line: &str, authorization: &str, body: &[u8]) -> (u16, String) {
    if !request_line.starts_with("POST /v1/embeddings ") {
        return (404, error("no such route", "invalid_request_error"));
    }
    if authorization != format!("Bearer {}", shared.api_key) {
        return (401, error("invalid API key", "authentication_error"));
    }
    if !shared.available.load(Ordering::SeqCst) {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        return (503, error("the model is overloaded, try again later", "server_error"));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, error("the body is not JSON", "invalid_request_error"));
    };
    if request["model"].as_str() != Some(shared.model_name.as_str()) {
        return (404, error(&format!("model {} does not exist", request["model"]), "invalid_request_error"));
    }
    let inputs: Vec<String> = match &request["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
        }
        _ => return (400, error("input must be a string or a non-empty array of strings", "invalid_request_error")),
    };
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let vectors = match shared.model.embed_texts(&refs) {
        Ok(v) => v,
        Err(e) => return (500, error(&e.to_string(), "server_error")),
    };
    let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    shared.inputs.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(inputs);
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(index, embedding)| json!({"object": "embedding", "index": index, "embedding": embedding}))
        .collect();
    let usage = json!({"prompt_tokens": tokens, "total_tokens": tokens});
    (200, json!({"object": "list", "data": data, "model": shared.model_name, "usage": usage}).to_string())
}
