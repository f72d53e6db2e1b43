use super::*;

fn lexemes(tokens: &[Token]) -> Vec<&str> {
    tokens.iter().map(|t| t.lexeme.as_str()).collect()
}

fn index(text: &str) -> Vec<String> {
    index_tokens(text).into_iter().map(|t| t.lexeme).collect()
}

fn query(text: &str) -> Vec<String> {
    query_tokens(text).into_iter().map(|t| t.lexeme).collect()
}

#[test]
fn english_words_are_lowercased_stemmed_and_stopwords_dropped() {
    let tokens = index_tokens("The Running dogs were quickly connecting");
    assert_eq!(lexemes(&tokens), ["run", "dog", "quick", "connect"]);
    // Stopwords still use up their positions, as in PostgreSQL.
    let positions: Vec<u32> = tokens.iter().map(|t| t.position).collect();
    assert_eq!(positions, [2, 3, 5, 6]);
    assert_eq!(&"The Running dogs"[tokens[0].start..tokens[0].end], "Running");
}

#[test]
fn full_width_ascii_is_folded() {
    assert_eq!(index("ＡＢＣ１２３ Ｒｕｓｔ"), ["abc123", "rust"]);
    let tokens = index_tokens("ｘ：Ｆｏｏ");
    assert_eq!(lexemes(&tokens), ["x:foo", "x", "foo"]);
    // Offsets point into the original (full-width) text.
    assert_eq!((tokens[0].start, tokens[0].end), (0, "ｘ：Ｆｏｏ".len()));
}

#[test]
fn identifiers_are_kept_whole_and_split() {
    assert_eq!(index("PPR-9087"), ["ppr-9087", "ppr", "9087"]);
    assert_eq!(index("snake_case_name"), ["snake_case_name", "snake", "case", "name"]);
    assert_eq!(index("camelCaseName"), ["camelcasename", "camelcasenam", "camel", "case", "name"]);
    assert_eq!(index("HTTPServer"), ["httpserver", "http", "server"]);
    assert_eq!(index("v1.2.3"), ["v1.2.3", "1.2.3"]);
    assert_eq!(index("1.2.3"), ["1.2.3"]);
    assert_eq!(index("std::fs::read"), ["std::fs::read", "std", "fs", "read"]);
    assert_eq!(
        index("/etc/nginx/nginx.conf"),
        ["/etc/nginx/nginx.conf", "etc", "nginx", "nginx.conf", "nginx", "conf"]
    );
    assert_eq!(index("ERR_CONNECTION_REFUSED"), ["err_connection_refused", "err", "connect", "refus"]);
    assert_eq!(index("0x1F E0502 IPv6"), ["0x1f", "e0502", "ipv6"]);
    assert_eq!(index("foo.bar.baz"), ["foo.bar.baz", "foo", "bar", "baz"]);
    assert_eq!(index("--flag-name"), ["--flag-name", "flag", "name"]);
    assert_eq!(index("user@example.com"), ["user@example.com", "user", "example.com", "exampl", "com"]);
    assert_eq!(index("~/.config"), ["~/.config", "config"]);
    assert_eq!(index("get_the_value"), ["get_the_value", "get", "valu"]);
}

#[test]
fn identifier_parts_take_consecutive_positions() {
    let tokens = index_tokens("see PPR-9087 now");
    let got: Vec<(&str, u32)> = tokens.iter().map(|t| (t.lexeme.as_str(), t.position)).collect();
    assert_eq!(got, [("see", 1), ("ppr-9087", 2), ("ppr", 2), ("9087", 3)]);
    // `now` is a stopword at position 4.
    let tokens = index_tokens("PPR-9087 ticket");
    assert_eq!(tokens.last().map(|t| t.position), Some(3));
}

