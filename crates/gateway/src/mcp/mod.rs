//! `/mcp`: the Model Context Protocol over Streamable HTTP, for AI agents.
//!
//! A client POSTs JSON-RPC messages and gets each answer as one JSON body
//! (the server never needs to stream: every tool answers once). `initialize`
//! opens a session whose id comes back in `Mcp-Session-Id` and goes with every
//! later request; DELETE ends it. GET (a server-to-client stream) is not
//! offered: 405, as the transport allows. Callers authenticate like REST
//! callers (API key or access token, same rate limits) and need read access.

mod read;
pub mod render;
mod resources;
mod session;
pub mod tools;

pub use session::Sessions;

use crate::auth::Reader;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

pub const PATH: &str = "/mcp";
/// Protocol revisions this server speaks, newest first.
pub const PROTOCOL_VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
use crate::metrics::MCP_TOOL_CALLS_TOTAL as TOOL_CALLS_TOTAL;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(PATH).route(web::post().to(post)).route(web::get().to(no_stream)).route(web::delete().to(delete)),
    );
}

/// JSON-RPC error codes.
mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const SERVER_ERROR: i64 = -32000;
    pub const RESOURCE_NOT_FOUND: i64 = -32002;
}

#[derive(Debug)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError { code, message: message.into() }
    }
}

fn rpc_error(id: Value, e: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": e.code, "message": e.message } })
}

/// An answer outside any request (bad transport use), as JSON-RPC.
fn transport_error(status: StatusCode, code: i64, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(rpc_error(Value::Null, &RpcError::new(code, message)))
}

/// The public URL links start with: configured, or this request's own.
fn base_url(state: &AppState, req: &HttpRequest) -> String {
    let configured = state.config.gateway.public_url.trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Browsers send `Origin`; only the gateway's own origin, the configured
/// CORS origins and loopback pages may drive a session (DNS rebinding).
fn origin_allowed(state: &AppState, req: &HttpRequest) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let cors = &state.config.gateway.cors_origins;
    if cors.iter().any(|o| o == "*" || o == origin) || origin == base_url(state, req) {
        return true;
    }
    let rest = origin.split_once("://").map(|(_, r)| r).unwrap_or("");
    let host = match rest.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => rest,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

async fn no_stream() -> HttpResponse {
    HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, "POST, DELETE")).json(rpc_error(
        Value::Null,
        &RpcError::new(code::SERVER_ERROR, "this server sends no stream: POST JSON-RPC messages instead"),
    ))
}

async fn delete(state: web::Data<AppState>, req: HttpRequest, Reader(who): Reader) -> HttpResponse {
    let Some(id) = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
        return transport_error(StatusCode::BAD_REQUEST, code::SERVER_ERROR, "the Mcp-Session-Id header is missing");
    };
    if state.mcp.end(id, &who.user_id) {
        HttpResponse::NoContent().finish()
    } else {
        transport_error(StatusCode::NOT_FOUND, code::SERVER_ERROR, "no such session")
    }
}

async fn post(state: web::Data<AppState>, req: HttpRequest, Reader(who): Reader, body: web::Bytes) -> HttpResponse {
    if !origin_allowed(&state, &req) {
        return transport_error(StatusCode::FORBIDDEN, code::SERVER_ERROR, "this Origin may not use the MCP endpoint");
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return transport_error(StatusCode::BAD_REQUEST, code::PARSE_ERROR, &format!("parse error: {e}")),
    };
    let (messages, batch) = match parsed {
        Value::Array(items) if !items.is_empty() => (items, true),
        Value::Array(_) => return transport_error(StatusCode::BAD_REQUEST, code::INVALID_REQUEST, "empty batch"),
        other => (vec![other], false),
    };
    if messages.iter().any(|m| !m.is_object() || m.get("jsonrpc") != Some(&json!("2.0"))) {
        return transport_error(
            StatusCode::BAD_REQUEST,
            code::INVALID_REQUEST,
            "expected JSON-RPC 2.0 messages (objects with \"jsonrpc\": \"2.0\")",
        );
    }
    let is_init = |m: &Value| m.get("method").and_then(Value::as_str) == Some("initialize");
    if messages.iter().any(is_init) {
        if messages.len() > 1 {
            return transport_error(StatusCode::BAD_REQUEST, code::INVALID_REQUEST, "initialize must be sent alone");
        }
        return initialize(&state, &who.user_id, &messages[0]);
    }
    // Every other message belongs to a session.
    let Some(session_id) = req.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
        return transport_error(
            StatusCode::BAD_REQUEST,
            code::SERVER_ERROR,
            "the Mcp-Session-Id header is missing: send initialize first",
        );
    };
    if !state.mcp.touch(session_id, &who.user_id) {
        return transport_error(
            StatusCode::NOT_FOUND,
            code::SERVER_ERROR,
            "the session has ended or does not exist: initialize again",
        );
    }
    if let Some(v) = req.headers().get(VERSION_HEADER).and_then(|v| v.to_str().ok())
        && !PROTOCOL_VERSIONS.contains(&v)
    {
        return transport_error(
            StatusCode::BAD_REQUEST,
            code::SERVER_ERROR,
            &format!("unsupported MCP-Protocol-Version {v}; supported: {}", PROTOCOL_VERSIONS.join(", ")),
        );
    }
    let ctx = tools::Ctx { state: &state, base: base_url(&state, &req), budget: state.config.gateway.mcp_token_budget };
    let mut answers = Vec::new();
    for m in messages {
        // Notifications and the client's answers need no reply.
        let (Some(method), Some(id)) = (m.get("method").and_then(Value::as_str), m.get("id")) else { continue };
        let params = m.get("params").cloned().unwrap_or(Value::Null);
        let answer = match dispatch(&ctx, method, params).await {
            Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
            Err(e) => rpc_error(id.clone(), &e),
        };
        answers.push(answer);
    }
    match (answers.len(), batch) {
        (0, _) => HttpResponse::Accepted().finish(),
        (1, false) => HttpResponse::Ok().json(answers.pop()),
        _ => HttpResponse::Ok().json(answers),
    }
}

