//! PDF fonts as the text engine needs them: code splitting, widths, and text.
//!
//! Text for a code is found in this order: ToUnicode; then, for simple fonts, the
//! encoding (`/Differences` glyph names, `/BaseEncoding`, the font program's built-in
//! encoding, the standard encodings of Symbol/ZapfDingbats) and the embedded TrueType
//! tables; for composite fonts, Unicode-coded CMaps, the Adobe collection tables for the
//! font's CIDSystemInfo, and the embedded TrueType `cmap` through CIDToGIDMap.

use lopdf::{Dictionary, Document, Object};

use super::cmap::{self, CidEncoding, ToUnicode};
use super::encoding::{BaseEncoding, glyph_to_unicode};
use super::fontfile::{TrueType, type1_encoding};
use super::objects::{dict_f32, name_of, resolve, stream_data};
use super::{cff, cjk};

const NONE: u32 = 0;
const MULTI: u32 = 0x8000_0000;

#[derive(Debug)]
pub struct Font {
    pub composite: bool,
    pub vertical: bool,
    /// Simple fonts: code → packed text (code point, or MULTI|index into `strings`).
    simple: Vec<u32>,
    strings: Vec<String>,
    /// Simple fonts: advance per code in text space (already scaled from glyph space).
    widths: Vec<f32>,
    /// Composite fonts.
    enc: Option<CidEncoding>,
    to_unicode: Option<ToUnicode>,
    collection: Option<usize>,
    gid_uni: Vec<u32>,
    cid_to_gid: Option<Vec<u16>>,
    /// (low CID, high CID, width) sorted.
    cid_widths: Vec<(u32, u32, f32)>,
    dw: f32,
    /// Vertical advance (negative = downwards) for vertical fonts.
    vy: f32,
    /// Size of the glyph box relative to the font size (Type3 fonts differ from 1).
    pub size_scale: f32,
    /// The font has no way at all to turn codes into text.
    pub unmapped: bool,
}

/// One decoded glyph.
#[derive(Debug, Clone, Copy)]
pub struct Glyph {
    pub code: u32,
    pub len: u8,
    pub cid: u32,
    /// Horizontal advance (or vertical for vertical fonts), in text space per unit size.
    pub width: f32,
}

impl Font {
    fn empty() -> Font {
        Font {
            composite: false,
            vertical: false,
            simple: vec![NONE; 256],
            strings: Vec::new(),
            widths: vec![0.5; 256],
            enc: None,
            to_unicode: None,
            collection: None,
            gid_uni: Vec::new(),
            cid_to_gid: None,
            cid_widths: Vec::new(),
            dw: 1.0,
            vy: -1.0,
            size_scale: 1.0,
            unmapped: false,
        }
    }

    /// A stand-in for a missing or unreadable font: Latin-1 codes, average widths.
    pub fn fallback() -> Font {
        let mut f = Font::empty();
        for (c, slot) in f.simple.iter_mut().enumerate().skip(0x20) {
            *slot = BaseEncoding::WinAnsi.table()[c];
        }
        f
    }

    pub fn load(doc: &Document, dict: &Dictionary, max_bytes: usize) -> Font {
        let subtype = name_of(doc, dict.get(b"Subtype").ok()).unwrap_or_default();
        let mut font = if subtype == b"Type0" {
            load_composite(doc, dict, max_bytes)
        } else {
            load_simple(doc, dict, &subtype, max_bytes)
        };
        font.unmapped = font.is_unmapped();
        font
    }

    fn is_unmapped(&self) -> bool {
        if self.composite {
            self.to_unicode.as_ref().is_none_or(ToUnicode::is_empty)
                && self.collection.is_none()
                && self.gid_uni.is_empty()
                && !self.enc.as_ref().is_some_and(CidEncoding::code_is_unicode)
        } else {
            self.simple.iter().all(|&v| v == NONE)
        }
    }

    /// Splits the next glyph off `bytes` (non-empty).
    #[inline]
    pub fn next_glyph(&self, bytes: &[u8]) -> Glyph {
        if !self.composite {
            let c = bytes[0];
            return Glyph { code: u32::from(c), len: 1, cid: u32::from(c), width: self.widths[c as usize] };
        }
        let (code, len, cid) = match &self.enc {
            Some(enc) => enc.next(bytes),
            None => CidEncoding::Identity.next(bytes),
        };
        let width = if self.vertical { -self.vy } else { self.cid_width(cid) };
        Glyph { code, len, cid, width }
    }

