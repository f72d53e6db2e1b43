//! The content-stream interpreter: runs text operators and emits positioned glyphs.

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

mod actual;

use super::font::Font;
use super::lexer::{Lexer, Token};
use super::objects::{content_data, dict_dict, dict_get, name_of, resolve};

/// Glyphs kept per page; beyond it a page is not text but an attack or a plot.
const MAX_GLYPHS: usize = 2_000_000;

/// A 2-D affine matrix [a b c d e f].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix(pub [f32; 6]);

impl Matrix {
    pub const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    /// self × other (apply self first, then other).
    #[inline]
    pub fn mul(&self, o: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [oa, ob, oc, od, oe, of] = o.0;
        Matrix([
            a * oa + b * oc,
            a * ob + b * od,
            c * oa + d * oc,
            c * ob + d * od,
            e * oa + f * oc + oe,
            e * ob + f * od + of,
        ])
    }

    #[inline]
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + c * y + e, b * x + d * y + f)
    }

    #[inline]
    pub fn apply_vec(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, _, _] = self.0;
        (a * x + c * y, b * x + d * y)
    }

    pub fn from_array(doc: &Document, arr: &[Object]) -> Option<Matrix> {
        if arr.len() != 6 {
            return None;
        }
        let mut m = [0f32; 6];
        for (i, o) in arr.iter().enumerate() {
            m[i] = resolve(doc, o)?.as_float().ok()?;
        }
        m.iter().all(|v| v.is_finite()).then_some(Matrix(m))
    }
}

/// One glyph as placed on the page, in its reading frame (advance along +x, earlier
/// lines at larger y).
#[derive(Debug, Clone, Copy)]
pub struct GlyphBox {
    pub x: f32,
    pub y: f32,
    /// Advance length.
    pub w: f32,
    /// Font size on the page.
    pub size: f32,
    /// 0: left→right, 1: top→bottom, 2: right→left (upside down), 3: bottom→top.
    pub dir: u8,
    /// An explicit space (no text of its own).
    pub space: bool,
    pub start: u32,
    pub len: u32,
}

/// What one page's content produced.
#[derive(Debug, Default)]
pub struct PageText {
    pub glyphs: Vec<GlyphBox>,
    pub text: String,
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_space: f32,
    word_space: f32,
    hscale: f32,
    leading: f32,
    rise: f32,
}

impl Default for GState {
    fn default() -> Self {
        GState {
            ctm: Matrix::IDENTITY,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            hscale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// Shared per-document state: decoded fonts.
#[derive(Default)]
pub struct FontCache {
    fonts: HashMap<usize, Rc<Font>>,
    pub unmapped: Vec<String>,
}

pub struct Interp<'d> {
    doc: &'d Document,
    pub out: PageText,
    cache: &'d mut FontCache,
    gs: GState,
    stack: Vec<GState>,
    tm: Matrix,
    tlm: Matrix,
    max_depth: u32,
    max_stream: usize,
    /// Page box in default user space (x0, y0, x1, y1), for dropping off-page glyphs.
    bbox: [f32; 4],
    ops: u64,
    pub max_ops: u64,
    fallback: Rc<Font>,
    form_stack: Vec<usize>,
    /// Stop interpreting once this instant has passed (checked every few thousand operators).
    pub deadline: Option<std::time::Instant>,
    pub timed_out: bool,
    /// Bytes inflated for form XObjects.
    pub inflated: u64,
    /// The file from its header on, to re-read streams whose length was lost.
    pub raw: &'d [u8],
    /// Open marked-content sequences, with the `/ActualText` span each opened.
    marked: Vec<Option<actual::Span>>,
}

/// The resource dictionaries in force, nearest first.
#[derive(Clone, Copy)]
pub struct Resources<'d> {
    pub dict: Option<&'d Dictionary>,
    pub parent: Option<&'d Dictionary>,
}

impl<'d> Resources<'d> {
    fn lookup(&self, doc: &'d Document, category: &[u8], name: &[u8]) -> Option<&'d Object> {
        for d in [self.dict, self.parent].into_iter().flatten() {
            if let Some(cat) = dict_dict(doc, d, category)
                && let Ok(o) = cat.get(name)
            {
                return Some(o);
            }
        }
        None
    }
}

impl<'d> Interp<'d> {
    pub fn new(doc: &'d Document, cache: &'d mut FontCache, bbox: [f32; 4], max_depth: u32, max_stream: usize) -> Self {
        Interp {
            doc,
            out: PageText::default(),
            cache,
            gs: GState::default(),
            stack: Vec::new(),
            tm: Matrix::IDENTITY,
            tlm: Matrix::IDENTITY,
            max_depth,
            max_stream,
            bbox,
            ops: 0,
            max_ops: u64::MAX,
            fallback: Rc::new(Font::fallback()),
            form_stack: Vec::new(),
            deadline: None,
            timed_out: false,
            inflated: 0,
            raw: &[],
            marked: Vec::new(),
        }
    }

