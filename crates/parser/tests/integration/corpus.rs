//! Every file of `../shared/corpus`: text or a typed error, never a hang or a panic,
//! and the content that matters comes out.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use aidoc_parser::{BlockKind, Document, Hint, Limits, ParseError, parse, to_text};

/// `shared/corpus` next to an ancestor of this crate; None (test skipped) when absent,
/// but a missing corpus fails under CI.
fn corpus() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/corpus");
        if c.join("MANIFEST.tsv").exists() {
            return Some(c);
        }
        if !dir.pop() {
            break;
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("the shared corpus (shared/corpus) is missing and CI is set");
    }
    eprintln!("shared/corpus not found: corpus tests skipped");
    None
}

/// Parses with a watchdog: a hang fails the test instead of blocking it.
fn parse_file(path: &PathBuf) -> Result<Document, ParseError> {
    let bytes = std::fs::read(path).expect("read corpus file");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(parse(&bytes, &Hint::default(), &Limits::default()));
    });
    rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("{} hung", path.display()))
}

fn file(kind: &str, name: &str) -> Option<PathBuf> {
    Some(corpus()?.join(kind).join(name))
}

fn text_of(kind: &str, name: &str) -> Option<String> {
    let p = file(kind, name)?;
    let doc = parse_file(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
    Some(to_text(&doc))
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        let cjk = matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF);
        if cjk {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(c.to_string());
        } else if c.is_alphanumeric() || c == '_' {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Bag-of-tokens recall of `reference` in `candidate`.
fn recall(reference: &str, candidate: &str) -> f64 {
    use std::collections::HashMap;
    let mut bag: HashMap<String, i64> = HashMap::new();
    for t in tokens(candidate) {
        *bag.entry(t).or_default() += 1;
    }
    let refs = tokens(reference);
    if refs.is_empty() {
        return 1.0;
    }
    let mut hit = 0;
    for t in &refs {
        if let Some(n) = bag.get_mut(t)
            && *n > 0
        {
            *n -= 1;
            hit += 1;
        }
    }
    hit as f64 / refs.len() as f64
}

#[test]
fn every_corpus_file_gives_text_or_a_typed_error() {
    let Some(corpus) = corpus() else { return };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("manifest");
    let mut checked = 0;
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, notes, rc) = (cols[0], cols[4], cols[9]);
        let result = parse_file(&corpus.join(path));
        match result {
            Ok(doc) => {
                let text = to_text(&doc);
                assert!(
                    text.chars().any(char::is_alphanumeric) || notes.contains("text box") || notes.contains("images"),
                    "{path}: no text"
                );
                assert!(!doc.pages.is_empty(), "{path}: no pages");
            }
            Err(e) => {
                // Only files the anchors could not read either may fail, and never internally.
                assert_ne!(e.code(), "internal", "{path}: {e}");
                assert_ne!(rc, "0", "{path} failed ({e}) although the anchor reads it");
            }
        }
        checked += 1;
    }
    assert!(checked >= 70, "only {checked} files in the manifest");
}

#[test]
fn broken_and_encrypted_docx_fail_with_the_right_code() {
    let cases = [
        ("poi-encrypted-password-pass.docx", "encrypted"),
        ("poi-truncated62886.docx", "corrupt"),
        ("poi-fuzz-4959857092198400.docx", "corrupt"),
    ];
    for (name, code) in cases {
        let Some(p) = file("docx", name) else { return };
        let err = parse_file(&p).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err}");
    }
}

#[test]
fn pdf_token_recall_against_pdftotext() {
    let Some(corpus) = corpus() else { return };
    let mut recalls = Vec::new();
    for entry in std::fs::read_dir(corpus.join("pdf")).expect("pdf dir") {
        let p = entry.expect("entry").path();
        if p.extension().is_none_or(|e| e != "pdf") {
            continue;
        }
        let reference = std::fs::read_to_string(p.with_extension("pdftotext.txt")).unwrap_or_default();
        let text = parse_file(&p).map(|d| to_text(&d)).unwrap_or_default();
        recalls.push((
            recall(&reference, &text),
            p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        ));
    }
    let mean = recalls.iter().map(|r| r.0).sum::<f64>() / recalls.len() as f64;
    assert!(mean > 0.9, "mean token recall {mean:.3}: {recalls:?}");
}

#[test]
fn pdf_text_content() {
    let checks: &[(&str, &[&str])] = &[
        (
            "pdfjs-tracemonkey.pdf",
            &["Trace-based Just-in-Time Type Specialization", "alternative compilation technique"],
        ),
        ("pdfjs-issue2128r-chinese-gbk.pdf", &["浅谈校长的魅力"]),
        ("pdfjs-issue3521-chinese-gbkp.pdf", &["我们都是黑体字"]),
        ("pdfjs-issue8570-japanese.pdf", &["3Dレーザーレーダー"]),
        ("pdfminer-jo-japanese-vertical.pdf", &["わたくしといふ現象は"]),
        ("pdfjs-issue6387-japanese-vertical.pdf", &["あのイーハトーヴォのすきとおった風"]),
        ("pdfminer-issue566-chinese-word.pdf", &["中国饮料有限公司"]),
        ("pdfjs-pr6531-encrypted-aes256.pdf", &["Bluebeam should be encrypting this."]),
        ("pdfjs-french-diacritics.pdf", &["à", "À", "ç", "É", "ï", "Ü"]),
        ("pdfminer-zen-corrupted.pdf", &["Beautiful is better than ugly"]),
        ("pdfjs-zapfdingbats-bad-xref.pdf", &["✁", "Zapf Dingbats"]),
    ];
    for (name, phrases) in checks {
        let Some(text) = text_of("pdf", name) else { return };
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for p in *phrases {
            let want = p.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(&want), "{name}: missing {p:?}");
        }
    }
}

