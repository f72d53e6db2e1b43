//! Documents as MCP resources: `aidoc://documents/{id}`, read in parts with
//! `?from_chunk=N`.

use super::read::{ReadArgs, read_part};
use super::render::Citation;
use super::tools::{Ctx, ToolError};
use super::{RpcError, code};
use crate::routes::catalog;
use aidoc_proto::api::v1 as api;
use serde_json::{Value, json};

const PREFIX: &str = "aidoc://documents/";
const PAGE: u32 = 50;

pub fn templates() -> Value {
    json!({ "resourceTemplates": [{
        "uriTemplate": "aidoc://documents/{document_id}",
        "name": "document",
        "title": "A document of the library",
        "description": "A document's text in reading order, as much as fits one result; append ?from_chunk=N to read on \
                        from chunk N (each result names the next URI).",
        "mimeType": "text/markdown",
    }]})
}

pub async fn list(ctx: &Ctx<'_>, params: &Value) -> Result<Value, RpcError> {
    let cursor = params.get("cursor").and_then(Value::as_str).unwrap_or("").to_owned();
    let resp = catalog(ctx.state)
        .list_documents(api::ListDocumentsRequest {
            status: api::DocumentStatus::Ready as i32,
            limit: PAGE,
            cursor,
            ..Default::default()
        })
        .await
        .map_err(|s| match ToolError::from(s) {
            ToolError::BadArguments(m) => RpcError::new(code::INVALID_PARAMS, format!("resources/list: {m}")),
            other => RpcError::new(code::SERVER_ERROR, other.message().to_owned()),
        })?
        .into_inner();
    let resources: Vec<Value> = resp
        .documents
        .iter()
        .map(|d| {
            json!({
                "uri": format!("{PREFIX}{}", d.id),
                "name": d.file_name,
                "title": d.title,
                "description": format!(
                    "{} · {} pages · {} chunks{} · {}",
                    d.media_type,
                    d.page_count,
                    d.chunk_count,
                    if d.language.is_empty() { String::new() } else { format!(" · language {}", d.language) },
                    Citation::new(&ctx.base, &d.id, &d.title, &[], (0, 0)).url
                ),
                "mimeType": "text/markdown",
                "size": d.size_bytes,
            })
        })
        .collect();
    let mut result = json!({ "resources": resources });
    if !resp.next_cursor.is_empty() {
        result["nextCursor"] = json!(resp.next_cursor);
    }
    Ok(result)
}

/// `aidoc://documents/{id}[?from_chunk=N]` → (id, N).
fn parse_uri(uri: &str) -> Result<(String, u32), RpcError> {
    let bad = || {
        RpcError::new(code::INVALID_PARAMS, format!("`{uri}` is not a document URI ({PREFIX}{{id}}[?from_chunk=N])"))
    };
    let rest = uri.strip_prefix(PREFIX).ok_or_else(bad)?;
    let (id, query) = rest.split_once('?').unwrap_or((rest, ""));
    if id.is_empty() || id.contains('/') {
        return Err(bad());
    }
    let mut from = 0;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("from_chunk", n)) => from = n.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        }
    }
    Ok((id.to_owned(), from))
}

pub async fn read(ctx: &Ctx<'_>, params: &Value) -> Result<Value, RpcError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::new(code::INVALID_PARAMS, "resources/read: params.uri is required"))?;
    let (id, from) = parse_uri(uri)?;
    let args = ReadArgs { document_id: id.clone(), from_chunk: Some(from), ..Default::default() };
    let answer = read_part(ctx, &args).await.map_err(|e| match e {
        ToolError::NotFound(m) => RpcError::new(code::RESOURCE_NOT_FOUND, m),
        ToolError::BadArguments(m) => RpcError::new(code::INVALID_PARAMS, m),
        ToolError::Failed(m) => RpcError::new(code::SERVER_ERROR, m),
    })?;
    let mut text = answer.text;
    if let Some(next) = answer.data["next_from_chunk"].as_u64() {
        text.push_str(&format!("\n[Next part: {PREFIX}{id}?from_chunk={next}]"));
    }
    Ok(json!({ "contents": [{ "uri": uri, "mimeType": "text/markdown", "text": text }] }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_uris() {
        assert_eq!(parse_uri("aidoc://documents/abc").unwrap(), ("abc".into(), 0));
        assert_eq!(parse_uri("aidoc://documents/abc?from_chunk=7").unwrap(), ("abc".into(), 7));
        for bad in ["aidoc://documents/", "http://x/abc", "aidoc://documents/a/b", "aidoc://documents/a?x=1"] {
            assert_eq!(parse_uri(bad).unwrap_err().code, code::INVALID_PARAMS, "{bad}");
        }
    }
}
