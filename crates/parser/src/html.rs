//! HTML: a tolerant tokenizer that keeps the main content (inside `<main>` or
//! `<article>` when present, never scripts, styles, navigation or page chrome) as
//! headings, paragraphs, list items, code blocks and tables.

use crate::error::{ParseError, Result};
use crate::limits::Limits;
use crate::model::{Block, BlockKind, Cell, Document, DocumentInfo, Format, Page};

#[derive(Debug)]
enum Tok<'a> {
    Open { name: String, attrs: &'a str, self_closing: bool },
    Close(String),
    Text(&'a str),
}

fn tokens(html: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    let mut raw_until: Option<String> = None;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if let Some(end_tag) = &raw_until {
            // Inside <script>/<style>: only the matching end tag ends it.
            let rest = &html[i..];
            if rest.len() >= end_tag.len() + 2
                && rest[2..].to_ascii_lowercase().starts_with(end_tag.as_str())
                && rest.starts_with("</")
            {
                raw_until = None;
            } else {
                i += 1;
                continue;
            }
        }
        if text_start < i {
            out.push(Tok::Text(&html[text_start..i]));
        }
        if html[i..].starts_with("<!--") {
            let end = html[i + 4..].find("-->").map_or(b.len(), |e| i + 4 + e + 3);
            i = end;
            text_start = i;
            continue;
        }
        if html[i..].starts_with("<!") || html[i..].starts_with("<?") {
            let end = html[i..].find('>').map_or(b.len(), |e| i + e + 1);
            i = end;
            text_start = i;
            continue;
        }
        let close = b.get(i + 1) == Some(&b'/');
        let name_start = i + 1 + usize::from(close);
        let mut j = name_start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        if j == name_start {
            // A lone '<' is text.
            i += 1;
            continue;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        // Find the end of the tag, honouring quoted attribute values.
        let mut k = j;
        let mut quote: Option<u8> = None;
        while k < b.len() {
            match (quote, b[k]) {
                (Some(q), c) if c == q => quote = None,
                (None, b'"' | b'\'') => quote = Some(b[k]),
                (None, b'>') => break,
                _ => {}
            }
            k += 1;
        }
        let attrs = &html[j..k.min(b.len())];
        let self_closing = attrs.trim_end().ends_with('/');
        i = (k + 1).min(b.len());
        text_start = i;
        if close {
            out.push(Tok::Close(name));
        } else {
            if matches!(name.as_str(), "script" | "style" | "textarea" | "template") && !self_closing {
                raw_until = Some(name.clone());
            }
            out.push(Tok::Open { name, attrs, self_closing });
        }
    }
    if text_start < b.len() && raw_until.is_none() {
        out.push(Tok::Text(&html[text_start..]));
    }
    out
}

/// Decodes character references (named ones of common use, and numeric ones).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        let tail = &rest[p + 1..];
        let end = tail.find(';').filter(|&e| e <= 12);
        let rep = end.and_then(|e| {
            let n = &tail[..e];
            let c = match n {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "ndash" => '–',
                "mdash" => '—',
                "hellip" => '…',
                "copy" => '©',
                "reg" => '®',
                "trade" => '™',
                "laquo" => '«',
                "raquo" => '»',
                "lsquo" => '‘',
                "rsquo" => '’',
                "ldquo" => '“',
                "rdquo" => '”',
                "bull" => '•',
                "middot" => '·',
                "times" => '×',
                "deg" => '°',
                "rarr" => '→',
                "larr" => '←',
                "euro" => '€',
                _ if n.starts_with("#x") || n.starts_with("#X") => {
                    u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)?
                }
                _ if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32)?,
                _ => return None,
            };
            Some((c, e))
        });
        match rep {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of an HTML fragment without its tags.
pub fn strip_tags(html: &str) -> String {
    let mut s = String::new();
    for t in tokens(html) {
        if let Tok::Text(t) = t {
            s.push_str(&decode_entities(t));
        }
    }
    s
}

fn attr(attrs: &str, key: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find(key) {
        let at = from + p;
        let before_ok = at == 0 || !lower.as_bytes()[at - 1].is_ascii_alphanumeric();
        let rest = attrs[at + key.len()..].trim_start();
        if before_ok && let Some(v) = rest.strip_prefix('=') {
            let v = v.trim_start();
            let val = match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
                _ => v.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
            };
            return Some(decode_entities(val));
        }
        from = at + key.len();
    }
    None
}

const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "svg", "head", "button", "select", "textarea", "form", "iframe",
];
const CHROME: &[&str] = &["header", "footer", "aside"];
const VOID: &[&str] =
    &["br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr"];

struct Builder {
    blocks: Vec<Block>,
    buf: String,
    kind: Option<BlockKind>,
    lists: Vec<(bool, u32)>,
    tables: Vec<(Vec<Vec<Cell>>, Option<String>)>,
    pre: u32,
    code_lang: Option<String>,
}

