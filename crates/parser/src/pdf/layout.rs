//! Page layout: positioned glyphs → words → lines → blocks, in reading order.
//!
//! Words come from glyph positions (gaps, explicit spaces), lines from shared
//! baselines (pieces far apart are one line only when spaces are drawn between them),
//! blocks from lines stacked at line spacing with horizontal overlap.
//! Blocks are ordered by recursive cuts: vertical gutters first (columns), then
//! horizontal gaps (bands); adjacent bands with the same gutters are merged so a
//! coincidental shared paragraph break does not interleave two columns. A gutter
//! that runs through bands the content stream draws one after the other (two columns
//! of text above a list in three) cuts bands, not columns.
//! Columns whose blocks stand in rows (a table, a form, a table of contents) are a
//! grid instead: read row by row and kept as a table of cells.

pub mod accents;
mod bands;
mod bidi;
mod grid;

use super::interp::{GlyphBox, PageText};
use bands::shared_gutter;
use grid::{Item, cells, grid, is_grid, split_off_grid, table_prefix, table_run};

/// Gap (in font sizes) that separates two words.
const WORD_GAP: f32 = 0.12;
/// Gap (in font sizes) that splits a line into separate fragments (columns, cells).
const FRAGMENT_GAP: f32 = 1.6;
/// Gap (in font sizes) below which two pieces on a baseline are surely one line; above
/// a monospaced space (0.6 em), so one space is never read as a column gutter.
const SURE_GAP: f32 = 0.65;

#[derive(Debug, Clone)]
struct Word {
    x0: f32,
    x1: f32,
    y: f32,
    size: f32,
    dir: u8,
    start: u32,
    end: u32,
    /// Its glyphs: `glyphs[g0..g1]` of the page.
    g0: u32,
    g1: u32,
}

#[derive(Debug, Clone)]
struct Line {
    words: Vec<Word>,
    x0: f32,
    x1: f32,
    y: f32,
    size: f32,
    dir: u8,
}

/// A block of lines in reading order.
#[derive(Debug, Clone)]
pub struct TextBlock {
    pub lines: Vec<String>,
    /// Dominant font size.
    pub size: f32,
    /// For a grid (a table, a form's labels and values): its rows of cells, every row
    /// with one cell per column (empty where the row has nothing in that column).
    pub rows: Option<Vec<Vec<String>>>,
}

fn words(page: &PageText) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::with_capacity(page.glyphs.len() / 4 + 1);
    let mut cur: Option<Word> = None;
    for (i, g) in page.glyphs.iter().enumerate() {
        if g.space {
            if let Some(w) = cur.take() {
                out.push(w);
            }
            continue;
        }
        if let Some(w) = cur.as_mut() {
            let size = w.size.max(g.size);
            let gap = g.x - w.x1;
            let dy = (g.y - w.y).abs();
            // Sub- and superscripts join the word they touch ("R2", "x_i").
            let script = g.size.min(w.size) < 0.85 * size && dy < 0.6 * size;
            let same_line = g.dir == w.dir && (dy < 0.35 * size || script);
            if same_line && gap < WORD_GAP * size && gap > -0.6 * size && g.start == w.end {
                w.x1 = w.x1.max(g.x + g.w);
                w.end = g.start + g.len;
                w.size = w.size.max(g.size);
                w.g1 = i as u32 + 1;
                continue;
            }
        }
        if let Some(w) = cur.take() {
            out.push(w);
        }
        cur = Some(Word {
            x0: g.x,
            x1: g.x + g.w,
            y: g.y,
            size: g.size,
            dir: g.dir,
            start: g.start,
            end: g.start + g.len,
            g0: i as u32,
            g1: i as u32 + 1,
        });
    }
    if let Some(w) = cur {
        out.push(w);
    }
    out.retain(|w| w.end > w.start);
    drop_duplicates(out, &page.text)
}

