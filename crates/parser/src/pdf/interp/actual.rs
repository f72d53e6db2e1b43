//! Marked content with `/ActualText` (PDF 32000-1:2008, 14.9.4): the replacement text
//! stands for every glyph shown inside the span, in their place (ligatures drawn as
//! one glyph, a word split by a hyphenation hyphen, letters drawn as pictures).

use lopdf::{Object, StringFormat, decode_text_string};

use super::{GlyphBox, Interp, Resources};
use crate::pdf::lexer::Token;
use crate::pdf::objects::{dict_get, resolve};

/// An open `/ActualText` span: its text and where its glyphs start in the output.
pub struct Span {
    text: String,
    glyphs: usize,
    text_start: usize,
}

impl<'d> Interp<'d> {
    /// `BMC` / `BDC`: opens a marked-content sequence. Spans nest; only the outermost
    /// replacement counts, as it already covers what is inside.
    pub(super) fn begin_marked(&mut self, ops: &[Token<'_>], res: Resources<'d>) {
        let outer = self.marked.iter().any(Option::is_some);
        let span = if outer { None } else { self.actual_text(ops, res) };
        if self.marked.len() < 256 {
            self.marked.push(span.map(|text| Span {
                text,
                glyphs: self.out.glyphs.len(),
                text_start: self.out.text.len(),
            }));
        }
    }

    /// `EMC`: closes the innermost sequence; an `/ActualText` span's glyphs become one
    /// box holding the replacement text, placed where the first of them was and as
    /// long as the run they made.
    pub(super) fn end_marked(&mut self) {
        let Some(Some(span)) = self.marked.pop() else { return };
        if span.glyphs > self.out.glyphs.len() || span.text_start > self.out.text.len() {
            return;
        }
        let shown: Vec<GlyphBox> = self.out.glyphs.drain(span.glyphs..).collect();
        self.out.text.truncate(span.text_start);
        // Only text that was drawn is replaced: a span without glyphs (a figure's
        // description) adds nothing to the page text.
        let Some(first) = shown.iter().find(|g| !g.space).or(shown.first()).copied() else { return };
        if span.text.is_empty() {
            return;
        }
        let same_line: Vec<&GlyphBox> =
            shown.iter().filter(|g| g.dir == first.dir && (g.y - first.y).abs() < 0.5 * first.size).collect();
        let x0 = same_line.iter().map(|g| g.x).fold(first.x, f32::min);
        let x1 = same_line.iter().map(|g| g.x + g.w).fold(first.x + first.w, f32::max);
        let start = self.out.text.len();
        self.out.text.push_str(&span.text);
        self.out.glyphs.push(GlyphBox {
            x: x0,
            w: x1 - x0,
            space: span.text.chars().all(char::is_whitespace),
            start: start as u32,
            len: span.text.len() as u32,
            ..first
        });
    }

    /// The `/ActualText` of a `BDC`'s property list: inline, or named in the
    /// resources' `/Properties`.
    fn actual_text(&self, ops: &[Token<'_>], res: Resources<'d>) -> Option<String> {
        if ops.len() < 2 {
            return None;
        }
        let inline = ops.iter().position(|t| matches!(t, Token::DictOpen));
        let bytes = match inline {
            Some(open) => ops[open..].windows(2).find_map(|w| match w {
                [Token::Name(n), Token::Str(s)] if *n == b"ActualText" => Some(s.to_vec()),
                _ => None,
            })?,
            None => {
                let Some(Token::Name(name)) = ops.last() else { return None };
                let props = res.lookup(self.doc, b"Properties", name)?;
                let dict = resolve(self.doc, props)?.as_dict().ok()?;
                match dict_get(self.doc, dict, b"ActualText")? {
                    Object::String(s, _) => s.clone(),
                    _ => return None,
                }
            }
        };
        decode_text_string(&Object::String(bytes, StringFormat::Literal)).ok()
    }
}
