//! What the embedded font programs tell about characters when the PDF does not:
//! TrueType `cmap` and `post` tables, and the built-in encoding of Type 1 fonts.

use super::lexer::{Lexer, Token};

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(at)?, *d.get(at + 1)?, *d.get(at + 2)?, *d.get(at + 3)?]))
}

/// The tables of a TrueType font program that matter for text.
#[derive(Debug, Default)]
pub struct TrueType {
    /// (platform, encoding, subtable offset) of every cmap subtable.
    subtables: Vec<(u16, u16, usize)>,
    data: Vec<u8>,
    post: Option<(usize, usize)>,
}

impl TrueType {
    pub fn parse(data: Vec<u8>) -> Option<Self> {
        let num = be16(&data, 4)? as usize;
        let mut cmap = None;
        let mut post = None;
        for i in 0..num.min(64) {
            let rec = 12 + i * 16;
            let tag = data.get(rec..rec + 4)?;
            let off = be32(&data, rec + 8)? as usize;
            let len = be32(&data, rec + 12)? as usize;
            if off >= data.len() {
                continue;
            }
            match tag {
                b"cmap" => cmap = Some(off),
                b"post" => post = Some((off, len.min(data.len() - off))),
                _ => {}
            }
        }
        let mut subtables = Vec::new();
        if let Some(off) = cmap {
            let n = be16(&data, off + 2).unwrap_or(0) as usize;
            for i in 0..n.min(32) {
                let r = off + 4 + i * 8;
                let (Some(p), Some(e), Some(o)) = (be16(&data, r), be16(&data, r + 2), be32(&data, r + 4)) else {
                    break;
                };
                subtables.push((p, e, off + o as usize));
            }
        }
        Some(TrueType { subtables, data, post })
    }

    fn subtable(&self, platform: u16, encoding: Option<u16>) -> Option<usize> {
        self.subtables.iter().find(|s| s.0 == platform && encoding.is_none_or(|e| s.1 == e)).map(|s| s.2)
    }