/// Drops a word drawn again with the same text at (almost) the same place, anywhere
/// on the page: text painted twice for a bold or shadow effect, or a block drawn
/// twice, shows once.
fn drop_duplicates(words: Vec<Word>, text: &str) -> Vec<Word> {
    let mut seen: std::collections::HashMap<(u8, &str), Vec<(f32, f32)>> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        let Some(t) = text.get(w.start as usize..w.end as usize) else { continue };
        let places = seen.entry((w.dir, t)).or_default();
        if places.iter().any(|&(x, y)| (x - w.x0).abs() < 0.1 * w.size && (y - w.y).abs() < 0.2 * w.size) {
            continue;
        }
        places.push((w.x0, w.y));
        out.push(w);
    }
    out
}

/// Whether the content stream draws spaces, and nothing else, from the end of `a` to the
/// start of `b` on their baseline: one run of text set with spaces (code and the comments
/// aligned beside it, a plain-text table), one line however wide the gap. Cells and
/// columns are placed apart, not spaced apart.
fn spaced(glyphs: &[GlyphBox], a: &Word, b: &Word) -> bool {
    let (from, to) = (a.g1 as usize, b.g0 as usize);
    if from >= to || to - from > 256 || to > glyphs.len() {
        return false;
    }
    let gap = &glyphs[from..to];
    let size = a.size.max(b.size);
    let (first, last) = (&gap[0], &gap[gap.len() - 1]);
    gap.iter().all(|g| g.space && g.dir == a.dir && (g.y - a.y).abs() < 0.2 * size)
        && first.x < a.x1 + 0.3 * size
        && last.x + last.w > b.x0 - 0.3 * size
}

fn lines(words: Vec<Word>, glyphs: &[GlyphBox], text: &str) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for w in words {
        if let Some(l) = out.last_mut() {
            let size = l.size.max(w.size);
            let dy = (w.y - l.y).abs();
            let gap = w.x0 - l.x1;
            let small = l.size.min(w.size);
            // Sub- and superscripts sit off the baseline but within the line's height.
            let same = w.dir == l.dir && (dy < 0.3 * size || (dy < 0.7 * size && small < 0.85 * size));
            if same && gap > -0.5 * size && gap < SURE_GAP * size {
                l.x1 = l.x1.max(w.x1);
                if w.size > l.size {
                    l.size = w.size;
                    l.y = w.y;
                }
                l.words.push(w);
                continue;
            }
        }
        out.push(Line { x0: w.x0, x1: w.x1, y: w.y, size: w.size, dir: w.dir, words: vec![w] });
    }
    // Left edges shared by several fragments are column or cell starts: a wider gap
    // before such an edge separates fragments instead of words.
    let mut edges: Vec<(u8, f32)> = out.iter().map(|l| (l.dir, l.x0)).collect();
    edges.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let shared_edge = |dir: u8, x: f32| -> bool {
        let lo = edges.partition_point(|e| (e.0, e.1) < (dir, x - 1.0));
        let hi = edges.partition_point(|e| (e.0, e.1) <= (dir, x + 1.0));
        hi - lo >= 3
    };
    // Merge fragments of one line (drawn out of order, or split by a wide space).
    out.sort_by(|a, b| a.dir.cmp(&b.dir).then(b.y.total_cmp(&a.y)).then(a.x0.total_cmp(&b.x0)));
    let mut merged: Vec<Line> = Vec::with_capacity(out.len());
    for l in out {
        // The fragment it continues: among the last few (lines of other columns with
        // baselines a little apart sort in between), the nearest one ending before it.
        let mut best: Option<(usize, f32)> = None;
        for (k, m) in merged.iter().enumerate().rev().take(8) {
            let size = m.size.max(l.size);
            if m.dir != l.dir || (l.y - m.y).abs() >= 0.2 * size {
                continue;
            }
            let gap = l.x0 - m.x1;
            let near = gap < SURE_GAP * size
                || (gap < FRAGMENT_GAP * size && !shared_edge(l.dir, l.x0))
                || m.words.iter().max_by(|a, b| a.x1.total_cmp(&b.x1)).zip(l.words.first()).is_some_and(|(a, b)| {
                    // `l` is still one run of words in content order: its first is its leftmost.
                    spaced(glyphs, a, b)
                });
            if gap > -0.3 * size && near && best.is_none_or(|(_, g)| gap < g) {
                best = Some((k, gap));
            }
        }
        if let Some((k, _)) = best {
            let m = &mut merged[k];
            m.x1 = m.x1.max(l.x1);
            m.size = m.size.max(l.size);
            m.words.extend(l.words);
            continue;
        }
        merged.push(l);
    }
    // Inside a line, order words left to right and drop overprinted duplicates.
    for l in &mut merged {
        if l.words.windows(2).any(|p| p[1].x0 < p[0].x0 - 0.01) {
            l.words.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        }
        let mut keep: Vec<Word> = Vec::with_capacity(l.words.len());
        for w in l.words.drain(..) {
            let dup = keep.iter().rev().take(4).any(|k| {
                (k.x0 - w.x0).abs() < 0.3 * w.size
                    && (k.y - w.y).abs() < 0.3 * w.size
                    && text.get(k.start as usize..k.end as usize) == text.get(w.start as usize..w.end as usize)
            });
            if !dup {
                keep.push(w);
            }
        }
        l.words = keep;
    }
    merged
}

