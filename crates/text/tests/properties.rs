//! Property tests: the literals stay well-formed whatever the text, queries find what documents index, and
//! the chunker keeps its budget and loses no text.

use std::collections::{BTreeMap, BTreeSet};

use aidoc_text::{
    Block, BlockKind, Chunk, ChunkerConfig, MAX_LEXEME_BYTES, MAX_POSITION, QueryOp, approx_tokens, chunk_document,
    index_tokens, query_tokens, snippet, to_tsquery_literal, to_tsvector_literal,
};
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "running",
    "The",
    "and",
    "PPR-9087",
    "snake_case_name",
    "camelCaseName",
    "HTTPServer",
    "v1.2.3",
    "std::fs::read",
    "/etc/nginx/nginx.conf",
    "--flag-name",
    "user@example.com",
    "O'Neil's",
    "it's",
    "C:\\temp\\x",
    "a\\'b",
    "''",
    "0x1F",
    "E0502",
    "数据库备份与恢复",
    "配置文件",
    "向量检索",
    "使用PostgreSQL实现",
    "設定ファイルの場所",
    "데이터베이스 백업",
    "Ｆｕｌｌ－ｗｉｄｔｈ",
    "Базы данных",
    "a & b | !c <-> (d):*",
    "naïve café",
    "e\u{301}t\u{e9}",
];

const SEPARATORS: &[&str] = &["", " ", "  ", ". ", ", ", "-", "_", "/", "\n", "'", "。", ":", "\\"];

/// Text made of technical fragments, arbitrary characters and separators.
fn text() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        3 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        2 => "\\PC{0,12}",
        1 => "[a-zA-Z0-9_'\\\\.:/@-]{1,12}",
    ];
    prop::collection::vec((fragment, prop::sample::select(SEPARATORS)), 0..10)
        .prop_map(|parts| parts.into_iter().map(|(f, s)| f + s).collect())
}

/// Parses the `tsvector` input syntax as PostgreSQL does (quoted lexemes with `''`, `\` escapes).
fn parse_tsvector(literal: &str) -> Result<Vec<(String, Vec<u32>)>, String> {
    let mut out = Vec::new();
    let mut chars = literal.chars().peekable();
    loop {
        while chars.next_if_eq(&' ').is_some() {}
        let Some(open) = chars.next() else { return Ok(out) };
        if open != '\'' {
            return Err(format!("expected a quote, got {open:?}"));
        }
        let mut lexeme = String::new();
        loop {
            match chars.next() {
                None => return Err("unterminated lexeme".into()),
                Some('\\') => lexeme.push(chars.next().ok_or("dangling backslash")?),
                Some('\'') if chars.next_if_eq(&'\'').is_some() => lexeme.push('\''),
                Some('\'') => break,
                Some(c) => lexeme.push(c),
            }
        }
        if chars.next() != Some(':') {
            return Err("expected positions".into());
        }
        let mut positions = Vec::new();
        let mut number = String::new();
        while let Some(c) = chars.next_if(|c| c.is_ascii_digit() || *c == ',') {
            if c == ',' {
                positions.push(number.parse::<u32>().map_err(|e| e.to_string())?);
                number.clear();
            } else {
                number.push(c);
            }
        }
        positions.push(number.parse::<u32>().map_err(|e| e.to_string())?);
        out.push((lexeme, positions));
    }
}

/// Splits a `tsquery` literal into its quoted lexemes and the operator text between them.
fn parse_tsquery(literal: &str) -> Result<(Vec<String>, String), String> {
    let mut lexemes = Vec::new();
    let mut operators = String::new();
    let mut chars = literal.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            operators.push(c);
            continue;
        }
        let mut lexeme = String::new();
        loop {
            match chars.next() {
                None => return Err("unterminated lexeme".into()),
                Some('\\') => lexeme.push(chars.next().ok_or("dangling backslash")?),
                Some('\'') if chars.next_if_eq(&'\'').is_some() => lexeme.push('\''),
                Some('\'') => break,
                Some(c) => lexeme.push(c),
            }
        }
        lexemes.push(lexeme);
    }
    Ok((lexemes, operators))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tokens_are_valid(text in text()) {
        for tokens in [index_tokens(&text), query_tokens(&text)] {
            for t in &tokens {
                prop_assert!(!t.lexeme.is_empty() && t.lexeme.len() <= MAX_LEXEME_BYTES);
                prop_assert!((1..=MAX_POSITION).contains(&t.position));
                prop_assert!(t.start < t.end && t.end <= text.len());
                prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
                prop_assert!(!t.lexeme.chars().any(char::is_whitespace), "{:?}", t.lexeme);
            }
        }
    }

    #[test]
    fn tsvector_literal_round_trips(text in text()) {
        let tokens = index_tokens(&text);
        let literal = to_tsvector_literal(&tokens);
        let parsed = parse_tsvector(&literal).map_err(|e| TestCaseError::fail(format!("{e} in {literal}")))?;
        let mut expected: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        for t in &tokens {
            expected.entry(t.lexeme.clone()).or_default().insert(t.position);
        }
        let expected: Vec<(String, Vec<u32>)> =
            expected.into_iter().map(|(l, p)| (l, p.into_iter().collect())).collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn tsquery_literal_quotes_every_lexeme(text in text(), or in any::<bool>()) {
        let tokens = query_tokens(&text);
        let op = if or { QueryOp::Or } else { QueryOp::And };
        match to_tsquery_literal(&tokens, op) {
            None => prop_assert!(tokens.is_empty()),
            Some(literal) => {
                let (lexemes, operators) =
                    parse_tsquery(&literal).map_err(|e| TestCaseError::fail(format!("{e} in {literal}")))?;
                prop_assert!(!lexemes.is_empty());
                let known: BTreeSet<&str> = tokens.iter().map(|t| t.lexeme.as_str()).collect();
                prop_assert!(lexemes.iter().all(|l| known.contains(l.as_str())), "{literal}");
                prop_assert!(operators.chars().all(|c| "()|&<->0123456789 ".contains(c)), "{literal}");
            }
        }
    }

    #[test]
    fn query_lexemes_are_indexed(text in text()) {
        let indexed: BTreeSet<String> = index_tokens(&text).into_iter().map(|t| t.lexeme).collect();
        for t in query_tokens(&text) {
            prop_assert!(indexed.contains(&t.lexeme), "{:?} not indexed for {:?}", t.lexeme, text);
        }
    }

    #[test]
    fn snippets_stay_within_budget(text in text(), query in text(), max_chars in 0usize..80) {
        let html = snippet(&text, &query_tokens(&query), max_chars);
        let plain = html
            .replace("<mark>", "")
            .replace("</mark>", "")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        let body = plain.trim_start_matches('…').trim_end_matches('…');
        prop_assert!(body.chars().count() <= max_chars, "{html:?}");
        let unmarked = html.replace("<mark>", "").replace("</mark>", "");
        prop_assert!(!unmarked.contains(['<', '>', '"', '\'']), "{html:?}");
    }
}

