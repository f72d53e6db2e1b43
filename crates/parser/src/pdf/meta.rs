//! Document information and the outline.

use std::collections::{HashMap, HashSet};

use lopdf::{Document as PdfDoc, Object, ObjectId, decode_text_string};

use super::objects::{dict_dict, dict_get, resolve};
use crate::model::{DocumentInfo, OutlineEntry};

fn text(doc: &PdfDoc, o: Option<&Object>) -> Option<String> {
    let s = decode_text_string(resolve(doc, o?)?).ok()?;
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_string();
    (!s.is_empty()).then_some(s)
}

/// "D:YYYYMMDDHHmmSSOHH'mm'" → RFC 3339; None when not even the year reads.
pub fn pdf_date(s: &str) -> Option<String> {
    let s = s.trim().strip_prefix("D:").unwrap_or(s.trim());
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let field = |from: usize, len: usize, default: u32| -> u32 {
        digits.get(from..from + len).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let (y, mo, d, h, mi, se) =
        (field(0, 4, 0), field(4, 2, 1), field(6, 2, 1), field(8, 2, 0), field(10, 2, 0), field(12, 2, 0));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let rest = &s[digits.len()..];
    let tz = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let tzd: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let th: u32 = tzd.get(0..2).and_then(|v| v.parse().ok()).unwrap_or(0);
            let tm: u32 = tzd.get(2..4).and_then(|v| v.parse().ok()).unwrap_or(0);
            format!("{sign}{th:02}:{tm:02}")
        }
        _ => "Z".to_string(),
    };
    Some(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{se:02}{tz}"))
}

pub fn info(doc: &PdfDoc) -> DocumentInfo {
    let mut info = DocumentInfo::default();
    if let Some(d) = doc.trailer.get(b"Info").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_dict().ok()) {
        info.title = text(doc, d.get(b"Title").ok());
        info.author = text(doc, d.get(b"Author").ok());
        info.subject = text(doc, d.get(b"Subject").ok());
        info.producer = text(doc, d.get(b"Producer").ok());
        if let Some(k) = text(doc, d.get(b"Keywords").ok()) {
            info.keywords = k.split([',', ';']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        }
        info.created = text(doc, d.get(b"CreationDate").ok()).and_then(|s| pdf_date(&s));
        info.modified = text(doc, d.get(b"ModDate").ok()).and_then(|s| pdf_date(&s));
    }
    if let Ok(cat) = doc.catalog() {
        info.language = text(doc, cat.get(b"Lang").ok());
    }
    info
}

/// The named destinations of the catalog (`/Dests` and the `/Names` tree).
fn named_dests(doc: &PdfDoc) -> HashMap<Vec<u8>, &Object> {
    let mut out = HashMap::new();
    let Ok(cat) = doc.catalog() else { return out };
    if let Some(d) = dict_dict(doc, cat, b"Dests") {
        for (k, v) in d.iter() {
            out.insert(k.clone(), v);
        }
    }
    if let Some(tree) = dict_dict(doc, cat, b"Names").and_then(|n| dict_dict(doc, n, b"Dests")) {
        let mut stack = vec![(tree, 0u32)];
        let mut seen = 0;
        while let Some((node, depth)) = stack.pop() {
            seen += 1;
            if seen > 10_000 || depth > 32 {
                break;
            }
            if let Some(Object::Array(names)) = dict_get(doc, node, b"Names") {
                for pair in names.chunks(2) {
                    if let [k, v] = pair
                        && let Some(Object::String(k, _)) = resolve(doc, k)
                    {
                        out.insert(k.clone(), v);
                    }
                }
            }
            if let Some(Object::Array(kids)) = dict_get(doc, node, b"Kids") {
                for k in kids {
                    if let Some(Object::Dictionary(d)) = resolve(doc, k) {
                        stack.push((d, depth + 1));
                    }
                }
            }
        }
    }
    out
}

fn dest_page(
    doc: &PdfDoc,
    dest: &Object,
    names: &HashMap<Vec<u8>, &Object>,
    pages: &HashMap<ObjectId, u32>,
) -> Option<u32> {
    let mut d = resolve(doc, dest)?;
    for _ in 0..4 {
        match d {
            Object::Array(a) => {
                return match a.first()? {
                    Object::Reference(id) => pages.get(id).copied(),
                    Object::Integer(n) => Some(*n as u32 + 1),
                    _ => None,
                };
            }
            Object::String(s, _) | Object::Name(s) => d = resolve(doc, names.get(s)?)?,
            Object::Dictionary(dict) => d = dict_get(doc, dict, b"D")?,
            _ => return None,
        }
    }
    None
}

pub fn outline(doc: &PdfDoc, pages: &HashMap<ObjectId, u32>, max_depth: u32) -> Vec<OutlineEntry> {
    let mut out = Vec::new();
    let Ok(cat) = doc.catalog() else { return out };
    let Some(root) = dict_dict(doc, cat, b"Outlines") else { return out };
    let names = named_dests(doc);
    let mut seen: HashSet<ObjectId> = HashSet::new();
    // (node reference, level)
    let mut stack: Vec<(ObjectId, u32)> = Vec::new();
    if let Ok(Object::Reference(first)) = root.get(b"First") {
        stack.push((*first, 1));
    }
    while let Some((id, level)) = stack.pop() {
        if !seen.insert(id) || out.len() >= 10_000 || level > max_depth {
            continue;
        }
        let Ok(node) = doc.get_dictionary(id) else { continue };
        // Push the next sibling first so the children come out before it.
        if let Ok(Object::Reference(next)) = node.get(b"Next") {
            stack.push((*next, level));
        }
        if let Ok(Object::Reference(child)) = node.get(b"First") {
            stack.push((*child, level + 1));
        }
        let title = text(doc, node.get(b"Title").ok()).unwrap_or_default();
        let page = node.get(b"Dest").ok().and_then(|d| dest_page(doc, d, &names, pages)).or_else(|| {
            let action = dict_dict(doc, node, b"A")?;
            dest_page(doc, action.get(b"D").ok()?, &names, pages)
        });
        if !title.is_empty() {
            out.push(OutlineEntry { title, level, page });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(pdf_date("D:20080404134424+02'00'").as_deref(), Some("2008-04-04T13:44:24+02:00"));
        assert_eq!(pdf_date("D:2019").as_deref(), Some("2019-01-01T00:00:00Z"));
        assert_eq!(pdf_date("D:20191301").as_deref(), None);
        assert_eq!(pdf_date("garbage"), None);
    }
}