#[derive(Debug)]
struct Block {
    lines: Vec<usize>,
    x0: f32,
    x1: f32,
    top: f32,
    bottom: f32,
    size: f32,
    dir: u8,
    /// The baselines of its first and last lines.
    first_y: f32,
    last_y: f32,
    /// The distance between its last two baselines (0 for a single line).
    pitch: f32,
    /// Where the content stream starts drawing it.
    drawn: u32,
}

/// Where each line's glyphs are in the page's content stream order: the first and the end.
fn content_spans(lines: &[Line]) -> Vec<(u32, u32)> {
    lines
        .iter()
        .map(|l| {
            let c0 = l.words.iter().map(|w| w.start).min().unwrap_or(0);
            let c1 = l.words.iter().map(|w| w.end).max().unwrap_or(0);
            (c0, c1)
        })
        .collect()
}

/// Whether the content stream draws, between line `last` of block `b` and line `l` below it,
/// a line beside the block at their height: the cells of a table drawn row by row, where
/// `last` ends a cell and `l` starts the cell below it.
fn drawn_between(lines: &[Line], spans: &[(u32, u32)], by_start: &[usize], b: &Block, last: usize, l: usize) -> bool {
    let (end, start) = (spans[last].1, spans[l].0);
    if end > start {
        return false;
    }
    let size = lines[l].size;
    let from = by_start.partition_point(|&m| spans[m].0 < end);
    by_start[from..].iter().take_while(|&&m| spans[m].0 < start).take(64).any(|&m| {
        let ml = &lines[m];
        m != last
            && m != l
            && ml.dir == lines[l].dir
            && ml.y > lines[l].y - 0.3 * size
            && ml.y < lines[last].y + 0.3 * size
            && (ml.x1 < b.x0 - 0.3 * size || ml.x0 > b.x1 + 0.3 * size)
    })
}

/// The page's line pitch in font sizes: the median over lines drawn one after the other,
/// one under the other. None when no line is drawn right after the one above it (columns
/// drawn line by line across the page), so a lone line's distance to the next says nothing.
fn leading(lines: &[Line], by_start: &[usize]) -> Option<f32> {
    let mut v: Vec<f32> = by_start
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (&lines[w[0]], &lines[w[1]]);
            let size = a.size.max(b.size);
            let dy = a.y - b.y;
            (a.dir == b.dir && a.x1.min(b.x1) > a.x0.max(b.x0) && dy > 0.2 * size && dy < 1.75 * size)
                .then_some(dy / size)
        })
        .collect();
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    Some(*v.select_nth_unstable_by(mid, f32::total_cmp).1)
}

/// The lines drawn right before or right after a line beside them on their baseline
/// (`paired`), and of those the ones that look like a table's cells drawn row by row: a
/// few words (`cell`). A column of paragraphs drawn line by line across the page has
/// longer lines.
struct Pairs {
    paired: Vec<bool>,
    cell: Vec<bool>,
}

fn pairs(lines: &[Line], by_start: &[usize]) -> Pairs {
    let mut out = Pairs { paired: vec![false; lines.len()], cell: vec![false; lines.len()] };
    for w in by_start.windows(2) {
        let (a, b) = (&lines[w[0]], &lines[w[1]]);
        let size = a.size.max(b.size);
        let beside = a.dir == b.dir
            && (a.y - b.y).abs() < 0.2 * size
            && (a.x1 <= b.x0 + 0.1 * size || b.x1 <= a.x0 + 0.1 * size);
        if beside {
            out.paired[w[0]] = true;
            out.paired[w[1]] = true;
            out.cell[w[0]] |= a.words.len() <= 3;
            out.cell[w[1]] |= b.words.len() <= 3;
        }
    }
    out
}