    /// The horizontal width of a CID (also used for the box of vertical glyphs).
    pub fn cid_width(&self, cid: u32) -> f32 {
        let idx = self.cid_widths.partition_point(|r| r.1 < cid);
        match self.cid_widths.get(idx) {
            Some(&(lo, hi, w)) if lo <= cid && cid <= hi => w,
            _ => self.dw,
        }
    }

    /// Appends the text of a glyph; false when nothing is known for it.
    #[inline]
    pub fn text(&self, g: &Glyph, out: &mut String) -> bool {
        if !self.composite {
            let v = self.simple[g.code as usize & 0xFF];
            return push_packed(v, &self.strings, out);
        }
        if let Some(tu) = &self.to_unicode
            && tu.lookup(g.code, out)
        {
            return true;
        }
        if let Some(enc) = &self.enc
            && enc.code_is_unicode()
        {
            if let Some(c) = char::from_u32(g.code).filter(|&c| c != '\0') {
                out.push(c);
                return true;
            }
            return false;
        }
        if !self.gid_uni.is_empty() {
            let gid = match &self.cid_to_gid {
                Some(map) => map.get(g.cid as usize).copied().unwrap_or(0) as usize,
                None => g.cid as usize,
            };
            if let Some(c) = self.gid_uni.get(gid).and_then(|&u| char::from_u32(u)).filter(|&c| c != '\0') {
                out.push(c);
                return true;
            }
        }
        if let Some(coll) = self.collection
            && let Some(c) = cjk::data().cid_to_unicode(coll, g.cid)
        {
            out.push(c);
            return true;
        }
        false
    }

    /// Whether a glyph is the single-byte code 32 (word spacing applies to it).
    #[inline]
    pub fn is_space_code(&self, g: &Glyph) -> bool {
        g.len == 1 && g.code == 32
    }
}

#[inline]
fn push_packed(v: u32, strings: &[String], out: &mut String) -> bool {
    if v == NONE {
        return false;
    }
    if v & MULTI != 0 {
        out.push_str(&strings[(v & !MULTI) as usize]);
        return true;
    }
    match char::from_u32(v) {
        Some(c) => {
            out.push(c);
            true
        }
        None => false,
    }
}

fn load_to_unicode(doc: &Document, dict: &Dictionary, max_bytes: usize) -> Option<ToUnicode> {
    let obj = resolve(doc, dict.get(b"ToUnicode").ok()?)?;
    let stream = obj.as_stream().ok()?;
    let data = stream_data(stream, max_bytes)?;
    let t = cmap::parse(&data, 200_000).into_to_unicode();
    (!t.is_empty()).then_some(t)
}

fn font_file(doc: &Document, desc: Option<&Dictionary>, key: &[u8], max_bytes: usize) -> Option<Vec<u8>> {
    let s = resolve(doc, desc?.get(key).ok()?)?.as_stream().ok()?;
    stream_data(s, max_bytes)
}

