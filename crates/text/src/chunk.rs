//! Cuts a parsed document into chunks under a token budget, for embedding and search.
//!
//! A heading closes the current section and opens a new one; its text goes into the heading path of the
//! section's chunks, not into their text (a section without a body is one chunk holding the heading).
//! The body's blocks are cut into pieces that each fit the budget (a block that fits is one piece; a
//! longer paragraph or list item is cut into sentences, a longer table or code block into rows or lines,
//! and any of those still too long into words, or characters for scripts without spaces), and the pieces
//! are packed greedily into chunks, in order, so a table or code block that fits the budget always lands
//! whole in one chunk. When prose continues into a new chunk, that chunk starts with the last sentences of
//! the previous one (about `overlap_tokens`). A section's last chunk, when smaller than `min_tokens`, is
//! merged into the one before it if the result stays within 1.25 × `max_tokens`.

use serde::{Deserialize, Serialize};

use crate::script::{is_cjk, is_closer, is_sentence_end};

/// What a block of a parsed document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
    Table,
    Code,
}

impl BlockKind {
    /// The name used in [`Chunk::block_kinds`]: `heading`, `paragraph`, `list_item`, `table` or `code`.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::ListItem => "list_item",
            BlockKind::Table => "table",
            BlockKind::Code => "code",
        }
    }

    /// Prose, which is cut into sentences and overlapped between chunks.
    fn is_flow(self) -> bool {
        matches!(self, BlockKind::Heading | BlockKind::Paragraph | BlockKind::ListItem)
    }
}

/// One block of a parsed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    /// The text; a table's rows and a code block's lines are separated by newlines.
    pub text: String,
    /// A heading's level (1 for the top; 0 is taken as 1); ignored for other kinds.
    pub level: u32,
    /// The page the block is on.
    pub page: u32,
    /// A list item's marker (`1.`, `-`, `a)`), put before its text; ignored for other kinds.
    pub label: String,
}

impl Block {
    /// A block of `kind` on page 0, at level 0, without a label.
    pub fn new(kind: BlockKind, text: impl Into<String>) -> Self {
        Block { kind, text: text.into(), level: 0, page: 0, label: String::new() }
    }

    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    pub fn with_page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

/// Token budget of the chunks, in the unit of the counter given to [`chunk_document`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerConfig {
    /// The most tokens of a chunk's text (0 is taken as 1).
    pub max_tokens: usize,
    /// About how many tokens of prose are repeated at the start of a chunk that continues a section.
    pub overlap_tokens: usize,
    /// A section's last chunk below this size is merged into the previous one when that fits.
    pub min_tokens: usize,
}

impl Default for ChunkerConfig {
    fn default() -> Self {
        ChunkerConfig { max_tokens: 200, overlap_tokens: 30, min_tokens: 40 }
    }
}

/// A piece of a document to embed and search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// 0-based, in document order.
    pub index: u32,
    /// The blocks' text, one block per line (a list item with its label).
    pub text: String,
    /// The headings the chunk is under, outermost first.
    pub heading_path: Vec<String>,
    pub page_start: u32,
    pub page_end: u32,
    /// The distinct kinds of the blocks the text comes from ([`BlockKind::as_str`]), in order of appearance.
    pub block_kinds: Vec<String>,
    /// Tokens of `text`, by the counter given to [`chunk_document`].
    pub token_count: u32,
}

impl Chunk {
    /// The text to embed: the heading path joined with ` > `, a newline, then the text (the text alone when
    /// there is no heading).
    pub fn embedding_text(&self) -> String {
        if self.heading_path.is_empty() {
            self.text.clone()
        } else {
            format!("{}\n{}", self.heading_path.join(" > "), self.text)
        }
    }
}

/// A fast estimate of the number of tokens a multilingual WordPiece or SentencePiece tokenizer makes of
/// `text`: one per CJK character, one per punctuation mark or symbol, and for a word of other letters or
/// digits one per 3.6 characters but at least one (about 1.3 per English word).
pub fn approx_tokens(text: &str) -> usize {
    let mut total = 0.0f64;
    let mut word = 0usize;
    let flush = |total: &mut f64, word: &mut usize| {
        if *word > 0 {
            *total += (*word as f64 / 3.6).max(1.0);
            *word = 0;
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            flush(&mut total, &mut word);
            total += 1.0;
        } else if c.is_alphanumeric() {
            word += 1;
        } else if c.is_whitespace() {
            flush(&mut total, &mut word);
        } else if !unicode_normalization::char::is_combining_mark(c) {
            flush(&mut total, &mut word);
            total += 1.0;
        }
    }
    flush(&mut total, &mut word);
    total.ceil() as usize
}