    fn font(&mut self, res: Resources<'d>, name: &[u8]) -> Rc<Font> {
        let doc = self.doc;
        let Some(obj) = res.lookup(doc, b"Font", name) else { return self.fallback.clone() };
        let Some(target) = resolve(doc, obj) else { return self.fallback.clone() };
        let key = target as *const Object as usize;
        if let Some(f) = self.cache.fonts.get(&key) {
            return f.clone();
        }
        let font = match target.as_dict() {
            Ok(d) => {
                let f = Font::load(doc, d, self.max_stream);
                if f.unmapped {
                    let base = name_of(doc, d.get(b"BaseFont").ok()).unwrap_or_default();
                    self.cache.unmapped.push(String::from_utf8_lossy(&base).into_owned());
                }
                Rc::new(f)
            }
            Err(_) => self.fallback.clone(),
        };
        self.cache.fonts.insert(key, font.clone());
        font
    }

    /// Runs one content stream.
    pub fn run(&mut self, content: &[u8], res: Resources<'d>, depth: u32) {
        let mut lx = Lexer::new(content);
        let mut operands: Vec<Token<'_>> = Vec::with_capacity(16);
        while let Some(tok) = lx.next() {
            let op = match tok {
                Token::Op(op) => op,
                other => {
                    if operands.len() < 4096 {
                        operands.push(other);
                    }
                    continue;
                }
            };
            self.ops += 1;
            if self.ops > self.max_ops || self.timed_out {
                return;
            }
            if self.ops.is_multiple_of(4096)
                && let Some(d) = self.deadline
                && std::time::Instant::now() > d
            {
                self.timed_out = true;
                return;
            }
            self.op(op, &operands, res, depth, &mut lx);
            operands.clear();
        }
    }

