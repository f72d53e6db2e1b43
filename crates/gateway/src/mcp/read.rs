//! `read_document` and `get_chunk`: document text in order, within the
//! token budget, with the chunk index to continue from.

use super::render::{Answer, Budget, Citation, cut_to_tokens, estimate_tokens, pages_label};
use super::tools::{Ctx, ToolError, ToolResult, args, bad, item_cost};
use crate::dto;
use crate::routes::{catalog, indexer};
use aidoc_proto::api::v1 as api;
use aidoc_proto::indexer::v1 as idx;
use serde::Deserialize;
use serde_json::{Value, json};

/// Chunks fetched per backend call when reading by chunk range.
const BATCH: u32 = 100;
/// Chunks fetched for a page range (the backend's own maximum).
const PAGE_BATCH: u32 = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadArgs {
    pub document_id: String,
    pub from_chunk: Option<u32>,
    pub to_chunk: Option<u32>,
    pub page_from: Option<u32>,
    pub page_to: Option<u32>,
}

pub async fn read_document(ctx: &Ctx<'_>, arguments: Value) -> ToolResult {
    let a: ReadArgs = args("read_document", arguments)?;
    read_part(ctx, &a).await
}

async fn document(ctx: &Ctx<'_>, id: &str) -> Result<api::Document, ToolError> {
    let id = &super::tools::uuid_arg("read_document", "document_id", id)?;
    catalog(ctx.state)
        .get_document(api::GetDocumentRequest { id: id.to_owned() })
        .await
        .map_err(|s| match ToolError::from(s) {
            ToolError::NotFound(_) => {
                ToolError::NotFound(format!("no document with id {id}; list_documents shows the ids"))
            }
            other => other,
        })
        .map(|r| r.into_inner())
}

/// One chunk as text and data.
fn chunk_item(ctx: &Ctx<'_>, title: &str, c: &idx::Chunk, text: &str, cut: bool) -> (String, Value) {
    let citation = Citation::of_chunk(&ctx.base, title, c);
    let heading =
        if c.heading_path.is_empty() { String::new() } else { format!(" · {}", c.heading_path.join(" › ")) };
    let rendered = format!(
        "--- chunk {}{}{} · chunk_id {} ---\n{}{}",
        c.chunk_index,
        heading,
        pages_label(c.page_start, c.page_end),
        c.chunk_id,
        text.trim_end(),
        if cut { "\n[… this chunk was cut to fit the token budget]" } else { "" }
    );
    let data = json!({
        "chunk_id": c.chunk_id,
        "chunk_index": c.chunk_index,
        "heading_path": c.heading_path,
        "page_start": c.page_start,
        "page_end": c.page_end,
        "text": text,
        "cut": cut,
        "url": citation.url,
    });
    (rendered, data)
}

/// Adds `c` when it fits; the first chunk of a result is always added, cut
/// to what is left, so that reading always moves forward.
fn add_chunk(
    ctx: &Ctx<'_>,
    title: &str,
    c: &idx::Chunk,
    budget: &mut Budget,
    first: bool,
    out: &mut (Vec<String>, Vec<Value>),
) -> bool {
    let (text, data) = chunk_item(ctx, title, c, &c.text, false);
    if budget.take(item_cost(&text, &data)) {
        out.0.push(text);
        out.1.push(data);
        return true;
    }
    if !first {
        return false;
    }
    // Text is counted twice (Markdown and data) and escapes may double it.
    let (short, _) = cut_to_tokens(&c.text, budget.left().saturating_sub(200) / 4);
    let (text, data) = chunk_item(ctx, title, c, &short, true);
    budget.take(item_cost(&text, &data).min(budget.left()));
    out.0.push(text);
    out.1.push(data);
    true
}

