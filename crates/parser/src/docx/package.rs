//! The OPC package: zip entries within limits, relationships, core properties, and
//! the OLE container that encrypted documents come in.

use std::io::Read;

use quick_xml::events::Event;

use crate::error::{ParseError, Result};
use crate::limits::{Budget, Limits};
use crate::model::DocumentInfo;

pub struct Package<'a> {
    zip: zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
}

#[derive(Debug, Clone)]
pub struct Rel {
    pub kind: String,
    pub target: String,
}

fn zip_error(e: zip::result::ZipError) -> ParseError {
    ParseError::corrupt(format!("broken zip package: {e}"))
}

impl<'a> Package<'a> {
    pub fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self> {
        let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(zip_error)?;
        if zip.len() as u64 > limits.max_objects {
            return Err(ParseError::TooLarge { what: "objects", limit: limits.max_objects });
        }
        Ok(Package { zip })
    }

    /// Reads a part (leading '/' and case of the name tolerated); None when absent.
    pub fn read(&mut self, name: &str, budget: &mut Budget) -> Result<Option<Vec<u8>>> {
        let name = name.trim_start_matches('/');
        let name = normalise_path(name);
        let idx = match self.zip.index_for_name(&name) {
            Some(i) => i,
            None => match (0..self.zip.len())
                .find(|&i| self.zip.name_for_index(i).is_some_and(|n| n.eq_ignore_ascii_case(&name)))
            {
                Some(i) => i,
                None => return Ok(None),
            },
        };
        let allowance = budget.inflate_allowance();
        let mut entry = match self.zip.by_index(idx) {
            Ok(e) => e,
            Err(e) => return Err(zip_error(e)),
        };
        if entry.size() > allowance {
            return Err(ParseError::TooLarge { what: "decompressed bytes", limit: allowance });
        }
        let mut out = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        let n = (&mut entry)
            .take(allowance + 1)
            .read_to_end(&mut out)
            .map_err(|e| ParseError::corrupt(format!("broken zip entry {name}: {e}")))?;
        budget.add_inflated(n as u64)?;
        Ok(Some(out))
    }

    /// The main document part named by the package relationships.
    pub fn main_part(&mut self) -> String {
        let mut scratch = Budget::new(&Limits::default());
        if let Ok(Some(xml)) = self.read("_rels/.rels", &mut scratch) {
            for r in parse_rels(&xml) {
                if r.kind.ends_with("/officeDocument") {
                    return normalise_path(r.target.trim_start_matches('/'));
                }
            }
        }
        "word/document.xml".to_string()
    }

    /// The relationships of a part.
    pub fn rels(&mut self, part: &str, budget: &mut Budget) -> Result<Vec<Rel>> {
        let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
        let path = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
        Ok(self.read(&path, budget)?.map(|x| parse_rels(&x)).unwrap_or_default())
    }
}

/// Resolves "a/b/../c" and "./" segments.
fn normalise_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn parse_rels(xml: &[u8]) -> Vec<Rel> {
    let mut out = Vec::new();
    let mut r = quick_xml::Reader::from_reader(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let (mut kind, mut target, mut external) = (String::new(), String::new(), false);
                for a in e.attributes().flatten() {
                    let v = String::from_utf8_lossy(&a.value).into_owned();
                    match a.key.local_name().as_ref() {
                        b"Type" => kind = v,
                        b"Target" => target = v,
                        b"TargetMode" => external = v == "External",
                        _ => {}
                    }
                }
                if !external {
                    out.push(Rel { kind, target });
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// Title, author, subject, keywords and dates from docProps/core.xml.
pub fn core_properties(xml: &[u8], info: &mut DocumentInfo) {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut current: Option<Vec<u8>> = None;
    let mut text = String::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                current = Some(e.local_name().as_ref().to_vec());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::GeneralRef(g)) => text.push_str(&super::body::entity(&g)),
            Ok(Event::End(_)) => {
                let v = text.trim().to_string();
                if !v.is_empty() {
                    match current.as_deref() {
                        Some(b"title") => info.title = Some(v),
                        Some(b"creator") => info.author = Some(v),
                        Some(b"subject") => info.subject = Some(v),
                        Some(b"keywords") => {
                            info.keywords = v
                                .split([',', ';'])
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(String::from)
                                .collect();
                        }
                        Some(b"created") => info.created = Some(v),
                        Some(b"modified") => info.modified = Some(v),
                        Some(b"language") => info.language = Some(v),
                        _ => {}
                    }
                }
                current = None;
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
}

/// An OLE2 (CFB) file is either an encrypted OOXML package or a legacy binary
/// document; neither can be read without more than the bytes give.
pub fn cfb_error<T>(bytes: &[u8]) -> Result<T> {
    let needle: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
        return Err(ParseError::Encrypted("the document is protected with a password".into()));
    }
    Err(ParseError::UnsupportedFormat("a legacy binary Office document (OLE2); save it as DOCX or PDF".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_rels() {
        assert_eq!(normalise_path("word/../word/./media/a.png"), "word/media/a.png");
        let rels = parse_rels(
            br#"<Relationships><Relationship Id="r1" Type="http://x/officeDocument" Target="word/document.xml"/><Relationship Id="r2" Type="http://x/hyperlink" Target="http://e" TargetMode="External"/></Relationships>"#,
        );
        assert_eq!(rels.len(), 1);
        assert_eq!(rels[0].target, "word/document.xml");
    }

    #[test]
    fn cfb_kinds() {
        let mut enc = b"\xD0\xCF\x11\xE0".to_vec();
        enc.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(cfb_error::<()>(&enc).unwrap_err().code(), "encrypted");
        assert_eq!(cfb_error::<()>(b"\xD0\xCF\x11\xE0WordDocument").unwrap_err().code(), "unsupported_format");
    }

    #[test]
    fn core_props() {
        let mut info = DocumentInfo::default();
        core_properties(
            br#"<cp:coreProperties xmlns:dc="d" xmlns:cp="c"><dc:title>A &amp; B</dc:title><dc:creator>Ann</dc:creator><cp:keywords>x, y</cp:keywords></cp:coreProperties>"#,
            &mut info,
        );
        assert_eq!(info.title.as_deref(), Some("A & B"));
        assert_eq!(info.author.as_deref(), Some("Ann"));
        assert_eq!(info.keywords, vec!["x", "y"]);
    }
}
