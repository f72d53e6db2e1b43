//! CMaps: embedded ToUnicode maps, embedded encoding CMaps, and code splitting.

use super::cjk::{self, Predefined};
use super::lexer::{Lexer, Token};

/// How the bytes of a string split into character codes.
#[derive(Debug, Clone, Default)]
pub struct CodeSpace {
    /// (bytes, low, high)
    ranges: Vec<(u8, u32, u32)>,
    min_len: u8,
}

impl CodeSpace {
    pub fn new(mut ranges: Vec<(u8, u32, u32)>) -> Self {
        ranges.retain(|r| (1..=4).contains(&r.0));
        ranges.sort_unstable();
        let min_len = ranges.iter().map(|r| r.0).min().unwrap_or(2);
        CodeSpace { ranges, min_len }
    }

    pub fn two_byte() -> Self {
        CodeSpace::new(vec![(2, 0, 0xFFFF)])
    }

    /// The next code of `bytes` (non-empty) and its length in bytes.
    #[inline]
    pub fn next_code(&self, bytes: &[u8]) -> (u32, u8) {
        let mut code = 0u32;
        for n in 1..=4u8 {
            if bytes.len() < n as usize {
                break;
            }
            code = code << 8 | u32::from(bytes[n as usize - 1]);
            for &(len, lo, hi) in &self.ranges {
                if len == n && matches_bytewise(code, lo, hi, n) {
                    return (code, n);
                }
            }
        }
        let n = self.min_len.min(bytes.len() as u8).max(1);
        let mut code = 0u32;
        for &b in &bytes[..n as usize] {
            code = code << 8 | u32::from(b);
        }
        (code, n)
    }
}

/// Codespace ranges compare byte by byte (each byte within its own bounds).
#[inline]
fn matches_bytewise(code: u32, lo: u32, hi: u32, n: u8) -> bool {
    for i in 0..n {
        let shift = u32::from(i) * 8;
        let c = (code >> shift) & 0xFF;
        if c < (lo >> shift) & 0xFF || c > (hi >> shift) & 0xFF {
            return false;
        }
    }
    true
}

/// Code → text from a ToUnicode CMap.
#[derive(Debug, Clone, Default)]
pub struct ToUnicode {
    /// (low, high, value): value < 0x110000 is the code point of `low` (consecutive codes
    /// map to consecutive code points); value with the top bit set indexes `strings`.
    ranges: Vec<(u32, u32, u32)>,
    strings: Vec<String>,
}

const MULTI: u32 = 0x8000_0000;
/// The value of codes mapped to no text at all.
const EMPTY: u32 = 0x4000_0000;

impl ToUnicode {
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Appends the text of `code`; false when the map has nothing (usable) for it. A
    /// code the map explicitly gives no text is found and appends nothing.
    #[inline]
    pub fn lookup(&self, code: u32, out: &mut String) -> bool {
        let idx = self.ranges.partition_point(|r| r.1 < code);
        let Some(&(lo, hi, v)) = self.ranges.get(idx) else { return false };
        if code < lo || code > hi {
            return false;
        }
        if v == EMPTY {
            return true;
        }
        if v & MULTI != 0 {
            let s = &self.strings[(v & !MULTI) as usize];
            out.push_str(s);
            return true;
        }
        match char::from_u32(v + (code - lo)) {
            Some(c) if c != '\0' => {
                out.push(c);
                true
            }
            _ => false,
        }
    }
}

/// Decodes a UTF-16BE destination string; single bytes are taken as code points.
fn utf16_text(b: &[u8]) -> String {
    if b.len() == 1 {
        return char::from(b[0]).to_string();
    }
    let units = b.chunks(2).map(|c| if c.len() == 2 { u16::from_be_bytes([c[0], c[1]]) } else { u16::from(c[0]) });
    char::decode_utf16(units).filter_map(Result::ok).filter(|&c| c != '\0').collect()
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0u32, |a, &b| a << 8 | u32::from(b))
}

/// Everything an embedded CMap stream says.
#[derive(Debug, Default)]
pub struct Parsed {
    pub space: Vec<(u8, u32, u32)>,
    /// bfchar / bfrange entries resolved to (code, text).
    pub bf: Vec<(u32, u32, BfDst)>,
    /// (bytes, low, high, first CID)
    pub cid: Vec<(u8, u32, u32, u32)>,
    pub usecmap: Option<String>,
    pub vertical: bool,
}

#[derive(Debug)]
pub enum BfDst {
    /// Consecutive: the text of `low`, last code unit incremented per code.
    Base(Vec<u8>),
    List(Vec<String>),
}