    /// Calls `f(code, gid)` for every mapping of the subtable at `off`.
    fn walk(&self, off: usize, f: &mut dyn FnMut(u32, u16)) {
        let d = &self.data;
        let Some(format) = be16(d, off) else { return };
        match format {
            0 => {
                for c in 0..256u32 {
                    if let Some(&g) = d.get(off + 6 + c as usize)
                        && g != 0
                    {
                        f(c, u16::from(g));
                    }
                }
            }
            4 => {
                let segx2 = be16(d, off + 6).unwrap_or(0) as usize;
                let ends = off + 14;
                let starts = ends + segx2 + 2;
                let deltas = starts + segx2;
                let ranges = deltas + segx2;
                for s in (0..segx2).step_by(2) {
                    let (Some(end), Some(start), Some(delta), Some(ro)) =
                        (be16(d, ends + s), be16(d, starts + s), be16(d, deltas + s), be16(d, ranges + s))
                    else {
                        return;
                    };
                    if start > end || start == 0xFFFF {
                        continue;
                    }
                    for c in start..=end {
                        let g = if ro == 0 {
                            c.wrapping_add(delta)
                        } else {
                            let at = ranges + s + ro as usize + 2 * (c - start) as usize;
                            match be16(d, at) {
                                Some(0) | None => 0,
                                Some(g) => g.wrapping_add(delta),
                            }
                        };
                        if g != 0 {
                            f(u32::from(c), g);
                        }
                    }
                }
            }
            6 => {
                let (Some(first), Some(count)) = (be16(d, off + 6), be16(d, off + 8)) else { return };
                for i in 0..count {
                    if let Some(g) = be16(d, off + 10 + 2 * i as usize)
                        && g != 0
                    {
                        f(u32::from(first) + u32::from(i), g);
                    }
                }
            }
            12 => {
                let n = be32(d, off + 12).unwrap_or(0).min(100_000);
                for i in 0..n as usize {
                    let r = off + 16 + i * 12;
                    let (Some(s), Some(e), Some(g)) = (be32(d, r), be32(d, r + 4), be32(d, r + 8)) else { return };
                    if e < s || e - s > 0x10FFFF {
                        continue;
                    }
                    for c in s..=e {
                        let gid = g + (c - s);
                        if gid != 0 && gid <= 0xFFFF {
                            f(c, gid as u16);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// GID → code point, from the font's Unicode cmap.
    pub fn gid_to_unicode(&self) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        let off = self.subtable(3, Some(10)).or_else(|| self.subtable(3, Some(1))).or_else(|| self.subtable(0, None));
        if let Some(off) = off {
            self.walk(off, &mut |c, g| {
                let g = g as usize;
                if out.len() <= g {
                    out.resize(g + 1, 0);
                }
                // Prefer the first (lowest) code point mapped to a glyph.
                if out[g] == 0 {
                    out[g] = c;
                }
            });
        }
        out
    }

    /// Code → GID for a symbolic simple font: the (3,0) subtable (codes in F0xx) or
    /// the (1,0) Macintosh one.
    pub fn code_to_gid(&self) -> [u16; 256] {
        let mut out = [0u16; 256];
        if let Some(off) = self.subtable(3, Some(0)) {
            self.walk(off, &mut |c, g| {
                let low = (c & 0xFF) as usize;
                if (c <= 0xFF || (0xF000..=0xF0FF).contains(&c)) && out[low] == 0 {
                    out[low] = g;
                }
            });
        } else if let Some(off) = self.subtable(1, Some(0)) {
            self.walk(off, &mut |c, g| {
                if c <= 0xFF {
                    out[c as usize] = g;
                }
            });
        }
        out
    }

    /// Glyph names from a format 2 `post` table.
    pub fn glyph_names(&self) -> Vec<String> {
        let Some((off, len)) = self.post else { return Vec::new() };
        let d = &self.data[off..off + len];
        if be32(d, 0) != Some(0x0002_0000) {
            return Vec::new();
        }
        let n = be16(d, 32).unwrap_or(0) as usize;
        let idx_at = 34;
        let mut pascal = Vec::new();
        let mut p = idx_at + 2 * n;
        while p < d.len() {
            let l = d[p] as usize;
            let Some(s) = d.get(p + 1..p + 1 + l) else { break };
            pascal.push(String::from_utf8_lossy(s).into_owned());
            p += 1 + l;
        }
        (0..n)
            .map(|g| match be16(d, idx_at + 2 * g) {
                Some(i) if (i as usize) < MAC_GLYPHS.len() => MAC_GLYPHS[i as usize].to_string(),
                Some(i) => pascal.get(i as usize - MAC_GLYPHS.len()).cloned().unwrap_or_default(),
                None => String::new(),
            })
            .collect()
    }
}

/// The first names of the standard Macintosh glyph order (`post` format 2 indexes).
const MAC_GLYPHS: [&str; 258] = [
    ".notdef",
    ".null",
    "nonmarkingreturn",
    "space",
    "exclam",
    "quotedbl",
    "numbersign",
    "dollar",
    "percent",
    "ampersand",
    "quotesingle",
    "parenleft",
    "parenright",
    "asterisk",
    "plus",
    "comma",
    "hyphen",
    "period",
    "slash",
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "colon",
    "semicolon",
    "less",
    "equal",
    "greater",
    "question",
    "at",
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "bracketleft",
    "backslash",
    "bracketright",
    "asciicircum",
    "underscore",
    "grave",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "i",
    "j",
    "k",
    "l",
    "m",
    "n",
    "o",
    "p",
    "q",
    "r",
    "s",
    "t",
    "u",
    "v",
    "w",
    "x",
    "y",
    "z",
    "braceleft",
    "bar",
    "braceright",
    "asciitilde",
    "Adieresis",
    "Aring",
    "Ccedilla",
    "Eacute",
    "Ntilde",
    "Odieresis",
    "Udieresis",
    "aacute",
    "agrave",
    "acircumflex",
    "adieresis",
    "atilde",
    "aring",
    "ccedilla",
    "eacute",
    "egrave",
    "ecircumflex",
    "edieresis",
    "iacute",
    "igrave",
    "icircumflex",
    "idieresis",
    "ntilde",
    "oacute",
    "ograve",
    "ocircumflex",
    "odieresis",
    "otilde",
    "uacute",
    "ugrave",
    "ucircumflex",
    "udieresis",
    "dagger",
    "degree",
    "cent",
    "sterling",
    "section",
    "bullet",
    "paragraph",
    "germandbls",
    "registered",
    "copyright",
    "trademark",
    "acute",
    "dieresis",
    "notequal",
    "AE",
    "Oslash",
    "infinity",
    "plusminus",
    "lessequal",
    "greaterequal",
    "yen",
    "mu",
    "partialdiff",
    "summation",
    "product",
    "pi",
    "integral",
    "ordfeminine",
    "ordmasculine",
    "Omega",
    "ae",
    "oslash",
    "questiondown",
    "exclamdown",
    "logicalnot",
    "radical",
    "florin",
    "approxequal",
    "Delta",
    "guillemotleft",
    "guillemotright",
    "ellipsis",
    "nonbreakingspace",
    "Agrave",
    "Atilde",
    "Otilde",
    "OE",
    "oe",
    "endash",
    "emdash",
    "quotedblleft",
    "quotedblright",
    "quoteleft",
    "quoteright",
    "divide",
    "lozenge",
    "ydieresis",
    "Ydieresis",
    "fraction",
    "currency",
    "guilsinglleft",
    "guilsinglright",
    "fi",
    "fl",
    "daggerdbl",
    "periodcentered",
    "quotesinglbase",
    "quotedblbase",
    "perthousand",
    "Acircumflex",
    "Ecircumflex",
    "Aacute",
    "Edieresis",
    "Egrave",
    "Iacute",
    "Icircumflex",
    "Idieresis",
    "Igrave",
    "Oacute",
    "Ocircumflex",
    "apple",
    "Ograve",
    "Uacute",
    "Ucircumflex",
    "Ugrave",
    "dotlessi",
    "circumflex",
    "tilde",
    "macron",
    "breve",
    "dotaccent",
    "ring",
    "cedilla",
    "hungarumlaut",
    "ogonek",
    "caron",
    "Lslash",
    "lslash",
    "Scaron",
    "scaron",
    "Zcaron",
    "zcaron",
    "brokenbar",
    "Eth",
    "eth",
    "Yacute",
    "yacute",
    "Thorn",
    "thorn",
    "minus",
    "multiply",
    "onesuperior",
    "twosuperior",
    "threesuperior",
    "onehalf",
    "onequarter",
    "threequarters",
    "franc",
    "Gbreve",
    "gbreve",
    "Idotaccent",
    "Scedilla",
    "scedilla",
    "Cacute",
    "cacute",
    "Ccaron",
    "ccaron",
    "dcroat",
];

/// The built-in encoding of a Type 1 font program (`dup code /name put` entries of the
/// clear-text part); None when it says `StandardEncoding`.
pub fn type1_encoding(program: &[u8]) -> Option<Vec<(u8, String)>> {
    let end = find(program, b"eexec").unwrap_or(program.len());
    let clear = &program[..end];
    let start = find(clear, b"/Encoding")?;
    let mut lx = Lexer::new(&clear[start + 9..]);
    let mut out = Vec::new();
    let mut prev: [Option<Token<'_>>; 2] = [None, None];
    for tok in lx.by_ref() {
        match &tok {
            Token::Op(b"StandardEncoding") if out.is_empty() => return None,
            Token::Op(b"put") => {
                if let (Some(Token::Number(code)), Some(Token::Name(name))) = (&prev[0], &prev[1])
                    && (0.0..256.0).contains(code)
                {
                    out.push((*code as u8, String::from_utf8_lossy(name).into_owned()));
                }
            }
            Token::Op(b"def") | Token::Op(b"readonly") if !out.is_empty() => break,
            _ => {}
        }
        prev = [prev[1].take(), Some(tok)];
    }
    Some(out)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type1_builtin_encoding() {
        let prog = b"%!PS-AdobeFont-1.0\n/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\ndup 65 /A put\ndup 97 /alpha put\nreadonly def\ncurrentfile eexec\x00\x01";
        let enc = type1_encoding(prog).unwrap();
        assert_eq!(enc, vec![(65, "A".to_string()), (97, "alpha".to_string())]);
        assert!(type1_encoding(b"/Encoding StandardEncoding def currentfile eexec").is_none());
    }

    #[test]
    fn truetype_format4_cmap() {
        // A font with one cmap table holding a (3,1) format 4 subtable: 'A'..'C' -> 1..3.
        let mut sub = vec![];
        let push16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_be_bytes());
        push16(&mut sub, 4);
        push16(&mut sub, 32);
        push16(&mut sub, 0);
        push16(&mut sub, 4); // segCountX2
        for _ in 0..3 {
            push16(&mut sub, 0);
        }
        push16(&mut sub, 0x43);
        push16(&mut sub, 0xFFFF); // ends
        push16(&mut sub, 0); // pad
        push16(&mut sub, 0x41);
        push16(&mut sub, 0xFFFF); // starts
        push16(&mut sub, (1i32 - 0x41) as u16);
        push16(&mut sub, 1); // deltas
        push16(&mut sub, 0);
        push16(&mut sub, 0); // range offsets
        let mut cmap = vec![0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12];
        cmap.extend_from_slice(&sub);
        let mut font = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        font.extend_from_slice(b"cmap");
        font.extend_from_slice(&[0, 0, 0, 0]);
        font.extend_from_slice(&28u32.to_be_bytes());
        font.extend_from_slice(&(cmap.len() as u32).to_be_bytes());
        font.extend_from_slice(&cmap);
        let tt = TrueType::parse(font).unwrap();
        let map = tt.gid_to_unicode();
        assert_eq!(&map[1..4], &[0x41, 0x42, 0x43]);
    }
}