/// Cuts `blocks` into chunks of at most `cfg.max_tokens` tokens by `count_tokens` (see the module
/// documentation). The only chunks over budget are a section's merged last chunk (at most 1.25 ×
/// `max_tokens`) and a single character the counter finds larger than the budget. Whitespace-only blocks
/// are ignored; an empty document has no chunks.
pub fn chunk_document(blocks: &[Block], cfg: &ChunkerConfig, count_tokens: &dyn Fn(&str) -> usize) -> Vec<Chunk> {
    let mut chunker = Chunker { cfg: *cfg, max: cfg.max_tokens.max(1), count: count_tokens, chunks: Vec::new() };
    let mut path: Vec<(u32, String)> = Vec::new();
    let mut heading: Option<&Block> = None;
    let mut body: Vec<&Block> = Vec::new();
    for block in blocks.iter().filter(|b| !b.text.trim().is_empty()) {
        if block.kind == BlockKind::Heading {
            chunker.section(&path, heading, &body);
            body.clear();
            let level = block.level.max(1);
            while path.last().is_some_and(|(l, _)| *l >= level) {
                path.pop();
            }
            path.push((level, block.text.split_whitespace().collect::<Vec<_>>().join(" ")));
            heading = Some(block);
        } else {
            body.push(block);
        }
    }
    chunker.section(&path, heading, &body);
    for (index, chunk) in chunker.chunks.iter_mut().enumerate() {
        chunk.index = u32::try_from(index).unwrap_or(u32::MAX);
    }
    chunker.chunks
}

/// A block's text as it goes into chunks.
struct Unit {
    kind: BlockKind,
    page: u32,
    text: String,
}

/// Bytes `start..end` of a unit's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    unit: usize,
    start: usize,
    end: usize,
}

/// A chunk being built: spans of the section's units, in order.
#[derive(Debug, Clone, Default)]
struct Draft {
    spans: Vec<Span>,
    /// Where the text that is new in this chunk starts in its first span, when it starts with an overlap.
    fresh_from: Option<usize>,
}

impl Draft {
    fn push(&mut self, span: Span) {
        match self.spans.last_mut() {
            Some(last) if last.unit == span.unit && last.end == span.start => last.end = span.end,
            _ => self.spans.push(span),
        }
    }

    fn with(&self, span: Span) -> Draft {
        let mut draft = self.clone();
        draft.push(span);
        draft
    }

    fn text(&self, units: &[Unit]) -> String {
        let mut out = String::new();
        for span in &self.spans {
            let unit = &units[span.unit];
            let text = clean(unit.kind, &unit.text[span.start..span.end]);
            if text.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(text);
        }
        out
    }
}

/// A span's text without surrounding blank space; code and tables keep the first line's indentation.
fn clean(kind: BlockKind, text: &str) -> &str {
    if kind.is_flow() {
        return text.trim();
    }
    let mut text = text.trim_end();
    while let Some(newline) = text.find('\n') {
        if !text[..newline].trim().is_empty() {
            break;
        }
        text = &text[newline + 1..];
    }
    if text.trim().is_empty() { "" } else { text }
}

struct Chunker<'c> {
    cfg: ChunkerConfig,
    max: usize,
    count: &'c dyn Fn(&str) -> usize,
    chunks: Vec<Chunk>,
}