/// Parses an embedded CMap (ToUnicode or encoding), ignoring whatever it does not know.
/// Each section reads entries until a token that does not fit (its `end…` keyword).
#[allow(clippy::while_let_loop)]
pub fn parse(data: &[u8], max_entries: usize) -> Parsed {
    let mut p = Parsed::default();
    let mut lx = Lexer::new(data);
    let mut last_name: Option<Vec<u8>> = None;
    let mut entries = 0usize;
    while let Some(tok) = lx.next() {
        match tok {
            Token::Name(n) => {
                if n == b"WMode" {
                    if let Some(Token::Number(v)) = lx.next() {
                        p.vertical = v == 1.0;
                    }
                } else {
                    last_name = Some(n.to_vec());
                }
            }
            Token::Op(b"usecmap") => {
                p.usecmap = last_name.take().map(|n| String::from_utf8_lossy(&n).into_owned());
            }
            Token::Op(b"begincodespacerange") => loop {
                match (lx.next(), lx.next()) {
                    (Some(Token::Str(lo)), Some(Token::Str(hi))) => {
                        p.space.push((lo.len() as u8, be(&lo), be(&hi)));
                    }
                    _ => break,
                }
            },
            Token::Op(b"beginbfchar") => loop {
                let Some(Token::Str(src)) = lx.next() else { break };
                let code = be(&src);
                match lx.next() {
                    Some(Token::Str(dst)) => p.bf.push((code, code, BfDst::Base(dst.into_owned()))),
                    Some(Token::Name(name)) => {
                        let mut s = String::new();
                        if super::encoding::glyph_to_unicode(&String::from_utf8_lossy(name), &mut s) {
                            p.bf.push((code, code, BfDst::List(vec![s])));
                        }
                    }
                    _ => break,
                }
                entries += 1;
                if entries > max_entries {
                    return p;
                }
            },
            Token::Op(b"beginbfrange") => loop {
                let (Some(Token::Str(lo)), Some(Token::Str(hi))) = (lx.next(), lx.next()) else { break };
                let (lo, hi) = (be(&lo), be(&hi));
                if hi < lo {
                    continue;
                }
                match lx.next() {
                    Some(Token::Str(dst)) => p.bf.push((lo, hi, BfDst::Base(dst.into_owned()))),
                    Some(Token::ArrayOpen) => {
                        let mut list = Vec::new();
                        for t in lx.by_ref() {
                            match t {
                                Token::Str(s) => list.push(utf16_text(&s)),
                                _ => break,
                            }
                        }
                        p.bf.push((lo, hi, BfDst::List(list)));
                    }
                    _ => break,
                }
                entries += 1;
                if entries > max_entries {
                    return p;
                }
            },
            Token::Op(b"begincidrange") => loop {
                let (Some(Token::Str(lo)), Some(Token::Str(hi)), Some(Token::Number(cid))) =
                    (lx.next(), lx.next(), lx.next())
                else {
                    break;
                };
                p.cid.push((lo.len() as u8, be(&lo), be(&hi), cid.max(0.0) as u32));
                entries += 1;
                if entries > max_entries {
                    return p;
                }
            },
            Token::Op(b"begincidchar") => loop {
                let (Some(Token::Str(c)), Some(Token::Number(cid))) = (lx.next(), lx.next()) else { break };
                let code = be(&c);
                p.cid.push((c.len() as u8, code, code, cid.max(0.0) as u32));
                entries += 1;
                if entries > max_entries {
                    return p;
                }
            },
            _ => {}
        }
    }
    p
}

impl Parsed {
    pub fn into_to_unicode(self) -> ToUnicode {
        let mut t = ToUnicode::default();
        for (lo, hi, dst) in self.bf {
            match dst {
                BfDst::Base(bytes) => {
                    let text = utf16_text(&bytes);
                    let mut chars = text.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => t.ranges.push((lo, hi, c as u32)),
                        (Some(_), Some(_)) => {
                            // Multi-character destination: increment the last character.
                            let count = (hi - lo).min(255);
                            for i in 0..=count {
                                let mut s: Vec<char> = text.chars().collect();
                                if let Some(last) = s.last_mut() {
                                    *last = char::from_u32(*last as u32 + i).unwrap_or(*last);
                                }
                                t.push_string(lo + i, s.into_iter().collect());
                            }
                        }
                        // An empty destination: these glyphs carry no text (their
                        // cluster's text is on another glyph).
                        _ => t.ranges.push((lo, hi, EMPTY)),
                    }
                }
                BfDst::List(list) => {
                    for (i, s) in list.into_iter().enumerate() {
                        let code = lo.saturating_add(i as u32);
                        if code > hi {
                            break;
                        }
                        let mut cs = s.chars();
                        match (cs.next(), cs.next()) {
                            (Some(c), None) => t.ranges.push((code, code, c as u32)),
                            (Some(_), Some(_)) => t.push_string(code, s),
                            _ => t.ranges.push((code, code, EMPTY)),
                        }
                    }
                }
            }
        }
        // Later entries win on overlap: keep the last of equal starts, then drop overlaps.
        let mut order: Vec<usize> = (0..t.ranges.len()).collect();
        order.sort_by_key(|&i| (t.ranges[i].0, std::cmp::Reverse(i)));
        let mut out: Vec<(u32, u32, u32)> = Vec::with_capacity(order.len());
        for i in order {
            let r = t.ranges[i];
            if let Some(prev) = out.last()
                && r.0 <= prev.1
            {
                continue;
            }
            out.push(r);
        }
        t.ranges = out;
        t
    }
}

