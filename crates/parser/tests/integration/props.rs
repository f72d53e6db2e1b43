//! Property tests: whatever the bytes, parsing ends in a document or a typed error.

use aidoc_parser::{Hint, Limits, parse, sniff::sniff};
use proptest::prelude::*;

fn small_limits() -> Limits {
    Limits { timeout: std::time::Duration::from_secs(10), ..Limits::default() }
}

fn check(bytes: &[u8]) {
    if let Err(e) = parse(bytes, &Hint::default(), &small_limits()) {
        assert_ne!(e.code(), "internal", "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sniff_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048), declared in proptest::option::of("[a-z/+-]{0,30}")) {
        let _ = sniff(&bytes, declared.as_deref());
    }

    #[test]
    fn arbitrary_bytes_are_text_or_typed_errors(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes);
    }

    #[test]
    fn damaged_pdfs_are_text_or_typed_errors(cut in 0.0f64..1.0, flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..16)) {
        let mut pdf = super::fixtures::sample_pdf();
        for (at, b) in flips {
            let i = ((pdf.len() - 1) as f64 * at) as usize;
            pdf[i] = b;
        }
        pdf.truncate(((pdf.len() as f64) * cut) as usize + 1);
        check(&pdf);
    }

    #[test]
    fn damaged_docx_are_text_or_typed_errors(cut in 0.0f64..1.0, flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..16)) {
        let mut docx = super::fixtures::sample_docx();
        for (at, b) in flips {
            let i = ((docx.len() - 1) as f64 * at) as usize;
            docx[i] = b;
        }
        docx.truncate(((docx.len() as f64) * cut) as usize + 1);
        check(&docx);
    }

    #[test]
    fn markup_is_text_or_typed_errors(s in "(<[a-z/]{1,6}>|[#*|`\\-\\[\\]()]|[a-z ]{1,8}|\n){0,200}") {
        check(s.as_bytes());
        check(format!("<html><body>{s}</body></html>").as_bytes());
    }
}

#[test]
fn zip_bomb_is_too_large() {
    use std::io::Write;
    // 64 MiB of zeros compresses to a few hundred KiB.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", opts).expect("entry");
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&chunk).expect("write");
    }
    let bytes = zip.finish().expect("finish").into_inner();
    let limits = Limits { max_decompressed_bytes: 8 << 20, ..Limits::default() };
    let err = parse(&bytes, &Hint::default(), &limits).expect_err("bomb");
    assert_eq!(err.code(), "too_large");
}

#[test]
fn flate_bomb_is_too_large() {
    use std::io::Write;
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&chunk).expect("write");
    }
    let z = enc.finish().expect("finish");
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".to_vec(),
    ];
    let mut s = format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", z.len()).into_bytes();
    s.extend_from_slice(&z);
    s.extend_from_slice(b"\nendstream");
    objects.push(s);
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let x = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer << /Size {} /Root 1 0 R >>\nstartxref\n{x}\n%%EOF", objects.len() + 1).as_bytes(),
    );
    let limits = Limits { max_decompressed_bytes: 8 << 20, ..Limits::default() };
    let err = parse(&out, &Hint::default(), &limits).expect_err("bomb");
    assert_eq!(err.code(), "too_large");
}

#[test]
fn page_limit_is_enforced() {
    let pdf = super::fixtures::sample_pdf();
    let limits = Limits { max_pages: 1, ..Limits::default() };
    assert_eq!(parse(&pdf, &Hint::default(), &limits).unwrap_err().code(), "too_large");
}

#[test]
fn timeout_is_enforced() {
    let pdf = super::fixtures::sample_pdf();
    let limits = Limits { timeout: std::time::Duration::ZERO, ..Limits::default() };
    std::thread::sleep(std::time::Duration::from_millis(1));
    assert_eq!(parse(&pdf, &Hint::default(), &limits).unwrap_err().code(), "timeout");
}
