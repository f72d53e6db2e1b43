//! Format detection from the bytes themselves; the file name is never consulted.

use crate::model::Format;

/// What the bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Known(Format),
    /// A ZIP package that is not a Word document (xlsx, odt, jar, …).
    OtherZip,
    /// An OLE2/CFB container: encrypted OOXML or a legacy binary Office file.
    Cfb,
    /// Binary data of no supported kind.
    Binary,
}

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Sniffs the format. `declared` (a media type) only chooses between the text
/// formats when the content does not decide.
pub fn sniff(bytes: &[u8], declared: Option<&str>) -> Sniffed {
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Sniffed::Known(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        // A Word package names word/document.xml (or its strict equivalent) in its
        // entries; look at the first local headers and the central directory.
        let probe = &bytes[..bytes.len().min(64 * 1024)];
        let tail = &bytes[bytes.len().saturating_sub(64 * 1024)..];
        if find(probe, b"word/").is_some() || find(tail, b"word/").is_some() {
            return Sniffed::Known(Format::Docx);
        }
        return Sniffed::OtherZip;
    }
    if bytes.starts_with(CFB_MAGIC) {
        return Sniffed::Cfb;
    }
    if looks_binary(head) {
        return Sniffed::Binary;
    }
    let text = String::from_utf8_lossy(head);
    let lower = text.trim_start_matches('\u{feff}').trim_start().to_ascii_lowercase();
    if lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || (lower.starts_with("<?xml") && lower.contains("<html"))
        || ((lower.starts_with("<!--") || lower.starts_with("<head") || lower.starts_with("<body"))
            && (lower.contains("<html") || lower.contains("<body") || lower.contains("<head")))
    {
        return Sniffed::Known(Format::Html);
    }
    let declared = declared.map(|d| d.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match declared.as_deref() {
        Some("text/markdown" | "text/x-markdown") => return Sniffed::Known(Format::Markdown),
        Some("text/html" | "application/xhtml+xml") if lower.contains('<') => return Sniffed::Known(Format::Html),
        Some("text/plain") => return Sniffed::Known(Format::Text),
        _ => {}
    }
    if looks_like_markdown(&String::from_utf8_lossy(&bytes[..bytes.len().min(16 * 1024)])) {
        return Sniffed::Known(Format::Markdown);
    }
    Sniffed::Known(Format::Text)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Binary when NUL bytes or many control bytes appear, unless it is UTF-16 text.
fn looks_binary(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    let controls = head.iter().filter(|&&b| b < 0x09 || (0x0E..0x1B).contains(&b) || b == 0x7F).count();
    head.contains(&0) || controls * 20 > head.len().max(1)
}

/// Markdown when several lines carry Markdown structure (headings, fences, lists,
/// tables, links).
pub fn looks_like_markdown(text: &str) -> bool {
    let mut score = 0;
    for line in text.lines().take(400) {
        let t = line.trim_start();
        let heading = (t.starts_with("# ") || t.starts_with("## ") || t.starts_with("### ")) && t.len() > 3;
        let fence = t.starts_with("```") || t.starts_with("~~~");
        let table = t.starts_with('|') && t.ends_with('|') && t.len() > 2;
        let link = t.contains("](") && t.contains('[');
        let item = t.starts_with("- [") || t.starts_with("* ") || t.starts_with("- ");
        score += if heading || fence { 2 } else { usize::from(table || link || item) };
        if score >= 3 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_declarations() {
        assert_eq!(sniff(b"%PDF-1.7\n...", Some("text/plain")), Sniffed::Known(Format::Pdf));
        assert_eq!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", None), Sniffed::Cfb);
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml", None),
            Sniffed::Known(Format::Docx)
        );
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml", None), Sniffed::OtherZip);
        assert_eq!(sniff(b"\x00\x01\x02\x03binary", None), Sniffed::Binary);
    }

    #[test]
    fn text_formats() {
        assert_eq!(sniff(b"<!DOCTYPE html><html><body>x</body></html>", None), Sniffed::Known(Format::Html));
        assert_eq!(sniff(b"# Title\n\nSome text\n\n## Part\n\n- item\n", None), Sniffed::Known(Format::Markdown));
        assert_eq!(sniff(b"just some words\nand more", None), Sniffed::Known(Format::Text));
        assert_eq!(sniff(b"plain words", Some("text/markdown")), Sniffed::Known(Format::Markdown));
    }
}
