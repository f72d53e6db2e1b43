//! Corpus benchmark: aidoc-parser side by side with pdftotext, mutool and pandoc.
//!
//! `cargo bench -p aidoc-parser --bench corpus` extracts every PDF and DOCX of
//! `../shared/corpus` in-process (single-threaded per document), runs the anchors on
//! the same files when installed, scores every tool with `shared/tools/textsim.py`
//! and prints per-file and mean token F1, char similarity, CJK F1 and throughput.
//! Set `AIDOC_CORPUS` to use another corpus with the same layout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aidoc_parser::{Hint, Limits, parse, to_text};

struct Entry {
    name: String,
    kind: &'static str,
    pages: u32,
    tags: String,
    reference_rc: i32,
}

fn corpus_dir() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("AIDOC_CORPUS") {
        return Some(PathBuf::from(p));
    }
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/corpus");
        if candidate.join("MANIFEST.tsv").exists() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn manifest(corpus: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(file), Some(notes), Some(pages), Some(rc)) =
        (col("file"), col("kind_notes"), col("pages"), col("reference_rc"))
    else {
        return Vec::new();
    };
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let path = f.get(file)?;
            let (kind, rest) = path.split_once('/')?;
            let kind = match kind {
                "pdf" => "pdf",
                "docx" => "docx",
                _ => return None,
            };
            let name = rest.strip_suffix(&format!(".{kind}"))?.to_string();
            Some(Entry {
                name,
                kind,
                pages: f.get(pages).and_then(|p| p.parse().ok()).unwrap_or(1),
                tags: f.get(notes).unwrap_or(&"").to_string(),
                reference_rc: f.get(rc).and_then(|p| p.parse().ok()).unwrap_or(0),
            })
        })
        .collect()
}