fn blocks(lines: &[Line]) -> Vec<Block> {
    let spans = content_spans(lines);
    let mut by_start: Vec<usize> = (0..lines.len()).collect();
    by_start.sort_by_key(|&i| spans[i].0);
    let leading = leading(lines, &by_start);
    let Pairs { paired, cell } = pairs(lines, &by_start);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| {
        let (la, lb) = (&lines[a], &lines[b]);
        la.dir.cmp(&lb.dir).then(lb.y.total_cmp(&la.y)).then(la.x0.total_cmp(&lb.x0))
    });
    let mut out: Vec<Block> = Vec::new();
    for i in order {
        let l = &lines[i];
        let mut best: Option<(usize, f32)> = None;
        // Only recent blocks can continue (bounded work on pathological pages).
        for (bi, b) in out.iter().enumerate().rev().take(256) {
            if b.dir != l.dir {
                continue;
            }
            let last = &lines[*b.lines.last().unwrap_or(&i)];
            let dy = last.y - l.y;
            let size = last.size.max(l.size);
            let ratio = last.size.max(l.size) / last.size.min(l.size).max(0.01);
            let overlap = l.x1.min(b.x1) - l.x0.max(b.x0);
            // The next row of a table: a line drawn after a line beside the block (the rest of
            // a row drawn cell by cell) and either off the block's line pitch, or, below a
            // lone line, further than the page's leading (at most 1.3 font sizes: rows of
            // single lines are further apart by their cells' padding; unknown leading: no
            // evidence), or cell-like (short, drawn beside other lines) under a cell-like
            // line or under the wrapped line of a cell (nothing beside it).
            let next_row = || {
                let last = *b.lines.last().unwrap_or(&i);
                (if b.lines.len() > 1 {
                    (dy - b.pitch).abs() > 0.2 * size
                } else {
                    leading.is_some_and(|lead| dy > (lead + 0.2).min(1.3) * size)
                } || (cell[i] && (cell[last] || (b.lines.len() > 1 && !paired[last]))))
                    && drawn_between(lines, &spans, &by_start, b, last, i)
            };
            if dy > 0.2 * size
                && dy < 1.75 * size
                && ratio < 1.35
                && overlap > 0.0
                && best.is_none_or(|(_, d)| dy < d)
                && !next_row()
            {
                best = Some((bi, dy));
            }
            // Blocks are in top-down order of their first line: far above means no candidate.
            if b.bottom - l.y > 4.0 * size && best.is_some() {
                break;
            }
        }
        match best {
            Some((bi, _)) => {
                let b = &mut out[bi];
                b.lines.push(i);
                b.x0 = b.x0.min(l.x0);
                b.x1 = b.x1.max(l.x1);
                b.bottom = b.bottom.min(l.y - 0.25 * l.size);
                b.size = b.size.max(l.size);
                b.pitch = b.last_y - l.y;
                b.last_y = l.y;
                b.drawn = b.drawn.min(spans[i].0);
            }
            None => out.push(Block {
                lines: vec![i],
                x0: l.x0,
                x1: l.x1,
                top: l.y + 0.8 * l.size,
                bottom: l.y - 0.25 * l.size,
                size: l.size,
                dir: l.dir,
                first_y: l.y,
                last_y: l.y,
                pitch: 0.0,
                drawn: spans[i].0,
            }),
        }
    }
    out
}

/// Column gutters of a set of blocks: x-intervals no block covers.
fn gutters(blocks: &[Block], idx: &[usize]) -> Vec<(f32, f32)> {
    let mut spans: Vec<(f32, f32, f32)> = idx.iter().map(|&i| (blocks[i].x0, blocks[i].x1, blocks[i].size)).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = Vec::new();
    let mut reach = f32::NEG_INFINITY;
    for (x0, x1, size) in spans {
        if reach > f32::NEG_INFINITY && x0 - reach > 0.5 * size {
            out.push((reach, x0));
        }
        reach = reach.max(x1);
    }
    out
}

