//! Lexemes for the PostgreSQL `tsvector` keyword index, tokenised here rather than by PostgreSQL's parser.
//!
//! The text is normalised one character at a time (compatibility forms such as full-width ASCII become
//! ASCII, curly apostrophes become `'`) while every character keeps the byte range it came from, so tokens
//! point into the caller's original text. Runs of one script are then handled by their own rule:
//!
//! * Latin, Cyrillic, digits and other alphabets: words and technical identifiers (below);
//! * Han: segmented by jieba, documents in search mode (a word plus the dictionary words inside it, all at
//!   the word's position), queries in default mode, which yields a subset of the same lexemes;
//! * kana: overlapping character bigrams (a lone character is its own lexeme), katakana and hiragana
//!   runs apart;
//! * Hangul: one lexeme per space-separated word.
//!
//! A plain word is lowercased, dropped when it is an English stopword (its position is still used, as in
//! PostgreSQL) and stemmed with Snowball (English for Latin letters, Russian for Cyrillic).
//!
//! An identifier is a run of letters and digits joined by `_ - . : / @ \` (a connector only counts when a
//! letter or digit follows it, so trailing sentence punctuation is never part of it), or a plain run with
//! camel-case humps. It yields its whole form, lowercased and not stemmed, at its position `p`, then its
//! parts: it is split on the strongest separator present (`/ \`, then `@`, `:`, `.`, `-`, `_`), each piece
//! recursively, and camel humps last. The leaf parts are stemmed like words and take the positions `p`,
//! `p+1`, … in order, so a phrase of the parts matches the identifier as well as the same parts written
//! with other separators. Documents also get the intermediate pieces (`nginx.conf` of
//! `/etc/nginx/nginx.conf`) at the position of their first leaf; queries only get the whole and the leaves.
//! A version such as `v1.2.3` is kept whole, with `1.2.3` as an alternative.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use jieba_rs::Jieba;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::script::{is_cyrillic, is_han, is_hangul, is_hiragana, is_katakana, is_latin_letter};

/// The longest lexeme PostgreSQL accepts in a `tsvector`, in bytes; longer lexemes are dropped.
pub const MAX_LEXEME_BYTES: usize = 2046;
/// The largest word position PostgreSQL stores; later words all share it.
pub const MAX_POSITION: u32 = 16383;
/// PostgreSQL keeps at most this many positions per lexeme.
const MAX_POSITIONS_PER_LEXEME: usize = 256;
/// At most this many parts are taken from one identifier (a long path or a base64 blob).
const MAX_PARTS: usize = 64;

/// One lexeme found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Token {
    /// The normalised form that is stored in, or looked up in, the `tsvector`.
    pub lexeme: String,
    /// Byte offset in the input where the text it came from starts.
    pub start: usize,
    /// Byte offset in the input where the text it came from ends (exclusive).
    pub end: usize,
    /// 1-based word position; an identifier's whole form shares its position with its first part.
    pub position: u32,
}

/// How the groups of a query are combined by [`to_tsquery_literal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum QueryOp {
    /// Every word (or identifier) of the query must match.
    And,
    /// Any word (or identifier) of the query may match.
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Index,
    Query,
}

/// Tokens of a document's text, for the `tsvector` (and for locating matches, see [`crate::highlight`]).
pub fn index_tokens(text: &str) -> Vec<Token> {
    Analyzer::new(text, Mode::Index).run()
}

/// Tokens of a search query. Every lexeme they hold is also among the [`index_tokens`] of the same text.
///
/// Chinese question words (`怎么`, `多少`, `需要` …) carry no topic and match most Chinese text, so they are
/// left out of a query that has other words.
pub fn query_tokens(text: &str) -> Vec<Token> {
    let tokens = Analyzer::new(text, Mode::Query).run();
    let is_question_word = |t: &Token| CHINESE_QUESTION_WORDS.contains(&t.lexeme.as_str());
    if tokens.iter().all(is_question_word) {
        return tokens;
    }
    tokens.into_iter().filter(|t| !is_question_word(t)).collect()
}

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);
static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// The Snowball English stopword list (as PostgreSQL's `english` configuration uses), plus the common
/// contractions, which this tokeniser keeps as one word.
static ENGLISH_STOPWORDS: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| {
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers \
     herself it its itself they them their theirs themselves what which who whom this that these those am is \
     are was were be been being have has had having do does did doing a an the and but if or because as until \
     while of at by for with about against between into through during before after above below to from up \
     down in out on off over under again further then once here there when where why how all any both each few \
     more most other some such no nor not only own same so than too very s t can will just don should now \
     i'm you're he's she's it's we're they're i've you've we've they've i'd you'd he'd she'd we'd they'd \
     i'll you'll he'll she'll we'll they'll isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't \
     didn't won't wouldn't shan't shouldn't can't cannot couldn't mustn't let's that's who's what's here's \
     there's when's where's why's how's"
        .split_whitespace()
        .collect()
});