fn block() -> impl Strategy<Value = (u8, String, u32, u32, String)> {
    let body = prop_oneof![
        text(),
        "([a-z]{1,8} ){0,40}[a-z]{1,8}\\.",
        "([\u{4e00}-\u{4e40}]{1,30}[。！？]){1,4}",
        "(\\| [a-z0-9]{1,6} \\| [a-z0-9]{1,6} \\|\n){1,8}",
        "[A-Za-z0-9+/]{30,120}",
    ];
    (0u8..5, body, 0u32..4, 0u32..3, prop::sample::select(&["", "-", "1.", "a)"][..]).prop_map(str::to_owned))
}

fn to_blocks(raw: Vec<(u8, String, u32, u32, String)>) -> Vec<Block> {
    let mut page = 1;
    raw.into_iter()
        .map(|(kind, text, level, step, label)| {
            page += step / 2;
            let kind = match kind {
                0 => BlockKind::Heading,
                1 => BlockKind::Paragraph,
                2 => BlockKind::ListItem,
                3 => BlockKind::Table,
                _ => BlockKind::Code,
            };
            Block::new(kind, text).with_level(level).with_page(page).with_label(label)
        })
        .collect()
}

fn non_space(text: &str) -> Vec<char> {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_subsequence(needle: &[char], haystack: &[char]) -> bool {
    let mut rest = haystack.iter();
    needle.iter().all(|c| rest.any(|h| h == c))
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn check_chunks(
    blocks: &[Block],
    cfg: &ChunkerConfig,
    chunks: &[Chunk],
    count: &dyn Fn(&str) -> usize,
) -> Result<(), TestCaseError> {
    let max = cfg.max_tokens.max(1);
    let limit = if cfg.min_tokens == 0 { max } else { max + max / 4 };
    for (k, chunk) in chunks.iter().enumerate() {
        prop_assert_eq!(chunk.index as usize, k);
        prop_assert!(!chunk.text.trim().is_empty());
        prop_assert_eq!(chunk.token_count as usize, count(&chunk.text));
        prop_assert!(count(&chunk.text) <= limit, "chunk {} has {} tokens: {:?}", k, count(&chunk.text), chunk.text);
        prop_assert!(chunk.page_start <= chunk.page_end);
        prop_assert!(!chunk.block_kinds.is_empty());
    }
    // Every block's text is in the chunks, in order (overlap only repeats text).
    let body: Vec<char> =
        blocks.iter().filter(|b| b.kind != BlockKind::Heading).flat_map(|b| non_space(&b.text)).collect();
    let chunked: Vec<char> = chunks.iter().flat_map(|c| non_space(&c.text)).collect();
    prop_assert!(is_subsequence(&body, &chunked), "text lost");
    for heading in blocks.iter().filter(|b| b.kind == BlockKind::Heading && !b.text.trim().is_empty()) {
        let name = heading.text.split_whitespace().collect::<Vec<_>>().join(" ");
        prop_assert!(chunks.iter().any(|c| c.heading_path.contains(&name)), "heading {:?} lost", name);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn chunks_keep_the_budget_and_the_text(
        raw in prop::collection::vec(block(), 0..12),
        max_tokens in 1usize..60,
        overlap_tokens in 0usize..20,
        min_tokens in prop_oneof![Just(0usize), 0usize..30],
        by_words in any::<bool>(),
    ) {
        let blocks = to_blocks(raw);
        let cfg = ChunkerConfig { max_tokens, overlap_tokens, min_tokens };
        let count: &dyn Fn(&str) -> usize = if by_words { &words } else { &approx_tokens };
        let chunks = chunk_document(&blocks, &cfg, count);
        check_chunks(&blocks, &cfg, &chunks, count)?;
        prop_assert_eq!(&chunks, &chunk_document(&blocks, &cfg, count));
    }
}
