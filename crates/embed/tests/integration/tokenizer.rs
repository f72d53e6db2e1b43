//! The compact unigram model gives the ids `tokenizers`' own `Unigram` gives, on real text.

use std::path::{Path, PathBuf};

use crate::support::model_dir;

/// Texts to compare on: the committed quality documents (English and Chinese), the shared corpus's reference
/// texts when present (PDF and DOCX text in many languages), and edge cases.
fn texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    collect(&root.join("bench/quality/docs"), &mut files);
    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        collect(&corpus, &mut files);
    } else {
        eprintln!("note: {} is missing; comparing on the committed documents only", corpus.display());
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        out.extend(text.split("\n\n").map(str::to_owned));
        out.push(text);
    }
    for edge in [
        "",
        " ",
        "\u{3000}\t\n",
        "<unk> <s> </s> <pad>",
        "🦀🦀🦀 rust 🦀",
        "\u{10FFFF}\u{E000}𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﬁ ① ㍿",
        "ẞ İstanbul ǅ Ω",
        "std::fs::read_to_string(\"/etc/aidoc.toml\")?; PPR-9087 v1.2.3 snake_case_name",
        "数据库连接池的大小通过 max_connections 设置。𠀀𠀁𪚥",
        "a\u{200d}b\u{0301}c\u{061C}d",
    ] {
        out.push(edge.to_owned());
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt" || e == "md") {
            out.push(path);
        }
    }
}

#[test]
fn the_compact_unigram_gives_the_ids_of_the_tokenizers_unigram() {
    let Some(dir) = model_dir() else { return };
    let path = dir.join("tokenizer.json");
    let stock = tokenizers::Tokenizer::from_file(&path).expect("tokenizers loads tokenizer.json");
    let compact = aidoc_embed::unigram::load(&path).expect("the compact tokenizer loads");
    let texts = texts();
    let mut tokens = 0usize;
    for text in &texts {
        let want = stock.encode(text.as_str(), true).expect("stock encode");
        let got = compact.encode(text.as_str(), true).expect("compact encode");
        assert_eq!(got.get_ids(), want.get_ids(), "ids differ for {:?}", text.chars().take(200).collect::<String>());
        assert_eq!(got.get_offsets(), want.get_offsets(), "offsets differ for {text:?}");
        tokens += want.get_ids().len();
    }
    assert!(texts.len() > 100 && tokens > 100_000, "compared only {} texts, {tokens} tokens", texts.len());
    eprintln!("{} texts, {tokens} tokens: the same ids and offsets", texts.len());
}
