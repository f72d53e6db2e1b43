//! The one output model every format produces: document metadata, then pages of blocks.
//!
//! A chunker walks `pages → blocks` and keeps, for each block, its page number and the
//! heading path above it, so every chunk can be cited by heading and page.

use serde::Serialize;

/// A parsed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Document {
    pub info: DocumentInfo,
    /// 1-based, in order; formats without pages put everything on page 1.
    pub pages: Vec<Page>,
    /// Pages that failed without failing the document.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub page_errors: Vec<PageError>,
    /// Problems worth telling the user about (a font without Unicode mapping, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The formats the parser reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Pdf,
    Docx,
    Markdown,
    Html,
    Text,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Pdf, Format::Docx, Format::Markdown, Format::Html, Format::Text];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Text => "text",
        }
    }

    pub fn media_types(self) -> &'static [&'static str] {
        match self {
            Format::Pdf => &["application/pdf"],
            Format::Docx => &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
            Format::Markdown => &["text/markdown", "text/x-markdown"],
            Format::Html => &["text/html", "application/xhtml+xml"],
            Format::Text => &["text/plain"],
        }
    }

    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Pdf => &["pdf"],
            Format::Docx => &["docx"],
            Format::Markdown => &["md", "markdown"],
            Format::Html => &["html", "htm", "xhtml"],
            Format::Text => &["txt", "text", "log"],
        }
    }
}

/// Document-level metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocumentInfo {
    pub format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// RFC 3339 when the source date could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    pub page_count: u32,
    /// BCP 47 tag of the dominant language, when declared or detected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outline: Vec<OutlineEntry>,
}

/// One entry of a document outline (PDF bookmarks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutlineEntry {
    pub title: String,
    /// 1 = top.
    pub level: u32,
    /// 1-based target page, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

/// One page of blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Page {
    /// 1-based.
    pub number: u32,
    pub blocks: Vec<Block>,
}

/// A block of text: what a chunker splits on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    #[serde(flatten)]
    pub kind: BlockKind,
    /// Plain text of the block; tables: cells joined by tabs and rows by newlines.
    pub text: String,
    /// 1-based page the block starts on.
    pub page: u32,
}

/// What a block is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockKind {
    /// `level` 1 = top.
    Heading {
        level: u8,
    },
    Paragraph,
    /// `level` 0 = top; `label` as shown ("1.", "a)", "•"), empty when none.
    ListItem {
        label: String,
        level: u8,
    },
    Table {
        rows: Vec<Vec<Cell>>,
    },
    Code {
        #[serde(skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
}

/// One table cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub text: String,
    pub row_span: u32,
    pub col_span: u32,
}

impl Cell {
    pub fn new(text: String) -> Self {
        Cell { text, row_span: 1, col_span: 1 }
    }
}

/// A page that failed without failing the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageError {
    pub page: u32,
    pub message: String,
}

impl Block {
    pub fn new(kind: BlockKind, text: String, page: u32) -> Self {
        Block { kind, text, page }
    }

    pub fn paragraph(text: String, page: u32) -> Self {
        Block::new(BlockKind::Paragraph, text, page)
    }

    pub fn heading(level: u8, text: String, page: u32) -> Self {
        Block::new(BlockKind::Heading { level }, text, page)
    }

    /// Builds a table block; `text` is derived from the cells.
    pub fn table(rows: Vec<Vec<Cell>>, page: u32) -> Self {
        let text = table_text(&rows);
        Block::new(BlockKind::Table { rows }, text, page)
    }
}

/// Cells joined by tabs, rows by newlines.
pub fn table_text(rows: &[Vec<Cell>]) -> String {
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for (j, cell) in row.iter().enumerate() {
            if j > 0 {
                out.push('\t');
            }
            out.push_str(&cell.text);
        }
    }
    out
}

impl Document {
    /// Number of blocks over all pages.
    pub fn block_count(&self) -> usize {
        self.pages.iter().map(|p| p.blocks.len()).sum()
    }
}