fn initialize(state: &AppState, user_id: &str, m: &Value) -> HttpResponse {
    let id = m.get("id").cloned().unwrap_or(Value::Null);
    let asked = m.pointer("/params/protocolVersion").and_then(Value::as_str);
    let Some(asked) = asked else {
        let e = RpcError::new(code::INVALID_PARAMS, "initialize: params.protocolVersion is required");
        return HttpResponse::BadRequest().json(rpc_error(id, &e));
    };
    // The client's revision when this server speaks it, else the newest.
    let version = PROTOCOL_VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(PROTOCOL_VERSIONS[0]);
    let session = state.mcp.open(user_id);
    let budget = state.config.gateway.mcp_token_budget;
    let result = json!({
        "protocolVersion": version,
        "capabilities": {
            "tools": { "listChanged": false },
            "resources": { "listChanged": false, "subscribe": false },
        },
        "serverInfo": { "name": "aidoc", "title": "aidoc document library", "version": aidoc_common::VERSION },
        "instructions": format!(
            "aidoc is a library of technical documents. Start with search_docs to find passages; expand one with \
             get_chunk, or read a document in order with read_document. Cite sources with the title, heading path, \
             page and link each result gives. Results hold at most about {budget} tokens: when one says more exists, \
             call again with the cursor or from_chunk it names."
        ),
    });
    HttpResponse::Ok()
        .insert_header((SESSION_HEADER, session))
        .json(json!({ "jsonrpc": "2.0", "id": id, "result": result }))
}

async fn dispatch(ctx: &tools::Ctx<'_>, method: &str, params: Value) -> Result<Value, RpcError> {
    match method {
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::definitions(ctx.budget) })),
        "tools/call" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
            let arguments = params.get("arguments").cloned().unwrap_or(Value::Null);
            let Some(result) = tools::call(ctx, &name, arguments).await else {
                metrics::counter!(TOOL_CALLS_TOTAL, "tool" => "unknown", "outcome" => "unknown_tool").increment(1);
                return Err(RpcError::new(
                    code::INVALID_PARAMS,
                    format!("unknown tool `{name}`; the tools are {}", tools::NAMES.join(", ")),
                ));
            };
            let tool = tools::NAMES.iter().find(|n| **n == name).copied().unwrap_or("unknown");
            Ok(match result {
                Ok(answer) => {
                    metrics::counter!(TOOL_CALLS_TOTAL, "tool" => tool, "outcome" => "ok").increment(1);
                    if tool == "search_docs" {
                        ctx.state.monitor.search(std::time::SystemTime::now());
                    }
                    answer.into_result()
                }
                Err(e) => {
                    metrics::counter!(TOOL_CALLS_TOTAL, "tool" => tool, "outcome" => e.outcome()).increment(1);
                    if let tools::ToolError::Failed(m) = &e {
                        tracing::warn!(tool, error = %m, "an MCP tool call failed");
                    }
                    tools::error_result(&e)
                }
            })
        }
        "resources/list" => resources::list(ctx, &params).await,
        "resources/read" => resources::read(ctx, &params).await,
        "resources/templates/list" => Ok(resources::templates()),
        "initialize" => Err(RpcError::new(code::INVALID_REQUEST, "the session is already initialized")),
        other => Err(RpcError::new(code::METHOD_NOT_FOUND, format!("method `{other}` is not offered by this server"))),
    }
}