impl Chunker<'_> {
    fn tokens(&self, kind: BlockKind, text: &str) -> usize {
        (self.count)(clean(kind, text))
    }

    fn section(&mut self, path: &[(u32, String)], heading: Option<&Block>, body: &[&Block]) {
        let mut units: Vec<Unit> = body.iter().map(|b| unit_of(b)).collect();
        if units.is_empty() {
            match heading {
                Some(heading) => units.push(unit_of(heading)),
                None => return,
            }
        }
        let mut pieces = Vec::new();
        for (k, unit) in units.iter().enumerate() {
            self.pieces(k, unit, &mut pieces);
        }
        let mut drafts = self.pack(&units, &pieces);
        self.merge_tail(&units, &mut drafts);
        let heading_path: Vec<String> = path.iter().map(|(_, text)| text.clone()).collect();
        for draft in drafts {
            let text = draft.text(&units);
            if text.is_empty() {
                continue;
            }
            let pages = draft.spans.iter().map(|s| units[s.unit].page);
            let page_start = pages.clone().min().unwrap_or(0);
            let page_end = pages.max().unwrap_or(0);
            let mut block_kinds: Vec<String> = Vec::new();
            for span in &draft.spans {
                let kind = units[span.unit].kind.as_str();
                if !block_kinds.iter().any(|k| k == kind) {
                    block_kinds.push(kind.to_owned());
                }
            }
            let token_count = u32::try_from((self.count)(&text)).unwrap_or(u32::MAX);
            self.chunks.push(Chunk {
                index: 0,
                text,
                heading_path: heading_path.clone(),
                page_start,
                page_end,
                block_kinds,
                token_count,
            });
        }
    }

    /// Cuts a unit into spans that each fit the budget (unless a single character does not).
    fn pieces(&self, k: usize, unit: &Unit, out: &mut Vec<Span>) {
        let text = unit.text.as_str();
        if self.tokens(unit.kind, text) <= self.max {
            out.push(Span { unit: k, start: 0, end: text.len() });
            return;
        }
        let cuts = if unit.kind.is_flow() { sentence_cuts(text) } else { line_cuts(text) };
        let mut start = 0;
        for end in cuts.into_iter().chain(std::iter::once(text.len())) {
            if self.tokens(unit.kind, &text[start..end]) <= self.max {
                out.push(Span { unit: k, start, end });
            } else {
                self.split_words(k, unit, start, end, out);
            }
            start = end;
        }
    }

    /// Cuts `start..end` of a unit at word boundaries (between characters of scripts without spaces), and
    /// a word that is too long between characters, into the longest spans that fit.
    fn split_words(&self, k: usize, unit: &Unit, start: usize, end: usize, out: &mut Vec<Span>) {
        let text = &unit.text[..end];
        let words = word_cuts(text, start);
        let chars: Vec<usize> = text[start..].char_indices().map(|(i, _)| start + i).skip(1).chain([end]).collect();
        let fits = |a: usize, b: usize| self.tokens(unit.kind, &text[a..b]) <= self.max;
        let mut from = start;
        while from < end {
            // The longest prefix that fits, cut back to the last word boundary in it when there is one.
            let next_chars = &chars[chars.partition_point(|&c| c <= from)..];
            let to = match longest_fit(next_chars, |q| fits(from, q)) {
                Some(longest) => {
                    let words_in = &words[..words.partition_point(|&w| w <= longest)];
                    words_in.last().copied().filter(|&w| w > from).unwrap_or(longest)
                }
                None => next_chars[0],
            };
            out.push(Span { unit: k, start: from, end: to });
            from = to;
        }
    }

    /// Greedy packing of the pieces into drafts, with overlap between prose pieces.
    fn pack(&self, units: &[Unit], pieces: &[Span]) -> Vec<Draft> {
        let fits = |draft: &Draft| (self.count)(&draft.text(units)) <= self.max;
        let mut drafts = Vec::new();
        let mut current = Draft::default();
        for &piece in pieces {
            if current.spans.is_empty() {
                current.push(piece);
                continue;
            }
            let candidate = current.with(piece);
            if fits(&candidate) {
                current = candidate;
                continue;
            }
            let overlap = if units[piece.unit].kind.is_flow() { self.overlap(units, &current) } else { None };
            drafts.push(std::mem::take(&mut current));
            if let Some(overlap) = overlap {
                let mut candidate = Draft { spans: vec![overlap], fresh_from: Some(overlap.end) };
                candidate.push(piece);
                if fits(&candidate) {
                    current = candidate;
                    continue;
                }
            }
            current.push(piece);
        }
        if !current.spans.is_empty() {
            drafts.push(current);
        }
        drafts
    }

    /// The end of a finished draft to repeat at the start of the next one: the longest run of whole
    /// sentences (else clauses) of its last span that fits `overlap_tokens`, never the whole draft.
    fn overlap(&self, units: &[Unit], draft: &Draft) -> Option<Span> {
        let last = *draft.spans.last()?;
        let unit = &units[last.unit];
        if self.cfg.overlap_tokens == 0 || !unit.kind.is_flow() {
            return None;
        }
        let text = &unit.text[last.start..last.end];
        for mut cuts in [sentence_cuts(text), clause_cuts(text)] {
            // The whole last span may be repeated when it is not the whole draft.
            if draft.spans.len() > 1 {
                cuts.insert(0, 0);
            }
            let mut best = None;
            for &cut in cuts.iter().rev() {
                if self.tokens(unit.kind, &text[cut..]) > self.cfg.overlap_tokens {
                    break;
                }
                best = Some(cut);
            }
            if let Some(cut) = best {
                return Some(Span { unit: last.unit, start: last.start + cut, end: last.end });
            }
        }
        None
    }

    /// Merges a section's small last draft into the one before when the result stays within 1.25 × max.
    fn merge_tail(&self, units: &[Unit], drafts: &mut Vec<Draft>) {
        if drafts.len() < 2 {
            return;
        }
        let last = &drafts[drafts.len() - 1];
        if (self.count)(&last.text(units)) >= self.cfg.min_tokens {
            return;
        }
        let mut merged = drafts[drafts.len() - 2].clone();
        for (k, span) in last.spans.iter().enumerate() {
            let start = if k == 0 { last.fresh_from.unwrap_or(span.start) } else { span.start };
            if start < span.end {
                merged.push(Span { start, ..*span });
            }
        }
        if (self.count)(&merged.text(units)) <= self.max + self.max / 4 {
            drafts.pop();
            let at = drafts.len() - 1;
            drafts[at] = merged;
        }
    }
}