#[allow(clippy::needless_range_loop)]
fn load_simple(doc: &Document, dict: &Dictionary, subtype: &[u8], max_bytes: usize) -> Font {
    let mut font = Font::empty();
    let type3 = subtype == b"Type3";
    let base_font = name_of(doc, dict.get(b"BaseFont").ok()).unwrap_or_default();
    let base_name = strip_subset(&base_font);
    let desc = dict.get(b"FontDescriptor").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_dict().ok());
    let flags = desc.and_then(|d| dict_f32(doc, d, b"Flags")).unwrap_or(0.0) as u32;
    let cff_prog = if type3 { None } else { font_file(doc, desc, b"FontFile3", max_bytes) };
    let symbolic_name = base_name.starts_with(b"Symbol")
        || base_name.starts_with(b"ZapfDingbats")
        || base_name.starts_with(b"Dingbats");

    // Widths, scaled to text space.
    let mut scale = 0.001f32;
    if type3
        && let Some(m) = dict.get(b"FontMatrix").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok())
        && m.len() >= 4
    {
        let a = resolve(doc, &m[0]).and_then(|o| o.as_float().ok()).unwrap_or(0.001);
        let d = resolve(doc, &m[3]).and_then(|o| o.as_float().ok()).unwrap_or(0.001);
        scale = a;
        // The glyph box height in text space tells the visual size of the font.
        let bbox = dict.get(b"FontBBox").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok());
        if let Some(b) = bbox.filter(|b| b.len() == 4) {
            let y0 = resolve(doc, &b[1]).and_then(|o| o.as_float().ok()).unwrap_or(0.0);
            let y1 = resolve(doc, &b[3]).and_then(|o| o.as_float().ok()).unwrap_or(0.0);
            let h = (y1 - y0).abs() * d.abs();
            if h > 0.05 && h < 20.0 {
                font.size_scale = h.clamp(0.3, 3.0);
            }
        }
    }
    let missing = desc.and_then(|d| dict_f32(doc, d, b"MissingWidth")).unwrap_or(0.0);
    let mono = base_name.starts_with(b"Courier");
    let widths = dict.get(b"Widths").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok());
    // With a /Widths array, a code outside it has the descriptor's /MissingWidth (0 when
    // absent): a space the font does not draw takes no room, only the word spacing.
    let default_w = if missing > 0.0 || widths.is_some_and(|w| !w.is_empty()) {
        missing * scale
    } else if mono {
        0.6
    } else {
        0.5
    };
    font.widths = vec![default_w; 256];
    if widths.is_none() && !mono && !type3 {
        // A standard font without /Widths: Helvetica's metrics approximate the
        // proportional ones well enough to place words and line ends.
        for (i, w) in HELVETICA_ASCII.iter().enumerate() {
            font.widths[0x20 + i] = f32::from(*w) / 1000.0;
        }
    }
    if let Some(ws) = widths {
        let first = dict_f32(doc, dict, b"FirstChar").unwrap_or(0.0).max(0.0) as usize;
        for (i, w) in ws.iter().enumerate() {
            let c = first + i;
            if c > 255 {
                break;
            }
            if let Some(w) = resolve(doc, w).and_then(|o| o.as_float().ok()) {
                font.widths[c] = if w == 0.0 && missing > 0.0 { missing * scale } else { w * scale };
            }
        }
    }

    // Encoding.
    let enc_obj = dict.get(b"Encoding").ok().and_then(|o| resolve(doc, o));
    let mut base: Option<BaseEncoding> = None;
    let mut differences: Vec<(u8, Vec<u8>)> = Vec::new();
    match enc_obj {
        Some(Object::Name(n)) => base = BaseEncoding::from_name(n),
        Some(Object::Dictionary(d)) => {
            base = name_of(doc, d.get(b"BaseEncoding").ok()).and_then(|n| BaseEncoding::from_name(&n));
            if let Some(arr) = d.get(b"Differences").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok())
            {
                let mut code: i64 = 0;
                for item in arr {
                    match resolve(doc, item) {
                        Some(Object::Integer(i)) => code = *i,
                        Some(Object::Real(r)) => code = *r as i64,
                        Some(Object::Name(n)) => {
                            if (0..256).contains(&code) {
                                differences.push((code as u8, n.clone()));
                            }
                            code += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
        _ => {}
    }

    // Built-in encodings.
    let symbolic = flags & 4 != 0;
    let mut builtin: Option<Vec<(u8, String)>> = None;
    let mut tt: Option<TrueType> = None;
    if base.is_none() {
        if let Some(prog) = font_file(doc, desc, b"FontFile", max_bytes) {
            builtin = type1_encoding(&prog);
        } else if let Some(prog) = &cff_prog {
            let enc = cff::builtin_encoding(prog);
            builtin = (!enc.is_empty()).then_some(enc);
        } else if subtype == b"TrueType"
            && let Some(prog) = font_file(doc, desc, b"FontFile2", max_bytes)
        {
            tt = TrueType::parse(prog);
        }
    }
    let default_base = if base_name.starts_with(b"Symbol") {
        BaseEncoding::Symbol
    } else if base_name.starts_with(b"ZapfDingbats") || base_name.starts_with(b"Dingbats") {
        BaseEncoding::ZapfDingbats
    } else if subtype == b"TrueType" && enc_obj.is_none() && (symbolic || tt.is_some()) {
        // Symbolic TrueType without an encoding: codes are usually WinAnsi in practice.
        BaseEncoding::WinAnsi
    } else {
        BaseEncoding::Standard
    };
    let base_table =
        if symbolic_name && base.is_none() { default_base.table() } else { base.unwrap_or(default_base).table() };

    let mut name_buf = String::new();
    let set = |font: &mut Font, code: usize, text: &str| {
        let mut it = text.chars();
        match (it.next(), it.next()) {
            (Some(c), None) => font.simple[code] = c as u32,
            (Some(_), Some(_)) => {
                font.simple[code] = font.strings.len() as u32 | MULTI;
                font.strings.push(text.to_string());
            }
            _ => {}
        }
    };
    // A ToUnicode entry without text: the code is known to carry none.
    let set_empty = |font: &mut Font, code: usize| {
        font.simple[code] = font.strings.len() as u32 | MULTI;
        font.strings.push(String::new());
    };
    // Lowest priority first; later steps overwrite.
    if !type3 {
        for c in 0..256 {
            if base_table[c] != 0 {
                font.simple[c] = base_table[c];
            }
        }
    }
    if let Some(tt) = &tt
        && enc_obj.is_none()
    {
        let c2g = tt.code_to_gid();
        let names = tt.glyph_names();
        let g2u = tt.gid_to_unicode();
        for c in 0..256 {
            let g = c2g[c] as usize;
            if g == 0 {
                continue;
            }
            name_buf.clear();
            if let Some(n) = names.get(g)
                && glyph_to_unicode(n, &mut name_buf)
            {
                let t = name_buf.clone();
                set(&mut font, c, &t);
            } else if let Some(&u) = g2u.get(g)
                && u != 0
                && !(0xE000..0xF900).contains(&u)
                && let Some(ch) = char::from_u32(u)
            {
                set(&mut font, c, &ch.to_string());
            }
        }
    }
    if let Some(b) = &builtin {
        for (c, n) in b {
            name_buf.clear();
            if glyph_to_unicode(n, &mut name_buf) {
                let t = name_buf.clone();
                set(&mut font, *c as usize, &t);
            }
        }
    }
    for (c, n) in &differences {
        name_buf.clear();
        let name = String::from_utf8_lossy(n);
        if glyph_to_unicode(&name, &mut name_buf) {
            let t = name_buf.clone();
            set(&mut font, *c as usize, &t);
        } else if type3 && name != ".notdef" {
            // Type 3 glyph names are often private ("a97", "square"): TeX's bitmap fonts
            // number them after the code, others just name shapes of the code's letter.
            let code = numeric_name(&name).unwrap_or(u32::from(*c));
            let u = BaseEncoding::WinAnsi.table()[code as usize & 0xFF];
            font.simple[*c as usize] = if code < 256 { u } else { NONE };
        } else {
            // An unknown name says nothing about this code; the others stay usable.
            font.simple[*c as usize] = NONE;
        }
    }
    if let Some(tu) = load_to_unicode(doc, dict, max_bytes) {
        let mut s = String::new();
        for c in 0..256u32 {
            s.clear();
            if tu.lookup(c, &mut s) {
                if s.is_empty() {
                    set_empty(&mut font, c as usize);
                } else {
                    let t = s.clone();
                    set(&mut font, c as usize, &t);
                }
            }
        }
    }
    font
}

/// Helvetica advance widths (1/1000 em) of the printable ASCII codes 0x20..=0x7E.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 222, 333, 333, 389, 584, 278, 333, 278, 278, // space .. /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 .. ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ .. O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P .. _
    222, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` .. o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p .. ~
];

/// "a97", "g65", "C233": one or two letters and a decimal code of 32..=255.
fn numeric_name(name: &str) -> Option<u32> {
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = name.len() - digits.len();
    if !(1..=2).contains(&prefix) || !(2..=3).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|v| (32..256).contains(v))
}

fn strip_subset(name: &[u8]) -> &[u8] {
    if name.len() > 7 && name[6] == b'+' && name[..6].iter().all(u8::is_ascii_uppercase) { &name[7..] } else { name }
}

fn load_composite(doc: &Document, dict: &Dictionary, max_bytes: usize) -> Font {
    let mut font = Font::empty();
    font.composite = true;
    // Encoding CMap.
    match dict.get(b"Encoding").ok().and_then(|o| resolve(doc, o)) {
        Some(Object::Name(n)) => {
            let name = String::from_utf8_lossy(n);
            if let Some((enc, vertical)) = CidEncoding::predefined(&name) {
                font.enc = Some(enc);
                font.vertical = vertical;
            }
        }
        Some(Object::Stream(s)) => {
            if let Some(data) = stream_data(s, max_bytes) {
                let parsed = cmap::parse(&data, 200_000);
                font.vertical =
                    parsed.vertical || name_of(doc, s.dict.get(b"CMapName").ok()).is_some_and(|n| n.ends_with(b"-V"));
                font.enc = Some(CidEncoding::from_embedded(parsed));
            }
        }
        _ => {}
    }
    font.to_unicode = load_to_unicode(doc, dict, max_bytes);
    // Identity-coded ToUnicode maps the two-byte code; make sure codes split the same way.
    let desc_font = dict
        .get(b"DescendantFonts")
        .ok()
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok());
    let Some(cid_font) = desc_font else { return font };
    font.dw = cid_font.get(b"DW").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_float().ok()).unwrap_or(1000.0)
        / 1000.0;
    if let Some(w) = cid_font.get(b"W").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok()) {
        font.cid_widths = parse_w(doc, w);
    }
    if let Some(dw2) = cid_font.get(b"DW2").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_array().ok())
        && let Some(vy) = dw2.get(1).and_then(|o| resolve(doc, o)).and_then(|o| o.as_float().ok())
        && vy != 0.0
    {
        font.vy = vy / 1000.0;
    }
    let ordering = cid_font
        .get(b"CIDSystemInfo")
        .ok()
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_dict().ok())
        .and_then(|d| d.get(b"Ordering").ok())
        .and_then(|o| resolve(doc, o))
        .and_then(|o| o.as_str().ok())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    let data = cjk::data();
    font.collection = font.enc.as_ref().and_then(CidEncoding::collection).or_else(|| {
        // "GB1", also spelled "GB1-2" or "Japan1" with supplements in some producers.
        let base = ordering.split('-').next().unwrap_or("");
        data.collection(base)
    });
    let subtype = name_of(doc, cid_font.get(b"Subtype").ok()).unwrap_or_default();
    let desc = cid_font.get(b"FontDescriptor").ok().and_then(|o| resolve(doc, o)).and_then(|o| o.as_dict().ok());
    let needs_program = font.to_unicode.is_none() || font.collection.is_none();
    if subtype == b"CIDFontType2" && needs_program && font.collection.is_none() {
        if let Some(prog) = font_file(doc, desc, b"FontFile2", max_bytes)
            && let Some(tt) = TrueType::parse(prog)
        {
            font.gid_uni = tt.gid_to_unicode();
        }
        match cid_font.get(b"CIDToGIDMap").ok().and_then(|o| resolve(doc, o)) {
            Some(Object::Stream(s)) => {
                if let Some(d) = stream_data(s, max_bytes) {
                    font.cid_to_gid = Some(d.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect());
                }
            }
            _ => font.cid_to_gid = None,
        }
    }
    font
}

fn parse_w(doc: &Document, w: &[Object]) -> Vec<(u32, u32, f32)> {
    let mut out = Vec::new();
    let num = |o: &Object| resolve(doc, o).and_then(|o| o.as_float().ok());
    let mut i = 0;
    while i < w.len() {
        let Some(first) = num(&w[i]) else { break };
        let first = first.max(0.0) as u32;
        match w.get(i + 1).and_then(|o| resolve(doc, o)) {
            Some(Object::Array(list)) => {
                for (k, v) in list.iter().enumerate() {
                    if let Some(v) = num(v) {
                        let c = first + k as u32;
                        out.push((c, c, v / 1000.0));
                    }
                }
                i += 2;
            }
            Some(_) => {
                let (Some(last), Some(v)) = (num(&w[i + 1]), w.get(i + 2).and_then(num)) else { break };
                let last = last.max(0.0) as u32;
                if last >= first {
                    out.push((first, last, v / 1000.0));
                }
                i += 3;
            }
            None => break,
        }
        if out.len() > 200_000 {
            break;
        }
    }
    out.sort_unstable_by_key(|r| r.0);
    // Drop overlaps so the binary search stays correct.
    let mut clean: Vec<(u32, u32, f32)> = Vec::with_capacity(out.len());
    for r in out {
        if let Some(p) = clean.last()
            && r.0 <= p.1
        {
            continue;
        }
        clean.push(r);
    }
    clean
}
