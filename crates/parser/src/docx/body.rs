//! The walk over a WordprocessingML part (body, notes, headers/footers).

use std::collections::{HashMap, HashSet};

use quick_xml::events::{BytesRef, BytesStart, Event};

use super::math;
use super::styles::{Counters, Styles, attr};
use crate::error::{ParseError, Result};
use crate::limits::{Budget, Limits};
use crate::model::{Block, BlockKind, Cell, Page, table_text};

/// Which part is being walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Body,
    Footnotes,
    Endnotes,
    HeaderFooter,
}

/// Text of an entity reference (`&amp;`, `&#x41;`).
pub fn entity(g: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = g.resolve_char_ref() {
        return c.to_string();
    }
    match &g[..] {
        b"amp" => "&",
        b"lt" => "<",
        b"gt" => ">",
        b"quot" => "\"",
        b"apos" => "'",
        _ => "",
    }
    .to_string()
}

/// Unescapes an attribute value.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        match tail.find(';') {
            Some(j) if j <= 10 => {
                let name = &tail[..j];
                let rep = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n if n.starts_with("#x") || n.starts_with("#X") => {
                        u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)
                    }
                    n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                    _ => None,
                };
                match rep {
                    Some(c) => {
                        out.push(c);
                        rest = &tail[j + 1..];
                    }
                    None => {
                        out.push('&');
                        rest = tail;
                    }
                }
            }
            _ => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Default)]
struct Para {
    text: String,
    style: Option<String>,
    num_id: Option<u32>,
    ilvl: Option<u8>,
    outline: Option<u8>,
    table_depth: usize,
    page: u32,
}

#[derive(Debug, Default)]
struct CellCtx {
    text: String,
    col_span: u32,
    continue_merge: bool,
}

#[derive(Debug, Default)]
struct TableCtx {
    rows: Vec<Vec<Cell>>,
    /// Grid column of each cell of the current row.
    row: Option<(Vec<Cell>, Vec<u32>, u32)>,
    /// Grid columns of the cells of every finished row.
    grid: Vec<Vec<u32>>,
    cell: Option<CellCtx>,
    page: u32,
}

pub struct Walker<'s> {
    styles: &'s Styles,
    counters: Counters,
    max_depth: u32,
    pages: Vec<Page>,
    page: u32,
    pending_break: u32,
    rendered_breaks: Option<bool>,
    notes: HashMap<(bool, String), String>,
    note_order: Vec<(bool, String, u32)>,
    header_footer: Vec<String>,
    seen_hf: HashSet<String>,
    /// Open OMML scripts, accents, delimiters, n-ary operators, fractions, radicals, degrees.
    math: Vec<math::Open>,
    /// Open `m:oMath` elements: equation text whose operators are spaced apart.
    in_math: u32,
    /// Where the outermost open equation starts in its paragraph's text.
    math_from: usize,
    /// The current equation run is normal text (`m:nor`): no operators to space.
    math_plain: bool,
    /// Superscript or subscript of the current run (`w:vertAlign`).
    run_script: Option<&'static [u8]>,
    /// Superscript or subscript text being collected: (kind, paragraph depth, text position).
    script: Option<(&'static [u8], usize, usize)>,
}

/// Elements whose whole subtree carries no text to show.
fn skipped(name: &[u8]) -> bool {
    matches!(
        name,
        b"del"
            | b"moveFrom"
            | b"instrText"
            | b"delInstrText"
            | b"Fallback"
            | b"sdtPr"
            | b"rPr"
            | b"footnoteRef"
            | b"endnoteRef"
            | b"separator"
            | b"continuationSeparator"
            | b"commentReference"
            | b"annotationRef"
            | b"tblPr"
            | b"trPr"
            | b"sectPr"
            | b"ctrlPr"
            | b"rPrChange"
            | b"pPrChange"
            | b"fldData"
            | b"webHidden"
    )
}

