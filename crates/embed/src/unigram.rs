//! A compact SentencePiece unigram model for the `tokenizers` pipeline.
//!
//! `tokenizers`' own `Unigram` keeps its 250 002 pieces in a trie with a hash map in every node: ≈ 290 MiB
//! of heap for XLM-R's vocabulary, most of the indexer's memory. [`CompactUnigram`] keeps the pieces in one
//! string sorted alongside an index (≈ 6 MiB) and finds the pieces that start at a position by narrowing a
//! range of the sorted index byte by byte. The segmentation is the same Viterbi search with the same
//! scores, the same tie-breaking (the first candidate found keeps a tie: earlier start, then shorter piece),
//! the same penalty for characters no piece covers and the same fusing of consecutive unknown characters, so
//! it yields the same ids; `tests/integration/tokenizer.rs` checks that on the corpus.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokenizers::models::unigram::UnigramTrainer;
use tokenizers::{
    DecoderWrapper, Model, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper, Token, TokenizerImpl,
};

use crate::error::{EmbedError, Result};

/// The score of an unknown character: `tokenizers`' and SentencePiece's penalty below the lowest piece.
const UNK_PENALTY: f64 = 10.0;

/// The tokenizer the local model runs: the `tokenizer.json` pipeline around a [`CompactUnigram`].
pub type CompactTokenizer =
    TokenizerImpl<CompactUnigram, NormalizerWrapper, PreTokenizerWrapper, PostProcessorWrapper, DecoderWrapper>;

/// Unigram pieces, their scores and an index sorted by piece bytes.
pub struct CompactUnigram {
    /// Every piece's bytes, one after another.
    text: String,
    /// Where piece `id` starts in `text` (one more entry than pieces).
    starts: Vec<u32>,
    scores: Vec<f64>,
    /// Piece ids ordered by their bytes (equal pieces by id).
    sorted: Vec<u32>,
    /// The range of `sorted` whose pieces start with each byte.
    by_first_byte: Vec<(u32, u32)>,
    unk_id: u32,
    min_score: f64,
}

impl std::fmt::Debug for CompactUnigram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompactUnigram").field("pieces", &self.scores.len()).field("unk_id", &self.unk_id).finish()
    }
}

impl CompactUnigram {
    /// A model of `vocab` (piece, score) in id order, with `unk_id` for characters no piece covers.
    pub fn new(vocab: Vec<(String, f64)>, unk_id: usize) -> Result<Self> {
        if unk_id >= vocab.len() || vocab.len() > u32::MAX as usize {
            return Err(EmbedError::Tokenizer(format!("unk_id {unk_id} is outside a vocabulary of {}", vocab.len())));
        }
        let mut text = String::with_capacity(vocab.iter().map(|(p, _)| p.len()).sum());
        let mut starts = Vec::with_capacity(vocab.len() + 1);
        let mut scores = Vec::with_capacity(vocab.len());
        for (piece, score) in vocab {
            starts.push(u32::try_from(text.len()).map_err(|_| EmbedError::Tokenizer("vocabulary too large".into()))?);
            text.push_str(&piece);
            scores.push(score);
        }
        starts.push(u32::try_from(text.len()).map_err(|_| EmbedError::Tokenizer("vocabulary too large".into()))?);
        let min_score = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let mut model = CompactUnigram {
            text,
            starts,
            scores,
            sorted: Vec::new(),
            by_first_byte: Vec::new(),
            unk_id: unk_id as u32,
            min_score,
        };
        let mut sorted: Vec<u32> = (0..model.scores.len() as u32).collect();
        sorted.sort_by(|&a, &b| model.piece(a).as_bytes().cmp(model.piece(b).as_bytes()).then(a.cmp(&b)));
        model.by_first_byte = (0..=255u8)
            .map(|byte| {
                let first = |id: &u32| model.piece(*id).as_bytes().first().copied();
                let lo = sorted.partition_point(|id| first(id).is_none_or(|b| b < byte));
                let hi = sorted.partition_point(|id| first(id).is_none_or(|b| b <= byte));
                (lo as u32, hi as u32)
            })
            .collect();
        model.sorted = sorted;
        Ok(model)
    }

    fn piece(&self, id: u32) -> &str {
        &self.text[self.starts[id as usize] as usize..self.starts[id as usize + 1] as usize]
    }

    /// The id of `piece`; for a piece listed twice the later id, as `tokenizers` does.
    fn find(&self, piece: &str) -> Option<u32> {
        let key = piece.as_bytes();
        let end = self.sorted.partition_point(|&id| self.piece(id).as_bytes() <= key);
        let id = *self.sorted[..end].last()?;
        (self.piece(id) == piece).then_some(id)
    }