impl Builder {
    fn flush(&mut self) {
        let text = if self.pre > 0 {
            self.buf.replace('\u{1}', "\n").trim_matches('\n').to_string()
        } else {
            collapse(&self.buf)
        };
        self.buf.clear();
        let kind = self.kind.take().unwrap_or(BlockKind::Paragraph);
        if text.trim().is_empty() {
            return;
        }
        // Inside a table cell, block text belongs to the cell.
        if let Some((_, Some(cell))) = self.tables.last_mut() {
            if !cell.is_empty() {
                cell.push('\n');
            }
            cell.push_str(&text);
            return;
        }
        self.blocks.push(Block::new(kind, text, 1));
    }
}

fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == '\n' && out.ends_with('\u{1}') {
            continue;
        }
        if c.is_whitespace() && c != '\u{a0}' {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out.replace('\u{1}', "\n").lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Parses an HTML document.
pub fn parse(html: &str, limits: &Limits) -> Result<Document> {
    let toks = tokens(html);
    // Title.
    let mut title = None;
    for (i, t) in toks.iter().enumerate() {
        if let Tok::Open { name, .. } = t
            && name == "title"
            && let Some(Tok::Text(s)) = toks.get(i + 1)
        {
            let s = collapse(&decode_entities(s));
            if !s.is_empty() {
                title = Some(s);
            }
            break;
        }
    }
    let lang = toks.iter().find_map(|t| match t {
        Tok::Open { name, attrs, .. } if name == "html" => attr(attrs, "lang"),
        _ => None,
    });
    // Main content: the first <main>, else the first <article>, else everything.
    let main = ["main", "article"]
        .iter()
        .find_map(|m| toks.iter().position(|t| matches!(t, Tok::Open { name, .. } if name == m)).map(|p| (p, *m)));
    let (from, scope) = match main {
        Some((p, m)) => (p, Some(m)),
        None => (0, None),
    };
    let mut b = Builder {
        blocks: Vec::new(),
        buf: String::new(),
        kind: None,
        lists: Vec::new(),
        tables: Vec::new(),
        pre: 0,
        code_lang: None,
    };
    let mut skip: Vec<String> = Vec::new();
    let mut depth: u32 = 0;
    let mut scope_depth = 0u32;
    for t in &toks[from..] {
        match t {
            Tok::Text(s) => {
                if skip.is_empty() {
                    b.buf.push_str(&decode_entities(s));
                }
            }
            Tok::Open { name, attrs, self_closing } => {
                let name = name.as_str();
                if !skip.is_empty() {
                    if !VOID.contains(&name) && !self_closing && skip.last().is_some_and(|s| s == name) {
                        skip.push(name.to_string());
                    }
                    continue;
                }
                if SKIP.contains(&name)
                    || (scope.is_none() && CHROME.contains(&name))
                    || attrs.contains("hidden") && attr(attrs, "aria-hidden").is_some_and(|v| v == "true")
                {
                    if !VOID.contains(&name) && !self_closing {
                        skip.push(name.to_string());
                    }
                    continue;
                }
                if Some(name) == scope {
                    scope_depth += 1;
                }
                if !VOID.contains(&name) && !self_closing {
                    depth += 1;
                    if depth > limits.max_nesting_depth * 8 {
                        return Err(ParseError::TooLarge {
                            what: "nesting depth",
                            limit: u64::from(limits.max_nesting_depth),
                        });
                    }
                }
                match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        b.flush();
                        b.kind = Some(BlockKind::Heading { level: name.as_bytes()[1] - b'0' });
                    }
                    "p" | "div" | "section" | "blockquote" | "dt" | "dd" | "figcaption" | "caption" | "summary"
                    | "details" => b.flush(),
                    "ul" | "ol" | "menu" => {
                        b.flush();
                        let start = attr(attrs, "start").and_then(|s| s.parse().ok()).unwrap_or(1);
                        b.lists.push((name == "ol", start));
                    }
                    "li" => {
                        b.flush();
                        let level = b.lists.len().saturating_sub(1) as u8;
                        let label = match b.lists.last_mut() {
                            Some((true, n)) => {
                                let l = format!("{n}.");
                                *n += 1;
                                l
                            }
                            _ => "•".to_string(),
                        };
                        b.kind = Some(BlockKind::ListItem { label, level });
                    }
                    "pre" => {
                        b.flush();
                        b.pre += 1;
                        b.code_lang = lang_of(attrs);
                    }
                    "code" if b.pre > 0 && b.code_lang.is_none() => b.code_lang = lang_of(attrs),
                    "br" => b.buf.push('\u{1}'),
                    "img" => {
                        if let Some(alt) = attr(attrs, "alt").filter(|a| !a.trim().is_empty()) {
                            b.buf.push_str(&format!(" [{}] ", alt.trim()));
                        }
                    }
                    "table" => {
                        b.flush();
                        if b.tables.len() as u32 >= limits.max_nesting_depth {
                            return Err(ParseError::TooLarge {
                                what: "nesting depth",
                                limit: u64::from(limits.max_nesting_depth),
                            });
                        }
                        b.tables.push((Vec::new(), None));
                    }
                    "tr" => {
                        b.flush();
                        if let Some((rows, _)) = b.tables.last_mut() {
                            rows.push(Vec::new());
                        }
                    }
                    "td" | "th" => {
                        b.flush();
                        if let Some((rows, cell)) = b.tables.last_mut() {
                            if rows.is_empty() {
                                rows.push(Vec::new());
                            }
                            *cell = Some(String::new());
                        }
                    }
                    _ => {}
                }
            }
            Tok::Close(name) => {
                let name = name.as_str();
                if !skip.is_empty() {
                    if skip.last().is_some_and(|s| s == name) {
                        skip.pop();
                    }
                    continue;
                }
                depth = depth.saturating_sub(1);
                match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "div" | "section" | "blockquote" | "li" | "dt"
                    | "dd" | "figcaption" | "caption" | "summary" => b.flush(),
                    "ul" | "ol" | "menu" => {
                        b.flush();
                        b.lists.pop();
                    }
                    "pre" => {
                        b.kind = Some(BlockKind::Code { language: b.code_lang.take() });
                        b.flush();
                        b.pre = b.pre.saturating_sub(1);
                    }
                    "td" | "th" => {
                        b.flush();
                        if let Some((rows, cell)) = b.tables.last_mut()
                            && let Some(text) = cell.take()
                            && let Some(row) = rows.last_mut()
                        {
                            row.push(Cell::new(text));
                        }
                    }
                    "table" => {
                        b.flush();
                        if let Some((rows, _)) = b.tables.pop() {
                            let rows: Vec<Vec<Cell>> = rows.into_iter().filter(|r| !r.is_empty()).collect();
                            if !rows.is_empty() {
                                let block = Block::table(rows, 1);
                                // A nested table becomes text of the enclosing cell.
                                if let Some((_, Some(cell))) = b.tables.last_mut() {
                                    cell.push_str(&block.text);
                                } else {
                                    b.blocks.push(block);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                if Some(name) == scope {
                    scope_depth = scope_depth.saturating_sub(1);
                    if scope_depth == 0 {
                        break;
                    }
                }
            }
        }
    }
    b.flush();
    Ok(Document {
        info: DocumentInfo { format: Format::Html, title, language: lang, page_count: 1, ..DocumentInfo::default() },
        pages: vec![Page { number: 1, blocks: b.blocks }],
        ..Document::default()
    })
}

fn lang_of(attrs: &str) -> Option<String> {
    let class = attr(attrs, "class")?;
    class
        .split_whitespace()
        .find_map(|c| c.strip_prefix("language-").or_else(|| c.strip_prefix("lang-")).map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html lang="en"><head><title>Docs &amp; more</title><style>p{}</style></head>
    <body><nav><a href="/">Home</a></nav><main><h1>Install</h1><p>Run <b>the</b>
    installer &lt;now&gt;.</p><ul><li>one</li><li>two<ol><li>sub</li></ol></li></ul>
    <pre><code class="language-rust">fn main() {
    println!("hi");
}</code></pre><table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
    <script>var x = "<p>not text</p>";</script></main><footer>Copyright</footer></body></html>"#;

    #[test]
    fn main_content_structure() {
        let doc = parse(PAGE, &Limits::default()).unwrap();
        assert_eq!(doc.info.title.as_deref(), Some("Docs & more"));
        assert_eq!(doc.info.language.as_deref(), Some("en"));
        let b = &doc.pages[0].blocks;
        assert_eq!(b[0], Block::heading(1, "Install".into(), 1));
        assert_eq!(b[1].text, "Run the installer <now>.");
        assert_eq!(b[2].kind, BlockKind::ListItem { label: "•".into(), level: 0 });
        assert_eq!(b[3].text, "two");
        assert_eq!(b[4].kind, BlockKind::ListItem { label: "1.".into(), level: 1 });
        assert_eq!(b[5].kind, BlockKind::Code { language: Some("rust".into()) });
        assert!(b[5].text.contains("    println!(\"hi\");"));
        assert_eq!(b[6].text, "Key\tValue\na\t1");
        let all = crate::to_text(&doc);
        assert!(!all.contains("Home") && !all.contains("not text") && !all.contains("Copyright"));
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a &amp; b &#x4E2D;&#25991; &bogus; &"), "a & b 中文 &bogus; &");
    }
}