impl<'s> Walker<'s> {
    pub fn new(styles: &'s Styles, limits: &Limits) -> Self {
        Walker {
            styles,
            counters: Counters::default(),
            max_depth: limits.max_nesting_depth,
            pages: vec![Page { number: 1, blocks: Vec::new() }],
            page: 1,
            pending_break: 0,
            rendered_breaks: None,
            notes: HashMap::new(),
            note_order: Vec::new(),
            header_footer: Vec::new(),
            seen_hf: HashSet::new(),
            math: Vec::new(),
            in_math: 0,
            math_from: 0,
            math_plain: false,
            run_script: None,
            script: None,
        }
    }

    /// Appends the text of a run to the open paragraph; in an equation (outside its
    /// scripts, fractions and degrees) with its operators spaced.
    fn push_text(&mut self, paras: &mut [Para], t: &str) {
        self.before_text(paras);
        let spaced = self.in_math > 0 && !self.math_plain && !self.math.iter().any(math::Open::compact);
        if let Some(p) = paras.last_mut() {
            if spaced {
                math::push_spaced(&mut p.text, self.math_from, t);
            } else {
                p.text.push_str(t);
            }
        }
    }

    /// Renders the superscript or subscript text collected so far as `^(..)` / `_(..)`
    /// (digits as Unicode super/subscripts), as the same markup reads in equations.
    fn close_script(&mut self, paras: &mut [Para]) {
        let Some((kind, depth, start)) = self.script.take() else { return };
        if depth != paras.len() {
            return;
        }
        if let Some(p) = paras.last_mut()
            && start < p.text.len()
            && p.text.is_char_boundary(start)
        {
            let inner = p.text.split_off(start);
            let (lead, rest) = inner.split_at(inner.len() - inner.trim_start().len());
            let (body, trail) = rest.split_at(rest.trim_end().len());
            p.text.push_str(lead);
            if !body.is_empty() {
                p.text.push_str(&math::script(kind, body));
            }
            p.text.push_str(trail);
        }
    }

    /// Called before run text is added: starts, continues or ends a script span.
    fn before_text(&mut self, paras: &mut [Para]) {
        let want = self.run_script;
        if let Some((kind, depth, _)) = self.script
            && (Some(kind) != want || depth != paras.len())
        {
            self.close_script(paras);
        }
        if let Some(kind) = want
            && self.script.is_none()
            && let Some(p) = paras.last()
        {
            self.script = Some((kind, paras.len(), p.text.len()));
        }
    }

    fn push_block(&mut self, block: Block) {
        let idx = block.page as usize;
        while self.pages.len() < idx {
            let n = self.pages.len() as u32 + 1;
            self.pages.push(Page { number: n, blocks: Vec::new() });
        }
        self.pages[idx - 1].blocks.push(block);
    }

    fn page_break(&mut self, para: Option<&Para>) {
        match para {
            Some(p) if !p.text.trim().is_empty() => self.pending_break += 1,
            _ => self.page += 1,
        }
    }

