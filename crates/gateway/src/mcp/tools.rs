//! The MCP tools: what they take (JSON Schema) and what they do. Every
//! tool reads through the same gRPC backends as the REST routes.

use super::read;
use super::render::{Answer, Budget, Citation, Cursor, estimate_tokens, json_tokens};
use crate::dto;
use crate::error::ApiError;
use crate::routes::{catalog, indexer};
use crate::state::AppState;
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use aidoc_proto::indexer::v1 as idx;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// What a tool call needs besides its arguments.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    /// The public URL citations link to, without a trailing slash.
    pub base: String,
    pub budget: u32,
}

/// Why a tool call did not answer; the agent sees the message.
#[derive(Debug)]
pub enum ToolError {
    BadArguments(String),
    NotFound(String),
    Failed(String),
}

impl ToolError {
    pub fn outcome(&self) -> &'static str {
        match self {
            ToolError::BadArguments(_) => "bad_arguments",
            ToolError::NotFound(_) => "not_found",
            ToolError::Failed(_) => "failed",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            ToolError::BadArguments(m) | ToolError::NotFound(m) | ToolError::Failed(m) => m,
        }
    }
}

impl From<ApiError> for ToolError {
    fn from(e: ApiError) -> Self {
        match e.code {
            ErrorCode::InvalidArgument | ErrorCode::MalformedBody => ToolError::BadArguments(e.message),
            ErrorCode::NotFound => ToolError::NotFound(e.message),
            _ => ToolError::Failed(format!("{}: {}", e.code, e.message)),
        }
    }
}

impl From<tonic::Status> for ToolError {
    fn from(s: tonic::Status) -> Self {
        ApiError::from(s).into()
    }
}

pub type ToolResult = Result<Answer, ToolError>;

pub fn bad(msg: impl Into<String>) -> ToolError {
    ToolError::BadArguments(msg.into())
}

/// Parses a tool's arguments; absent arguments are an empty object.
pub fn args<T: DeserializeOwned>(tool: &str, v: Value) -> Result<T, ToolError> {
    let v = if v.is_null() { json!({}) } else { v };
    if !v.is_object() {
        return Err(bad(format!("{tool}: arguments must be a JSON object")));
    }
    serde_json::from_value(v).map_err(|e| bad(format!("{tool}: {e}")))
}

pub const NAMES: [&str; 5] = ["search_docs", "read_document", "get_chunk", "list_documents", "list_categories"];