/// The chunks of one part of a document, from `a.from_chunk` on, within the budget.
pub async fn read_part(ctx: &Ctx<'_>, a: &ReadArgs) -> ToolResult {
    let doc = document(ctx, &a.document_id).await?;
    let from = a.from_chunk.unwrap_or(0);
    if a.to_chunk.is_some_and(|t| t < from) {
        return Err(bad("read_document: `to_chunk` is before `from_chunk`"));
    }
    let pages = match (a.page_from, a.page_to) {
        (None, None) => None,
        (Some(0), _) | (_, Some(0)) => return Err(bad("read_document: pages count from 1")),
        (Some(f), None) => Some((f, f)),
        (None, Some(t)) => Some((1, t)),
        (Some(f), Some(t)) if t < f => return Err(bad("read_document: `page_to` is before `page_from`")),
        (Some(f), Some(t)) => Some((f, t)),
    };
    let status = dto::status_name(doc.status);
    if doc.status != api::DocumentStatus::Ready as i32 {
        let why = if doc.failure_message.is_empty() { String::new() } else { format!(": {}", doc.failure_message) };
        return Err(ToolError::Failed(format!(
            "document {} ({}) is {status}{why}; only ready documents can be read",
            doc.id, doc.title
        )));
    }
    let to = a.to_chunk.unwrap_or(u32::MAX);
    let resp = indexer(ctx.state)
        .list_chunks(match pages {
            Some((pf, pt)) => idx::ListChunksRequest {
                document_id: doc.id.clone(),
                page_from: pf,
                page_to: pt,
                limit: PAGE_BATCH,
                ..Default::default()
            },
            None => idx::ListChunksRequest {
                document_id: doc.id.clone(),
                from_chunk: from,
                limit: BATCH.min(to.saturating_sub(from).saturating_add(1)),
                ..Default::default()
            },
        })
        .await?
        .into_inner();
    let total = resp.total_chunks;
    let wanted: Vec<&idx::Chunk> =
        resp.chunks.iter().filter(|c| c.chunk_index >= from && c.chunk_index <= to).collect();
    let mut budget = Budget::new(ctx.budget);
    let header = format!(
        "# {}\ndocument_id {} · {} pages · {} chunks{}\n{}\n",
        doc.title,
        doc.id,
        resp.total_pages,
        total,
        match pages {
            Some((f, t)) if f == t => format!(" · page {f}"),
            Some((f, t)) => format!(" · pages {f}–{t}"),
            None => String::new(),
        },
        Citation::new(&ctx.base, &doc.id, &doc.title, &[], (pages.map(|p| p.0).unwrap_or(0), 0)).url
    );
    budget.take(estimate_tokens(&header) * 2);
    let mut out = (Vec::new(), Vec::new());
    for (n, c) in wanted.iter().enumerate() {
        if !add_chunk(ctx, &doc.title, c, &mut budget, n == 0, &mut out) {
            break;
        }
    }
    let taken = out.1.len();
    let last = wanted.get(taken.wrapping_sub(1)).map(|c| c.chunk_index);
    // More remains when the budget stopped early, or the backend page ended
    // before the end of the part.
    let next = match (last, pages) {
        (None, _) => None,
        (Some(_), _) if taken < wanted.len() => Some(wanted[taken].chunk_index),
        (Some(l), None) => (l < to && l + 1 < total).then_some(l + 1),
        (Some(l), Some(_)) => (resp.chunks.len() as u32 >= PAGE_BATCH && l < to).then_some(l + 1),
    };
    let mut text = header;
    text.push('\n');
    if out.0.is_empty() {
        text.push_str("No chunks in this part of the document.");
    }
    text.push_str(&out.0.join("\n\n"));
    let range = match pages {
        Some((f, t)) => format!(" page_from={f} page_to={t}"),
        None => String::new(),
    };
    match next {
        Some(n) => text.push_str(&format!(
            "\n\n[Continued: {taken} chunks shown. To read on, call read_document with document_id=\"{}\"{range} from_chunk={n}{}.]",
            doc.id,
            a.to_chunk.map(|t| format!(" to_chunk={t}")).unwrap_or_default()
        )),
        None => text.push_str("\n\n[End of this part of the document.]"),
    }
    Ok(Answer {
        text,
        data: json!({
            "document": {
                "id": doc.id,
                "title": doc.title,
                "pages": resp.total_pages,
                "chunks": total,
                "url": Citation::new(&ctx.base, &doc.id, &doc.title, &[], (0, 0)).url,
            },
            "chunks": out.1,
            "next_from_chunk": next,
            "truncated": next.is_some(),
        }),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkArgs {
    chunk_id: String,
    before: Option<u32>,
    after: Option<u32>,
}

pub async fn get_chunk(ctx: &Ctx<'_>, arguments: Value) -> ToolResult {
    let a: ChunkArgs = args("get_chunk", arguments)?;
    let chunk_id = super::tools::uuid_arg("get_chunk", "chunk_id", &a.chunk_id)?;
    let (before, after) = (a.before.unwrap_or(1), a.after.unwrap_or(1));
    if before > 10 || after > 10 {
        return Err(bad("get_chunk: `before` and `after` are at most 10"));
    }
    let resp = indexer(ctx.state)
        .get_chunk(idx::GetChunkRequest { chunk_id: chunk_id.clone(), neighbours: before.max(after) })
        .await
        .map_err(|s| match ToolError::from(s) {
            ToolError::NotFound(_) => ToolError::NotFound(format!("no chunk with id {}", a.chunk_id)),
            other => other,
        })?
        .into_inner();
    let Some(chunk) = resp.chunk else {
        return Err(ToolError::NotFound(format!("no chunk with id {}", a.chunk_id)));
    };
    let title = resp.document_title.clone();
    let mut prev: Vec<&idx::Chunk> = resp.before.iter().filter(|c| c.chunk_index < chunk.chunk_index).collect();
    prev.sort_by_key(|c| std::cmp::Reverse(c.chunk_index));
    prev.truncate(before as usize);
    let mut next: Vec<&idx::Chunk> = resp.after.iter().filter(|c| c.chunk_index > chunk.chunk_index).collect();
    next.sort_by_key(|c| c.chunk_index);
    next.truncate(after as usize);

    let mut budget = Budget::new(ctx.budget);
    let mut main = (Vec::new(), Vec::new());
    add_chunk(ctx, &title, &chunk, &mut budget, true, &mut main);
    // Nearest neighbours first, alternating, while they fit.
    let (mut pb, mut nb) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    let mut omitted = 0;
    let mut full = false;
    for i in 0..prev.len().max(next.len()) {
        for (list, out) in [(&prev, &mut pb), (&next, &mut nb)] {
            if let Some(c) = list.get(i)
                && (full || !add_chunk(ctx, &title, c, &mut budget, false, out))
            {
                full = true;
                omitted += 1;
            }
        }
    }
    pb.0.reverse();
    pb.1.reverse();
    let citation = Citation::of_chunk(&ctx.base, &title, &chunk);
    let mut text = format!("{}\n{}\n\n", citation.label(), citation.line());
    let all: Vec<String> = pb.0.iter().chain(main.0.iter()).chain(nb.0.iter()).cloned().collect();
    text.push_str(&all.join("\n\n"));
    if omitted > 0 {
        let first = pb.1.first().or(main.1.first()).and_then(|v| v["chunk_index"].as_u64()).unwrap_or(0);
        text.push_str(&format!(
            "\n\n[{omitted} neighbouring chunks did not fit the token budget; read_document with document_id=\"{}\" \
             from_chunk={first} reads on in order.]",
            chunk.document_id
        ));
    }
    Ok(Answer {
        text,
        data: json!({
            "chunk": main.1.first(),
            "before": pb.1,
            "after": nb.1,
            "citation": citation,
            "document_title": title,
            "omitted_neighbours": omitted,
        }),
    })
}
