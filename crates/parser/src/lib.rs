//! # aidoc-parser
//!
//! Bytes in, one structured document out: PDF (on lopdf, with our own content-stream
//! text engine), DOCX (the package parts read directly with docx-rs's zip and XML
//! stack), Markdown, HTML and plain text.
//!
//! - [`parse`] is synchronous, CPU-only and panic-safe: a panic anywhere inside becomes
//!   [`ParseError::Internal`]. Callers on an async runtime run it on a blocking thread.
//! - The format is sniffed from the bytes ([`sniff`]), never from the file name.
//! - Every input path is bounded by [`Limits`]; exceeding one is a typed error with a
//!   stable [`ParseError::code`].
//! - [`to_text`] renders the plain text used for scoring and indexing: pages separated
//!   by form feeds.
//!
//! The command `aidoc-parser extract FILE [--format text|json]` prints either form.

pub mod docx;
pub mod error;
pub mod html;
pub mod limits;
pub mod markdown;
pub mod metrics;
pub mod model;
pub mod pdf;
#[cfg(feature = "server")]
pub mod server;
pub mod sniff;
pub mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use error::{ParseError, Result};
pub use limits::{Budget, Limits};
pub use model::{Block, BlockKind, Document, DocumentInfo, Format, Page};

/// What the uploader told about the file. Used for messages and, for text-like
/// content only, to choose between Markdown, HTML and plain text.
#[derive(Debug, Clone, Default)]
pub struct Hint {
    pub file_name: Option<String>,
    pub declared_type: Option<String>,
}

/// Parses one document.
pub fn parse(bytes: &[u8], hint: &Hint, limits: &Limits) -> Result<Document> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(ParseError::TooLarge { what: "bytes", limit: limits.max_bytes });
    }
    match catch_unwind(AssertUnwindSafe(|| parse_inner(bytes, hint, limits))) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            tracing::error!(file = hint.file_name.as_deref().unwrap_or(""), panic = %msg, "parser panicked");
            Err(ParseError::Internal(msg))
        }
    }
}

fn parse_inner(bytes: &[u8], hint: &Hint, limits: &Limits) -> Result<Document> {
    let mut budget = Budget::new(limits);
    let format = match sniff::sniff(bytes, hint.declared_type.as_deref()) {
        sniff::Sniffed::Known(f) => f,
        sniff::Sniffed::Cfb => return docx::cfb_error(bytes),
        sniff::Sniffed::OtherZip => {
            return Err(ParseError::UnsupportedFormat("a ZIP package that is not a Word document".into()));
        }
        sniff::Sniffed::Binary => return Err(ParseError::UnsupportedFormat("binary data of an unknown kind".into())),
    };
    let mut doc = match format {
        Format::Pdf => pdf::parse(bytes, limits, &mut budget)?,
        Format::Docx => docx::parse(bytes, limits, &mut budget)?,
        Format::Markdown => markdown::parse(&text::decode(bytes), limits)?,
        Format::Html => html::parse(&text::decode(bytes), limits)?,
        Format::Text => text::parse(bytes, limits)?,
    };
    budget.check_time()?;
    doc.info.format = format;
    if doc.info.page_count == 0 {
        doc.info.page_count = doc.pages.len() as u32;
    }
    Ok(doc)
}

/// Plain text of a document: blocks separated by newlines, pages by form feeds.
pub fn to_text(doc: &Document) -> String {
    let mut out = String::new();
    for page in &doc.pages {
        for (i, b) in page.blocks.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if let BlockKind::ListItem { label, .. } = &b.kind
                && !label.is_empty()
            {
                out.push_str(label);
                out.push(' ');
            }
            out.push_str(&b.text);
        }
        out.push('\n');
        out.push('\x0c');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_before_anything_else() {
        let limits = Limits { max_bytes: 4, ..Limits::default() };
        let err = parse(b"%PDF-1.4 more", &Hint::default(), &limits).unwrap_err();
        assert_eq!(err.code(), "too_large");
    }

    #[test]
    fn unknown_binary_is_unsupported() {
        let err = parse(&[0u8, 1, 2, 3, 4, 5, 0, 0], &Hint::default(), &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "unsupported_format");
    }

    #[test]
    fn to_text_separates_pages_with_form_feeds() {
        let doc = Document {
            pages: vec![
                Page {
                    number: 1,
                    blocks: vec![Block::heading(1, "Title".into(), 1), Block::paragraph("Body".into(), 1)],
                },
                Page {
                    number: 2,
                    blocks: vec![Block::new(BlockKind::ListItem { label: "1.".into(), level: 0 }, "item".into(), 2)],
                },
            ],
            ..Document::default()
        };
        assert_eq!(to_text(&doc), "Title\nBody\n\x0c1. item\n\x0c");
    }
}