#[test]
fn trailing_punctuation_is_not_part_of_an_identifier() {
    assert_eq!(index("Fix PPR-9087."), ["fix", "ppr-9087", "ppr", "9087"]);
    assert_eq!(index("(see foo.bar), then baz:"), ["see", "foo.bar", "foo", "bar", "baz"]);
    assert_eq!(
        index("mail user@example.com, or /etc/hosts."),
        ["mail", "user@example.com", "user", "example.com", "exampl", "com", "/etc/hosts", "etc", "host"]
    );
    let text = "Run std::fs::read().";
    let tokens = index_tokens(text);
    assert_eq!(&text[tokens[1].start..tokens[1].end], "std::fs::read");
}

#[test]
fn query_side_keeps_the_whole_and_the_leaves_only() {
    assert_eq!(query("/etc/nginx/nginx.conf"), ["/etc/nginx/nginx.conf", "etc", "nginx", "nginx", "conf"]);
    assert_eq!(query("camelCaseName"), ["camelcasename", "camel", "case", "name"]);
    assert_eq!(query("PPR-9087"), ["ppr-9087", "ppr", "9087"]);
}

#[test]
fn chinese_is_segmented_for_search() {
    let index_lexemes = index("数据库备份与恢复");
    for word in ["数据库", "数据", "备份", "恢复"] {
        assert!(index_lexemes.iter().any(|l| l == word), "{word} missing from {index_lexemes:?}");
    }
    assert!(!index_lexemes.iter().any(|l| l == "与"), "stopword kept: {index_lexemes:?}");
    assert_eq!(query("数据库备份与恢复"), ["数据库", "备份", "恢复"]);
    assert_eq!(query("配置文件"), ["配置文件"]);
    assert_eq!(query("向量检索"), ["向量", "检索"]);
    let doc = index("修改配置文件后执行向量检索。");
    for word in ["配置文件", "配置", "文件", "向量", "检索"] {
        assert!(doc.iter().any(|l| l == word), "{word} missing from {doc:?}");
    }
    // A sub-word shares the position of its word.
    let tokens = index_tokens("配置文件");
    assert!(tokens.iter().all(|t| t.position == 1), "{tokens:?}");
}

#[test]
fn mixed_chinese_and_identifiers() {
    let text = "使用PPR-9087修复数据库";
    let got = index(text);
    assert_eq!(got[..4], ["使用", "ppr-9087", "ppr", "9087"]);
    assert!(got.contains(&"修复".to_owned()) && got.contains(&"数据库".to_owned()), "{got:?}");
}

#[test]
fn kana_runs_are_bigrams_and_hangul_words_whole() {
    assert_eq!(index("ファイル"), ["ファ", "ァイ", "イル"]);
    assert_eq!(index("ファイルの設定"), ["ファ", "ァイ", "イル", "設定"]);
    assert_eq!(query("ファイル"), index("ファイル"));
    assert_eq!(index("데이터베이스 백업"), ["데이터베이스", "백업"]);
}

#[test]
fn cyrillic_is_stemmed_in_russian() {
    assert_eq!(index("Базы данных"), ["баз", "дан"]);
}

#[test]
fn overlong_lexemes_are_dropped_and_positions_capped() {
    let long = "a".repeat(MAX_LEXEME_BYTES + 1);
    assert!(index_tokens(&long).is_empty());
    let fits = "b".repeat(MAX_LEXEME_BYTES);
    assert_eq!(index_tokens(&fits).len(), 1);
    let many = "word ".repeat(MAX_POSITION as usize + 10);
    let tokens = index_tokens(&many);
    assert_eq!(tokens.len(), MAX_POSITION as usize + 10);
    assert_eq!(tokens.last().map(|t| t.position), Some(MAX_POSITION));
    assert!(tokens.iter().all(|t| (1..=MAX_POSITION).contains(&t.position)));
}