/// `tools/list`.
pub fn definitions(budget: u32) -> Vec<Value> {
    let read_only =
        json!({ "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false });
    let ids = |what: &str| json!({ "type": "array", "items": { "type": "string" }, "description": what });
    vec![
        json!({
            "name": "search_docs",
            "title": "Search the document library",
            "description": format!(
                "Search every indexed document (PDF, Word, Markdown, HTML, text) for passages that answer a question. \
                 Returns ranked passages with a snippet, chunk_id and a citation (document title, heading path, pages, link). \
                 Use mode `hybrid` (default) for questions, `keyword` for exact terms, codes or identifiers, `semantic` for \
                 paraphrases or other languages. Follow up with get_chunk (one passage with context) or read_document \
                 (the document in order). Results stay under about {budget} tokens; when more exist the result gives \
                 next_cursor: call again with the same query, filters and that cursor."
            ),
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": { "type": "string", "minLength": 1, "description": "What to look for, in natural language or as keywords." },
                    "mode": { "type": "string", "enum": ["hybrid", "keyword", "semantic"], "default": "hybrid" },
                    "category_ids": ids("Only documents in these categories (ids from list_categories)."),
                    "tags": ids("Only documents with all of these tags."),
                    "document_ids": ids("Only these documents (ids from list_documents or earlier results)."),
                    "languages": ids("Only documents in these languages, e.g. [\"en\"], [\"zh\"]."),
                    "limit": { "type": "integer", "minimum": 1, "maximum": 50, "default": 10, "description": "Most passages to return." },
                    "cursor": { "type": "string", "description": "next_cursor of the previous result, to get the following passages." }
                },
                "required": ["query"],
                "additionalProperties": false
            },
            "annotations": read_only,
        }),
        json!({
            "name": "read_document",
            "title": "Read a document in order",
            "description": format!(
                "Read a document's text in reading order, chunk by chunk, each with its heading path and pages. \
                 Choose a part with from_chunk/to_chunk (chunk indexes, from 0) or page_from/page_to (pages, from 1), \
                 or neither for the start. One result holds about {budget} tokens at most; when the part is longer the \
                 result ends with next_from_chunk: call again with the same arguments and from_chunk set to it, \
                 until next_from_chunk is null."
            ),
            "inputSchema": {
                "type": "object",
                "properties": {
                    "document_id": { "type": "string", "description": "The document's id (from search_docs or list_documents)." },
                    "from_chunk": { "type": "integer", "minimum": 0, "default": 0, "description": "First chunk index to return." },
                    "to_chunk": { "type": "integer", "minimum": 0, "description": "Last chunk index to return (inclusive)." },
                    "page_from": { "type": "integer", "minimum": 1, "description": "Only chunks on or after this page." },
                    "page_to": { "type": "integer", "minimum": 1, "description": "Only chunks on or before this page (default: page_from)." }
                },
                "required": ["document_id"],
                "additionalProperties": false
            },
            "annotations": read_only,
        }),
        json!({
            "name": "get_chunk",
            "title": "Get one passage with its context",
            "description": "Return one chunk (passage) by chunk_id, whole, with up to `before` chunks that precede it and \
                            `after` chunks that follow it in the document, and its citation. Use it to expand a search hit.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "chunk_id": { "type": "string", "description": "A chunk_id from search_docs or read_document." },
                    "before": { "type": "integer", "minimum": 0, "maximum": 10, "default": 1, "description": "Preceding chunks to include." },
                    "after": { "type": "integer", "minimum": 0, "maximum": 10, "default": 1, "description": "Following chunks to include." }
                },
                "required": ["chunk_id"],
                "additionalProperties": false
            },
            "annotations": read_only,
        }),
        json!({
            "name": "list_documents",
            "title": "List documents",
            "description": "List the library's documents (id, title, status, pages, chunks, language, tags, link), newest \
                            first, optionally filtered. When more exist the result gives next_cursor: call again with the \
                            same filters and that cursor.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "category_id": { "type": "string", "description": "Only documents in this category." },
                    "tags": ids("Only documents with all of these tags."),
                    "status": { "type": "string", "enum": ["queued", "parsing", "indexing", "ready", "failed"] },
                    "text": { "type": "string", "description": "Only documents whose title or file name contains this." },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 },
                    "cursor": { "type": "string", "description": "next_cursor of the previous result." }
                },
                "additionalProperties": false
            },
            "annotations": read_only,
        }),
        json!({
            "name": "list_categories",
            "title": "List categories",
            "description": "List the categories documents are filed under (id, name, parent, description, number of \
                            documents). Use the ids to filter search_docs and list_documents.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "cursor": { "type": "string", "description": "next_cursor of the previous result." }
                },
                "additionalProperties": false
            },
            "annotations": read_only,
        }),
    ]
}

/// Checks `arguments` against the tool's input schema, naming the argument
/// at fault (types, bounds, enums, required and unknown arguments).
pub fn validate(tool: &str, schema: &Value, arguments: &Value) -> Result<(), ToolError> {
    let empty = serde_json::Map::new();
    let given = match arguments {
        Value::Null => &empty,
        Value::Object(m) => m,
        _ => return Err(bad(format!("{tool}: arguments must be a JSON object"))),
    };
    let props = schema["properties"].as_object().cloned().unwrap_or_default();
    for (name, value) in given {
        let Some(p) = props.get(name) else {
            let known: Vec<&str> = props.keys().map(String::as_str).collect();
            return Err(bad(format!("{tool}: unknown argument `{name}`; it takes {}", known.join(", "))));
        };
        if value.is_null() {
            continue;
        }
        let ok = match p["type"].as_str() {
            Some("string") => value.is_string(),
            Some("integer") => value.as_u64().is_some_and(|n| {
                p["minimum"].as_u64().is_none_or(|min| n >= min) && p["maximum"].as_u64().is_none_or(|max| n <= max)
            }),
            Some("array") => value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            _ => true,
        };
        let allowed = p["enum"].as_array().is_none_or(|e| e.contains(value));
        if !ok || !allowed {
            let expected = match (p["type"].as_str(), p["enum"].as_array()) {
                (_, Some(e)) => format!("one of {}", e.iter().map(Value::to_string).collect::<Vec<_>>().join(", ")),
                (Some("integer"), _) => match (p["minimum"].as_u64(), p["maximum"].as_u64()) {
                    (Some(min), Some(max)) => format!("a whole number from {min} to {max}"),
                    (Some(min), None) => format!("a whole number of at least {min}"),
                    _ => "a whole number".to_owned(),
                },
                (Some("array"), _) => "a list of strings".to_owned(),
                (Some(t), _) => format!("a {t}"),
                _ => "another value".to_owned(),
            };
            return Err(bad(format!("{tool}: `{name}` must be {expected}, not {value}")));
        }
    }
    for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if given.get(r).is_none_or(Value::is_null) {
            return Err(bad(format!("{tool}: the argument `{r}` is required")));
        }
    }
    Ok(())
}