    /// Calls `found(end, id)` for every piece that starts at byte `start` of `s`, shortest first.
    fn prefixes(&self, s: &[u8], start: usize, mut found: impl FnMut(usize, u32)) {
        let Some(&first_byte) = s.get(start) else { return };
        let (lo, hi) = self.by_first_byte[usize::from(first_byte)];
        let (mut lo, mut hi) = (lo as usize, hi as usize);
        for depth in 0..s.len() - start {
            if depth > 0 {
                let byte = s[start + depth];
                // within [lo, hi) every piece starts with s[start..start + depth]; keep those whose next byte
                // is `byte`
                let range = &self.sorted[lo..hi];
                let first = range.partition_point(|&id| self.piece(id).as_bytes().get(depth).is_none_or(|&b| b < byte));
                let last = range.partition_point(|&id| self.piece(id).as_bytes().get(depth).is_none_or(|&b| b <= byte));
                (lo, hi) = (lo + first, lo + last);
            }
            if lo == hi {
                return;
            }
            // pieces exactly this long sort first; the last of them is the id `tokenizers` maps the text to
            let exact = self.sorted[lo..hi].partition_point(|&id| self.piece(id).len() == depth + 1);
            if exact > 0 {
                found(start + depth + 1, self.sorted[lo + exact - 1]);
            }
        }
    }

    /// The Viterbi segmentation of `sentence` as (start, end, id), consecutive unknown characters fused.
    fn segment(&self, sentence: &str) -> Vec<(usize, usize, u32)> {
        #[derive(Clone, Copy)]
        struct Best {
            score: f64,
            start: Option<usize>,
            id: u32,
        }
        let bytes = sentence.as_bytes();
        let unk_score = self.min_score - UNK_PENALTY;
        let mut best = vec![Best { score: 0.0, start: None, id: 0 }; bytes.len() + 1];
        let offer = |best: &mut [Best], from: usize, to: usize, score: f64, id: u32| {
            let node = &mut best[to];
            if node.start.is_none() || score > node.score {
                *node = Best { score, start: Some(from), id };
            }
        };
        let mut start = 0;
        while start < bytes.len() {
            let here = best[start].score;
            let char_len = sentence[start..].chars().next().map_or(1, char::len_utf8);
            let mut covers_char = false;
            self.prefixes(bytes, start, |end, id| {
                offer(&mut best, start, end, here + self.scores[id as usize], id);
                covers_char |= end - start == char_len;
            });
            if !covers_char {
                offer(&mut best, start, start + char_len, here + unk_score, self.unk_id);
            }
            start += char_len;
        }
        let mut out: Vec<(usize, usize, u32)> = Vec::new();
        let mut end = bytes.len();
        while end > 0 {
            let node = best[end];
            let from = node.start.unwrap_or(0);
            match out.last_mut() {
                // walking backwards: an unknown run grows to the left
                Some(last) if node.id == self.unk_id && last.2 == self.unk_id && last.0 == end => last.0 = from,
                _ => out.push((from, end, node.id)),
            }
            end = from;
        }
        out.reverse();
        out
    }
}

impl Model for CompactUnigram {
    type Trainer = UnigramTrainer;

    fn tokenize(&self, sequence: &str) -> tokenizers::Result<Vec<Token>> {
        Ok(self
            .segment(sequence)
            .into_iter()
            .map(|(start, end, id)| {
                // a fused run of unknown characters, or a single one, is looked up as text like any piece
                let text = &sequence[start..end];
                let id = if id == self.unk_id { self.find(text).unwrap_or(self.unk_id) } else { id };
                Token::new(id, text.to_owned(), (start, end))
            })
            .collect())
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.find(token)
    }

    fn id_to_token(&self, id: u32) -> Option<String> {
        ((id as usize) < self.scores.len()).then(|| self.piece(id).to_owned())
    }

    fn get_vocab(&self) -> HashMap<String, u32> {
        (0..self.scores.len() as u32).map(|id| (self.piece(id).to_owned(), id)).collect()
    }

    fn get_vocab_size(&self) -> usize {
        self.scores.len()
    }

    fn save(&self, _folder: &Path, _prefix: Option<&str>) -> tokenizers::Result<Vec<PathBuf>> {
        Err("the compact unigram model is loaded from tokenizer.json and not saved".into())
    }

    fn get_trainer(&self) -> UnigramTrainer {
        UnigramTrainer::default()
    }
}