fn installed(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs an external tool on every file; returns its total wall time, or None when absent.
fn run_tool(
    tool: &str,
    files: &[(&Entry, PathBuf)],
    out: &Path,
    args: impl Fn(&Path, &Path) -> Vec<String>,
) -> Option<Duration> {
    if !installed(tool) {
        println!("note: {tool} is not installed; its column is skipped");
        return None;
    }
    std::fs::create_dir_all(out).ok()?;
    let mut total = Duration::ZERO;
    for (e, path) in files {
        let dest = out.join(format!("{}.txt", e.name));
        let t = Instant::now();
        let status = Command::new(tool).args(args(path, &dest)).stdout(Stdio::null()).stderr(Stdio::null()).status();
        total += t.elapsed();
        if !status.is_ok_and(|s| s.success()) && !dest.exists() {
            let _ = std::fs::write(&dest, "");
        }
    }
    Some(total)
}

#[derive(Default, Clone)]
struct Score {
    f1: f64,
    char_sim: f64,
    scored: bool,
}

fn score(corpus_kind: &Path, cand: &Path, ref_suffix: &str, docx: bool, json: &Path) -> HashMap<String, Score> {
    let tool = corpus_kind.join("../../tools/textsim.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&tool)
        .arg(corpus_kind)
        .arg(cand)
        .arg("--ref-suffix")
        .arg(ref_suffix)
        .arg("--json")
        .arg(json)
        .arg("--quiet");
    if docx {
        cmd.arg("--strip-table-art");
    }
    let ok = cmd.stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    let mut out = HashMap::new();
    if !ok {
        println!("note: textsim.py failed for {}", cand.display());
        return out;
    }
    let Ok(v) =
        std::fs::read_to_string(json).map(|s| serde_json::from_str::<serde_json::Value>(&s).unwrap_or_default())
    else {
        return out;
    };
    for row in v["rows"].as_array().cloned().unwrap_or_default() {
        let name = row["file"].as_str().unwrap_or("").to_string();
        out.insert(
            name,
            Score {
                f1: row["tok_f1"].as_f64().unwrap_or(0.0),
                char_sim: row["char_sim"].as_f64().unwrap_or(0.0),
                scored: row["scored"].as_bool().unwrap_or(false),
            },
        );
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

fn is_cjk(tags: &str) -> bool {
    tags.split(';').any(|t| matches!(t.trim(), "cjk" | "chinese" | "japanese"))
}

fn main() {
    // `cargo bench` passes --bench; nothing else is accepted.
    let Some(corpus) = corpus_dir() else {
        println!("corpus not found (looked for shared/corpus above {}); set AIDOC_CORPUS", env!("CARGO_MANIFEST_DIR"));
        return;
    };
    let entries = manifest(&corpus);
    let tmp = tempfile::tempdir().expect("temp dir");
    println!("corpus: {} ({} files); outputs in {}", corpus.display(), entries.len(), tmp.path().display());
    let fast = Command::new("python3").args(["-c", "import rapidfuzz"]).stderr(Stdio::null()).status();
    if !fast.is_ok_and(|s| s.success()) {
        println!(
            "note: the Python package rapidfuzz is missing, so textsim.py computes edit distances in pure Python \
             and scoring takes tens of minutes instead of seconds (pip install rapidfuzz)"
        );
    }
    for kind in ["pdf", "docx"] {
        bench_kind(&corpus, &entries, kind, tmp.path());
    }
    if std::env::var_os("AIDOC_BENCH_KEEP").is_some() {
        let kept = tmp.keep();
        println!("outputs kept in {}", kept.display());
    }
}

fn bench_kind(corpus: &Path, entries: &[Entry], kind: &'static str, tmp: &Path) {
    let dir = corpus.join(kind);
    let files: Vec<(&Entry, PathBuf)> =
        entries.iter().filter(|e| e.kind == kind).map(|e| (e, dir.join(format!("{}.{kind}", e.name)))).collect();
    let ours_dir = tmp.join(format!("{kind}-aidoc"));
    std::fs::create_dir_all(&ours_dir).expect("output dir");
    let limits = Limits::default();
    // In-process, one document at a time; the best of three rounds is reported.
    let data: Vec<Vec<u8>> = files.iter().map(|(_, p)| std::fs::read(p).unwrap_or_default()).collect();
    let mut outcome: Vec<String> = vec![String::new(); files.len()];
    let mut best = Duration::MAX;
    for round in 0..3 {
        let start = Instant::now();
        for (i, bytes) in data.iter().enumerate() {
            let r = parse(bytes, &Hint::default(), &limits);
            if round == 0 {
                let text = match &r {
                    Ok(doc) => {
                        outcome[i] = "ok".into();
                        to_text(doc)
                    }
                    Err(e) => {
                        outcome[i] = format!("error: {}", e.code());
                        String::new()
                    }
                };
                let _ = std::fs::write(ours_dir.join(format!("{}.txt", files[i].0.name)), text);
            }
        }
        best = best.min(start.elapsed());
    }
    let mut tools: Vec<(&str, Option<Duration>, PathBuf)> = vec![("aidoc", Some(best), ours_dir)];
    if kind == "pdf" {
        let d = tmp.join("pdf-pdftotext");
        let t = run_tool("pdftotext", &files, &d, |i, o| {
            vec!["-enc".into(), "UTF-8".into(), i.display().to_string(), o.display().to_string()]
        });
        tools.push(("pdftotext", t, d));
        let d = tmp.join("pdf-mutool");
        let t = run_tool("mutool", &files, &d, |i, o| {
            vec![
                "draw".into(),
                "-q".into(),
                "-F".into(),
                "txt".into(),
                "-o".into(),
                o.display().to_string(),
                i.display().to_string(),
            ]
        });
        tools.push(("mutool", t, d));
    } else {
        let d = tmp.join("docx-pandoc");
        let t = run_tool("pandoc", &files, &d, |i, o| {
            vec![
                "-t".into(),
                "plain".into(),
                "--wrap=none".into(),
                i.display().to_string(),
                "-o".into(),
                o.display().to_string(),
            ]
        });
        tools.push(("pandoc", t, d));
    }
    let (ref_suffix, docx) = if kind == "pdf" { (".pdftotext.txt", false) } else { (".pandoc.txt", true) };
    let mut scores: Vec<HashMap<String, Score>> = Vec::new();
    for (name, t, d) in &tools {
        if t.is_some() {
            scores.push(score(&dir, d, ref_suffix, docx, &tmp.join(format!("{kind}-{name}.json"))));
        } else {
            scores.push(HashMap::new());
        }
    }

    println!(
        "\n== {} ({} files, {} pages by the manifest)",
        kind.to_uppercase(),
        files.len(),
        files.iter().map(|f| f.0.pages).sum::<u32>()
    );
    let mut header = format!("{:<42}", "file");
    for (name, t, _) in &tools {
        if t.is_some() {
            header.push_str(&format!(" {:>9} {:>9}", format!("{name}:F1"), "char"));
        }
    }
    println!("{header}");
    for (i, (e, _)) in files.iter().enumerate() {
        let mut line = format!("{:<42}", e.name.chars().take(42).collect::<String>());
        for (k, (_, t, _)) in tools.iter().enumerate() {
            if t.is_none() {
                continue;
            }
            match scores[k].get(&e.name) {
                Some(s) if s.scored => line.push_str(&format!(" {:>9.4} {:>9.4}", s.f1, s.char_sim)),
                Some(_) => line.push_str(&format!(" {:>9} {:>9}", "n/a", "n/a")),
                None => line.push_str(&format!(" {:>9} {:>9}", "-", "-")),
            }
        }
        if outcome[i] != "ok" || e.reference_rc != 0 {
            line.push_str(&format!("  [aidoc: {}; reference_rc {}]", outcome[i], e.reference_rc));
        }
        println!("{line}");
    }
    println!("{}", "-".repeat(header.len()));
    let total_pages: u32 = files.iter().map(|f| f.0.pages).sum();
    for (k, (name, t, _)) in tools.iter().enumerate() {
        let Some(t) = t else { continue };
        let sc: Vec<&Entry> =
            files.iter().map(|f| f.0).filter(|e| scores[k].get(&e.name).is_some_and(|s| s.scored)).collect();
        let f1: Vec<f64> = sc.iter().map(|e| scores[k][&e.name].f1).collect();
        let cs: Vec<f64> = sc.iter().map(|e| scores[k][&e.name].char_sim).collect();
        let cjk: Vec<f64> = sc.iter().filter(|e| is_cjk(&e.tags)).map(|e| scores[k][&e.name].f1).collect();
        let secs = t.as_secs_f64().max(1e-9);
        let rate = if kind == "pdf" {
            format!("{:>8.1} pages/s", f64::from(total_pages) / secs)
        } else {
            format!("{:>8.1} files/s", files.len() as f64 / secs)
        };
        println!(
            "MEAN {:<10} token F1 {:.4}  char sim {:.4}  CJK F1 {:.4} (n={})  scored {}  time {:>8.3} s  {}",
            name,
            mean(&f1),
            mean(&cs),
            mean(&cjk),
            cjk.len(),
            sc.len(),
            secs,
            rate
        );
    }
    let failed_refs: Vec<&Entry> = files.iter().map(|f| f.0).filter(|e| e.reference_rc != 0).collect();
    if !failed_refs.is_empty() {
        println!("robustness (the anchor could not read these; excluded from the similarity means):");
        for e in failed_refs {
            let i = files.iter().position(|f| f.0.name == e.name).unwrap_or(0);
            println!("  {:<42} aidoc: {}", e.name, outcome[i]);
        }
    }
    let crashes = outcome.iter().filter(|o| o.contains("internal")).count();
    println!("aidoc internal errors (caught panics): {crashes}");
}