#[test]
fn tsvector_literal_merges_sorts_and_escapes() {
    let tokens = index_tokens("Deploy deploys; O'Neil's path C:\\temp\\x");
    assert_eq!(to_tsvector_literal(&tokens), r"'c':5 'c:\\temp\\x':5 'deploy':1,2 'o''neil':3 'path':4 'temp':6 'x':7");
    let token = |lexeme: &str, position| Token { lexeme: lexeme.into(), start: 0, end: 0, position };
    let literal = to_tsvector_literal(&[token("it's", 3), token(r"a\b", 2), token("it's", 1), token("", 1)]);
    assert_eq!(literal, r"'a\\b':2 'it''s':1,3");
    assert_eq!(to_tsvector_literal(&[]), "");
}

#[test]
fn tsquery_literal_quotes_operators_as_text() {
    let tokens = query_tokens("a & b | !c <-> (d):* e'f");
    assert_eq!(to_tsquery_literal(&tokens, QueryOp::And).as_deref(), Some("'b' & 'c' & 'd' & 'e''f'"));
    assert_eq!(to_tsquery_literal(&tokens, QueryOp::Or).as_deref(), Some("'b' | 'c' | 'd' | 'e''f'"));
    let token = Token { lexeme: r"x\'y".into(), start: 0, end: 1, position: 1 };
    assert_eq!(to_tsquery_literal(&[token], QueryOp::And).as_deref(), Some(r"'x\\''y'"));
}

#[test]
fn tsquery_literal_is_none_without_lexemes() {
    assert_eq!(to_tsquery_literal(&query_tokens(""), QueryOp::And), None);
    assert_eq!(to_tsquery_literal(&query_tokens("the and of ... !!"), QueryOp::Or), None);
}

#[test]
fn tsquery_for_identifiers_requires_the_whole_or_the_phrase_of_parts() {
    let q = |text: &str| to_tsquery_literal(&query_tokens(text), QueryOp::And).unwrap_or_default();
    assert_eq!(q("PPR-9087"), "('ppr-9087' | 'ppr' <-> '9087')");
    assert_eq!(q("PPR-9087 crash"), "('ppr-9087' | 'ppr' <-> '9087') & 'crash'");
    assert_eq!(q("get_the_value"), "('get_the_value' | 'get' <2> 'valu')");
    assert_eq!(q("v1.2.3"), "('v1.2.3' | '1.2.3')");
    assert_eq!(q("--verbose"), "'--verbose'");
    assert_eq!(q("error error"), "'error'");
    assert_eq!(
        to_tsquery_literal(&query_tokens("std::fs::read 配置文件"), QueryOp::Or).as_deref(),
        Some("('std::fs::read' | 'std' <-> 'fs' <-> 'read') | '配置文件'")
    );
}

#[test]
fn query_terms_list_every_way_a_term_matches() {
    let terms = query_terms(&query_tokens("PPR-9087 v1.2.3 crash"));
    let view: Vec<(&str, Vec<Vec<&str>>)> = terms
        .iter()
        .map(|t| (t.literal.as_str(), t.alternatives.iter().map(|a| a.iter().map(String::as_str).collect()).collect()))
        .collect();
    assert_eq!(
        view,
        vec![
            ("('ppr-9087' | 'ppr' <-> '9087')", vec![vec!["ppr-9087"], vec!["ppr", "9087"]]),
            ("('v1.2.3' | '1.2.3')", vec![vec!["v1.2.3"], vec!["1.2.3"]]),
            ("'crash'", vec![vec!["crash"]]),
        ]
    );
    assert!(query_terms(&query_tokens("the of")).is_empty());
}

#[test]
fn chinese_question_words_leave_queries_that_have_a_topic() {
    let q = |text: &str| to_tsquery_literal(&query_tokens(text), QueryOp::And).unwrap_or_default();
    assert_eq!(q("索引服务需要分配多少内存"), "'索引' & '服务' & '分配' & '内存'");
    assert_eq!(q("怎么办"), "'怎么办'");
    // documents keep them
    assert!(index("需要分配多少内存").iter().any(|l| l == "多少"));
}