/// Chinese function words that jieba returns as words of their own; dropping them keeps `数据库备份与恢复`
/// matching `数据库备份和恢复`.
const CHINESE_STOPWORDS: &[&str] = &[
    "的", "地", "得", "了", "着", "过", "和", "与", "及", "或", "而", "且", "并", "是", "在", "也", "就", "都", "把",
    "被", "对", "之", "其", "等", "吗", "呢", "吧", "啊",
];

/// Words of Chinese questions that say how a question is asked, not what it is about; dropped from queries
/// (documents keep them).
const CHINESE_QUESTION_WORDS: &[&str] = &[
    "怎么",
    "怎样",
    "怎么样",
    "怎么办",
    "如何",
    "多少",
    "多久",
    "什么",
    "为什么",
    "哪里",
    "哪儿",
    "哪些",
    "哪个",
    "是否",
    "能否",
    "会",
    "要",
    "能",
    "可以",
    "应该",
    "需要",
    "不会",
    "请问",
    "一下",
];

/// Japanese particles written as a lone hiragana character.
const KANA_STOPWORDS: &[char] = &['の', 'を', 'は', 'が', 'に', 'で', 'と', 'も', 'へ', 'や'];

/// Separators of identifier parts, strongest first.
const LEVELS: [&[char]; 6] = [&['/', '\\', '~'], &['@'], &[':'], &['.'], &['-'], &['_', '\'']];

/// A character after normalisation, with the byte range of the input character it came from.
#[derive(Debug, Clone, Copy)]
struct NChar {
    c: char,
    start: usize,
    end: usize,
}

fn normalize(text: &str) -> Vec<NChar> {
    let mut out = Vec::with_capacity(text.len());
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        if c.is_ascii() {
            out.push(NChar { c, start, end });
            continue;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{FF07}' => out.push(NChar { c: '\'', start, end }),
            '\u{2010}' | '\u{2011}' => out.push(NChar { c: '-', start, end }),
            _ => out.extend(std::iter::once(c).nfkc().map(|c| NChar { c, start, end })),
        }
    }
    out
}

/// A letter or digit that belongs to a word of a spaced script (not Han, kana or Hangul), or `_`.
fn is_word_start(c: char) -> bool {
    c == '_' || (c.is_alphanumeric() && !is_han(c) && !is_hangul(c) && !is_hiragana(c) && !is_katakana(c))
}

fn is_word_char(c: char) -> bool {
    is_word_start(c) || is_combining_mark(c)
}

/// Characters that join the letters and digits on both sides of them into one identifier.
fn is_connector(c: char) -> bool {
    matches!(c, '\'' | '-' | '.' | ':' | '/' | '@' | '\\')
}

fn is_separator(c: char) -> bool {
    LEVELS.iter().any(|level| level.contains(&c))
}

fn lower_nfc(s: &str) -> String {
    s.nfc().collect::<String>().to_lowercase()
}

