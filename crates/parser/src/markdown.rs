//! Markdown (CommonMark + GFM tables) through pulldown-cmark.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::{ParseError, Result};
use crate::limits::Limits;
use crate::model::{Block, BlockKind, Cell, Document, DocumentInfo, Format, Page};

struct ListCtx {
    next: Option<u64>,
}

/// Parses Markdown text.
pub fn parse(text: &str, limits: &Limits) -> Result<Document> {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_YAML_STYLE_METADATA_BLOCKS);
    let mut blocks: Vec<Block> = Vec::new();
    let mut buf = String::new();
    let mut lists: Vec<ListCtx> = Vec::new();
    let mut item_label: Option<(String, u8)> = None;
    let mut code_lang: Option<Option<String>> = None;
    let mut heading: Option<u8> = None;
    let mut table: Option<Vec<Vec<Cell>>> = None;
    let mut in_meta = false;
    let mut title: Option<String> = None;
    let mut depth: u32 = 0;

    let flush = |blocks: &mut Vec<Block>, buf: &mut String, item: &mut Option<(String, u8)>| {
        let t = buf.trim().to_string();
        buf.clear();
        if t.is_empty() {
            return;
        }
        match item.take() {
            Some((label, level)) => blocks.push(Block::new(BlockKind::ListItem { label, level }, t, 1)),
            None => blocks.push(Block::paragraph(t, 1)),
        }
    };

    for ev in Parser::new_ext(text, opts) {
        match ev {
            Event::Start(tag) => {
                depth += 1;
                if depth > limits.max_nesting_depth * 4 {
                    return Err(ParseError::TooLarge {
                        what: "nesting depth",
                        limit: u64::from(limits.max_nesting_depth),
                    });
                }
                match tag {
                    Tag::Heading { level, .. } => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        heading = Some(heading_level(level));
                    }
                    Tag::Paragraph | Tag::BlockQuote(_) => {
                        // Text of a list item's paragraphs stays with the item.
                        if item_label.is_none() {
                            flush(&mut blocks, &mut buf, &mut item_label);
                        } else if !buf.is_empty() {
                            buf.push('\n');
                        }
                    }
                    Tag::CodeBlock(kind) => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        let lang = match kind {
                            CodeBlockKind::Fenced(l) => {
                                l.split_whitespace().next().map(str::to_string).filter(|l| !l.is_empty())
                            }
                            CodeBlockKind::Indented => None,
                        };
                        code_lang = Some(lang);
                    }
                    Tag::List(start) => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        lists.push(ListCtx { next: start });
                    }
                    Tag::Item => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        let level = lists.len().saturating_sub(1) as u8;
                        let label = match lists.last_mut() {
                            Some(ListCtx { next: Some(n) }) => {
                                let l = format!("{n}.");
                                *n += 1;
                                l
                            }
                            _ => "•".to_string(),
                        };
                        item_label = Some((label, level));
                    }
                    Tag::Table(_) => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        table = Some(Vec::new());
                    }
                    Tag::TableHead | Tag::TableRow => {
                        if let Some(t) = table.as_mut() {
                            t.push(Vec::new());
                        }
                    }
                    Tag::TableCell => buf.clear(),
                    Tag::MetadataBlock(_) => in_meta = true,
                    Tag::Image { .. } => {}
                    _ => {}
                }
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                match tag {
                    TagEnd::Heading(_) => {
                        let t = buf.trim().to_string();
                        buf.clear();
                        if let Some(level) = heading.take()
                            && !t.is_empty()
                        {
                            blocks.push(Block::heading(level, t, 1));
                        }
                    }
                    TagEnd::Paragraph | TagEnd::BlockQuote(_) if item_label.is_none() => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                    }
                    TagEnd::Item => flush(&mut blocks, &mut buf, &mut item_label),
                    TagEnd::List(_) => {
                        flush(&mut blocks, &mut buf, &mut item_label);
                        lists.pop();
                    }
                    TagEnd::CodeBlock => {
                        let code = buf.trim_end_matches('\n').to_string();
                        buf.clear();
                        if !code.trim().is_empty() {
                            blocks.push(Block::new(BlockKind::Code { language: code_lang.take().flatten() }, code, 1));
                        }
                        code_lang = None;
                    }
                    TagEnd::TableCell => {
                        if let Some(row) = table.as_mut().and_then(|t| t.last_mut()) {
                            row.push(Cell::new(buf.trim().to_string()));
                        }
                        buf.clear();
                    }
                    TagEnd::Table => {
                        if let Some(rows) = table.take() {
                            let rows: Vec<Vec<Cell>> = rows.into_iter().filter(|r| !r.is_empty()).collect();
                            if !rows.is_empty() {
                                blocks.push(Block::table(rows, 1));
                            }
                        }
                    }
                    TagEnd::MetadataBlock(_) => {
                        for line in buf.lines() {
                            if let Some(v) = line.strip_prefix("title:") {
                                let v = v.trim().trim_matches(['"', '\'']).to_string();
                                if !v.is_empty() {
                                    title = Some(v);
                                }
                            }
                        }
                        buf.clear();
                        in_meta = false;
                    }
                    _ => {}
                }
            }
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => buf.push_str(&t),
            Event::SoftBreak => buf.push(if code_lang.is_some() || in_meta { '\n' } else { ' ' }),
            Event::HardBreak => buf.push('\n'),
            Event::TaskListMarker(done) => buf.push_str(if done { "[x] " } else { "[ ] " }),
            Event::Html(h) | Event::InlineHtml(h) => {
                // Keep the text of inline HTML, not its tags.
                let text = crate::html::strip_tags(&h);
                buf.push_str(&text);
            }
            _ => {}
        }
    }
    flush(&mut blocks, &mut buf, &mut item_label);
    let title = title.or_else(|| {
        blocks.iter().find_map(|b| matches!(b.kind, BlockKind::Heading { level: 1 }).then(|| b.text.clone()))
    });
    Ok(Document {
        info: DocumentInfo { format: Format::Markdown, title, page_count: 1, ..DocumentInfo::default() },
        pages: vec![Page { number: 1, blocks }],
        ..Document::default()
    })
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MD: &str = "---\ntitle: Guide\n---\n# Install\n\nRun the **installer**.\n\n## Steps\n\n1. Download\n2. Unpack\n   - nested `tar`\n\n```bash\ntar xf a.tgz\n```\n\n| Key | Value |\n|-----|-------|\n| a | 1 |\n";

    #[test]
    fn structure() {
        let doc = parse(MD, &Limits::default()).unwrap();
        assert_eq!(doc.info.title.as_deref(), Some("Guide"));
        let b = &doc.pages[0].blocks;
        assert_eq!(b[0], Block::heading(1, "Install".into(), 1));
        assert_eq!(b[1].text, "Run the installer.");
        assert_eq!(b[2].kind, BlockKind::Heading { level: 2 });
        assert_eq!(b[3].kind, BlockKind::ListItem { label: "1.".into(), level: 0 });
        assert_eq!(b[4].kind, BlockKind::ListItem { label: "2.".into(), level: 0 });
        assert_eq!(b[4].text, "Unpack");
        assert_eq!(b[5].kind, BlockKind::ListItem { label: "•".into(), level: 1 });
        assert_eq!(b[5].text, "nested tar");
        assert_eq!(b[6].kind, BlockKind::Code { language: Some("bash".into()) });
        assert_eq!(b[6].text, "tar xf a.tgz");
        match &b[7].kind {
            BlockKind::Table { rows } => assert_eq!(rows[1][1].text, "1"),
            other => panic!("{other:?}"),
        }
        assert_eq!(b[7].text, "Key\tValue\na\t1");
    }
}