impl ToUnicode {
    fn push_string(&mut self, code: u32, s: String) {
        let idx = self.strings.len() as u32 | MULTI;
        self.strings.push(s);
        self.ranges.push((code, code, idx));
    }
}

/// Code → CID for a composite font.
#[derive(Debug)]
pub enum CidEncoding {
    /// Identity-H / Identity-V: two-byte codes are CIDs.
    Identity,
    /// A predefined byte-code CMap (GBK-EUC-H, 90ms-RKSJ-H, …).
    Predefined(&'static Predefined),
    /// A Unicode-coded predefined CMap: codes are Unicode in this form.
    Unicode { form: UniForm, collection: Option<usize> },
    /// An embedded CMap stream (possibly on top of a predefined one).
    Embedded { space: CodeSpace, ranges: Vec<(u8, u32, u32, u32)>, parent: Option<&'static Predefined> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniForm {
    Ucs2,
    Utf16,
    Utf8,
    Utf32,
}

impl CidEncoding {
    /// Resolves a predefined CMap name; `vertical` reports its writing mode.
    pub fn predefined(name: &str) -> Option<(CidEncoding, bool)> {
        let vertical = name.ends_with("-V");
        if name == "Identity-H" || name == "Identity-V" {
            return Some((CidEncoding::Identity, vertical));
        }
        if let Some(rest) = name.strip_prefix("Uni") {
            let form = if rest.contains("UCS2") {
                UniForm::Ucs2
            } else if rest.contains("UTF16") {
                UniForm::Utf16
            } else if rest.contains("UTF8") {
                UniForm::Utf8
            } else if rest.contains("UTF32") {
                UniForm::Utf32
            } else {
                return None;
            };
            let data = cjk::data();
            let collection = if rest.starts_with("GB") {
                data.collection("GB1")
            } else if rest.starts_with("CNS") {
                data.collection("CNS1")
            } else if rest.starts_with("JIS") || rest.starts_with("Hojo") {
                data.collection("Japan1")
            } else if rest.starts_with("KS") {
                data.collection("Korea1")
            } else {
                None
            };
            return Some((CidEncoding::Unicode { form, collection }, vertical));
        }
        let p = cjk::data().cmap(name)?;
        Some((CidEncoding::Predefined(p), p.vertical))
    }

    /// Splits the next code off `bytes`: (code, length, CID).
    #[inline]
    pub fn next(&self, bytes: &[u8]) -> (u32, u8, u32) {
        match self {
            CidEncoding::Identity => {
                if bytes.len() >= 2 {
                    let c = u32::from(bytes[0]) << 8 | u32::from(bytes[1]);
                    (c, 2, c)
                } else {
                    (u32::from(bytes[0]), 1, u32::from(bytes[0]))
                }
            }
            CidEncoding::Predefined(p) => {
                let (code, n) = split_with(&p.space, bytes);
                (code, n, p.cid(n, code).unwrap_or(0))
            }
            CidEncoding::Unicode { form, collection } => {
                let (code, n) = split_unicode(*form, bytes);
                let cid = collection.and_then(|c| cjk::data().unicode_to_cid(c, code)).unwrap_or(0);
                (code, n, cid)
            }
            CidEncoding::Embedded { space, ranges, parent } => {
                let (code, n) = space.next_code(bytes);
                let idx = ranges.partition_point(|r| (r.0, r.2) < (n, code));
                let own =
                    ranges.get(idx).filter(|r| r.0 == n && r.1 <= code && code <= r.2).map(|r| r.3 + (code - r.1));
                let cid = own.or_else(|| parent.and_then(|p| p.cid(n, code))).unwrap_or(0);
                (code, n, cid)
            }
        }
    }

    /// For Unicode-coded CMaps the code itself is the text.
    pub fn code_is_unicode(&self) -> bool {
        matches!(self, CidEncoding::Unicode { .. })
    }

    pub fn collection(&self) -> Option<usize> {
        match self {
            CidEncoding::Predefined(p) => Some(p.collection),
            CidEncoding::Embedded { parent: Some(p), .. } => Some(p.collection),
            CidEncoding::Unicode { collection, .. } => *collection,
            _ => None,
        }
    }

    pub fn from_embedded(parsed: Parsed) -> CidEncoding {
        let parent = parsed.usecmap.as_deref().and_then(|n| cjk::data().cmap(n));
        let mut space = parsed.space;
        if space.is_empty()
            && let Some(p) = parent
        {
            space = p.space.clone();
        }
        let mut ranges = parsed.cid;
        ranges.sort_unstable_by_key(|r| (r.0, r.1));
        let space = if space.is_empty() { CodeSpace::two_byte() } else { CodeSpace::new(space) };
        CidEncoding::Embedded { space, ranges, parent }
    }
}

fn split_with(space: &[(u8, u32, u32)], bytes: &[u8]) -> (u32, u8) {
    let mut code = 0u32;
    for n in 1..=4u8 {
        if bytes.len() < n as usize {
            break;
        }
        code = code << 8 | u32::from(bytes[n as usize - 1]);
        if space.iter().any(|&(len, lo, hi)| len == n && matches_bytewise(code, lo, hi, n)) {
            return (code, n);
        }
    }
    let n = space.iter().map(|r| r.0).min().unwrap_or(1).clamp(1, bytes.len().clamp(1, 4) as u8);
    (bytes[..n as usize].iter().fold(0u32, |a, &b| a << 8 | u32::from(b)), n)
}

fn split_unicode(form: UniForm, b: &[u8]) -> (u32, u8) {
    match form {
        UniForm::Ucs2 | UniForm::Utf16 => {
            if b.len() < 2 {
                return (u32::from(b[0]), 1);
            }
            let u = u32::from(u16::from_be_bytes([b[0], b[1]]));
            if form == UniForm::Utf16 && (0xD800..0xDC00).contains(&u) && b.len() >= 4 {
                let lo = u32::from(u16::from_be_bytes([b[2], b[3]]));
                if (0xDC00..0xE000).contains(&lo) {
                    return (0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), 4);
                }
            }
            (u, 2)
        }
        UniForm::Utf32 => {
            if b.len() < 4 {
                return (u32::from(b[0]), 1);
            }
            (u32::from_be_bytes([b[0], b[1], b[2], b[3]]), 4)
        }
        UniForm::Utf8 => {
            let n = match b[0] {
                0..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            }
            .min(b.len());
            match std::str::from_utf8(&b[..n]).ok().and_then(|s| s.chars().next()) {
                Some(c) => (c as u32, n as u8),
                None => (u32::from(b[0]), 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOUNI: &[u8] = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap
        1 begincodespacerange <0000> <FFFF> endcodespacerange
        2 beginbfchar <0003> <0020> <0011> <D835DC00> endbfchar
        2 beginbfrange <0024> <0026> <0041> <0030> <0031> [<0066006C> <00660069>] endbfrange
        1 beginbfrange <0040> <0041> <00660066> endbfrange
        endcmap";

    #[test]
    fn to_unicode_chars_ranges_and_arrays() {
        let t = parse(TOUNI, 1000).into_to_unicode();
        let mut s = String::new();
        for code in [0x3, 0x24, 0x26, 0x11, 0x30, 0x31, 0x40, 0x41] {
            assert!(t.lookup(code, &mut s), "code {code:#x}");
        }
        assert_eq!(s, " AC\u{1D400}flfifffg");
        assert!(!t.lookup(0x27, &mut s));
    }

    #[test]
    fn codespace_splits_mixed_lengths() {
        let cs = CodeSpace::new(vec![(1, 0x00, 0x80), (2, 0x8140, 0x9FFC)]);
        assert_eq!(cs.next_code(b"A"), (0x41, 1));
        assert_eq!(cs.next_code(&[0x82, 0xA0]), (0x82A0, 2));
    }

    #[test]
    fn embedded_encoding_with_usecmap() {
        let p = parse(b"/GBK-EUC-H usecmap 1 begincidrange <20> <7e> 1 endcidrange", 100);
        assert_eq!(p.usecmap.as_deref(), Some("GBK-EUC-H"));
        let enc = CidEncoding::from_embedded(p);
        assert_eq!(enc.next(b"A").2, 1 + 0x21);
        assert!(enc.next(&[0xD6, 0xD0]).2 > 0);
    }

    #[test]
    fn unicode_cmaps() {
        let (enc, vertical) = CidEncoding::predefined("UniJIS-UCS2-V").unwrap();
        assert!(vertical);
        assert!(enc.code_is_unicode());
        let (code, n, cid) = enc.next(&[0x30, 0x42]);
        assert_eq!((code, n), (0x3042, 2));
        assert_eq!(cid, 843);
    }
}