/// `1.2.3` or `v1.2.3`: digits in at least two dotted groups.
fn is_version(s: &str) -> bool {
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let mut groups = 0;
    for group in digits.split('.') {
        if group.is_empty() || !group.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups >= 2
}

/// Lexeme of a lowercased word: `None` for a stopword, else its stem.
fn word_lexeme(lower: &str) -> Option<String> {
    if ENGLISH_STOPWORDS.contains(lower) {
        return None;
    }
    let letters = || lower.chars().filter(|&c| c != '\'' && !is_combining_mark(c));
    let stem = if letters().all(is_latin_letter) {
        ENGLISH.stem(lower).into_owned()
    } else if letters().all(is_cyrillic) {
        RUSSIAN.stem(lower).into_owned()
    } else {
        lower.to_owned()
    };
    (!stem.is_empty()).then_some(stem)
}

/// Lexeme of a word or of an identifier's leaf part: words are stemmed, anything with a digit is not.
fn leaf_lexeme(s: &str) -> Option<String> {
    let lower = lower_nfc(s);
    if lower.chars().all(|c| c.is_alphabetic() || c == '\'' || is_combining_mark(c)) {
        word_lexeme(&lower)
    } else {
        Some(lower)
    }
}

/// Indexes where a camel-case hump starts: `camelCase`, `HTTPServer`, `HTTP2Server` (`IPv6` has none).
fn camel_cuts(seg: &[NChar]) -> Vec<usize> {
    let lower = |k: usize| seg.get(k).is_some_and(|n| n.c.is_lowercase());
    let mut cuts = Vec::new();
    for i in 1..seg.len() {
        let (a, b) = (seg[i - 1].c, seg[i].c);
        if !b.is_uppercase() {
            continue;
        }
        let cut =
            a.is_lowercase() || (a.is_uppercase() && lower(i + 1) && lower(i + 2)) || (a.is_numeric() && lower(i + 1));
        if cut {
            cuts.push(i);
        }
    }
    cuts
}

fn has_alphanumeric(seg: &[NChar]) -> bool {
    seg.iter().any(|n| n.c.is_alphanumeric())
}

fn text_of(seg: &[NChar]) -> String {
    seg.iter().map(|n| n.c).collect()
}

/// A part of an identifier, as a range of its characters.
enum Part {
    /// A piece that has parts of its own (`nginx.conf`); documents index it, queries do not.
    Inner(usize, usize),
    /// A part that is not split further; it takes the next position.
    Leaf(usize, usize),
}

fn split_parts(seg: &[NChar], a: usize, b: usize, level: usize, out: &mut Vec<Part>) {
    for (l, seps) in LEVELS.iter().enumerate().skip(level) {
        if !seg[a..b].iter().any(|n| seps.contains(&n.c)) {
            continue;
        }
        let mut k = a;
        while k < b {
            if seps.contains(&seg[k].c) {
                k += 1;
                continue;
            }
            let e = (k..b).find(|&e| seps.contains(&seg[e].c)).unwrap_or(b);
            piece(seg, k, e, l + 1, out);
            k = e;
        }
        return;
    }
    let mut from = a;
    for cut in camel_cuts(&seg[a..b]) {
        out.push(Part::Leaf(from, a + cut));
        from = a + cut;
    }
    out.push(Part::Leaf(from, b));
}

fn piece(seg: &[NChar], mut a: usize, mut e: usize, level: usize, out: &mut Vec<Part>) {
    // `C:` of `C:\temp` is the part `C`.
    while a < e && is_separator(seg[a].c) {
        a += 1;
    }
    while e > a && is_separator(seg[e - 1].c) {
        e -= 1;
    }
    let s = &seg[a..e];
    if !has_alphanumeric(s) {
        return;
    }
    let nested = s.iter().any(|n| LEVELS[level.min(LEVELS.len())..].iter().any(|seps| seps.contains(&n.c)))
        || !camel_cuts(s).is_empty();
    if nested && !is_version(&text_of(s)) {
        out.push(Part::Inner(a, e));
        split_parts(seg, a, e, level, out);
    } else {
        out.push(Part::Leaf(a, e));
    }
}

struct Analyzer {
    chars: Vec<NChar>,
    mode: Mode,
    out: Vec<Token>,
    /// The next free position (not capped).
    pos: u32,
}

impl Analyzer {
    fn new(text: &str, mode: Mode) -> Self {
        Analyzer { chars: normalize(text), mode, out: Vec::new(), pos: 1 }
    }

    fn run(mut self) -> Vec<Token> {
        let n = self.chars.len();
        let mut i = 0;
        while i < n {
            let c = self.chars[i].c;
            let class: Option<fn(char) -> bool> = if is_han(c) {
                Some(is_han)
            } else if is_katakana(c) {
                Some(is_katakana)
            } else if is_hiragana(c) {
                Some(is_hiragana)
            } else if is_hangul(c) {
                Some(is_hangul)
            } else {
                None
            };
            if let Some(class) = class {
                let j = (i..n).find(|&j| !class(self.chars[j].c)).unwrap_or(n);
                if is_han(c) {
                    self.han(i, j);
                } else if is_hangul(c) {
                    let lexeme = text_of(&self.chars[i..j]);
                    let p = self.take_pos();
                    self.push(lexeme, i, j, p);
                } else {
                    self.kana(i, j);
                }
                i = j;
            } else if let Some(prefix) = self.chunk_prefix(i) {
                let j = self.scan_chunk(i + prefix);
                self.chunk(i, j);
                i = j;
            } else {
                i += 1;
            }
        }
        self.out
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).map(|n| n.c)
    }

    /// Whether an identifier or word starts at `i`, and how many leading connector characters it has
    /// (`/etc`, `~/x`, `--flag`, `-v`, `.env`).
    fn chunk_prefix(&self, i: usize) -> Option<usize> {
        let c = self.char_at(i)?;
        if is_word_start(c) {
            return Some(0);
        }
        let after_word = i > 0 && self.char_at(i - 1).is_some_and(is_word_char);
        let starts_at = |k: usize| self.char_at(k).is_some_and(is_word_start);
        let letter_at = |k: usize| self.char_at(k).is_some_and(|c| c.is_alphabetic() && is_word_start(c));
        let dotfile_at = |k: usize| self.char_at(k) == Some('.') && letter_at(k + 1);
        match c {
            '/' if starts_at(i + 1) || dotfile_at(i + 1) => Some(1),
            '~' if self.char_at(i + 1) == Some('/') && (starts_at(i + 2) || dotfile_at(i + 2)) => Some(2),
            '-' if !after_word && letter_at(i + 1) => Some(1),
            '-' if !after_word && self.char_at(i + 1) == Some('-') && letter_at(i + 2) => Some(2),
            '.' if !after_word && i.checked_sub(1).and_then(|k| self.char_at(k)) != Some('.') && letter_at(i + 1) => {
                Some(1)
            }
            _ => None,
        }
    }

    /// The end of the identifier whose first letter or digit is at `from`.
    fn scan_chunk(&self, from: usize) -> usize {
        let n = self.chars.len();
        let mut j = from;
        loop {
            while j < n && is_word_char(self.chars[j].c) {
                j += 1;
            }
            if j >= n || !is_connector(self.chars[j].c) {
                return j;
            }
            let mut k = j;
            while k < n && k - j < 3 && is_connector(self.chars[k].c) {
                k += 1;
            }
            if k >= n || !is_word_start(self.chars[k].c) {
                return j;
            }
            if self.chars[j..k].iter().any(|n| n.c == '\'') {
                // An apostrophe only joins two letters: `don't`, `O'Neil`.
                let joins = k == j + 1 && self.chars[j - 1].c.is_alphabetic() && self.chars[k].c.is_alphabetic();
                if !joins {
                    return j;
                }
            }
            j = k;
        }
    }

    fn take_pos(&mut self) -> u32 {
        let p = self.pos.min(MAX_POSITION);
        self.pos = self.pos.saturating_add(1);
        p
    }

    /// Adds a token for the characters `a..b`.
    fn push(&mut self, lexeme: String, a: usize, b: usize, position: u32) {
        if lexeme.is_empty() || lexeme.len() > MAX_LEXEME_BYTES {
            return;
        }
        let (start, end) = (self.chars[a].start, self.chars[b - 1].end);
        self.out.push(Token { lexeme, start, end, position: position.min(MAX_POSITION) });
    }

    fn chunk(&mut self, i: usize, j: usize) {
        let seg = &self.chars[i..j];
        if !has_alphanumeric(seg) {
            return;
        }
        let text = text_of(seg);
        let has_sep = seg.iter().any(|n| n.c != '\'' && is_separator(n.c));
        if !has_sep && camel_cuts(seg).is_empty() {
            let lexeme = leaf_lexeme(&text);
            let p = self.take_pos();
            if let Some(lexeme) = lexeme {
                self.push(lexeme, i, j, p);
            }
            return;
        }
        let whole = lower_nfc(&text);
        if is_version(&whole) {
            let p = self.take_pos();
            let bare = whole.strip_prefix('v').map(str::to_owned);
            self.push(whole, i, j, p);
            if let Some(bare) = bare {
                self.push(bare, i, j, p);
            }
            return;
        }
        let mut parts = Vec::new();
        split_parts(seg, 0, seg.len(), 0, &mut parts);
        let p0 = self.pos;
        let camel_word = !has_sep && text.chars().all(|c| c.is_alphabetic() || is_combining_mark(c));
        let stemmed = if camel_word && self.mode == Mode::Index { word_lexeme(&whole) } else { None };
        self.push(whole.clone(), i, j, p0);
        if let Some(stemmed) = stemmed.filter(|s| *s != whole) {
            self.push(stemmed, i, j, p0);
        }
        let mut leaves = 0u32;
        for part in parts {
            match part {
                Part::Inner(a, b) => {
                    if self.mode == Mode::Index {
                        let lexeme = lower_nfc(&text_of(&self.chars[i + a..i + b]));
                        self.push(lexeme, i + a, i + b, p0.saturating_add(leaves));
                    }
                }
                Part::Leaf(a, b) => {
                    if leaves as usize >= MAX_PARTS {
                        break;
                    }
                    if let Some(lexeme) = leaf_lexeme(&text_of(&self.chars[i + a..i + b])) {
                        self.push(lexeme, i + a, i + b, p0.saturating_add(leaves));
                    }
                    leaves += 1;
                }
            }
        }
        self.pos = p0.saturating_add(leaves.max(1));
    }

    fn han(&mut self, i: usize, j: usize) {
        let run = text_of(&self.chars[i..j]);
        let words = JIEBA.cut(&run, true);
        let grams = if self.mode == Mode::Index { JIEBA.cut_for_search(&run, true) } else { Vec::new() };
        // Search mode lists the dictionary words inside a long word just before the word itself, in the
        // order of the default cut, so one pass over both lists pairs them.
        let mut g = 0;
        for word in &words {
            let p = self.take_pos();
            let stop = CHINESE_STOPWORDS.contains(&word.word);
            if !stop {
                self.push(word.word.to_owned(), i + word.start, i + word.end, p);
            }
            while g < grams.len() && grams[g].end <= word.end {
                let gram = &grams[g];
                g += 1;
                let inside = gram.start >= word.start && (gram.start, gram.end) != (word.start, word.end);
                if inside && !stop {
                    self.push(gram.word.to_owned(), i + gram.start, i + gram.end, p);
                }
            }
        }
    }

    fn kana(&mut self, i: usize, j: usize) {
        if j - i == 1 {
            let c = self.chars[i].c;
            let p = self.take_pos();
            if !KANA_STOPWORDS.contains(&c) {
                self.push(c.to_string(), i, j, p);
            }
            return;
        }
        for k in i..j - 1 {
            let lexeme: String = [self.chars[k].c, self.chars[k + 1].c].iter().collect();
            let p = self.take_pos();
            self.push(lexeme, k, k + 2, p);
        }
    }
}