/// Whether there are gutters and none of the blocks crosses one.
fn fits(blocks: &[Block], idx: &[usize], gutters: &[(f32, f32)]) -> bool {
    !gutters.is_empty()
        && idx.iter().all(|&i| gutters.iter().all(|g| blocks[i].x1 <= g.0 + 0.5 || blocks[i].x0 >= g.1 - 0.5))
}

fn split_columns(blocks: &[Block], idx: &[usize]) -> Vec<Vec<usize>> {
    let cuts = gutters(blocks, idx);
    if cuts.is_empty() {
        return vec![idx.to_vec()];
    }
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); cuts.len() + 1];
    for &i in idx {
        let c = cuts.iter().filter(|g| blocks[i].x0 >= g.1 - 0.01).count();
        cols[c].push(i);
    }
    cols.retain(|c| !c.is_empty());
    cols
}

/// Blocks grouped top down into runs whose heights overlap one after another (by more
/// than `slack` font sizes), each run top down and left to right.
fn stack(blocks: &[Block], idx: &[usize], slack: f32) -> Vec<Vec<usize>> {
    let mut sorted = idx.to_vec();
    sorted.sort_by(|&a, &b| blocks[b].top.total_cmp(&blocks[a].top).then(blocks[a].x0.total_cmp(&blocks[b].x0)));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut floor = f32::INFINITY;
    for i in sorted {
        let b = &blocks[i];
        match out.last_mut() {
            Some(run) if b.top > floor + slack * b.size => {
                run.push(i);
                floor = floor.min(b.bottom);
            }
            _ => {
                out.push(vec![i]);
                floor = b.bottom;
            }
        }
    }
    out
}

fn split_bands(blocks: &[Block], idx: &[usize]) -> Vec<Vec<usize>> {
    stack(blocks, idx, 0.0)
}

fn order(blocks: &[Block], idx: Vec<usize>, depth: u32, out: &mut Vec<Item>) {
    if idx.len() <= 1 || depth > 40 {
        let mut idx = idx;
        idx.sort_by(|&a, &b| blocks[b].top.total_cmp(&blocks[a].top).then(blocks[a].x0.total_cmp(&blocks[b].x0)));
        out.extend(idx.into_iter().map(Item::Block));
        return;
    }
    let cols = split_columns(blocks, &idx);
    if cols.len() > 1 {
        if is_grid(blocks, &cols) {
            grid(cells(blocks, &cols), out);
            return;
        }
        if let Some((above, cols, below)) = split_off_grid(blocks, &idx, &cols) {
            order(blocks, above, depth + 1, out);
            grid(cells(blocks, &cols), out);
            order(blocks, below, depth + 1, out);
            return;
        }
        // Columns only by coincidence: a gutter that runs through bands laid out
        // differently (two columns of text, then a list in three) whose content stream
        // draws them band after band. Read band after band.
        let bands = split_bands(blocks, &idx);
        if bands.len() > 1 && disorder(blocks, &bands) * 4 < disorder(blocks, &cols) {
            for band in bands {
                order(blocks, band, depth + 1, out);
            }
            return;
        }
        for c in cols {
            order(blocks, c, depth + 1, out);
        }
        return;
    }
    let bands = split_bands(blocks, &idx);
    if bands.len() > 1 {
        // Merge neighbouring bands while together they still have a column gutter:
        // a coincidental shared paragraph break, or a column that starts higher than
        // its neighbours, must not interleave the columns.
        let mut merged: Vec<Vec<usize>> = Vec::new();
        for band in bands {
            if let Some(prev) = merged.last_mut()
                && (fits(blocks, prev, &gutters(blocks, &band)) || fits(blocks, &band, &gutters(blocks, prev)))
            {
                prev.extend_from_slice(&band);
                continue;
            }
            merged.push(band);
        }
        if merged.len() > 1 {
            // Bands no table takes, in columns of their own and sharing a gutter, are
            // one band: a box at the top of a column beside the tops of the others,
            // the columns running on below it.
            let mut loose: Vec<Vec<usize>> = Vec::new();
            let flush = |loose: &mut Vec<Vec<usize>>, out: &mut Vec<Item>| {
                let mut joined: Vec<Vec<usize>> = Vec::new();
                for band in loose.drain(..) {
                    match joined.last_mut() {
                        Some(prev) if shared_gutter(blocks, prev, &band) => prev.extend_from_slice(&band),
                        _ => joined.push(band),
                    }
                }
                for band in joined {
                    order(blocks, band, depth + 1, out);
                }
            };
            let mut k = 0;
            while k < merged.len() {
                let (end, prefixes) = table_run(blocks, &merged, k);
                if let Some((end, cells)) = table_prefix(blocks, k, prefixes) {
                    flush(&mut loose, out);
                    grid(cells, out);
                    k = end;
                    continue;
                }
                // A run that is no table is not tried again from each of its bands.
                for band in &mut merged[k..end.max(k + 1)] {
                    loose.push(std::mem::take(band));
                }
                k = end.max(k + 1);
            }
            flush(&mut loose, out);
            return;
        }
    }
    order(blocks, idx, 41, out);
}

