//! From laid-out text blocks to the document model: headings (from the outline and
//! from font sizes) and list items (from their labels).

use super::layout::{TextBlock, join_lines};
use crate::model::{Block, BlockKind, Cell, OutlineEntry, Page};

/// Splits a leading list label ("•", "1.", "a)", "(iv)") off a line.
pub fn list_label(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let first = t.chars().next()?;
    if matches!(first, '•' | '◦' | '▪' | '‣' | '∙' | '●' | '○' | '■' | '□' | '–' | '*' | '-' | '·' | '➢' | '✓')
    {
        let rest = &t[first.len_utf8()..];
        if rest.starts_with(' ') && rest.trim().chars().next().is_some() {
            return Some((&t[..first.len_utf8()], rest.trim_start()));
        }
        return None;
    }
    // "1." "12)" "a." "(a)" "iv."
    let (open, body) = match t.strip_prefix('(') {
        Some(b) => (1, b),
        None => (0, t),
    };
    let end = body.find(['.', ')'])?;
    let token = &body[..end];
    let ok = (!token.is_empty() && token.len() <= 3 && token.bytes().all(|b| b.is_ascii_digit()))
        || (token.len() == 1 && token.bytes().all(|b| b.is_ascii_lowercase()))
        || (!token.is_empty() && token.len() <= 4 && token.bytes().all(|b| matches!(b, b'i' | b'v' | b'x')));
    if !ok || (open == 1 && !body[end..].starts_with(')')) {
        return None;
    }
    let label_len = open + end + 1;
    let rest = &t[label_len..];
    if !rest.starts_with(' ') || rest.trim().is_empty() {
        return None;
    }
    Some((&t[..label_len], rest.trim_start()))
}

fn norm(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Builds pages from each page's blocks.
pub fn build(pages: Vec<Vec<TextBlock>>, outline: &[OutlineEntry]) -> Vec<Page> {
    // The body size: the font size that carries the most characters.
    let mut sizes: Vec<(i32, usize)> = Vec::new();
    for b in pages.iter().flatten() {
        let key = (b.size * 2.0).round() as i32;
        let n: usize = b.lines.iter().map(String::len).sum();
        match sizes.iter_mut().find(|s| s.0 == key) {
            Some(s) => s.1 += n,
            None => sizes.push((key, n)),
        }
    }
    let body = sizes.iter().max_by_key(|s| s.1).map_or(10.0, |s| s.0 as f32 / 2.0);
    // Heading sizes: larger than the body, ranked.
    let mut heading_sizes: Vec<i32> = sizes.iter().filter(|s| s.0 as f32 / 2.0 >= body * 1.15).map(|s| s.0).collect();
    heading_sizes.sort_unstable_by(|a, b| b.cmp(a));

    let mut out = Vec::with_capacity(pages.len());
    for (i, blocks) in pages.into_iter().enumerate() {
        let number = i as u32 + 1;
        let titles: Vec<(String, u32)> = outline
            .iter()
            .filter(|o| o.page == Some(number))
            .map(|o| (norm(&o.title), o.level))
            .filter(|t| t.0.len() >= 2)
            .collect();
        let mut page = Page { number, blocks: Vec::with_capacity(blocks.len()) };
        for b in blocks {
            if let Some(rows) = b.rows {
                let rows: Vec<Vec<Cell>> = rows.into_iter().map(|r| r.into_iter().map(Cell::new).collect()).collect();
                page.blocks.push(Block::table(rows, number));
                continue;
            }
            let text = join_lines(&b.lines);
            if text.trim().is_empty() {
                continue;
            }
            let n = norm(&text);
            if let Some((_, level)) =
                titles.iter().find(|(t, _)| n == *t || (n.len() <= t.len() + 8 && n.ends_with(t.as_str())))
            {
                page.blocks.push(Block::heading((*level).clamp(1, 6) as u8, text, number));
                continue;
            }
            let key = (b.size * 2.0).round() as i32;
            let short = b.lines.len() <= 3 && text.chars().count() <= 200 && text.chars().any(char::is_alphabetic);
            if short && let Some(rank) = heading_sizes.iter().position(|&s| s == key) {
                page.blocks.push(Block::heading((rank + 1).min(6) as u8, text, number));
                continue;
            }
            push_paragraphs(&mut page.blocks, &b.lines, number);
        }
        out.push(page);
    }
    out
}

/// A block becomes list items when its lines start with labels, else one paragraph.
fn push_paragraphs(out: &mut Vec<Block>, lines: &[String], page: u32) {
    let mut current: Vec<String> = Vec::new();
    let mut label: Option<String> = None;
    let flush = |out: &mut Vec<Block>, current: &mut Vec<String>, label: &mut Option<String>| {
        if current.is_empty() {
            return;
        }
        let text = join_lines(current);
        current.clear();
        match label.take() {
            Some(l) => out.push(Block::new(BlockKind::ListItem { label: l, level: 0 }, text, page)),
            None => out.push(Block::paragraph(text, page)),
        }
    };
    for line in lines {
        if let Some((l, rest)) = list_label(line) {
            flush(out, &mut current, &mut label);
            label = Some(l.to_string());
            current.push(rest.to_string());
        } else {
            current.push(line.clone());
        }
    }
    flush(out, &mut current, &mut label);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(list_label("• item one"), Some(("•", "item one")));
        assert_eq!(list_label("12. twelve"), Some(("12.", "twelve")));
        assert_eq!(list_label("(iv) four"), Some(("(iv)", "four")));
        assert_eq!(list_label("b) bee"), Some(("b)", "bee")));
        assert_eq!(list_label("3.5 is a number"), None);
        assert_eq!(list_label("-5 degrees"), None);
    }

    #[test]
    fn headings_from_size_and_outline() {
        let blk = |s: &str, size: f32| TextBlock { lines: vec![s.to_string()], size, rows: None };
        let body = "body text ".repeat(30);
        let pages = vec![vec![blk("Big Title", 20.0), blk("1 Intro", 10.0), blk(&body, 10.0), blk("• a point", 10.0)]];
        let outline = vec![OutlineEntry { title: "1 Intro".into(), level: 2, page: Some(1) }];
        let p = build(pages, &outline);
        let b = &p[0].blocks;
        assert_eq!(b[0].kind, BlockKind::Heading { level: 1 });
        assert_eq!(b[1].kind, BlockKind::Heading { level: 2 });
        assert_eq!(b[2].kind, BlockKind::Paragraph);
        assert_eq!(b[3].kind, BlockKind::ListItem { label: "•".into(), level: 0 });
        assert_eq!(b[3].text, "a point");
    }
}