fn unit_of(block: &Block) -> Unit {
    let text = match block.kind {
        BlockKind::ListItem if !block.label.trim().is_empty() => {
            format!("{} {}", block.label.trim(), block.text.trim())
        }
        kind => clean(kind, &block.text).to_owned(),
    };
    Unit { kind: block.kind, page: block.page, text }
}

/// The largest of the increasing `candidates` for which `fits` holds (the counter is taken to grow with the
/// text). The search gallops from the first candidate, so no probe is much longer than the answer and a
/// long text is cut in linear time.
fn longest_fit(candidates: &[usize], fits: impl Fn(usize) -> bool) -> Option<usize> {
    if !fits(*candidates.first()?) {
        return None;
    }
    // `lo` fits; `hi` does not, or is past the end.
    let (mut lo, mut hi) = (0, candidates.len());
    let mut step = 1;
    while lo + step < candidates.len() {
        if fits(candidates[lo + step]) {
            lo += step;
            step *= 2;
        } else {
            hi = lo + step;
            break;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(candidates[mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(candidates[lo])
}

/// Byte offsets where a sentence starts (after `. ! ? 。 ！ ？ ；`, a newline, and the spaces after them),
/// excluding 0 and the end.
fn sentence_cuts(text: &str) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let ends = if c == '\n' {
            true
        } else if is_sentence_end(c) {
            while chars.next_if(|&(_, c)| is_closer(c) || (is_sentence_end(c) && c != '\n')).is_some() {}
            !c.is_ascii() || chars.peek().is_none_or(|&(_, c)| c.is_whitespace())
        } else {
            false
        };
        if ends {
            while chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
            if let Some(&(at, _)) = chars.peek()
                && cuts.last() != Some(&at)
            {
                cuts.push(at);
            }
        }
    }
    cuts
}

/// Byte offsets after a clause mark (`, ， 、 ; : ：`) and its spaces.
fn clause_cuts(text: &str) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if matches!(c, ',' | '，' | '、' | ';' | ':' | '：') {
            while chars.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
            if let Some(&(at, _)) = chars.peek() {
                cuts.push(at);
            }
        }
    }
    cuts
}

