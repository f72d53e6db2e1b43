//! Simple-font encodings and glyph names.
//!
//! Base encodings are tables of Unicode code points (0 = undefined). Glyph names go
//! through the Adobe Glyph List (data/glyphlist.txt, BSD-3-Clause), then the `uniXXXX`
//! and `uXXXX` conventions, then suffix and ligature rules; an unknown name maps to
//! nothing on its own and never affects the other codes of the font.

// The tables are filled by code ranges; indexing by code reads best there.
#![allow(clippy::needless_range_loop)]

use std::collections::HashMap;
use std::sync::OnceLock;

/// A base encoding of a simple font.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseEncoding {
    Standard,
    WinAnsi,
    MacRoman,
    MacExpert,
    Symbol,
    ZapfDingbats,
}

impl BaseEncoding {
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"WinAnsiEncoding" => BaseEncoding::WinAnsi,
            b"MacRomanEncoding" => BaseEncoding::MacRoman,
            b"MacExpertEncoding" => BaseEncoding::MacExpert,
            b"StandardEncoding" => BaseEncoding::Standard,
            _ => return None,
        })
    }

    /// Code point of `code`, 0 when undefined.
    pub fn table(self) -> &'static [u32; 256] {
        static TABLES: OnceLock<[[u32; 256]; 5]> = OnceLock::new();
        let t = TABLES.get_or_init(|| [standard(), win_ansi(), mac_roman(), symbol(), zapf_dingbats()]);
        match self {
            BaseEncoding::Standard | BaseEncoding::MacExpert => &t[0],
            BaseEncoding::WinAnsi => &t[1],
            BaseEncoding::MacRoman => &t[2],
            BaseEncoding::Symbol => &t[3],
            BaseEncoding::ZapfDingbats => &t[4],
        }
    }
}

fn ascii_base() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (c, slot) in t.iter_mut().enumerate().take(0x7f).skip(0x20) {
        *slot = c as u32;
    }
    t
}

fn standard() -> [u32; 256] {
    let mut t = ascii_base();
    t[0x27] = 0x2019;
    t[0x60] = 0x2018;
    let upper: [(u8, u32); 59] = [
        (0xA1, 0xA1),
        (0xA2, 0xA2),
        (0xA3, 0xA3),
        (0xA4, 0x2044),
        (0xA5, 0xA5),
        (0xA6, 0x192),
        (0xA7, 0xA7),
        (0xA8, 0xA4),
        (0xA9, 0x27),
        (0xAA, 0x201C),
        (0xAB, 0xAB),
        (0xAC, 0x2039),
        (0xAD, 0x203A),
        (0xAE, 0xFB01),
        (0xAF, 0xFB02),
        (0xB1, 0x2013),
        (0xB2, 0x2020),
        (0xB3, 0x2021),
        (0xB4, 0xB7),
        (0xB6, 0xB6),
        (0xB7, 0x2022),
        (0xB8, 0x201A),
        (0xB9, 0x201E),
        (0xBA, 0x201D),
        (0xBB, 0xBB),
        (0xBC, 0x2026),
        (0xBD, 0x2030),
        (0xBF, 0xBF),
        (0xC1, 0x60),
        (0xC2, 0xB4),
        (0xC3, 0x2C6),
        (0xC4, 0x2DC),
        (0xC5, 0xAF),
        (0xC6, 0x2D8),
        (0xC7, 0x2D9),
        (0xC8, 0xA8),
        (0xCA, 0x2DA),
        (0xCB, 0xB8),
        (0xCD, 0x2DD),
        (0xCE, 0x2DB),
        (0xCF, 0x2C7),
        (0xD0, 0x2014),
        (0xE1, 0xC6),
        (0xE3, 0xAA),
        (0xE8, 0x141),
        (0xE9, 0xD8),
        (0xEA, 0x152),
        (0xEB, 0xBA),
        (0xF1, 0xE6),
        (0xF5, 0x131),
        (0xF8, 0x142),
        (0xF9, 0xF8),
        (0xFA, 0x153),
        (0xFB, 0xDF),
        (0x20, 0x20),
        (0x2D, 0x2D),
        (0x22, 0x22),
        (0x5C, 0x5C),
        (0x7E, 0x7E),
    ];
    for (c, u) in upper {
        t[c as usize] = u;
    }
    t
}

