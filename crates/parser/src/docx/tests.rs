//! Rules of the DOCX reader, each on a small package built here.

use std::io::Write;

use crate::limits::{Budget, Limits};

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A package with `body` as the body of word/document.xml and `parts` as further
/// word/ parts, each related to the main part with the given relationship type.
fn package(body: &str, parts: &[(&str, &str, &str)]) -> Vec<u8> {
    let document =
        format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document {NS}><w:body>{body}</w:body></w:document>"#);
    let mut rels =
        String::from(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
    for (i, (name, kind, _)) in parts.iter().enumerate() {
        rels.push_str(&format!(r#"<Relationship Id="rId{}" Type="{REL}/{kind}" Target="{name}"/>"#, i + 1));
    }
    rels.push_str("</Relationships>");
    let root = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/></Relationships>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut entries = vec![
        ("_rels/.rels".to_string(), root),
        ("word/document.xml".to_string(), document),
        ("word/_rels/document.xml.rels".to_string(), rels),
    ];
    for (name, _, xml) in parts {
        entries.push((format!("word/{name}"), xml.to_string()));
    }
    for (name, body) in entries {
        zip.start_file(name, opts).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

fn text(bytes: &[u8]) -> String {
    let limits = Limits::default();
    let doc = super::parse(bytes, &limits, &mut Budget::new(&limits)).expect("parse");
    crate::to_text(&doc).trim_end_matches(['\n', '\x0c']).to_string()
}

#[test]
fn superscript_and_subscript_runs_are_marked() {
    let sup = |t: &str| format!(r#"<w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:t>{t}</w:t></w:r>"#);
    let sub = |t: &str| format!(r#"<w:r><w:rPr><w:vertAlign w:val="subscript"/></w:rPr><w:t>{t}</w:t></w:r>"#);
    let run = |t: &str| format!(r#"<w:r><w:t xml:space="preserve">{t}</w:t></w:r>"#);
    // Letters as ^(..) / _(..), digits as Unicode super/subscripts, adjacent runs of one
    // script joined, the spaces around a script kept outside it, a baseline run ending it.
    let body = format!(
        "<w:p>{}{}{}{}{}{}{}{}</w:p><w:p>{}{}{}</w:p>",
        run("Here R"),
        sup("j"),
        sub("i"),
        run(" is 10"),
        sup("1"),
        sup("2"),
        run(" m, and H"),
        sub("2 "),
        run("the 1"),
        r#"<w:r><w:rPr><w:vertAlign w:val="baseline"/></w:rPr><w:t>st</w:t></w:r>"#,
        sup("a b"),
    );
    let out = text(&package(&body, &[]));
    assert_eq!(out.lines().collect::<Vec<_>>(), ["Here R^(j)_(i) is 10¹² m, and H₂", "the 1st^(a b)"], "{out}");
}

#[test]
fn note_marks_in_superscript_runs_stay_note_marks() {
    let body = r#"<w:p><w:r><w:t>Word</w:t></w:r><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r><w:r><w:t xml:space="preserve"> more</w:t></w:r></w:p>"#;
    let notes = format!(
        r#"<w:footnotes {NS}><w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> The note.</w:t></w:r></w:p></w:footnote></w:footnotes>"#
    );
    let out = text(&package(body, &[("footnotes.xml", "footnotes", &notes)]));
    assert_eq!(out.lines().collect::<Vec<_>>(), ["Word[1] more", "[1] The note."], "{out}");
}

#[test]
fn headers_and_footers_come_once_after_the_body() {
    let header = format!(r#"<w:hdr {NS}><w:p><w:r><w:t>Spec PPR-9087 rev 3</w:t></w:r></w:p></w:hdr>"#);
    let again = header.clone();
    let footer = format!(
        r#"<w:ftr {NS}><w:p><w:r><w:t xml:space="preserve">Page </w:t></w:r><w:fldSimple w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>"#
    );
    let body = r#"<w:p><w:r><w:t>Body text</w:t></w:r></w:p><w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:headerReference w:type="first" r:id="rId2"/><w:footerReference w:type="default" r:id="rId3"/></w:sectPr>"#;
    let out = text(&package(
        body,
        &[("header1.xml", "header", &header), ("header2.xml", "header", &again), ("footer1.xml", "footer", &footer)],
    ));
    let lines: Vec<&str> = out.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    assert_eq!(lines, ["Body text", "Spec PPR-9087 rev 3", "Page 1"], "{out}");
}

#[test]
fn equations_read_as_linear_text_with_spaced_operators() {
    let m = |body: &str| {
        format!(r#"<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">{body}</m:oMath>"#)
    };
    let r = |t: &str| format!("<m:r><m:t>{t}</m:t></m:r>");
    let run = |t: &str| format!(r#"<w:r><w:t xml:space="preserve">{t}</w:t></w:r>"#);
    let frac = |n: &str, d: &str| format!("<m:f><m:num>{n}</m:num><m:den>{d}</m:den></m:f>");
    let sub = |b: &str, s: &str| format!("<m:sSub><m:e>{b}</m:e><m:sub>{s}</m:sub></m:sSub>");
    let body = [
        // Relations and binary operators spaced; the script's own `j=1` left as written.
        format!("<w:p>{}</w:p>", m(&format!("{}{}{}", r("y=a+"), sub(&r("b"), &r("j=1")), r("−c")))),
        // A sign that opens the equation, or follows an operator, stays with its operand.
        format!("<w:p>{}{}</w:p>", run("the value is "), m(&r("−2"))),
        format!("<w:p>{}</w:p>", m(&r("x=−1"))),
        // An operator written as an XML entity is spaced like the others; normal text
        // (`m:nor`) in an equation is left as written.
        format!("<w:p>{}</w:p>", m(&format!("{}{}", r("a&lt;b"), "<m:r><m:rPr><m:nor/></m:rPr><m:t> if well-known</m:t></m:r>"))),
        // Fractions as num/den, a part of several symbols in parentheses; radicals.
        format!("<w:p>{}</w:p>", m(&format!("{}{}", r("k="), frac(&r("a+b"), &r("2"))))),
        // Delimiters with their characters (a missing end is `)`), an accent with none given.
        format!(
            "<w:p>{}</w:p>",
            m(&format!(
                "<m:d><m:dPr><m:begChr m:val=\"[\"/><m:endChr m:val=\"]\"/></m:dPr><m:e>{}</m:e></m:d>{}<m:d><m:dPr><m:begChr m:val=\"|\"/></m:dPr><m:e>{}</m:e></m:d>{}<m:acc><m:e>{}</m:e></m:acc>",
                r("0,1"),
                r("∪"),
                r("x"),
                r("="),
                r("y"),
            ))
        ),
        format!(
            "<w:p>{}</w:p>",
            m(&format!(
                "{}<m:rad><m:radPr><m:degHide m:val=\"1\"/></m:radPr><m:deg/><m:e>{}</m:e></m:rad>{}<m:rad><m:deg>{}</m:deg><m:e>{}</m:e></m:rad>",
                r("r="),
                r("x"),
                r("+"),
                r("3"),
                r("y+1"),
            ))
        ),
    ]
    .concat();
    let out = text(&package(&body, &[]));
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "y = a + b_(j=1) − c",
            "the value is −2",
            "x = −1",
            "a < b if well-known",
            "k = (a+b)/2",
            "[0,1]∪|x) = y\u{302}",
            "r = √(x) + ∛(y + 1)"
        ],
        "{out}"
    );
}