/// How far reading `groups` one after the other departs from the order the content
/// stream draws their blocks in: pairs of blocks of different groups drawn the other way
/// round. Large groups are not counted (bounded work): 0.
fn disorder(blocks: &[Block], groups: &[Vec<usize>]) -> usize {
    if groups.iter().map(Vec::len).sum::<usize>() > 400 {
        return 0;
    }
    let mut n = 0;
    for (g, earlier) in groups.iter().enumerate() {
        for later in &groups[g + 1..] {
            n += earlier
                .iter()
                .map(|&a| later.iter().filter(|&&b| blocks[b].drawn < blocks[a].drawn).count())
                .sum::<usize>();
        }
    }
    n
}

/// Lays out one page's glyphs into blocks in reading order.
pub fn layout(page: &PageText) -> Vec<TextBlock> {
    let text = page.text.as_str();
    let lines = lines(words(page), &page.glyphs, text);
    let blocks = blocks(&lines);
    // Dominant direction first, then the others.
    let mut dir_chars = [0usize; 4];
    for l in &lines {
        dir_chars[l.dir as usize & 3] += l
            .words
            .iter()
            .map(|w| text.get(w.start as usize..w.end as usize).map_or(0, |t| t.chars().count()))
            .sum::<usize>();
    }
    let mut dirs: Vec<u8> = (0..4).filter(|&d| dir_chars[d as usize] > 0).collect();
    dirs.sort_by_key(|&d| std::cmp::Reverse(dir_chars[d as usize]));
    let mut ordered = Vec::with_capacity(blocks.len());
    for d in dirs {
        let idx: Vec<usize> = (0..blocks.len()).filter(|&i| blocks[i].dir == d).collect();
        order(&blocks, idx, 0, &mut ordered);
    }
    let text_of =
        |bi: usize| -> Vec<String> { blocks[bi].lines.iter().map(|&li| line_text(&lines[li], page)).collect() };
    ordered
        .into_iter()
        .map(|item| match item {
            Item::Block(bi) => TextBlock { lines: text_of(bi), size: blocks[bi].size, rows: None },
            Item::Grid(rows) => {
                let mut all = Vec::new();
                let mut size = 0.0f32;
                let rows = rows
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|cell| {
                                let mut parts = Vec::with_capacity(cell.len());
                                for bi in cell {
                                    let text = text_of(bi);
                                    size = size.max(blocks[bi].size);
                                    parts.push(join_lines(&text).replace('\n', " "));
                                    all.extend(text);
                                }
                                parts.join(" ")
                            })
                            .collect()
                    })
                    .collect();
                TextBlock { lines: all, size, rows: Some(rows) }
            }
        })
        .collect()
}

/// The text of a word, right-to-left glyphs (drawn in visual order) put back in
/// logical order, and the direction the word reads in.
fn word_text(w: &Word, page: &PageText) -> (String, bidi::Kind) {
    let text = page.text.get(w.start as usize..w.end as usize).unwrap_or("");
    if !text.chars().any(bidi::is_rtl) {
        return (text.to_string(), bidi::kind(text));
    }
    let units: Vec<&str> = page
        .glyphs
        .get(w.g0 as usize..w.g1 as usize)
        .unwrap_or(&[])
        .iter()
        .map(|g| page.text.get(g.start as usize..(g.start + g.len) as usize).unwrap_or(""))
        .collect();
    let kinds: Vec<bidi::Kind> = units.iter().map(|u| bidi::kind(u)).collect();
    let rtl = bidi::rtl_base(&kinds);
    let text = bidi::logical_order(&kinds, rtl).into_iter().map(|i| units[i]).collect();
    (text, if rtl { bidi::Kind::Rtl } else { bidi::Kind::Ltr })
}