fn push_quoted(out: &mut String, lexeme: &str) {
    out.push('\'');
    for c in lexeme.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('\'');
}

fn valid_lexeme(lexeme: &str) -> bool {
    !lexeme.is_empty() && lexeme.len() <= MAX_LEXEME_BYTES
}

/// The `tsvector` input form of the tokens, `'lexeme':1,5 'other':2`, for `$1::tsvector`.
///
/// Lexemes are deduplicated with their positions merged and sorted (at most 256 per lexeme, as PostgreSQL
/// keeps); quotes are doubled and backslashes escaped; invalid lexemes are left out.
pub fn to_tsvector_literal(tokens: &[Token]) -> String {
    let mut lexemes: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for token in tokens.iter().filter(|t| valid_lexeme(&t.lexeme)) {
        lexemes.entry(&token.lexeme).or_default().insert(token.position.clamp(1, MAX_POSITION));
    }
    let mut out = String::new();
    for (lexeme, positions) in lexemes {
        if !out.is_empty() {
            out.push(' ');
        }
        push_quoted(&mut out, lexeme);
        out.push(':');
        for (k, position) in positions.iter().take(MAX_POSITIONS_PER_LEXEME).enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&position.to_string());
        }
    }
    out
}

fn within(inner: &Token, outer: &Token) -> bool {
    inner.start >= outer.start && inner.end <= outer.end
}