/// Runs tool `name`; `None` when there is no such tool.
pub async fn call(ctx: &Ctx<'_>, name: &str, arguments: Value) -> Option<ToolResult> {
    let definition = definitions(ctx.budget).into_iter().find(|d| d["name"] == name)?;
    if let Err(e) = validate(name, &definition["inputSchema"], &arguments) {
        return Some(Err(e));
    }
    Some(match name {
        "search_docs" => search_docs(ctx, arguments).await,
        "read_document" => read::read_document(ctx, arguments).await,
        "get_chunk" => read::get_chunk(ctx, arguments).await,
        "list_documents" => list_documents(ctx, arguments).await,
        "list_categories" => list_categories(ctx, arguments).await,
        _ => return None,
    })
}

/// `id` when it is a UUID, else a clear refusal.
pub fn uuid_arg(tool: &str, name: &str, id: &str) -> Result<String, ToolError> {
    uuid::Uuid::parse_str(id.trim()).map(|u| u.to_string()).map_err(|_| {
        bad(format!("{tool}: `{name}` {id:?} is not an id (ids look like 0190a0a0-0000-7000-8000-000000000000)"))
    })
}

/// The result of a tool that failed: the agent reads why.
pub fn error_result(e: &ToolError) -> Value {
    json!({ "content": [{ "type": "text", "text": format!("Error: {}", e.message()) }], "isError": true })
}