fn win_ansi() -> [u32; 256] {
    let mut t = ascii_base();
    let high: [u32; 32] = [
        0x20AC, 0, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0, 0x17D, 0, 0,
        0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0, 0x17E, 0x178,
    ];
    t[0x80..0xA0].copy_from_slice(&high);
    for (c, slot) in t.iter_mut().enumerate().skip(0xA0) {
        *slot = c as u32;
    }
    // Undefined codes above 0x7F render as a bullet in Acrobat; 0x7F stays empty.
    t
}

fn mac_roman() -> [u32; 256] {
    let mut t = ascii_base();
    let bytes: Vec<u8> = (0x80u8..=0xFF).collect();
    let (text, _, _) = encoding_rs::MACINTOSH.decode(&bytes);
    for (i, ch) in text.chars().enumerate() {
        t[0x80 + i] = ch as u32;
    }
    t
}

fn symbol() -> [u32; 256] {
    let mut t = ascii_base();
    let ascii: [(u8, u32); 12] = [
        (0x22, 0x2200),
        (0x24, 0x2203),
        (0x27, 0x220B),
        (0x2A, 0x2217),
        (0x2D, 0x2212),
        (0x40, 0x2245),
        (0x5C, 0x2234),
        (0x5E, 0x22A5),
        (0x60, 0xF8E5),
        (0x7E, 0x223C),
        (0x20, 0x20),
        (0x7C, 0x7C),
    ];
    for (c, u) in ascii {
        t[c as usize] = u;
    }
    const UPPER: &str = "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ";
    const LOWER: &str = "αβχδεφγηιϕκλμνοπθρστυϖωξψζ";
    for (i, ch) in UPPER.chars().enumerate() {
        t[0x41 + i] = ch as u32;
    }
    for (i, ch) in LOWER.chars().enumerate() {
        t[0x61 + i] = ch as u32;
    }
    const HIGH: &str =
        "€ϒ′≤⁄∞ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈…⏐⎯↵ℵℑℜ℘⊗⊕∅∩∪⊃⊇⊄⊂⊆∈∉∠∇®©™∏√⋅¬∧∨⇔⇐⇑⇒⇓◊〈®©™∑⎛⎜⎝⎡⎢⎣⎧⎨⎩⎪ 〉∫⌠⎮⌡⎞⎟⎠⎤⎥⎦⎫⎬⎭";
    for (i, ch) in HIGH.chars().enumerate() {
        if ch != ' ' {
            t[0xA0 + i] = ch as u32;
        }
    }
    t
}

fn zapf_dingbats() -> [u32; 256] {
    let mut t = [0u32; 256];
    t[0x20] = 0x20;
    for c in 0x21..0x7F {
        t[c] = 0x2700 + (c as u32 - 0x20);
    }
    for (c, u) in [
        (0x25, 0x260E),
        (0x2A, 0x261B),
        (0x2B, 0x261E),
        (0x48, 0x2605),
        (0x6C, 0x25CF),
        (0x6E, 0x25A0),
        (0x73, 0x25B2),
        (0x74, 0x25BC),
        (0x75, 0x25C6),
        (0x77, 0x25D7),
    ] {
        t[c] = u;
    }
    for c in 0x80..=0x8D {
        t[c] = 0x2768 + (c as u32 - 0x80);
    }
    let a: [u32; 11] = [0x2761, 0x2762, 0x2763, 0x2764, 0x2765, 0x2766, 0x2767, 0x2663, 0x2666, 0x2665, 0x2660];
    t[0xA1..0xAC].copy_from_slice(&a);
    for c in 0xAC..=0xB5 {
        t[c] = 0x2460 + (c as u32 - 0xAC);
    }
    for c in 0xB6..=0xD3 {
        t[c] = 0x2776 + (c as u32 - 0xB6);
    }
    t[0xD4] = 0x2794;
    t[0xD5] = 0x2192;
    t[0xD6] = 0x2194;
    t[0xD7] = 0x2195;
    for c in 0xD8..=0xEF {
        t[c] = 0x2798 + (c as u32 - 0xD8);
    }
    for c in 0xF1..=0xFE {
        t[c] = 0x27B1 + (c as u32 - 0xF1);
    }
    t
}