    /// Walks one part.
    pub fn walk(&mut self, xml: &[u8], part: Part, budget: &mut Budget) -> Result<()> {
        if self.rendered_breaks.is_none() && part == Part::Body {
            self.rendered_breaks = Some(xml.windows(21).any(|w| w == b"lastRenderedPageBreak"));
        }
        let mut r = quick_xml::Reader::from_reader(xml);
        r.config_mut().check_end_names = false;
        let mut depth: u32 = 0;
        let mut skip_from: Option<u32> = None;
        let mut paras: Vec<Para> = Vec::new();
        let mut tables: Vec<TableCtx> = Vec::new();
        let mut in_text = false;
        let mut in_ppr: Option<u32> = None;
        let mut hidden_run = false;
        let mut alt: Option<String> = None;
        let mut note: Option<(bool, String, Vec<String>)> = None;
        let mut hf_text: Vec<String> = Vec::new();
        let mut events: u64 = 0;
        loop {
            let ev = match r.read_event() {
                Ok(Event::Eof) => break,
                Ok(ev) => ev,
                // A damaged part keeps what was read before the damage.
                Err(_) => break,
            };
            events += 1;
            if events.is_multiple_of(65_536) {
                budget.check_time()?;
            }
            match ev {
                Event::Start(e) => {
                    depth += 1;
                    if depth > 256 + 8 * self.max_depth {
                        return Err(ParseError::TooLarge { what: "nesting depth", limit: u64::from(self.max_depth) });
                    }
                    if skip_from.is_some() {
                        continue;
                    }
                    let name = e.local_name();
                    let name = name.as_ref();
                    if skipped(name) && in_ppr.is_none() {
                        // rPr is read for hidden text; everything else is skipped whole.
                        if name == b"rPr" {
                            continue;
                        }
                        skip_from = Some(depth);
                        continue;
                    }
                    self.start(
                        name,
                        &e,
                        part,
                        &mut paras,
                        &mut tables,
                        &mut in_ppr,
                        depth,
                        &mut alt,
                        &mut note,
                        &mut hidden_run,
                    )?;
                    if name == b"t" {
                        in_text = !hidden_run;
                    }
                }
                Event::Empty(e) => {
                    if skip_from.is_some() {
                        continue;
                    }
                    let name = e.local_name();
                    self.empty(name.as_ref(), &e, &mut paras, &mut tables, in_ppr.is_some(), &mut alt, &mut hidden_run);
                }
                Event::End(e) => {
                    if let Some(s) = skip_from {
                        if depth == s {
                            skip_from = None;
                        }
                        depth = depth.saturating_sub(1);
                        continue;
                    }
                    let name = e.local_name();
                    let name = name.as_ref();
                    if in_ppr == Some(depth) {
                        in_ppr = None;
                    }
                    depth = depth.saturating_sub(1);
                    match name {
                        b"t" => in_text = false,
                        b"r" => {
                            hidden_run = false;
                            self.math_plain = false;
                        }
                        b"p" => self.end_paragraph(part, &mut paras, &mut tables, &mut note, &mut hf_text),
                        b"tc" => {
                            if let Some(t) = tables.last_mut()
                                && let Some(cell) = t.cell.take()
                                && let Some((row, cols, next_col)) = t.row.as_mut()
                            {
                                let col = *next_col;
                                *next_col += cell.col_span.max(1);
                                if cell.continue_merge {
                                    // Extend the cell above in the same grid column.
                                    for (prev, pcols) in t.rows.iter_mut().rev().zip(t.grid.iter().rev()) {
                                        if let Some(k) = pcols.iter().position(|&c| c == col) {
                                            prev[k].row_span += 1;
                                            break;
                                        }
                                    }
                                } else {
                                    cols.push(col);
                                    row.push(Cell {
                                        text: cell.text.trim().to_string(),
                                        row_span: 1,
                                        col_span: cell.col_span.max(1),
                                    });
                                }
                            }
                        }
                        b"tr" => {
                            if let Some(t) = tables.last_mut()
                                && let Some((row, cols, _)) = t.row.take()
                                && !row.is_empty()
                            {
                                t.rows.push(row);
                                t.grid.push(cols);
                            }
                        }
                        b"tbl" => {
                            if let Some(t) = tables.pop() {
                                self.end_table(t, part, &mut tables, &mut note, &mut hf_text);
                            }
                        }
                        b"drawing" | b"pict" => {
                            if let Some(a) = alt.take()
                                && let Some(p) = paras.last_mut()
                            {
                                p.text.push_str(&format!(" [{a}] "));
                            }
                        }
                        b"sub" | b"sup" | b"acc" | b"d" | b"nary" | b"f" | b"rad" => {
                            if let Some(m) = self.math.pop()
                                && let Some(p) = paras.last_mut()
                                && m.start <= p.text.len()
                                && p.text.is_char_boundary(m.start)
                            {
                                let inner = p.text.split_off(m.start);
                                p.text.push_str(&m.render(&inner));
                            }
                        }
                        b"num" | b"deg" => {
                            // Where a fraction's numerator or a radical's degree ends.
                            if name == b"deg" && self.math.last().is_some_and(|m| m.kind == b"deg") {
                                self.math.pop();
                            }
                            if let Some(m) = self.math.last_mut()
                                && (m.kind == b"f" || m.kind == b"rad")
                                && let Some(p) = paras.last()
                            {
                                m.split = Some(p.text.len());
                            }
                        }
                        b"oMath" => self.in_math = self.in_math.saturating_sub(1),
                        b"footnote" | b"endnote" => {
                            if let Some((end, id, texts)) = note.take() {
                                self.notes.insert((end, id), texts.join("\n"));
                            }
                        }
                        _ => {}
                    }
                }
                Event::Text(t) if in_text && skip_from.is_none() => {
                    self.push_text(&mut paras, &t.decode().unwrap_or_default());
                }
                Event::GeneralRef(g) if in_text && skip_from.is_none() => {
                    self.push_text(&mut paras, &entity(&g));
                }
                Event::CData(c) if in_text && skip_from.is_none() => {
                    self.push_text(&mut paras, &String::from_utf8_lossy(&c));
                }
                _ => {}
            }
        }
        // Paragraphs left open by a damaged part still count.
        while !paras.is_empty() {
            self.end_paragraph(part, &mut paras, &mut tables, &mut note, &mut hf_text);
        }
        while let Some(t) = tables.pop() {
            self.end_table(t, part, &mut tables, &mut note, &mut hf_text);
        }
        if part == Part::HeaderFooter {
            let text = hf_text.join("\n");
            if !text.trim().is_empty() && self.seen_hf.insert(text.clone()) {
                self.header_footer.push(text);
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        name: &[u8],
        e: &BytesStart<'_>,
        part: Part,
        paras: &mut Vec<Para>,
        tables: &mut Vec<TableCtx>,
        in_ppr: &mut Option<u32>,
        depth: u32,
        alt: &mut Option<String>,
        note: &mut Option<(bool, String, Vec<String>)>,
        hidden_run: &mut bool,
    ) -> Result<()> {
        match name {
            b"p" => paras.push(Para { table_depth: tables.len(), page: self.page, ..Para::default() }),
            b"pPr" => *in_ppr = Some(depth),
            b"r" => self.run_script = None,
            b"tbl" => {
                if tables.len() as u32 >= self.max_depth {
                    return Err(ParseError::TooLarge { what: "nesting depth", limit: u64::from(self.max_depth) });
                }
                tables.push(TableCtx { page: self.page, ..TableCtx::default() });
            }
            b"tr" => {
                if let Some(t) = tables.last_mut() {
                    t.row = Some((Vec::new(), Vec::new(), 0));
                }
            }
            b"tc" => {
                if let Some(t) = tables.last_mut() {
                    t.cell = Some(CellCtx { col_span: 1, ..CellCtx::default() });
                }
            }
            b"footnote" | b"endnote" => {
                let kind = matches!(part, Part::Endnotes);
                let special = attr(e, b"type").is_some_and(|t| t != "normal");
                if !special && let Some(id) = attr(e, b"id") {
                    *note = Some((kind, id, Vec::new()));
                }
            }
            b"docPr" => {
                if let Some(d) = attr(e, b"descr").filter(|d| !d.trim().is_empty()) {
                    *alt = Some(d.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            // A degree is read like a script: its operators stay unspaced.
            b"sub" | b"sup" | b"acc" | b"d" | b"nary" | b"f" | b"rad" | b"deg" => {
                if let Some(p) = paras.last() {
                    self.math.push(math::Open::new(name, p.text.len()));
                }
            }
            b"oMath" => {
                if self.in_math == 0 {
                    self.math_from = paras.last().map_or(0, |p| p.text.len());
                }
                self.in_math += 1;
            }
            _ => self.inline(name, e, paras, tables, in_ppr.is_some(), alt, hidden_run),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn empty(
        &mut self,
        name: &[u8],
        e: &BytesStart<'_>,
        paras: &mut [Para],
        tables: &mut [TableCtx],
        in_ppr: bool,
        alt: &mut Option<String>,
        hidden_run: &mut bool,
    ) {
        match name {
            b"nor" if self.in_math > 0 => self.math_plain = true,
            b"docPr" => {
                if let Some(d) = attr(e, b"descr").filter(|d| !d.trim().is_empty()) {
                    *alt = Some(d.split_whitespace().collect::<Vec<_>>().join(" "));
                }
            }
            b"chr" | b"begChr" | b"endChr" => {
                // Accent, operator and delimiter characters of the enclosing m:acc / m:nary / m:d.
                if let Some(m) = self
                    .math
                    .last_mut()
                    .filter(|m| if name == b"chr" { m.kind == b"acc" || m.kind == b"nary" } else { m.kind == b"d" })
                {
                    let v = attr(e, b"val").unwrap_or_default();
                    match name {
                        b"begChr" => m.beg = Some(v),
                        b"endChr" => m.end = Some(v),
                        // No character: the accent's or operator's default.
                        _ => m.chr = Some(v).filter(|v| !v.is_empty()),
                    }
                }
            }
            b"p" => {
                // An empty paragraph still ends a list run but shows nothing.
            }
            _ => self.inline(name, e, paras, tables, in_ppr, alt, hidden_run),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn inline(
        &mut self,
        name: &[u8],
        e: &BytesStart<'_>,
        paras: &mut [Para],
        tables: &mut [TableCtx],
        in_ppr: bool,
        _alt: &mut Option<String>,
        hidden_run: &mut bool,
    ) {
        if in_ppr {
            let Some(p) = paras.last_mut() else { return };
            match name {
                b"pStyle" => p.style = attr(e, b"val"),
                b"numId" => p.num_id = attr(e, b"val").and_then(|v| v.parse().ok()),
                b"ilvl" => p.ilvl = attr(e, b"val").and_then(|v| v.parse().ok()),
                b"outlineLvl" => p.outline = attr(e, b"val").and_then(|v| v.parse().ok()),
                _ => {}
            }
            return;
        }
        match name {
            b"vertAlign" => {
                self.run_script = match attr(e, b"val").as_deref() {
                    Some("superscript") => Some(b"sup"),
                    Some("subscript") => Some(b"sub"),
                    _ => None,
                };
            }
            b"vanish" | b"specVanish" if attr(e, b"val").is_none_or(|v| v != "0" && v != "false") => {
                *hidden_run = true;
            }
            b"gridSpan" => {
                if let Some(c) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                    c.col_span = attr(e, b"val").and_then(|v| v.parse().ok()).unwrap_or(1);
                }
            }
            b"vMerge" => {
                if let Some(c) = tables.last_mut().and_then(|t| t.cell.as_mut()) {
                    c.continue_merge = attr(e, b"val").is_none_or(|v| v == "continue");
                }
            }
            b"tab" | b"ptab" => {
                if let Some(p) = paras.last_mut() {
                    p.text.push('\t');
                }
            }
            b"br" | b"cr" => {
                let page = name == b"br" && attr(e, b"type").is_some_and(|t| t == "page");
                if page {
                    if self.rendered_breaks != Some(true) {
                        self.page_break(paras.last());
                    }
                } else if let Some(p) = paras.last_mut() {
                    p.text.push('\n');
                }
            }
            b"lastRenderedPageBreak" if self.rendered_breaks == Some(true) => self.page_break(paras.last()),
            b"noBreakHyphen" => {
                if let Some(p) = paras.last_mut() {
                    p.text.push('-');
                }
            }
            b"sym" => {
                if let Some(p) = paras.last_mut()
                    && let Some(c) = attr(e, b"char").and_then(|v| u32::from_str_radix(&v, 16).ok())
                {
                    // Symbol-font characters live in the private area at F0xx.
                    let c = if (0xF020..=0xF0FF).contains(&c) { c - 0xF000 } else { c };
                    if let Some(ch) = char::from_u32(c).filter(|c| !c.is_control()) {
                        p.text.push(ch);
                    }
                }
            }
            b"footnoteReference" | b"endnoteReference" => {
                // The note mark is shown as "[n]", never as a superscript.
                self.close_script(paras);
                self.run_script = None;
                if let (Some(p), Some(id)) = (paras.last_mut(), attr(e, b"id")) {
                    let n = self.note_order.len() as u32 + 1;
                    self.note_order.push((name == b"endnoteReference", id, n));
                    p.text.push_str(&format!("[{n}]"));
                }
            }
            _ => {}
        }
    }

    fn end_paragraph(
        &mut self,
        part: Part,
        paras: &mut Vec<Para>,
        tables: &mut [TableCtx],
        note: &mut Option<(bool, String, Vec<String>)>,
        hf: &mut Vec<String>,
    ) {
        self.close_script(paras);
        let Some(p) = paras.pop() else { return };
        let text = p.text.trim().to_string();
        let page = p.page;
        let breaks = std::mem::take(&mut self.pending_break);
        if !text.is_empty() {
            if p.table_depth > 0
                && let Some(cell) = tables.get_mut(p.table_depth - 1).and_then(|t| t.cell.as_mut())
            {
                if !cell.text.is_empty() {
                    cell.text.push('\n');
                }
                cell.text.push_str(&text);
            } else {
                match part {
                    Part::Footnotes | Part::Endnotes => {
                        if let Some((_, _, texts)) = note.as_mut() {
                            texts.push(text);
                        }
                    }
                    Part::HeaderFooter => hf.push(text),
                    Part::Body => {
                        let block = self.classify(&p, text, page);
                        self.push_block(block);
                    }
                }
            }
        } else if part == Part::Body {
            // Empty paragraphs still advance list counters in Word only when numbered;
            // they show nothing.
        }
        self.page += breaks;
    }

    fn classify(&mut self, p: &Para, text: String, page: u32) -> Block {
        if let Some(level) = self.styles.heading_level(p.style.as_deref(), p.outline) {
            return Block::heading(level.min(6), text, page);
        }
        let num = match p.num_id {
            Some(0) => None,
            Some(id) => Some((id, p.ilvl.unwrap_or(0))),
            None => self.styles.style_numbering(p.style.as_deref()).map(|(id, l)| (id, p.ilvl.unwrap_or(l))),
        };
        if let Some((id, ilvl)) = num.filter(|n| n.0 != 0) {
            let label = self.counters.next(self.styles, id, ilvl);
            return Block::new(BlockKind::ListItem { label, level: ilvl }, text, page);
        }
        Block::paragraph(text, page)
    }

    fn end_table(
        &mut self,
        mut t: TableCtx,
        part: Part,
        tables: &mut [TableCtx],
        note: &mut Option<(bool, String, Vec<String>)>,
        hf: &mut Vec<String>,
    ) {
        if let Some((row, cols, _)) = t.row.take()
            && !row.is_empty()
        {
            t.rows.push(row);
            t.grid.push(cols);
        }
        if t.rows.is_empty() {
            return;
        }
        // A nested table goes into the enclosing cell as text.
        if let Some(cell) = tables.last_mut().and_then(|o| o.cell.as_mut()) {
            if !cell.text.is_empty() {
                cell.text.push('\n');
            }
            cell.text.push_str(&table_text(&t.rows));
            return;
        }
        match part {
            Part::Body => self.push_block(Block::table(t.rows, t.page)),
            Part::HeaderFooter => hf.push(table_text(&t.rows)),
            Part::Footnotes | Part::Endnotes => {
                if let Some((_, _, texts)) = note.as_mut() {
                    texts.push(table_text(&t.rows));
                }
            }
        }
    }

    /// The pages, with notes after the body (in reference order) and the distinct
    /// header and footer texts last.
    pub fn finish(mut self) -> Vec<Page> {
        let last = self.pages.len().max(1) as u32;
        let order = std::mem::take(&mut self.note_order);
        for (end, id, n) in order {
            if let Some(text) = self.notes.get(&(end, id)) {
                let text = format!("[{n}] {text}");
                self.push_block(Block::paragraph(text, last));
            }
        }
        for text in std::mem::take(&mut self.header_footer) {
            self.push_block(Block::paragraph(text, last));
        }
        self.pages
    }
}