/// Tokens an item costs in both renderings (the text as a JSON string).
pub fn item_cost(text: &str, data: &Value) -> usize {
    estimate_tokens(&Value::String(text.to_owned()).to_string()) + json_tokens(data)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    query: String,
    mode: Option<String>,
    category_ids: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    document_ids: Option<Vec<String>>,
    languages: Option<Vec<String>>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn search_docs(ctx: &Ctx<'_>, arguments: Value) -> ToolResult {
    let a: SearchArgs = args("search_docs", arguments)?;
    if a.query.trim().is_empty() {
        return Err(bad("search_docs: `query` must not be empty"));
    }
    let mode = match a.mode.as_deref().unwrap_or("hybrid") {
        "hybrid" => idx::SearchMode::Hybrid,
        "keyword" => idx::SearchMode::Keyword,
        "semantic" => idx::SearchMode::Semantic,
        other => return Err(bad(format!("search_docs: mode `{other}` is not one of hybrid, keyword, semantic"))),
    };
    let limit = a.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(bad("search_docs: `limit` is between 1 and 50"));
    }
    let cursor = a.cursor.as_deref().map(Cursor::decode).transpose().map_err(bad)?.unwrap_or_default();
    let resp = indexer(ctx.state)
        .search(idx::SearchRequest {
            query: a.query.clone(),
            mode: mode as i32,
            filters: Some(idx::SearchFilters {
                category_ids: a.category_ids.unwrap_or_default(),
                tags: a.tags.unwrap_or_default(),
                document_ids: a.document_ids.unwrap_or_default(),
                languages: a.languages.unwrap_or_default(),
                ..Default::default()
            }),
            limit,
            cursor: cursor.inner.clone(),
        })
        .await?
        .into_inner();
    let mode_name = match idx::SearchMode::try_from(resp.mode).unwrap_or(mode) {
        idx::SearchMode::Keyword => "keyword",
        idx::SearchMode::Semantic => "semantic",
        _ => "hybrid",
    };
    let mut budget = Budget::new(ctx.budget);
    let (mut blocks, mut hits) = (Vec::new(), Vec::new());
    let mut cut = false;
    for (i, h) in resp.hits.iter().enumerate().skip(cursor.skip) {
        let citation =
            Citation::new(&ctx.base, &h.document_id, &h.document_title, &h.heading_path, (h.page_start, h.page_end));
        let text = format!(
            "[{}] {}\nchunk_id: {} (chunk {}), score {:.3}\n{}\n{}",
            i + 1,
            citation.label(),
            h.chunk_id,
            h.chunk_index,
            h.score,
            h.snippet.trim(),
            citation.url
        );
        let data = json!({
            "chunk_id": h.chunk_id,
            "chunk_index": h.chunk_index,
            "score": h.score,
            "snippet": h.snippet,
            "citation": citation,
        });
        if !budget.take(item_cost(&text, &data)) {
            cut = true;
            break;
        }
        blocks.push(text);
        hits.push(data);
    }
    let next = if cut {
        Some(Cursor { inner: cursor.inner.clone(), skip: cursor.skip + hits.len() })
    } else if !resp.next_cursor.is_empty() {
        Some(Cursor { inner: resp.next_cursor.clone(), skip: 0 })
    } else {
        None
    }
    .map(|c| c.encode());
    let mut text = format!("Search for \"{}\" ({mode_name}): {} passages.\n\n", a.query, hits.len());
    text.push_str(&blocks.join("\n\n"));
    match &next {
        Some(c) => text.push_str(&format!(
            "\n\nMore passages exist: call search_docs again with the same query and filters and cursor=\"{c}\"."
        )),
        None if hits.is_empty() => text.push_str("No passage matched. Try other words or mode `semantic`."),
        None => text.push_str("\n\nNo more passages."),
    }
    Ok(Answer {
        text,
        data: json!({ "query": a.query, "mode": mode_name, "hits": hits, "next_cursor": next, "truncated": cut }),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListDocumentsArgs {
    category_id: Option<String>,
    tags: Option<Vec<String>>,
    status: Option<String>,
    text: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list_documents(ctx: &Ctx<'_>, arguments: Value) -> ToolResult {
    let a: ListDocumentsArgs = args("list_documents", arguments)?;
    let status = match a.status.as_deref() {
        None | Some("") => api::DocumentStatus::Unspecified,
        Some(s) => dto::parse_status(s).ok_or_else(|| {
            bad(format!("list_documents: status `{s}` is not one of queued, parsing, indexing, ready, failed"))
        })?,
    };
    let limit = a.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(bad("list_documents: `limit` is between 1 and 100"));
    }
    let cursor = a.cursor.as_deref().map(Cursor::decode).transpose().map_err(bad)?.unwrap_or_default();
    let resp = catalog(ctx.state)
        .list_documents(api::ListDocumentsRequest {
            category_id: a.category_id.unwrap_or_default(),
            tags: a.tags.unwrap_or_default(),
            status: status as i32,
            media_type: String::new(),
            text: a.text.unwrap_or_default(),
            sort: String::new(),
            limit,
            cursor: cursor.inner.clone(),
        })
        .await?
        .into_inner();
    let mut budget = Budget::new(ctx.budget);
    let (mut lines, mut docs) = (Vec::new(), Vec::new());
    let mut cut = false;
    for d in resp.documents.iter().skip(cursor.skip) {
        let link = Citation::new(&ctx.base, &d.id, &d.title, &[], (0, 0));
        let status = dto::status_name(d.status);
        let text = format!(
            "- {} — id {} · {} · {} · {} pages · {} chunks{}{} · {}",
            d.title,
            d.id,
            d.file_name,
            status,
            d.page_count,
            d.chunk_count,
            if d.language.is_empty() { String::new() } else { format!(" · language {}", d.language) },
            if d.tags.is_empty() { String::new() } else { format!(" · tags {}", d.tags.join(", ")) },
            link.url
        );
        let data = json!({
            "id": d.id, "title": d.title, "file_name": d.file_name, "media_type": d.media_type,
            "status": status, "pages": d.page_count, "chunks": d.chunk_count, "language": d.language,
            "tags": d.tags, "category_id": (!d.category_id.is_empty()).then_some(&d.category_id),
            "url": link.url, "api_url": link.api_url,
        });
        if !budget.take(item_cost(&text, &data)) {
            cut = true;
            break;
        }
        lines.push(text);
        docs.push(data);
    }
    let next = if cut {
        Some(Cursor { inner: cursor.inner.clone(), skip: cursor.skip + docs.len() })
    } else if !resp.next_cursor.is_empty() {
        Some(Cursor { inner: resp.next_cursor.clone(), skip: 0 })
    } else {
        None
    }
    .map(|c| c.encode());
    let mut text = format!("{} documents:\n", docs.len());
    text.push_str(&lines.join("\n"));
    match &next {
        Some(c) => text.push_str(&format!(
            "\n\nMore documents exist: call list_documents again with the same filters and cursor=\"{c}\"."
        )),
        None => text.push_str("\n\nNo more documents."),
    }
    Ok(Answer { text, data: json!({ "documents": docs, "next_cursor": next, "truncated": cut }) })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListCategoriesArgs {
    cursor: Option<String>,
}

async fn list_categories(ctx: &Ctx<'_>, arguments: Value) -> ToolResult {
    let a: ListCategoriesArgs = args("list_categories", arguments)?;
    let cursor = a.cursor.as_deref().map(Cursor::decode).transpose().map_err(bad)?.unwrap_or_default();
    let resp = catalog(ctx.state).list_categories(api::ListCategoriesRequest {}).await?.into_inner();
    let name_of = |id: &str| resp.categories.iter().find(|c| c.id == id).map(|c| c.name.clone());
    let mut budget = Budget::new(ctx.budget);
    let (mut lines, mut cats) = (Vec::new(), Vec::new());
    let mut cut = false;
    for c in resp.categories.iter().skip(cursor.skip) {
        let parent = (!c.parent_id.is_empty()).then(|| name_of(&c.parent_id).unwrap_or_else(|| c.parent_id.clone()));
        let text = format!(
            "- {} — id {} · {} documents{}{}",
            c.name,
            c.id,
            c.document_count,
            parent.as_deref().map(|p| format!(" · under {p}")).unwrap_or_default(),
            if c.description.is_empty() { String::new() } else { format!(" — {}", c.description) }
        );
        let data = json!({
            "id": c.id, "name": c.name, "description": c.description,
            "parent_id": (!c.parent_id.is_empty()).then_some(&c.parent_id), "document_count": c.document_count,
        });
        if !budget.take(item_cost(&text, &data)) {
            cut = true;
            break;
        }
        lines.push(text);
        cats.push(data);
    }
    let next = cut.then(|| Cursor { inner: String::new(), skip: cursor.skip + cats.len() }.encode());
    let mut text = format!("{} categories:\n", cats.len());
    text.push_str(&lines.join("\n"));
    if let Some(c) = &next {
        text.push_str(&format!("\n\nMore categories exist: call list_categories with cursor=\"{c}\"."));
    } else if cats.is_empty() {
        text.push_str("No categories yet.");
    }
    Ok(Answer { text, data: json!({ "categories": cats, "next_cursor": next, "truncated": cut }) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(tool: &str, args: Value) -> Result<(), String> {
        let def = definitions(8000).into_iter().find(|d| d["name"] == tool).unwrap();
        validate(tool, &def["inputSchema"], &args).map_err(|e| e.message().to_owned())
    }

    #[test]
    fn arguments_are_checked_against_the_schemas_with_the_argument_named() {
        assert!(check("search_docs", json!({ "query": "x", "mode": "keyword", "tags": ["a"], "limit": 5 })).is_ok());
        assert!(check("list_categories", Value::Null).is_ok());
        assert!(check("search_docs", json!({})).unwrap_err().contains("`query` is required"));
        assert!(
            check("search_docs", json!({ "query": "x", "mode": "fuzzy" }))
                .unwrap_err()
                .contains("`mode` must be one of")
        );
        assert!(
            check("search_docs", json!({ "query": "x", "limit": 51 }))
                .unwrap_err()
                .contains("`limit` must be a whole number from 1 to 50")
        );
        assert!(
            check("read_document", json!({ "document_id": "d", "from_chunk": -1 }))
                .unwrap_err()
                .contains("`from_chunk`")
        );
        assert!(check("search_docs", json!({ "query": "x", "tags": "a" })).unwrap_err().contains("a list of strings"));
        assert!(
            check("get_chunk", json!({ "chunk_id": "c", "extra": 1 }))
                .unwrap_err()
                .contains("unknown argument `extra`")
        );
        assert!(check("get_chunk", json!([1])).unwrap_err().contains("JSON object"));
    }

    #[test]
    fn every_tool_has_a_schema_and_a_description() {
        let defs = definitions(8000);
        assert_eq!(defs.len(), NAMES.len());
        for (d, name) in defs.iter().zip(NAMES) {
            assert_eq!(d["name"], name);
            assert_eq!(d["inputSchema"]["type"], "object");
            assert!(d["description"].as_str().unwrap().len() > 80, "{name}");
        }
    }
}
