//! The type of an upload, from its first bytes (the name only breaks ties
//! between text formats). The parser sniffs again; this early answer lets
//! the gateway refuse what aidoc cannot read before it is queued.

pub const PDF: &str = "application/pdf";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const HTML: &str = "text/html";
pub const MARKDOWN: &str = "text/markdown";
pub const TEXT: &str = "text/plain";

/// The media type of a supported document, or why it is not supported.
pub fn sniff(head: &[u8], file_name: &str) -> Result<&'static str, String> {
    let name = file_name.to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    // The PDF header may follow up to 1 KiB of junk.
    if head.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Ok(PDF);
    }
    if head.starts_with(b"PK\x03\x04") {
        let looks_word = head.windows(5).any(|w| w == b"word/") || ext == "docx" || ext == "docm";
        return if looks_word { Ok(DOCX) } else { Err("a ZIP archive that is not a Word (.docx) document".into()) };
    }
    // An encrypted Office Open XML package is a CFB container holding an
    // `EncryptedPackage` stream: accept it, the parser reports `encrypted`.
    if head.starts_with(b"\xD0\xCF\x11\xE0")
        && (matches!(ext, "docx" | "docm") || contains_utf16(head, "EncryptedPackage"))
    {
        return Ok(DOCX);
    }
    const BINARY: [(&[u8], &str); 8] = [
        (b"\xD0\xCF\x11\xE0", "a legacy Office (.doc/.xls/.ppt) file; save it as .docx or PDF"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x7FELF", "an executable"),
        (b"MZ", "a Windows executable"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"Rar!", "a RAR archive"),
    ];
    for (magic, what) in BINARY {
        if head.starts_with(magic) {
            return Err(what.into());
        }
    }
    let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    if !utf16 && head.contains(&0) {
        return Err("a binary file that is not a PDF or DOCX document".into());
    }
    if head.is_empty() {
        return Err("an empty file".into());
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(1024)])
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if matches!(ext, "html" | "htm" | "xhtml") || start.starts_with("<!doctype html") || start.starts_with("<html") {
        return Ok(HTML);
    }
    if matches!(ext, "md" | "markdown" | "mdown" | "mkd") {
        return Ok(MARKDOWN);
    }
    Ok(TEXT)
}

fn contains_utf16(head: &[u8], text: &str) -> bool {
    let needle: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    head.windows(needle.len()).any(|w| w == needle.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n", "notes.txt"), Ok(PDF));
        assert_eq!(sniff(b"\x00\x00junk%PDF-1.4", "x"), Ok(PDF));
        assert_eq!(sniff(b"PK\x03\x04....word/document.xml", "a.zip"), Ok(DOCX));
        assert!(sniff(b"PK\x03\x04....", "a.zip").is_err());
        assert!(sniff(b"\x89PNG\r\n", "scan.pdf").unwrap_err().contains("PNG"));
        assert_eq!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1", "locked.docx"), Ok(DOCX), "encrypted OOXML");
        assert!(sniff(b"\xD0\xCF\x11\xE0\xA1\xB1", "old.doc").unwrap_err().contains("legacy"));
        assert!(sniff(b"\x7FELF\x02", "tool").is_err());
        assert!(sniff(b"", "empty.txt").is_err());
        assert_eq!(sniff(b"<!DOCTYPE html><p>x", "page"), Ok(HTML));
        assert_eq!(sniff(b"# Title\n", "README.md"), Ok(MARKDOWN));
        assert_eq!(sniff("配置说明".as_bytes(), "notes"), Ok(TEXT));
        assert_eq!(sniff(b"\xFF\xFEh\x00i\x00", "utf16.txt"), Ok(TEXT));
    }
}