fn agl() -> &'static HashMap<&'static str, &'static str> {
    static AGL: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    AGL.get_or_init(|| {
        let text: &'static str = include_str!("../../data/glyphlist.txt");
        let mut map = HashMap::with_capacity(4400);
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            if let Some((name, codes)) = line.split_once(';') {
                map.insert(name, codes);
            }
        }
        map
    })
}

fn push_hex_units(hex: &str, out: &mut String) -> bool {
    let mut any = false;
    for part in hex.split(' ') {
        match u32::from_str_radix(part, 16).ok().and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                any = true;
            }
            None => return false,
        }
    }
    any
}

/// Appends the text of glyph `name` to `out`; false when the name means nothing known.
pub fn glyph_to_unicode(name: &str, out: &mut String) -> bool {
    let start = out.len();
    if glyph_inner(name, out, 0) {
        true
    } else {
        out.truncate(start);
        false
    }
}

fn glyph_inner(name: &str, out: &mut String, depth: u8) -> bool {
    if name.is_empty() || depth > 3 {
        return false;
    }
    if let Some(codes) = agl().get(name) {
        return push_hex_units(codes, out);
    }
    // Suffixes (".sc", ".alt", ".swash") name variants of the same character.
    if let Some((base, _)) = name.split_once('.') {
        return !base.is_empty() && glyph_inner(base, out, depth + 1);
    }
    // Ligatures "f_f_i".
    if name.contains('_') {
        let mut ok = true;
        for part in name.split('_') {
            ok &= glyph_inner(part, out, depth + 1);
        }
        return ok;
    }
    if let Some(hex) = name.strip_prefix("uni")
        && hex.len() >= 4
        && hex.len() % 4 == 0
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let mut any = false;
        for i in (0..hex.len()).step_by(4) {
            match u32::from_str_radix(&hex[i..i + 4], 16).ok().and_then(char::from_u32) {
                Some(c) => {
                    out.push(c);
                    any = true;
                }
                None => return false,
            }
        }
        return any;
    }
    if let Some(hex) = name.strip_prefix('u')
        && (4..=6).contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
    {
        out.push(c);
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(name: &str) -> Option<String> {
        let mut s = String::new();
        glyph_to_unicode(name, &mut s).then_some(s)
    }

    #[test]
    fn glyph_names() {
        assert_eq!(g("A").as_deref(), Some("A"));
        assert_eq!(g("eacute").as_deref(), Some("é"));
        assert_eq!(g("uni4E2D").as_deref(), Some("中"));
        assert_eq!(g("uni00410042").as_deref(), Some("AB"));
        assert_eq!(g("u1F600").as_deref(), Some("😀"));
        assert_eq!(g("a.sc").as_deref(), Some("a"));
        assert_eq!(g("f_f_i").as_deref(), Some("ffi"));
        assert_eq!(g("fi").as_deref(), Some("\u{FB01}"));
        assert_eq!(g("g123"), None);
        assert_eq!(g("bogus_A"), None);
    }

    #[test]
    fn base_tables() {
        assert_eq!(BaseEncoding::WinAnsi.table()[0x93], 0x201C);
        assert_eq!(BaseEncoding::Standard.table()[0x27], 0x2019);
        assert_eq!(BaseEncoding::MacRoman.table()[0x8E], 0xE9);
        assert_eq!(BaseEncoding::Symbol.table()[0x61], 'α' as u32);
        assert_eq!(BaseEncoding::Symbol.table()[0xE5], '∑' as u32);
        assert_eq!(BaseEncoding::ZapfDingbats.table()[0x21], 0x2701);
        assert_eq!(BaseEncoding::ZapfDingbats.table()[0xAC], 0x2460);
    }
}
