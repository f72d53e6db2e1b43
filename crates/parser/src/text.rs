//! Plain text: encoding detection (BOMs, UTF-8, then a statistical guess among legacy
//! encodings), newline normalisation, and paragraphs split at blank lines.

use crate::error::Result;
use crate::limits::Limits;
use crate::model::{Block, Document, DocumentInfo, Format, Page};

/// Decodes text bytes: BOM, else valid UTF-8, else the most likely legacy encoding.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return normalise(&text);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return normalise(s);
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    let enc = det.guess(None, true);
    let (text, _, _) = enc.decode(bytes);
    normalise(&text)
}

/// CRLF/CR → LF; other control characters (but tab and form feed) dropped.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' | '\x0c' => out.push(c),
            c if c.is_control() => {}
            '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Parses a plain-text file: one page (form feeds start new pages), paragraphs at
/// blank lines.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Document> {
    let text = decode(bytes);
    let mut pages = Vec::new();
    for (i, page_text) in text.split('\x0c').enumerate() {
        if pages.len() as u32 >= limits.max_pages {
            return Err(crate::ParseError::TooLarge { what: "pages", limit: u64::from(limits.max_pages) });
        }
        let number = i as u32 + 1;
        let blocks = page_text
            .split("\n\n")
            .map(str::trim_end)
            .map(|p| p.trim_start_matches('\n'))
            .filter(|p| !p.trim().is_empty())
            .map(|p| Block::paragraph(p.to_string(), number))
            .collect();
        pages.push(Page { number, blocks });
    }
    if pages.len() > 1 && pages.last().is_some_and(|p| p.blocks.is_empty()) {
        pages.pop();
    }
    let page_count = pages.len() as u32;
    Ok(Document {
        info: DocumentInfo { format: Format::Text, page_count, ..DocumentInfo::default() },
        pages,
        ..Document::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn detects_legacy_encodings() {
        let (gbk, _, _) = encoding_rs::GBK.encode("中文技术文档，这是一个测试段落，包含足够多的汉字以便检测编码。");
        assert!(decode(&gbk).contains("中文技术文档"));
        let (sjis, _, _) =
            encoding_rs::SHIFT_JIS.encode("日本語のテキストです。これは文字コードの判定のための文章です。");
        assert!(decode(&sjis).contains("日本語のテキスト"));
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode("Café crème brûlée à la française, naïve façade");
        assert_eq!(decode(&latin), "Café crème brûlée à la française, naïve façade");
        assert_eq!(decode(b"\xEF\xBB\xBFbom"), "bom");
        assert_eq!(decode(&[0xFF, 0xFE, b'h', 0, b'i', 0]), "hi");
    }

    #[test]
    fn paragraphs_and_pages() {
        let doc = parse(b"one\r\nline two\r\n\r\npara two\x0cpage two", &Limits::default()).unwrap();
        assert_eq!(doc.pages.len(), 2);
        assert_eq!(doc.pages[0].blocks[0].text, "one\nline two");
        assert_eq!(doc.pages[0].blocks[1].text, "para two");
        assert_eq!(doc.pages[1].blocks[0].page, 2);
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let s = decode(&bytes);
            prop_assert!(!s.contains('\r'));
        }
    }
}