fn same_span(a: &Token, b: &Token) -> bool {
    a.start == b.start && a.end == b.end
}

/// One word or identifier of a query, as a `tsquery` operand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// The operand: `'lexeme'`, or `('ppr-9087' | 'ppr' <-> '9087')` for an identifier.
    pub literal: String,
    /// The ways the term can match: each inner list is one lexeme, or the lexemes of a phrase.
    pub alternatives: Vec<Vec<String>>,
}

/// The terms of a query (from [`query_tokens`]), each once, in query order.
///
/// Tokens are grouped: a token followed by tokens inside its byte range is an identifier with its parts. A
/// group becomes `('ppr-9087' | 'ppr' <-> '9087')`: the whole identifier, or its parts as a phrase at their
/// relative positions (the index places an identifier's leaves at consecutive positions, so `PPR-9087`,
/// `PPR_9087` and `PPR 9087` all satisfy the phrase, while a document with `PPR` and `9087` in unrelated
/// places does not). A document holding the whole identifier matches both branches and so ranks above one
/// that only has the phrase. An identifier with fewer than two parts is matched by its whole form only.
/// Tokens with exactly the whole's range (such as `1.2.3` for `v1.2.3`) are alternatives to it. Every
/// lexeme is quoted, so operators typed by the user are plain text.
pub fn query_terms(tokens: &[Token]) -> Vec<QueryTerm> {
    let tokens: Vec<&Token> = tokens.iter().filter(|t| valid_lexeme(&t.lexeme)).collect();
    let mut terms: Vec<QueryTerm> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let head = tokens[i];
        let mut j = i + 1;
        while j < tokens.len() && within(tokens[j], head) {
            j += 1;
        }
        let members = &tokens[i + 1..j];
        let mut branches: Vec<String> = Vec::new();
        let mut alternatives: Vec<Vec<String>> = vec![vec![head.lexeme.clone()]];
        for member in members.iter().filter(|m| same_span(m, head)) {
            if !alternatives.iter().any(|a| a[0] == member.lexeme) {
                alternatives.push(vec![member.lexeme.clone()]);
            }
        }
        for alternative in &alternatives {
            let mut quoted = String::new();
            push_quoted(&mut quoted, &alternative[0]);
            branches.push(quoted);
        }
        // Leaves: the parts that hold no other part (documents' intermediate pieces are left out).
        let leaves: Vec<&Token> = members
            .iter()
            .copied()
            .filter(|m| !same_span(m, head))
            .filter(|m| !members.iter().any(|o| !same_span(o, m) && within(o, m)))
            .collect();
        if leaves.len() >= 2 {
            let mut phrase = String::new();
            for (k, leaf) in leaves.iter().enumerate() {
                if k > 0 {
                    let distance = leaf.position.saturating_sub(leaves[k - 1].position);
                    if distance == 1 {
                        phrase.push_str(" <-> ");
                    } else {
                        phrase.push_str(&format!(" <{distance}> "));
                    }
                }
                push_quoted(&mut phrase, &leaf.lexeme);
            }
            branches.push(phrase);
            alternatives.push(leaves.iter().map(|l| l.lexeme.clone()).collect());
        }
        let literal = if branches.len() == 1 { branches.remove(0) } else { format!("({})", branches.join(" | ")) };
        if !terms.iter().any(|t| t.literal == literal) {
            terms.push(QueryTerm { literal, alternatives });
        }
        i = j;
    }
    terms
}

/// The `tsquery` input form of query tokens (from [`query_tokens`]), for `$1::tsquery`: the
/// [`query_terms`] joined with `&` or `|` according to `op`; `None` when there is no lexeme (empty or
/// stopwords only).
pub fn to_tsquery_literal(tokens: &[Token], op: QueryOp) -> Option<String> {
    let terms = query_terms(tokens);
    if terms.is_empty() {
        return None;
    }
    let joiner = match op {
        QueryOp::And => " & ",
        QueryOp::Or => " | ",
    };
    Some(terms.iter().map(|t| t.literal.as_str()).collect::<Vec<_>>().join(joiner))
}

#[cfg(test)]
mod tests;