/// Byte offsets where a line starts, excluding 0 and the end.
fn line_cuts(text: &str) -> Vec<usize> {
    text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < text.len()).collect()
}

/// Byte offsets after `from` where a word starts (after whitespace) or that lie between two characters
/// of which one is CJK, and the end of `text`.
fn word_cuts(text: &str, from: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text[from..].char_indices() {
        if let Some(p) = prev
            && !c.is_whitespace()
            && (p.is_whitespace() || is_cjk(p) || is_cjk(c))
        {
            cuts.push(from + i);
        }
        prev = Some(c);
    }
    cuts.push(text.len());
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> usize {
        text.split_whitespace().count()
    }

    fn heading(text: &str, level: u32, page: u32) -> Block {
        Block::new(BlockKind::Heading, text).with_level(level).with_page(page)
    }

    fn para(text: &str, page: u32) -> Block {
        Block::new(BlockKind::Paragraph, text).with_page(page)
    }

    fn cfg(max_tokens: usize, overlap_tokens: usize, min_tokens: usize) -> ChunkerConfig {
        ChunkerConfig { max_tokens, overlap_tokens, min_tokens }
    }

    /// Index, heading path, text, pages and block kinds of a chunk.
    type Row<'a> = (u32, Vec<&'a str>, &'a str, u32, u32, Vec<&'a str>);

    fn texts(chunks: &[Chunk]) -> Vec<&str> {
        chunks.iter().map(|c| c.text.as_str()).collect()
    }

    /// `n` sentences of five words: `S1 w w w w.`
    fn sentences(n: usize) -> String {
        (1..=n).map(|k| format!("S{k} w w w w.")).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn approx_tokens_estimates() {
        assert_eq!(approx_tokens(""), 0);
        assert_eq!(approx_tokens("  \n "), 0);
        assert_eq!(approx_tokens("数据库备份"), 5);
        assert_eq!(approx_tokens("the cat"), 2);
        assert_eq!(approx_tokens("Hello, world!"), 5);
        assert_eq!(approx_tokens("internationalization"), 6);
        assert_eq!(approx_tokens("PPR-9087"), 4);
    }

    #[test]
    fn empty_documents_give_no_chunks() {
        assert!(chunk_document(&[], &ChunkerConfig::default(), &approx_tokens).is_empty());
        let blank = [para("  \n\t", 1), Block::new(BlockKind::Table, "\n\n")];
        assert!(chunk_document(&blank, &ChunkerConfig::default(), &approx_tokens).is_empty());
    }

    #[test]
    fn headings_build_the_path_and_pages_are_tracked() {
        let blocks = [
            heading("Guide", 1, 1),
            para("Intro text.", 1),
            heading("Install", 2, 1),
            para("Run the installer.", 2),
            para("   ", 2),
            heading("Linux", 3, 2),
            para("Use apt.", 3),
            para("Then reboot.", 4),
            heading("Usage", 2, 4),
            para("Start it.", 4),
            heading("Appendix", 1, 5),
            heading("Notes\n on  it", 2, 6),
        ];
        let chunks = chunk_document(&blocks, &ChunkerConfig::default(), &approx_tokens);
        let got: Vec<Row<'_>> = chunks
            .iter()
            .map(|c| {
                let path = c.heading_path.iter().map(String::as_str).collect();
                let kinds = c.block_kinds.iter().map(String::as_str).collect();
                (c.index, path, c.text.as_str(), c.page_start, c.page_end, kinds)
            })
            .collect();
        assert_eq!(
            got,
            [
                (0, vec!["Guide"], "Intro text.", 1, 1, vec!["paragraph"]),
                (1, vec!["Guide", "Install"], "Run the installer.", 2, 2, vec!["paragraph"]),
                (2, vec!["Guide", "Install", "Linux"], "Use apt.\nThen reboot.", 3, 4, vec!["paragraph"]),
                (3, vec!["Guide", "Usage"], "Start it.", 4, 4, vec!["paragraph"]),
                (4, vec!["Appendix"], "Appendix", 5, 5, vec!["heading"]),
                (5, vec!["Appendix", "Notes on it"], "Notes\n on  it", 6, 6, vec!["heading"]),
            ]
        );
        assert_eq!(chunks[2].embedding_text(), "Guide > Install > Linux\nUse apt.\nThen reboot.");
        assert_eq!(chunks[2].token_count, 7);
    }

    #[test]
    fn text_before_any_heading_has_an_empty_path() {
        let blocks = [para("Preface.", 1), heading("One", 1, 2), para("Body.", 2)];
        let chunks = chunk_document(&blocks, &ChunkerConfig::default(), &approx_tokens);
        assert_eq!(chunks[0].heading_path, Vec::<String>::new());
        assert_eq!(chunks[0].embedding_text(), "Preface.");
        assert_eq!(chunks[1].embedding_text(), "One\nBody.");
    }

    #[test]
    fn list_items_carry_their_label_and_accumulate() {
        let blocks = [
            para("Steps:", 1),
            Block::new(BlockKind::ListItem, "stop the server").with_label("1.").with_page(1),
            Block::new(BlockKind::ListItem, "copy the data").with_label("2.").with_page(2),
            Block::new(BlockKind::ListItem, "no label").with_page(2),
        ];
        let chunks = chunk_document(&blocks, &ChunkerConfig::default(), &approx_tokens);
        assert_eq!(texts(&chunks), ["Steps:\n1. stop the server\n2. copy the data\nno label"]);
        assert_eq!(chunks[0].block_kinds, ["paragraph", "list_item"]);
        assert_eq!((chunks[0].page_start, chunks[0].page_end), (1, 2));
    }

    #[test]
    fn a_table_that_fits_is_kept_whole_in_a_new_chunk() {
        let table = "| a | b |\n| 1 | 2 |\n| 3 | 4 |";
        let blocks = [
            para(&"word ".repeat(15), 1),
            Block::new(BlockKind::Table, table).with_page(2),
            para("after the table", 2),
        ];
        let chunks = chunk_document(&blocks, &cfg(20, 5, 0), &words);
        assert_eq!(texts(&chunks), ["word ".repeat(15).trim_end(), &format!("{table}\nafter the table")[..]]);
        assert_eq!(chunks[1].block_kinds, ["table", "paragraph"]);
        assert_eq!((chunks[1].page_start, chunks[1].page_end), (2, 2));
    }

    #[test]
    fn code_is_kept_whole_with_its_indentation() {
        let code = "\n    fn main() {\n        println!(\"hi\");\n    }\n\n";
        let blocks = [para(&"word ".repeat(18), 1), Block::new(BlockKind::Code, code).with_page(1)];
        let chunks = chunk_document(&blocks, &cfg(20, 5, 0), &words);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1].text, "    fn main() {\n        println!(\"hi\");\n    }");
        assert_eq!(chunks[1].block_kinds, ["code"]);
    }

    #[test]
    fn a_table_over_budget_is_split_between_rows() {
        let rows: Vec<String> = (1..=5).map(|r| format!("| r{r} | a | b | c |")).collect();
        let blocks = [Block::new(BlockKind::Table, rows.join("\n"))];
        // Each row is 9 words.
        let chunks = chunk_document(&blocks, &cfg(20, 5, 0), &words);
        assert_eq!(
            texts(&chunks),
            [format!("{}\n{}", rows[0], rows[1]), format!("{}\n{}", rows[2], rows[3]), rows[4].clone()]
        );
    }

    #[test]
    fn a_long_paragraph_is_split_at_sentences_with_overlap() {
        let blocks = [heading("Long", 1, 1), para(&sentences(10), 1)];
        let chunks = chunk_document(&blocks, &cfg(20, 6, 0), &words);
        assert_eq!(
            texts(&chunks),
            [
                "S1 w w w w. S2 w w w w. S3 w w w w. S4 w w w w.",
                "S4 w w w w. S5 w w w w. S6 w w w w. S7 w w w w.",
                "S7 w w w w. S8 w w w w. S9 w w w w. S10 w w w w.",
            ]
        );
        assert!(chunks.iter().all(|c| c.heading_path == ["Long"]));
        assert!(chunks.iter().all(|c| c.token_count <= 20));
    }

    #[test]
    fn overlap_continues_into_the_next_paragraph() {
        let blocks = [para(&sentences(3), 1), para("Next paragraph has five.", 2)];
        let chunks = chunk_document(&blocks, &cfg(16, 5, 0), &words);
        assert_eq!(texts(&chunks), ["S1 w w w w. S2 w w w w. S3 w w w w.", "S3 w w w w.\nNext paragraph has five."]);
        assert_eq!((chunks[1].page_start, chunks[1].page_end), (1, 2));
    }

    #[test]
    fn a_small_last_chunk_merges_into_the_previous_one() {
        let blocks = [para(&sentences(9), 1)];
        let chunks = chunk_document(&blocks, &cfg(20, 0, 8), &words);
        assert_eq!(
            texts(&chunks),
            [
                "S1 w w w w. S2 w w w w. S3 w w w w. S4 w w w w.",
                "S5 w w w w. S6 w w w w. S7 w w w w. S8 w w w w. S9 w w w w."
            ]
        );
        assert_eq!(chunks[1].token_count, 25);
        // With overlap, the repeated sentence is not merged twice.
        let chunks = chunk_document(&blocks, &cfg(20, 5, 8), &words);
        assert_eq!(chunks.last().map(|c| c.text.matches("S8 ").count()), Some(1));
        assert!(chunks.iter().all(|c| c.token_count <= 25));
        // Without room to merge (35 > 1.25 × 20), it stays.
        let chunks = chunk_document(&[para(&sentences(7), 1)], &cfg(20, 0, 16), &words);
        assert_eq!(chunks.iter().map(|c| c.token_count).collect::<Vec<_>>(), [20, 15]);
    }

    #[test]
    fn chinese_is_split_at_sentence_ends_then_characters() {
        let text = "数据库备份需要先停止服务。然后复制整个数据目录到备份位置。最后检查日志确认没有错误。";
        let chunks = chunk_document(&[para(text, 1)], &cfg(20, 0, 0), &approx_tokens);
        assert_eq!(
            texts(&chunks),
            ["数据库备份需要先停止服务。", "然后复制整个数据目录到备份位置。", "最后检查日志确认没有错误。"]
        );
        let run = "向量检索".repeat(12);
        let chunks = chunk_document(&[para(&run, 1)], &cfg(20, 0, 0), &approx_tokens);
        let lengths: Vec<usize> = chunks.iter().map(|c| c.text.chars().count()).collect();
        assert_eq!(lengths, [20, 20, 8]);
        assert_eq!(chunks.iter().map(|c| c.text.as_str()).collect::<String>(), run);
    }

    #[test]
    fn chinese_overlap_takes_whole_sentences() {
        let text = "第一句话比较长一些内容。第二句。第三句话也很长的内容在这里。";
        let chunks = chunk_document(&[para(text, 1)], &cfg(20, 4, 0), &approx_tokens);
        assert_eq!(texts(&chunks), ["第一句话比较长一些内容。第二句。", "第二句。第三句话也很长的内容在这里。"]);
    }

    #[test]
    fn an_overlong_word_is_cut_between_characters() {
        let blob = "A".repeat(50);
        let chunks = chunk_document(&[para(&format!("key {blob} end"), 1)], &cfg(5, 0, 0), &approx_tokens);
        assert!(chunks.iter().all(|c| approx_tokens(&c.text) <= 5), "{chunks:?}");
        let joined: String = chunks.iter().flat_map(|c| c.text.chars()).filter(|c| !c.is_whitespace()).collect();
        assert_eq!(joined, format!("key{blob}end"));
    }

    #[test]
    fn an_unsplittable_character_is_the_only_excess() {
        // A counter that finds every character two tokens: single characters are over a budget of one.
        let doubled = |text: &str| 2 * text.chars().filter(|c| !c.is_whitespace()).count();
        let chunks = chunk_document(&[para("ab c", 1)], &cfg(1, 0, 0), &doubled);
        assert_eq!(texts(&chunks), ["a", "b", "c"]);
    }

    #[test]
    fn output_is_deterministic() {
        let blocks = [heading("T", 1, 1), para(&sentences(30), 1), Block::new(BlockKind::Code, "x\ny\nz")];
        let a = chunk_document(&blocks, &cfg(23, 7, 5), &words);
        let b = chunk_document(&blocks, &cfg(23, 7, 5), &words);
        assert_eq!(a, b);
    }
}
