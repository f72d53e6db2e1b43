//! The parts of a CFF font program (FontFile3 /Type1C) that tell glyph names and the
//! built-in encoding, for simple fonts that carry neither `/Differences` nor ToUnicode.

/// The CFF standard strings (SIDs 0..=390), from the CFF specification, Appendix A.
const STANDARD_STRINGS: [&str; 391] = [
    ".notdef",
    "space",
    "exclam",
    "quotedbl",
    "numbersign",
    "dollar",
    "percent",
    "ampersand",
    "quoteright",
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
    "quoteleft",
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
    "exclamdown",
    "cent",
    "sterling",
    "fraction",
    "yen",
    "florin",
    "section",
    "currency",
    "quotesingle",
    "quotedblleft",
    "guillemotleft",
    "guilsinglleft",
    "guilsinglright",
    "fi",
    "fl",
    "endash",
    "dagger",
    "daggerdbl",
    "periodcentered",
    "paragraph",
    "bullet",
    "quotesinglbase",
    "quotedblbase",
    "quotedblright",
    "guillemotright",
    "ellipsis",
    "perthousand",
    "questiondown",
    "grave",
    "acute",
    "circumflex",
    "tilde",
    "macron",
    "breve",
    "dotaccent",
    "dieresis",
    "ring",
    "cedilla",
    "hungarumlaut",
    "ogonek",
    "caron",
    "emdash",
    "AE",
    "ordfeminine",
    "Lslash",
    "Oslash",
    "OE",
    "ordmasculine",
    "ae",
    "dotlessi",
    "lslash",
    "oslash",
    "oe",
    "germandbls",
    "onesuperior",
    "logicalnot",
    "mu",
    "trademark",
    "Eth",
    "onehalf",
    "plusminus",
    "Thorn",
    "onequarter",
    "divide",
    "brokenbar",
    "degree",
    "thorn",
    "threequarters",
    "twosuperior",
    "registered",
    "minus",
    "eth",
    "multiply",
    "threesuperior",
    "copyright",
    "Aacute",
    "Acircumflex",
    "Adieresis",
    "Agrave",
    "Aring",
    "Atilde",
    "Ccedilla",
    "Eacute",
    "Ecircumflex",
    "Edieresis",
    "Egrave",
    "Iacute",
    "Icircumflex",
    "Idieresis",
    "Igrave",
    "Ntilde",
    "Oacute",
    "Ocircumflex",
    "Odieresis",
    "Ograve",
    "Otilde",
    "Scaron",
    "Uacute",
    "Ucircumflex",
    "Udieresis",
    "Ugrave",
    "Yacute",
    "Ydieresis",
    "Zcaron",
    "aacute",
    "acircumflex",
    "adieresis",
    "agrave",
    "aring",
    "atilde",
    "ccedilla",
    "eacute",
    "ecircumflex",
    "edieresis",
    "egrave",
    "iacute",
    "icircumflex",
    "idieresis",
    "igrave",
    "ntilde",
    "oacute",
    "ocircumflex",
    "odieresis",
    "ograve",
    "otilde",
    "scaron",
    "uacute",
    "ucircumflex",
    "udieresis",
    "ugrave",
    "yacute",
    "ydieresis",
    "zcaron",
    "exclamsmall",
    "Hungarumlautsmall",
    "dollaroldstyle",
    "dollarsuperior",
    "ampersandsmall",
    "Acutesmall",
    "parenleftsuperior",
    "parenrightsuperior",
    "twodotenleader",
    "onedotenleader",
    "zerooldstyle",
    "oneoldstyle",
    "twooldstyle",
    "threeoldstyle",
    "fouroldstyle",
    "fiveoldstyle",
    "sixoldstyle",
    "sevenoldstyle",
    "eightoldstyle",
    "nineoldstyle",
    "commasuperior",
    "threequartersemdash",
    "periodsuperior",
    "questionsmall",
    "asuperior",
    "bsuperior",
    "centsuperior",
    "dsuperior",
    "esuperior",
    "isuperior",
    "lsuperior",
    "msuperior",
    "nsuperior",
    "osuperior",
    "rsuperior",
    "ssuperior",
    "tsuperior",
    "ff",
    "ffi",
    "ffl",
    "parenleftinferior",
    "parenrightinferior",
    "Circumflexsmall",
    "hyphensuperior",
    "Gravesmall",
    "Asmall",
    "Bsmall",
    "Csmall",
    "Dsmall",
    "Esmall",
    "Fsmall",
    "Gsmall",
    "Hsmall",
    "Ismall",
    "Jsmall",
    "Ksmall",
    "Lsmall",
    "Msmall",
    "Nsmall",
    "Osmall",
    "Psmall",
    "Qsmall",
    "Rsmall",
    "Ssmall",
    "Tsmall",
    "Usmall",
    "Vsmall",
    "Wsmall",
    "Xsmall",
    "Ysmall",
    "Zsmall",
    "colonmonetary",
    "onefitted",
    "rupiah",
    "Tildesmall",
    "exclamdownsmall",
    "centoldstyle",
    "Lslashsmall",
    "Scaronsmall",
    "Zcaronsmall",
    "Dieresissmall",
    "Brevesmall",
    "Caronsmall",
    "Dotaccentsmall",
    "Macronsmall",
    "figuredash",
    "hypheninferior",
    "Ogoneksmall",
    "Ringsmall",
    "Cedillasmall",
    "questiondownsmall",
    "oneeighth",
    "threeeighths",
    "fiveeighths",
    "seveneighths",
    "onethird",
    "twothirds",
    "zerosuperior",
    "foursuperior",
    "fivesuperior",
    "sixsuperior",
    "sevensuperior",
    "eightsuperior",
    "ninesuperior",
    "zeroinferior",
    "oneinferior",
    "twoinferior",
    "threeinferior",
    "fourinferior",
    "fiveinferior",
    "sixinferior",
    "seveninferior",
    "eightinferior",
    "nineinferior",
    "centinferior",
    "dollarinferior",
    "periodinferior",
    "commainferior",
    "Agravesmall",
    "Aacutesmall",
    "Acircumflexsmall",
    "Atildesmall",
    "Adieresissmall",
    "Aringsmall",
    "AEsmall",
    "Ccedillasmall",
    "Egravesmall",
    "Eacutesmall",
    "Ecircumflexsmall",
    "Edieresissmall",
    "Igravesmall",
    "Iacutesmall",
    "Icircumflexsmall",
    "Idieresissmall",
    "Ethsmall",
    "Ntildesmall",
    "Ogravesmall",
    "Oacutesmall",
    "Ocircumflexsmall",
    "Otildesmall",
    "Odieresissmall",
    "OEsmall",
    "Oslashsmall",
    "Ugravesmall",
    "Uacutesmall",
    "Ucircumflexsmall",
    "Udieresissmall",
    "Yacutesmall",
    "Thornsmall",
    "Ydieresissmall",
    "001.000",
    "001.001",
    "001.002",
    "001.003",
    "Black",
    "Bold",
    "Book",
    "Light",
    "Medium",
    "Regular",
    "Roman",
    "Semibold",
];