#[test]
fn pdf_lines_read_as_drawn() {
    // Six lines of "Test test …", three of them monospaced with each glyph placed on its
    // own: every one stays one line.
    if let Some(text) = text_of("pdf", "pdfjs-bug900822-encrypted-rc4-40.pdf") {
        let lines = text.lines().filter(|l| l.trim() == "Test test test test test test").count();
        assert_eq!(lines, 6, "{text}");
    }
    // A Type 3 font that draws nothing for code 32: without word spacing the letters
    // touch; with word spacing of one to five ems each line still reads as one line.
    if let Some(text) = text_of("pdf", "pdfjs-type3-word-spacing.pdf") {
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert_eq!(lines, ["abbaabba", "ab ba abba", "ab ba abba", "ab ba abba", "ab ba abba", "ab ba abba"], "{text}");
    }
    // Glyphs mapped to empty text add none; the text of the one carrying the word stays
    // in its logical order.
    if let Some(text) = text_of("pdf", "pypdf-habibi-arabic.pdf") {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(flat, "حَبيبي habibi حَبيبي");
    }
}

#[test]
fn truncated_pdf_keeps_the_intact_pages() {
    let Some(p) = file("pdf", "pdfjs-tamreview-truncated70.pdf") else { return };
    let doc = parse_file(&p).expect("truncated PDF still parses");
    assert!(doc.pages.len() >= 15, "{} pages", doc.pages.len());
    let text = to_text(&doc);
    assert!(text.contains("Technology Acceptance Model"), "first page text is missing");
}

#[test]
fn pdf_outline_becomes_headings() {
    let Some(p) = file("pdf", "pypdf-pdflatex-outline.pdf") else { return };
    let doc = parse_file(&p).expect("parse");
    assert!(!doc.info.outline.is_empty(), "no outline");
    assert_eq!(doc.info.outline.len(), 9, "{:?}", doc.info.outline);
    assert_eq!(doc.info.outline[4].page, Some(3));
    let headings: Vec<&str> = doc
        .pages
        .iter()
        .flat_map(|p| &p.blocks)
        .filter(|b| matches!(b.kind, BlockKind::Heading { .. }))
        .map(|b| b.text.as_str())
        .collect();
    let first = &doc.info.outline[0].title;
    assert!(headings.iter().any(|h| h.contains(first.as_str())), "outline title {first:?} not a heading: {headings:?}");
    assert_eq!(doc.info.page_count, 4);
}

#[test]
fn docx_content() {
    let checks: &[(&str, &[&str])] = &[
        (
            "pandoc-notes.docx",
            &["Test footnote.[1]", "[1] My note.", "[2] This is an endnote at the end of the document."],
        ),
        ("pandoc-track-insertion.docx", &["two exciting insertions"]),
        ("docxrs-after-lines-japanese.docx", &["こんにちは、こんにちは。"]),
        ("pandoc-instrtext-chinese.docx", &["希望深入了解的读者"]),
        ("mammoth-strict-format.docx", &["Test"]),
    ];
    for (name, phrases) in checks {
        let Some(text) = text_of("docx", name) else { return };
        for p in *phrases {
            assert!(text.contains(p), "{name}: missing {p:?} in {text:?}");
        }
    }
    let Some(text) = text_of("docx", "pandoc-track-deletion.docx") else { return };
    let reference =
        std::fs::read_to_string(file("docx", "pandoc-track-deletion.pandoc.txt").expect("ref")).expect("ref");
    assert_eq!(text.split_whitespace().collect::<Vec<_>>(), reference.split_whitespace().collect::<Vec<_>>());
}

#[test]
fn docx_structure() {
    let Some(p) = file("docx", "pandoc-headers.docx") else { return };
    let doc = parse_file(&p).expect("parse");
    let levels: Vec<u8> = doc
        .pages
        .iter()
        .flat_map(|p| &p.blocks)
        .filter_map(|b| match b.kind {
            BlockKind::Heading { level } => Some(level),
            _ => None,
        })
        .collect();
    assert!(levels.contains(&1) && levels.contains(&2) && levels.contains(&3), "levels {levels:?}");

    let Some(p) = file("docx", "pandoc-lists.docx") else { return };
    let doc = parse_file(&p).expect("parse");
    let items: Vec<(String, u8, String)> = doc
        .pages
        .iter()
        .flat_map(|p| &p.blocks)
        .filter_map(|b| match &b.kind {
            BlockKind::ListItem { label, level } => Some((label.clone(), *level, b.text.clone())),
            _ => None,
        })
        .collect();
    assert!(items.contains(&("1.".into(), 0, "one".into())), "{items:?}");
    assert!(items.contains(&("2.".into(), 0, "two".into())), "{items:?}");
    assert!(items.iter().any(|i| i.0 == "a." && i.1 == 1 && i.2 == "a"), "{items:?}");

    let Some(p) = file("docx", "docxrs-nested-table.docx") else { return };
    let doc = parse_file(&p).expect("parse");
    let table =
        doc.pages.iter().flat_map(|p| &p.blocks).find(|b| matches!(b.kind, BlockKind::Table { .. })).expect("a table");
    let reference = std::fs::read_to_string(file("docx", "docxrs-nested-table.pandoc.txt").expect("ref")).expect("ref");
    assert!(recall(&reference, &table.text) > 0.95, "nested table text: {}", table.text);
}