/// A line's words joined by spaces, in logical order.
fn line_text(l: &Line, page: &PageText) -> String {
    let words: Vec<(String, bidi::Kind)> = l.words.iter().map(|w| word_text(w, page)).collect();
    let kinds: Vec<bidi::Kind> = words.iter().map(|w| w.1).collect();
    let line = if kinds.contains(&bidi::Kind::Rtl) {
        let order = bidi::logical_order(&kinds, bidi::rtl_base(&kinds));
        order.into_iter().map(|i| words[i].0.as_str()).collect::<Vec<_>>().join(" ")
    } else {
        words.into_iter().map(|w| w.0).collect::<Vec<_>>().join(" ")
    };
    // Typographic ligatures (ﬁ, ﬂ, ﬀ, …) become their letters, as a reader types them.
    if line.contains(|c: char| ('\u{FB00}'..='\u{FB06}').contains(&c)) {
        let mut out = String::with_capacity(line.len() + 4);
        for c in line.chars() {
            match c {
                '\u{FB00}' => out.push_str("ff"),
                '\u{FB01}' => out.push_str("fi"),
                '\u{FB02}' => out.push_str("fl"),
                '\u{FB03}' => out.push_str("ffi"),
                '\u{FB04}' => out.push_str("ffl"),
                '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
                c => out.push(c),
            }
        }
        return out;
    }
    line
}

/// Joins a block's lines: a word hyphenated at the end of a line ("exam-" + "ple")
/// is joined whole, a technical identifier or a compound wrapped after one of its
/// hyphens ("PPR-" + "9087", "x86_64-unknown-" + "linux-gnu", "--" + "header",
/// "state-of-the-" + "art": typesetters do not hyphenate words that have hyphens of
/// their own) is joined keeping the hyphen, and any other line break stays.
pub fn join_lines(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            match line_break(&out, line) {
                Break::Hyphenation => {
                    out.pop();
                }
                Break::Wrap => {}
                Break::Line => out.push('\n'),
            }
        }
        out.push_str(line);
    }
    out
}

/// What the end of one line and the start of the next make of the break between them.
#[derive(Debug, PartialEq, Eq)]
enum Break {
    /// A word hyphenated by the typesetter: the hyphen goes.
    Hyphenation,
    /// A word wrapped after a hyphen of its own: joined as is.
    Wrap,
    /// A line break.
    Line,
}

fn line_break(prev: &str, next: &str) -> Break {
    let Some(first) = next.chars().next() else { return Break::Line };
    let Some(hyphen) = prev.chars().next_back().filter(|&c| c == '-' || c == '\u{AD}') else { return Break::Line };
    let word = prev.rsplit(char::is_whitespace).next().unwrap_or("");
    let stem = &word[..word.len() - hyphen.len_utf8()];
    // A lone hyphen is a dash or a bullet.
    let Some(before) = stem.chars().next_back() else { return Break::Line };
    if hyphen == '\u{AD}' {
        return if before.is_alphabetic() && first.is_alphabetic() { Break::Hyphenation } else { Break::Line };
    }
    // Digits or punctuation in the word make it an identifier or a compound (a version, a
    // path, a target triple, "state-of-the-"); a digit after the hyphen continues any word
    // (a ticket number).
    let identifier = stem.chars().any(|c| c.is_ascii_digit() || matches!(c, '-' | '_' | '/' | '.' | ':' | '=' | '?'));
    if identifier && (first.is_alphanumeric() || first == '-') || first.is_ascii_digit() {
        Break::Wrap
    } else if before.is_alphabetic() && first.is_lowercase() {
        Break::Hyphenation
    } else {
        Break::Line
    }
}

#[cfg(test)]
mod tests;