fn u16be(d: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(*d.get(at)?) << 8 | usize::from(*d.get(at + 1)?))
}

fn offset(d: &[u8], at: usize, size: u8) -> Option<usize> {
    let mut v = 0usize;
    for i in 0..size as usize {
        v = v << 8 | usize::from(*d.get(at + i)?);
    }
    Some(v)
}

/// An INDEX: the byte ranges of its items and the position after it.
fn index(d: &[u8], at: usize) -> Option<(Vec<(usize, usize)>, usize)> {
    let count = u16be(d, at)?;
    if count == 0 {
        return Some((Vec::new(), at + 2));
    }
    let size = *d.get(at + 2)?;
    if !(1..=4).contains(&size) {
        return None;
    }
    let offsets_at = at + 3;
    let data_at = offsets_at + (count + 1) * size as usize - 1;
    let mut items = Vec::with_capacity(count);
    let mut prev = offset(d, offsets_at, size)?;
    for i in 1..=count {
        let o = offset(d, offsets_at + i * size as usize, size)?;
        if o < prev || data_at + o > d.len() {
            return None;
        }
        items.push((data_at + prev, data_at + o));
        prev = o;
    }
    Some((items, data_at + prev))
}

/// The integer operands of the Top DICT operators we need: (charset, encoding, charstrings, is CID).
fn top_dict(d: &[u8]) -> (usize, usize, usize, bool) {
    let (mut charset, mut encoding, mut charstrings, mut cid) = (0, 0, 0, false);
    let mut operands: Vec<i64> = Vec::new();
    let mut i = 0;
    while i < d.len() {
        let b0 = d[i];
        match b0 {
            0..=21 => {
                let op = if b0 == 12 {
                    i += 1;
                    1200 + u16::from(*d.get(i).unwrap_or(&0))
                } else {
                    u16::from(b0)
                };
                let last = operands.last().copied().unwrap_or(0).max(0) as usize;
                match op {
                    15 => charset = last,
                    16 => encoding = last,
                    17 => charstrings = last,
                    1230 => cid = true,
                    _ => {}
                }
                operands.clear();
                i += 1;
            }
            28 => {
                operands
                    .push(i64::from(i16::from_be_bytes([*d.get(i + 1).unwrap_or(&0), *d.get(i + 2).unwrap_or(&0)])));
                i += 3;
            }
            29 => {
                let v = d.get(i + 1..i + 5).map_or(0, |s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]));
                operands.push(i64::from(v));
                i += 5;
            }
            30 => {
                // Real number: skip nibbles up to the 0xf terminator.
                i += 1;
                while i < d.len() {
                    let b = d[i];
                    i += 1;
                    if b & 0x0f == 0x0f || b >> 4 == 0x0f {
                        break;
                    }
                }
                operands.push(0);
            }
            32..=246 => {
                operands.push(i64::from(b0) - 139);
                i += 1;
            }
            247..=250 => {
                operands.push((i64::from(b0) - 247) * 256 + i64::from(*d.get(i + 1).unwrap_or(&0)) + 108);
                i += 2;
            }
            251..=254 => {
                operands.push(-(i64::from(b0) - 251) * 256 - i64::from(*d.get(i + 1).unwrap_or(&0)) - 108);
                i += 2;
            }
            _ => i += 1,
        }
    }
    (charset, encoding, charstrings, cid)
}