#[derive(Deserialize)]
struct TokenizerFile {
    normalizer: Option<NormalizerWrapper>,
    pre_tokenizer: Option<PreTokenizerWrapper>,
    post_processor: Option<PostProcessorWrapper>,
    decoder: Option<DecoderWrapper>,
    #[serde(default)]
    added_tokens: Vec<serde_json::Value>,
    model: ModelFile,
}

#[derive(Deserialize)]
struct ModelFile {
    #[serde(rename = "type")]
    kind: String,
    unk_id: Option<usize>,
    #[serde(default)]
    byte_fallback: bool,
    vocab: Vec<(String, f64)>,
}

/// Loads a `tokenizer.json` whose model is a unigram without byte fallback or added tokens (what
/// `tools/build_model.py` writes) with a [`CompactUnigram`] in place of `tokenizers`' model.
pub fn load(path: &Path) -> Result<CompactTokenizer> {
    let bad = |reason: String| EmbedError::Tokenizer(format!("{}: {reason}", path.display()));
    let file = std::fs::File::open(path).map_err(|source| EmbedError::Io { path: path.to_path_buf(), source })?;
    let parsed: TokenizerFile =
        serde_json::from_reader(BufReader::new(file)).map_err(|err| bad(format!("not a tokenizer file: {err}")))?;
    let m = parsed.model;
    if m.kind != "Unigram" {
        return Err(bad(format!("model type {:?}, expected Unigram", m.kind)));
    }
    if m.byte_fallback || !parsed.added_tokens.is_empty() {
        return Err(bad("byte fallback and added tokens are not supported".into()));
    }
    let unk_id = m.unk_id.ok_or_else(|| bad("the unigram model has no unk_id".into()))?;
    let mut tokenizer = TokenizerImpl::new(CompactUnigram::new(m.vocab, unk_id)?);
    tokenizer
        .with_normalizer(parsed.normalizer)
        .with_pre_tokenizer(parsed.pre_tokenizer)
        .with_post_processor(parsed.post_processor)
        .with_decoder(parsed.decoder);
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> CompactUnigram {
        let vocab = [("<unk>", 0.0), ("a", -1.0), ("b", -2.0), ("ab", -1.5), ("abc", -4.0), ("c", -2.5), ("数", -3.0)];
        CompactUnigram::new(vocab.iter().map(|&(p, s)| (p.to_owned(), s)).collect(), 0).unwrap()
    }

    fn pieces(m: &CompactUnigram, s: &str) -> Vec<(String, u32)> {
        m.tokenize(s).unwrap().into_iter().map(|t| (t.value, t.id)).collect()
    }

    #[test]
    fn finds_every_piece_starting_at_a_position_shortest_first() {
        let m = model();
        let mut found = Vec::new();
        m.prefixes(b"abcd", 0, |end, id| found.push((end, m.piece(id).to_owned())));
        assert_eq!(found, [(1, "a".to_owned()), (2, "ab".to_owned()), (3, "abc".to_owned())]);
        assert_eq!(m.find("ab"), Some(3));
        assert_eq!(m.find("abcd"), None);
        assert_eq!(m.find(""), None);
    }

    #[test]
    fn the_best_scoring_segmentation_wins() {
        let m = model();
        // "ab" (-1.5) beats "a" + "b" (-3.0); "abc" and "ab" + "c" tie at -4.0 and the first found ("abc") stays
        assert_eq!(pieces(&m, "ab"), [("ab".to_owned(), 3)]);
        assert_eq!(pieces(&m, "abc"), [("abc".to_owned(), 4)]);
        assert_eq!(pieces(&m, "数ab"), [("数".to_owned(), 6), ("ab".to_owned(), 3)]);
    }

    #[test]
    fn unknown_characters_in_a_row_become_one_unknown_token() {
        let m = model();
        let t = m.tokenize("axyzé数b").unwrap();
        let got: Vec<(&str, u32, (usize, usize))> = t.iter().map(|t| (t.value.as_str(), t.id, t.offsets)).collect();
        assert_eq!(got, [("a", 1, (0, 1)), ("xyzé", 0, (1, 6)), ("数", 6, (6, 9)), ("b", 2, (9, 10))]);
    }

    #[test]
    fn a_piece_listed_twice_maps_to_its_later_id() {
        let vocab = vec![("<unk>".to_owned(), 0.0), ("x".to_owned(), -1.0), ("x".to_owned(), -2.0)];
        let m = CompactUnigram::new(vocab, 0).unwrap();
        assert_eq!(m.find("x"), Some(2));
        assert_eq!(pieces(&m, "x"), [("x".to_owned(), 2)]);
    }
}
