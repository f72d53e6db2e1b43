//! Finding the model folder, and a tiny loopback HTTP server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The model folder: `$AIDOC_EMBEDDING__MODEL_DIR`, else `<repo>/.aidoc/models`. `None` (after printing why)
/// when it holds no model, unless `$CI` is set: then a missing model fails the test.
pub fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("AIDOC_EMBEDDING__MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.aidoc/models"));
    if dir.join("model.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no embedding model in {} and CI is set: run scripts/fetch-model.sh {}",
        dir.display(),
        dir.display()
    );
    eprintln!("skipped: run scripts/fetch-model.sh (no model in {})", dir.display());
    None
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub request_line: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What the server answers: status and body, from the parsed request body.
pub type Handler = Box<dyn Fn(&serde_json::Value) -> (u16, String) + Send>;

/// A loopback HTTP/1.1 server that answers `requests` requests with `handler`, then stops.
pub struct MockServer {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    pub fn start(requests: usize, handler: Handler) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let thread = std::thread::spawn(move || {
            for _ in 0..requests {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                // Recorded before the reply is written, so a client that has its answer finds its request here.
                serve_one(stream, &handler, &|request| log.lock().unwrap().push(request));
            }
        });
        Self { base_url, seen, thread: Some(thread) }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

fn serve_one(stream: TcpStream, handler: &Handler, record: &dyn Fn(Seen)) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let (status, reply) = handler(&body);
    record(Seen { request_line: request_line.trim_end().to_string(), headers, body });
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    );
    let _ = stream.flush();
    Some(())
}