    fn num(ops: &[Token<'_>], i: usize) -> f32 {
        match ops.get(i) {
            Some(Token::Number(v)) if v.is_finite() => *v,
            _ => 0.0,
        }
    }

    /// The last `n` operands as numbers, when there are that many numbers.
    fn nums<const N: usize>(ops: &[Token<'_>]) -> Option<[f32; N]> {
        if ops.len() < N {
            return None;
        }
        let base = ops.len() - N;
        let mut out = [0f32; N];
        for (i, slot) in out.iter_mut().enumerate() {
            match ops[base + i] {
                Token::Number(v) if v.is_finite() => *slot = v,
                _ => return None,
            }
        }
        Some(out)
    }

    fn op(&mut self, op: &[u8], ops: &[Token<'_>], res: Resources<'d>, depth: u32, lx: &mut Lexer<'_>) {
        match op {
            b"BT" => {
                self.tm = Matrix::IDENTITY;
                self.tlm = Matrix::IDENTITY;
            }
            b"Tf" => {
                if let [.., Token::Name(n), Token::Number(size)] = ops {
                    self.gs.font = Some(self.font(res, n));
                    self.gs.size = *size;
                }
            }
            b"Tj" => {
                if let Some(Token::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"TJ" => self.show_array(ops),
            b"Td" => {
                if let Some([tx, ty]) = Self::nums::<2>(ops) {
                    self.tlm = Matrix([1.0, 0.0, 0.0, 1.0, tx, ty]).mul(&self.tlm);
                    self.tm = self.tlm;
                }
            }
            b"TD" => {
                if let Some([tx, ty]) = Self::nums::<2>(ops) {
                    self.gs.leading = -ty;
                    self.tlm = Matrix([1.0, 0.0, 0.0, 1.0, tx, ty]).mul(&self.tlm);
                    self.tm = self.tlm;
                }
            }
            b"Tm" => {
                if let Some(m) = Self::nums::<6>(ops) {
                    self.tlm = Matrix(m);
                    self.tm = self.tlm;
                }
            }
            b"T*" => self.next_line(),
            b"'" => {
                self.next_line();
                if let Some(Token::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"\"" => {
                if ops.len() >= 3 {
                    self.gs.word_space = Self::num(ops, ops.len() - 3);
                    self.gs.char_space = Self::num(ops, ops.len() - 2);
                }
                self.next_line();
                if let Some(Token::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"Tc" => self.gs.char_space = Self::nums::<1>(ops).map_or(0.0, |v| v[0]),
            b"Tw" => self.gs.word_space = Self::nums::<1>(ops).map_or(0.0, |v| v[0]),
            b"Tz" => self.gs.hscale = Self::nums::<1>(ops).map_or(100.0, |v| v[0]) / 100.0,
            b"TL" => self.gs.leading = Self::nums::<1>(ops).map_or(0.0, |v| v[0]),
            b"Ts" => self.gs.rise = Self::nums::<1>(ops).map_or(0.0, |v| v[0]),
            b"q" if self.stack.len() < 256 => self.stack.push(self.gs.clone()),
            b"Q" => {
                if let Some(g) = self.stack.pop() {
                    self.gs = g;
                }
            }
            b"cm" => {
                if let Some(m) = Self::nums::<6>(ops) {
                    self.gs.ctm = Matrix(m).mul(&self.gs.ctm);
                }
            }
            b"Do" => {
                if let Some(Token::Name(n)) = ops.last() {
                    self.do_xobject(n, res, depth);
                }
            }
            b"ID" => lx.skip_inline_image(),
            b"BMC" => self.begin_marked(&[], res),
            b"BDC" => self.begin_marked(ops, res),
            b"EMC" => self.end_marked(),
            _ => {}
        }
    }

    fn next_line(&mut self) {
        self.tlm = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, -self.gs.leading]).mul(&self.tlm);
        self.tm = self.tlm;
    }

    fn do_xobject(&mut self, name: &[u8], res: Resources<'d>, depth: u32) {
        let doc = self.doc;
        if depth >= self.max_depth {
            return;
        }
        let Some(obj) = res.lookup(doc, b"XObject", name) else { return };
        let Some(target) = resolve(doc, obj) else { return };
        let Ok(stream) = target.as_stream() else { return };
        if name_of(doc, stream.dict.get(b"Subtype").ok()).as_deref() != Some(b"Form") {
            return;
        }
        let key = target as *const Object as usize;
        if self.form_stack.contains(&key) {
            return;
        }
        let allowance = self.max_stream.saturating_sub(self.inflated as usize);
        let Ok(content) = content_data(stream, allowance, self.raw) else {
            // Past the budget: the page reports it through `inflated`.
            self.inflated = self.max_stream as u64 + 1;
            return;
        };
        self.inflated += content.len() as u64;
        let matrix = dict_get(doc, &stream.dict, b"Matrix")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| Matrix::from_array(doc, a))
            .unwrap_or(Matrix::IDENTITY);
        let own = dict_dict(doc, &stream.dict, b"Resources");
        let inner = Resources { dict: own.or(res.dict), parent: if own.is_some() { res.dict } else { res.parent } };
        self.form_stack.push(key);
        self.run_form(&content, matrix, inner, depth + 1);
        self.form_stack.pop();
    }

    /// Runs a form's content with `matrix` applied, isolating the graphics state.
    pub fn run_form(&mut self, content: &[u8], matrix: Matrix, res: Resources<'d>, depth: u32) {
        let saved = (self.gs.clone(), std::mem::take(&mut self.stack), self.tm, self.tlm);
        self.gs.ctm = matrix.mul(&self.gs.ctm);
        self.run(content, res, depth);
        (self.gs, self.stack, self.tm, self.tlm) = saved;
    }

    /// Whether the glyph just appended at `start` repeats one of the last few glyphs at
    /// (almost) the same place: text drawn several times for a bold or shadow effect.
    fn is_overprint(&self, x: f32, y: f32, size: f32, dir: u8, start: usize) -> bool {
        let new = &self.out.text[start..];
        self.out.glyphs.iter().rev().take(8).any(|g| {
            g.dir == dir
                && !g.space
                && g.w > 0.0
                && (g.x - x).abs() < 0.3 * g.w.min(size)
                && (g.y - y).abs() < 0.1 * size
                && self.out.text.get(g.start as usize..(g.start + g.len) as usize) == Some(new)
        })
    }

    fn show_array(&mut self, ops: &[Token<'_>]) {
        // The operands of TJ are one array: find its opening bracket.
        let start = ops.iter().rposition(|t| matches!(t, Token::ArrayOpen)).map_or(0, |i| i + 1);
        for t in &ops[start..] {
            match t {
                Token::Str(s) => self.show(s),
                Token::Number(n) if n.is_finite() => {
                    let vertical = self.gs.font.as_ref().is_some_and(|f| f.vertical);
                    let adj = -n / 1000.0 * self.gs.size;
                    let m = if vertical {
                        Matrix([1.0, 0.0, 0.0, 1.0, 0.0, adj])
                    } else {
                        Matrix([1.0, 0.0, 0.0, 1.0, adj * self.gs.hscale, 0.0])
                    };
                    self.tm = m.mul(&self.tm);
                }
                _ => {}
            }
        }
    }

    fn show(&mut self, bytes: &[u8]) {
        let font = match &self.gs.font {
            Some(f) => f.clone(),
            None => self.fallback.clone(),
        };
        let (size, th, rise, tc, tw, ctm) =
            (self.gs.size, self.gs.hscale, self.gs.rise, self.gs.char_space, self.gs.word_space, self.gs.ctm);
        let mut i = 0;
        while i < bytes.len() {
            let g = font.next_glyph(&bytes[i..]);
            i += g.len.max(1) as usize;
            let is_space = font.is_space_code(&g);
            let trm = Matrix([size * th, 0.0, 0.0, size, 0.0, rise]).mul(&self.tm).mul(&ctm);
            let (ox, oy) = (trm.0[4], trm.0[5]);
            let adv = if font.vertical {
                -g.width * size + tc + if is_space { tw } else { 0.0 }
            } else {
                (g.width * size + tc + if is_space { tw } else { 0.0 }) * th
            };
            // Device-space direction of reading and the glyph box size.
            let full = self.tm.mul(&ctm);
            let (dx, dy) = if font.vertical { full.apply_vec(0.0, -1.0) } else { full.apply_vec(1.0, 0.0) };
            let (ux, uy) = full.apply_vec(0.0, 1.0);
            let (vx, vy) = full.apply_vec(1.0, 0.0);
            let em = if font.vertical { (vx * vx + vy * vy).sqrt() } else { (ux * ux + uy * uy).sqrt() };
            let gsize = (size.abs() * em * font.size_scale).max(0.01);
            // The glyph box spans the glyph's own width; character and word spacing are
            // gaps after it (and read as such by word detection).
            let own = g.width * size * if font.vertical { 1.0 } else { th };
            let (ax, ay) = if font.vertical { full.apply_vec(0.0, own) } else { full.apply_vec(own, 0.0) };
            let adv_len = (ax * ax + ay * ay).sqrt();
            let dir = if dx.abs() >= dy.abs() {
                if dx >= 0.0 { 0 } else { 2 }
            } else if dy < 0.0 {
                1
            } else {
                3
            };
            // Glyphs off the page are not shown; a margin keeps text whose run slightly
            // overflows (estimated widths of non-embedded fonts).
            let mx = (self.bbox[2] - self.bbox[0]) * 0.05 + 2.0;
            let my = (self.bbox[3] - self.bbox[1]) * 0.02 + 2.0;
            let inside = ox >= self.bbox[0] - mx
                && ox <= self.bbox[2] + mx
                && oy >= self.bbox[1] - my
                && oy <= self.bbox[3] + my;
            let mut continue_advance = false;
            if inside && ox.is_finite() && oy.is_finite() {
                let (x, y) = match dir {
                    0 => (ox, oy),
                    1 => (-oy, ox),
                    2 => (-ox, -oy),
                    _ => (oy, -ox),
                };
                let start = self.out.text.len();
                // Code 32 takes word spacing, but its text is what the font says: in
                // subset fonts it is often an ordinary letter.
                // A glyph whose text is known to be empty (part of a cluster whose text
                // another glyph carries) shows nothing, like one without text.
                let has_text = font.text(&g, &mut self.out.text) && self.out.text.len() > start;
                // Code 32 without text of its own (a Type3 font that draws nothing for it)
                // still spaces the words apart by its width and the word spacing, when
                // they make a visible gap.
                let space = (has_text && self.out.text[start..].chars().all(char::is_whitespace))
                    || (!has_text && is_space && self.out.text.len() == start && adv.abs() > 0.1 * size.abs());
                if space {
                    self.out.text.truncate(start);
                }
                if has_text && !space && self.is_overprint(x, y, gsize, dir, start) {
                    self.out.text.truncate(start);
                    continue_advance = true;
                }
                if !continue_advance && (has_text || space) && self.out.glyphs.len() < MAX_GLYPHS {
                    self.out.glyphs.push(GlyphBox {
                        x,
                        y,
                        // A space shows nothing: its box is the whole gap it makes.
                        w: if space {
                            let (sx, sy) =
                                if font.vertical { full.apply_vec(0.0, adv) } else { full.apply_vec(adv, 0.0) };
                            (sx * sx + sy * sy).sqrt()
                        } else {
                            adv_len
                        },
                        size: gsize,
                        dir,
                        space,
                        start: start as u32,
                        len: (self.out.text.len() - start) as u32,
                    });
                }
            }
            let m = if font.vertical {
                Matrix([1.0, 0.0, 0.0, 1.0, 0.0, adv])
            } else {
                Matrix([1.0, 0.0, 0.0, 1.0, adv, 0.0])
            };
            self.tm = m.mul(&self.tm);
        }
    }
}