/// The built-in encoding of a CFF font as (code, glyph name) pairs; empty when the
/// font uses the standard encoding or cannot be read.
pub fn builtin_encoding(d: &[u8]) -> Vec<(u8, String)> {
    read(d).unwrap_or_default()
}

#[allow(clippy::needless_range_loop)]
fn read(d: &[u8]) -> Option<Vec<(u8, String)>> {
    let hdr = usize::from(*d.get(2)?);
    let (_names, after_names) = index(d, hdr)?;
    let (tops, after_tops) = index(d, after_names)?;
    let (strings, _) = index(d, after_tops)?;
    let &(ts, te) = tops.first()?;
    let (charset_at, encoding_at, charstrings_at, cid) = top_dict(&d[ts..te]);
    if cid || encoding_at <= 1 || charstrings_at == 0 {
        return None;
    }
    let nglyphs = u16be(d, charstrings_at)?;
    let name = |sid: usize| -> String {
        if sid < STANDARD_STRINGS.len() {
            STANDARD_STRINGS[sid].to_string()
        } else {
            strings
                .get(sid - STANDARD_STRINGS.len())
                .and_then(|&(s, e)| d.get(s..e))
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        }
    };
    // Charset: GID -> SID.
    let mut sids = vec![0usize; nglyphs.max(1)];
    match charset_at {
        0 => (0..nglyphs).for_each(|g| sids[g] = g),
        1 | 2 => return None,
        at => {
            let format = *d.get(at)?;
            let mut g = 1;
            let mut p = at + 1;
            while g < nglyphs {
                match format {
                    0 => {
                        sids[g] = u16be(d, p)?;
                        p += 2;
                        g += 1;
                    }
                    1 | 2 => {
                        let first = u16be(d, p)?;
                        let left = if format == 1 { usize::from(*d.get(p + 2)?) } else { u16be(d, p + 2)? };
                        p += if format == 1 { 3 } else { 4 };
                        for k in 0..=left {
                            if g >= nglyphs {
                                break;
                            }
                            sids[g] = first + k;
                            g += 1;
                        }
                    }
                    _ => return None,
                }
            }
        }
    }
    let mut out = Vec::new();
    let format = *d.get(encoding_at)?;
    let mut p = encoding_at + 1;
    match format & 0x7f {
        0 => {
            let n = usize::from(*d.get(p)?);
            for g in 1..=n {
                let code = *d.get(p + g)?;
                if g < nglyphs {
                    out.push((code, name(sids[g])));
                }
            }
            p += 1 + n;
        }
        1 => {
            let n = usize::from(*d.get(p)?);
            let mut g = 1;
            for r in 0..n {
                let first = *d.get(p + 1 + 2 * r)?;
                let left = *d.get(p + 2 + 2 * r)?;
                for k in 0..=left {
                    if g < nglyphs {
                        out.push((first.wrapping_add(k), name(sids[g])));
                    }
                    g += 1;
                }
            }
            p += 1 + 2 * n;
        }
        _ => return None,
    }
    if format & 0x80 != 0 {
        let n = usize::from(*d.get(p)?);
        for k in 0..n {
            let code = *d.get(p + 1 + 3 * k)?;
            let sid = u16be(d, p + 2 + 3 * k)?;
            out.push((code, name(sid)));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_strings_line_up() {
        assert_eq!(STANDARD_STRINGS[1], "space");
        assert_eq!(STANDARD_STRINGS[34], "A");
        assert_eq!(STANDARD_STRINGS[266], "ff");
        assert_eq!(STANDARD_STRINGS[390], "Semibold");
    }

    #[test]
    fn garbage_is_no_encoding() {
        assert!(builtin_encoding(b"").is_empty());
        assert!(builtin_encoding(&[1, 0, 4, 1, 0xff, 0xff, 0xff]).is_empty());
    }
}
