//! A zero-copy tokenizer for PDF content streams.
//!
//! Content streams are the hot path of PDF text extraction, so operands are kept as
//! slices of the stream where possible, and string escapes are decoded into a reused
//! buffer only when present.

use std::borrow::Cow;

/// One content-stream token.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    Number(f32),
    Name(&'a [u8]),
    /// Literal or hex string, decoded.
    Str(Cow<'a, [u8]>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// An operator keyword (also `true`, `false`, `null`).
    Op(&'a [u8]),
}

pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

#[inline]
fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

#[inline]
fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn skip_white(&mut self) {
        let d = self.data;
        while self.pos < d.len() {
            let b = d[self.pos];
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while self.pos < d.len() && d[self.pos] != b'\n' && d[self.pos] != b'\r' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Skips inline image data after the `ID` operator, up to and including `EI`.
    pub fn skip_inline_image(&mut self) {
        let d = self.data;
        // One white-space byte follows ID.
        let mut i = self.pos + 1;
        while i + 2 <= d.len() {
            if d[i] == b'E'
                && d[i + 1] == b'I'
                && (i == 0 || is_white(d[i - 1]))
                && (i + 2 == d.len() || is_white(d[i + 2]) || is_delim(d[i + 2]))
            {
                self.pos = i + 2;
                return;
            }
            i += 1;
        }
        self.pos = d.len();
    }

    fn read_number(&mut self) -> Option<f32> {
        let d = self.data;
        let start = self.pos;
        let mut neg = false;
        let mut i = self.pos;
        // Tolerate repeated signs ("--5") as some producers write them.
        while i < d.len() && (d[i] == b'+' || d[i] == b'-') {
            neg ^= d[i] == b'-';
            i += 1;
        }
        let mut int: f64 = 0.0;
        let mut frac: f64 = 0.0;
        let mut scale: f64 = 1.0;
        let mut seen_dot = false;
        let mut digits = 0;
        while i < d.len() {
            let b = d[i];
            if b.is_ascii_digit() {
                if seen_dot {
                    scale *= 0.1;
                    frac += f64::from(b - b'0') * scale;
                } else {
                    int = int * 10.0 + f64::from(b - b'0');
                }
                digits += 1;
            } else if b == b'.' && !seen_dot {
                seen_dot = true;
            } else {
                break;
            }
            i += 1;
        }
        self.pos = i;
        if digits == 0 && i == start {
            return None;
        }
        let v = (int + frac) as f32;
        Some(if neg { -v } else { v })
    }

    fn read_literal(&mut self) -> Cow<'a, [u8]> {
        let d = self.data;
        let start = self.pos + 1;
        let mut i = start;
        let mut depth = 1usize;
        // Fast path: no escapes.
        while i < d.len() {
            match d[i] {
                b'\\' => break,
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Cow::Borrowed(&d[start..i]);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= d.len() {
            self.pos = d.len();
            return Cow::Borrowed(&d[start..]);
        }
        let mut out = d[start..i].to_vec();
        while i < d.len() {
            let b = d[i];
            match b {
                b'\\' => {
                    i += 1;
                    if i >= d.len() {
                        break;
                    }
                    let e = d[i];
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if i + 1 < d.len() && d[i + 1] == b'\n' {
                                i += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v: u32 = u32::from(e - b'0');
                            let mut n = 1;
                            while n < 3 && i + 1 < d.len() && (b'0'..=b'7').contains(&d[i + 1]) {
                                i += 1;
                                v = v * 8 + u32::from(d[i] - b'0');
                                n += 1;
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos = i + 1;
                        return Cow::Owned(out);
                    }
                    out.push(b);
                }
                _ => out.push(b),
            }
            i += 1;
        }
        self.pos = d.len();
        Cow::Owned(out)
    }

    fn read_hex(&mut self) -> Cow<'a, [u8]> {
        let d = self.data;
        let mut i = self.pos + 1;
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while i < d.len() && d[i] != b'>' {
            if let Some(v) = hex_val(d[i]) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
            i += 1;
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
        self.pos = (i + 1).min(d.len());
        Cow::Owned(out)
    }

    fn read_regular(&mut self) -> &'a [u8] {
        let d = self.data;
        let start = self.pos;
        while self.pos < d.len() && !is_white(d[self.pos]) && !is_delim(d[self.pos]) {
            self.pos += 1;
        }
        &d[start..self.pos]
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        loop {
            self.skip_white();
            let d = self.data;
            if self.pos >= d.len() {
                return None;
            }
            let b = d[self.pos];
            return Some(match b {
                b'0'..=b'9' | b'+' | b'-' | b'.' => match self.read_number() {
                    Some(v) => Token::Number(v),
                    None => {
                        self.pos += 1;
                        continue;
                    }
                },
                b'/' => {
                    self.pos += 1;
                    Token::Name(self.read_regular())
                }
                b'(' => Token::Str(self.read_literal()),
                b'<' => {
                    if d.get(self.pos + 1) == Some(&b'<') {
                        self.pos += 2;
                        Token::DictOpen
                    } else {
                        Token::Str(self.read_hex())
                    }
                }
                b'>' => {
                    if d.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        Token::DictClose
                    } else {
                        self.pos += 1;
                        continue;
                    }
                }
                b'[' => {
                    self.pos += 1;
                    Token::ArrayOpen
                }
                b']' => {
                    self.pos += 1;
                    Token::ArrayClose
                }
                b'{' | b'}' | b')' => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let word = self.read_regular();
                    if word.is_empty() {
                        self.pos += 1;
                        continue;
                    }
                    Token::Op(word)
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &[u8]) -> Vec<Token<'_>> {
        Lexer::new(s).collect()
    }

    #[test]
    fn numbers_names_ops() {
        let t = toks(b"BT /F1 12 Tf -3.5 .5 Td ET");
        assert_eq!(t[1], Token::Name(b"F1"));
        assert_eq!(t[2], Token::Number(12.0));
        assert_eq!(t[4], Token::Number(-3.5));
        assert_eq!(t[5], Token::Number(0.5));
        assert_eq!(t[6], Token::Op(b"Td"));
    }

    #[test]
    fn strings_with_escapes_and_nesting() {
        let t = toks(b"(a\\(b\\)c (d) \\101\\n) <48 65 6c6C 6>");
        assert_eq!(t[0], Token::Str(Cow::Owned(b"a(b)c (d) A\n".to_vec())));
        assert_eq!(t[1], Token::Str(Cow::Owned(b"Hell`".to_vec())));
    }

    #[test]
    fn arrays_and_dicts() {
        let t = toks(b"[(A) -120 (B)] TJ /P <</MCID 0>> BDC");
        assert_eq!(t[0], Token::ArrayOpen);
        assert_eq!(t[2], Token::Number(-120.0));
        assert_eq!(t[4], Token::ArrayClose);
        assert_eq!(t[7], Token::DictOpen);
    }

    #[test]
    fn inline_image_is_skipped() {
        let mut lx = Lexer::new(b"BI /W 2 /H 2 ID \x00EI\xffx EI Q");
        let mut ops = vec![];
        while let Some(t) = lx.next() {
            if let Token::Op(o) = t {
                if o == b"ID" {
                    lx.skip_inline_image();
                }
                ops.push(o.to_vec());
            }
        }
        assert_eq!(ops, vec![b"BI".to_vec(), b"ID".to_vec(), b"Q".to_vec()]);
    }
}
