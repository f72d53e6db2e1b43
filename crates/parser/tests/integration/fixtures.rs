//! Small documents generated here (no third-party files), checked in detail and
//! snapshotted as JSON.

use std::io::Write;

use aidoc_parser::{BlockKind, Document, Hint, Limits, parse, to_text};

/// Assembles a PDF from object bodies (object n = index + 1), computing the xref.
pub fn build_pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, body).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 2 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    out
}

fn stream(content: &str) -> String {
    format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len())
}

/// Two pages: a title, a paragraph with a hyphenated line break, a bullet list, a
/// two-column section, and an outline.
pub fn sample_pdf() -> Vec<u8> {
    let page1 = "BT /F1 20 Tf 72 720 Td (Parser Guide) Tj ET\n\
        BT /F1 11 Tf 72 690 Td 14 TL (The parser reads every docu-) Tj T* (ment it is given.) Tj ET\n\
        BT /F1 11 Tf 72 640 Td 14 TL (\\225 first point) Tj T* (\\225 second point) Tj ET";
    let page2 = "BT /F1 16 Tf 72 720 Td (Columns) Tj ET\n\
        BT /F1 10 Tf 72 690 Td 12 TL (Left column one) Tj T* (left column two) Tj T* (left column three) Tj ET\n\
        BT /F1 10 Tf 320 690 Td 12 TL (Right column one) Tj T* (right column two) Tj T* (right column three) Tj ET";
    build_pdf(&[
        "<< /Type /Catalog /Pages 3 0 R /Outlines 8 0 R /Lang (en) >>".into(),
        "<< /Title (Parser Guide) /Author (aidoc) /CreationDate (D:20240102030405Z) >>".into(),
        "<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>".into(),
        "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 6 0 R /Resources << /Font << /F1 11 0 R >> >> >>".into(),
        "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 7 0 R /Resources << /Font << /F1 11 0 R >> >> >>".into(),
        stream(page1),
        stream(page2),
        "<< /Type /Outlines /First 9 0 R /Last 10 0 R /Count 2 >>".into(),
        "<< /Title (Parser Guide) /Parent 8 0 R /Next 10 0 R /Dest [4 0 R /XYZ 0 792 0] >>".into(),
        "<< /Title (Columns) /Parent 8 0 R /Prev 9 0 R /Dest [5 0 R /XYZ 0 792 0] >>".into(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    ])
}

/// A Word package with headings, a footnote, a numbered list, a table with a merged
/// cell, tracked changes, a text box (with its VML fallback), image alt text and an
/// equation.
pub fn sample_docx() -> Vec<u8> {
    let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {w}><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Install guide</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">Run the installer</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r><w:r><w:t xml:space="preserve"> on </w:t></w:r><w:ins w:id="1" w:author="a"><w:r><w:t>every</w:t></w:r></w:ins><w:del w:id="3" w:author="a"><w:r><w:delText>no</w:delText></w:r></w:del><w:r><w:t xml:space="preserve"> host &amp; VM.</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Steps</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Download</w:t></w:r></w:p>
<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Unpack</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Ports</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>gRPC</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>50051</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><wp:docPr id="1" name="Box"/><w:txbxContent><w:p><w:r><w:t>Boxed note</w:t></w:r></w:p></w:txbxContent></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Boxed note</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>See the diagram</w:t></w:r><w:r><w:drawing><wp:inline><wp:docPr id="2" name="Picture" descr="Architecture diagram"/></wp:inline></w:drawing></w:r></w:p>
<w:p><m:oMathPara><m:oMath><m:r><m:t>E=m</m:t></m:r><m:sSup><m:e><m:r><m:t>c</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup></m:oMath></m:oMathPara></w:p>
<w:sectPr/></w:body></w:document>"#
    );
    let styles = format!(
        r#"<w:styles {w}><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style></w:styles>"#
    );
    let numbering = format!(
        r#"<w:numbering {w}><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>"#
    );
    let footnotes = format!(
        r#"<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id="2"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> Needs root.</w:t></w:r></w:p></w:footnote></w:footnotes>"#
    );
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>"#;
    let root_rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"><dc:title>Install guide</dc:title><dc:creator>aidoc</dc:creator><dcterms:created>2024-01-02T03:04:05Z</dcterms:created></cp:coreProperties>"#;
    let types = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, body) in [
        ("[Content_Types].xml", types.to_string()),
        ("_rels/.rels", root_rels.to_string()),
        ("word/document.xml", document),
        ("word/styles.xml", styles),
        ("word/numbering.xml", numbering),
        ("word/footnotes.xml", footnotes),
        ("word/_rels/document.xml.rels", rels.to_string()),
        ("docProps/core.xml", core.to_string()),
    ] {
        zip.start_file(name, opts).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn pdf_fixture_structure() {
    let doc = parse(&sample_pdf(), &Hint::default(), &Limits::default()).expect("parse");
    assert_eq!(doc.info.title.as_deref(), Some("Parser Guide"));
    assert_eq!(doc.info.created.as_deref(), Some("2024-01-02T03:04:05Z"));
    assert_eq!(doc.info.page_count, 2);
    let p1 = &doc.pages[0].blocks;
    assert_eq!(p1[0].kind, BlockKind::Heading { level: 1 });
    assert_eq!(p1[0].text, "Parser Guide");
    assert_eq!(p1[1].text, "The parser reads every document it is given.");
    assert_eq!(p1[2].kind, BlockKind::ListItem { label: "•".into(), level: 0 });
    assert_eq!(p1[2].text, "first point");
    // "Columns" is a top-level outline entry, so a level-1 heading despite its size.
    let p2 = &doc.pages[1].blocks;
    assert_eq!(p2[0].kind, BlockKind::Heading { level: 1 });
    assert_eq!(p2[0].text, "Columns");
    let text = to_text(&doc);
    let left = text.find("left column three").expect("left");
    let right = text.find("Right column one").expect("right");
    assert!(left < right, "columns interleaved: {text}");
    assert!(text.contains('\x0c'));
}

#[test]
fn docx_fixture_structure() {
    let doc = parse(&sample_docx(), &Hint::default(), &Limits::default()).expect("parse");
    assert_eq!(doc.info.title.as_deref(), Some("Install guide"));
    let blocks: Vec<_> = doc.pages.iter().flat_map(|p| &p.blocks).collect();
    assert_eq!(blocks[0].kind, BlockKind::Heading { level: 1 });
    assert_eq!(blocks[1].text, "Run the installer[1] on every host & VM.");
    assert_eq!(blocks[2].kind, BlockKind::Heading { level: 2 });
    assert_eq!(blocks[3].kind, BlockKind::ListItem { label: "1.".into(), level: 0 });
    assert_eq!(blocks[4].kind, BlockKind::ListItem { label: "2.".into(), level: 0 });
    match &blocks[5].kind {
        BlockKind::Table { rows } => {
            assert_eq!(rows[0][0].col_span, 2);
            assert_eq!(rows[1][1].text, "50051");
        }
        other => panic!("not a table: {other:?}"),
    }
    let text = to_text(&doc);
    assert_eq!(text.matches("Boxed note").count(), 1, "text box once: {text}");
    assert!(text.contains("[Architecture diagram]"));
    assert!(text.contains("E = mc²"), "{text}");
    assert!(text.contains("[1] Needs root."));
    assert!(!text.contains("no host"));
}

#[test]
fn snapshots() {
    let pdf = parse(&sample_pdf(), &Hint::default(), &Limits::default()).expect("pdf");
    insta::assert_json_snapshot!("sample_pdf", pdf);
    let docx = parse(&sample_docx(), &Hint::default(), &Limits::default()).expect("docx");
    insta::assert_json_snapshot!("sample_docx", docx);
}

/// The sample PDF encrypted by the standard security handler (RC4, 128-bit key) with
/// the given user password.
fn encrypted_pdf(user_password: &str) -> Vec<u8> {
    use lopdf::{EncryptionState, EncryptionVersion, Object, Permissions};
    let mut doc = lopdf::Document::load_mem(&sample_pdf()).expect("load");
    let id = Object::string_literal("aidoc-fixture-0001");
    doc.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let version = EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner-secret",
        user_password,
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

#[test]
fn pdf_needing_a_user_password_fails_as_encrypted() {
    // Control: with an empty user password the same encryption opens and reads.
    let open = encrypted_pdf("");
    assert!(open.windows(8).any(|w| w == b"/Encrypt"), "the control is not encrypted");
    let doc = parse(&open, &Hint::default(), &Limits::default()).expect("empty user password opens");
    assert!(to_text(&doc).contains("The parser reads every document it is given."), "{}", to_text(&doc));

    let locked = encrypted_pdf("user-secret");
    assert!(!locked.windows(13).any(|w| w == b"Parser Guide)"), "content left in the clear");
    let err = parse(&locked, &Hint::default(), &Limits::default()).expect_err("a user password is needed");
    assert_eq!(err.code(), "encrypted", "{err}");
}

/// One page showing `content` with Helvetica as /F1, Courier as /F2 and `/P1` as a
/// named property list.
fn one_page_pdf(content: &str) -> Vec<u8> {
    build_pdf(&[
        "<< /Type /Catalog /Pages 3 0 R >>".into(),
        "<< /Producer (aidoc) >>".into(),
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Resources << /Font << /F1 6 0 R /F2 8 0 R >> /Properties << /P1 7 0 R >> >> >>".into(),
        stream(content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
        // "Straße" as UTF-16BE with a byte order mark.
        "<< /ActualText <FEFF005300740072006100DF0065> >>".into(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".into(),
    ])
}

#[test]
fn pdf_actual_text_replaces_the_glyphs_it_covers() {
    let text = |content: &str| {
        let doc = parse(&one_page_pdf(content), &Hint::default(), &Limits::default()).expect("parse");
        to_text(&doc).split_whitespace().collect::<Vec<_>>().join(" ")
    };
    // Without marked content the glyphs are read as drawn.
    assert_eq!(text("BT /F1 12 Tf 72 700 Td (Xnal Strasse note*) Tj ET"), "Xnal Strasse note*");
    // An inline property list (a glyph drawn for "fi"), a named one with a nested span
    // inside it (the outer replacement wins), and an empty replacement (a decoration
    // that is no text).
    let marked = "BT /F1 12 Tf 72 700 Td /Span << /ActualText (fi) >> BDC (X) Tj EMC (nal ) Tj \
        /Span /P1 BDC (Str) Tj /Span << /ActualText (zz) >> BDC (as) Tj EMC (se) Tj EMC \
        ( note) Tj /Span << /ActualText () >> BDC (*) Tj EMC ET";
    assert_eq!(text(marked), "final Straße note");
    // Tags without /ActualText, BMC, and an unbalanced EMC change nothing.
    assert_eq!(
        text("BT /F1 12 Tf 72 700 Td /P << /MCID 0 >> BDC /Art BMC (plain) Tj EMC EMC EMC (text) Tj ET"),
        "plaintext"
    );
}

/// One page showing `content` with `font` as /F1; object 7 is the stream `extra`.
fn page_with_font(content: &str, font: &str, extra: &str) -> Vec<u8> {
    build_pdf(&[
        "<< /Type /Catalog /Pages 3 0 R >>".into(),
        "<< /Producer (aidoc) >>".into(),
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 300 200] /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>".into(),
        stream(content),
        font.into(),
        stream(extra),
    ])
}

fn flat_text(pdf: &[u8]) -> String {
    let doc = parse(pdf, &Hint::default(), &Limits::default()).expect("parse");
    to_text(&doc).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn pdf_codes_outside_the_widths_array_take_no_room() {
    // A Type 3 font drawing only "a" and "b" (one em wide each): the space code is not
    // in /Widths, so it advances by the word spacing alone.
    let font = "<< /Type /Font /Subtype /Type3 /FontBBox [0 0 750 750] /FontMatrix [0.001 0 0 0.001 0 0] \
        /CharProcs << /a 7 0 R /b 7 0 R >> /Encoding << /Type /Encoding /Differences [97 /a /b] >> \
        /FirstChar 97 /LastChar 98 /Widths [1000 1000] >>";
    let show = |tw: u32| format!("BT /F1 10 Tf 20 100 Td {tw} Tw ( ab ba abba) Tj ET");
    let glyph = "1000 0 0 0 750 750 d1 0 0 750 750 re f";
    // Without word spacing the glyphs touch: one word, as on the page.
    assert_eq!(flat_text(&page_with_font(&show(0), font, glyph)), "abbaabba");
    // Word spacing of one em opens the gaps.
    assert_eq!(flat_text(&page_with_font(&show(10), font, glyph)), "ab ba abba");
}

#[test]
fn pdf_glyphs_mapped_to_empty_text_show_nothing() {
    // The glyph of "f" carries the text of the cluster "fi"; the map gives the "i" drawn
    // after it no text of its own (and, in a range, neither "j" nor "k"), so the font's
    // encoding must not add it again.
    let to_unicode = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap \
        1 begincodespacerange <00> <FF> endcodespacerange \
        2 beginbfchar <66> <00660069> <69> <> endbfchar \
        1 beginbfrange <6A> <6B> <> endbfrange \
        endcmap end end";
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /ToUnicode 7 0 R >>";
    let pdf =
        page_with_font("BT /F1 12 Tf 20 100 Td (fi) Tj 0 -20 Td (xjk) Tj 0 -20 Td (note) Tj ET", font, to_unicode);
    assert_eq!(flat_text(&pdf), "fi x note");
}

/// The tables of a document's first page, as the texts of their cells.
fn first_page_tables(doc: &Document) -> Vec<Vec<Vec<&str>>> {
    doc.pages[0]
        .blocks
        .iter()
        .filter_map(|b| match &b.kind {
            BlockKind::Table { rows } => {
                Some(rows.iter().map(|r| r.iter().map(|c| c.text.as_str()).collect()).collect())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn pdf_table_cells_drawn_row_by_row_stay_in_their_rows() {
    // A browser prints a bordered table row by row, cell by cell: rows 17 pt apart (a 13 pt
    // line and the cell padding), close enough for a column's cells to stack like the lines
    // of a paragraph; some cells empty, one wrapped; the header row centred. A paragraph
    // and a second table with other columns follow.
    let content = "BT /F1 11 Tf 72 720 Td (The service exports these metrics to Prometheus, each with its labels and what it means.) Tj ET\n\
        BT /F1 11 Tf 110 696 Td (metric) Tj 155 0 Td (labels) Tj 110 0 Td (meaning) Tj ET\n\
        BT /F1 11 Tf 72 679 Td (backup_success_seconds) Tj 190 0 Td (kind) Tj ET\n\
        BT /F1 11 Tf 340 679 Td 13 TL (end of the newest) Tj T* (complete backup) Tj ET\n\
        BT /F1 11 Tf 72 649 Td (backup_restore_seconds) Tj 268 0 Td (end of the newest restore) Tj ET\n\
        BT /F1 11 Tf 72 632 Td (backup_duration_seconds) Tj 190 0 Td (kind) Tj 78 0 Td (histogram of run times) Tj ET\n\
        BT /F1 11 Tf 72 615 Td (backup_stored) Tj 268 0 Td (complete backups in the store) Tj ET\n\
        BT /F1 11 Tf 72 585 Td (Quarterly figures follow, one row a year and one column a quarter, in millions of requests.) Tj ET\n\
        BT /F1 11 Tf 72 560 Td (Year) Tj 80 0 Td (Q1) Tj 60 0 Td (Q2) Tj 60 0 Td (Q3) Tj ET\n\
        BT /F1 11 Tf 72 543 Td (2021) Tj 80 0 Td (10.5) Tj 60 0 Td (11.2) Tj ET\n\
        BT /F1 11 Tf 72 526 Td (2022) Tj 80 0 Td (12.5) Tj 120 0 Td (13.0) Tj ET\n\
        BT /F1 11 Tf 72 509 Td (2023) Tj 80 0 Td (15.0) Tj 60 0 Td (15.5) Tj 60 0 Td (16.1) Tj ET";
    let doc = parse(&one_page_pdf(content), &Hint::default(), &Limits::default()).expect("parse");
    let tables = first_page_tables(&doc);
    assert_eq!(
        tables,
        [
            vec![
                vec!["metric", "labels", "meaning"],
                vec!["backup_success_seconds", "kind", "end of the newest complete backup"],
                vec!["backup_restore_seconds", "", "end of the newest restore"],
                vec!["backup_duration_seconds", "kind", "histogram of run times"],
                vec!["backup_stored", "", "complete backups in the store"],
            ],
            vec![
                vec!["Year", "Q1", "Q2", "Q3"],
                vec!["2021", "10.5", "11.2", ""],
                vec!["2022", "12.5", "", "13.0"],
                vec!["2023", "15.0", "15.5", "16.1"],
            ],
        ],
        "{}",
        to_text(&doc)
    );
    let text = to_text(&doc);
    assert!(text.contains("complete backups in the store\nQuarterly figures follow, one row"), "{text}");
}

#[test]
fn pdf_borderless_table_on_a_paragraph_pitch_reads_row_by_row() {
    // A compact table without borders, rows 13 pt apart like the lines of a paragraph,
    // drawn cell by cell, no cell wrapped: nothing in the pitch tells rows from lines, but
    // the short cells drawn beside each other do. Then code whose comments are aligned by
    // spaces drawn in the same run of text: each line one line.
    let content = "BT /F1 11 Tf 72 720 Td (Supported targets and what each one builds.) Tj ET\n\
        BT /F1 11 Tf 72 700 Td (Target) Tj 190 0 Td (Tier) Tj 50 0 Td (std) Tj 50 0 Td (host) Tj ET\n\
        BT /F1 11 Tf 72 687 Td (x86_64-unknown-linux-gnu) Tj 190 0 Td (1) Tj 50 0 Td (yes) Tj 50 0 Td (yes) Tj ET\n\
        BT /F1 11 Tf 72 674 Td (aarch64-unknown-linux-gnu) Tj 190 0 Td (1) Tj 50 0 Td (yes) Tj 50 0 Td (yes) Tj ET\n\
        BT /F1 11 Tf 72 661 Td (wasm32-unknown-unknown) Tj 190 0 Td (2) Tj 50 0 Td (yes) Tj 50 0 Td (no) Tj ET\n\
        BT /F1 11 Tf 72 648 Td (thumbv7em-none-eabihf) Tj 190 0 Td (2) Tj 50 0 Td (no) Tj 50 0 Td (no) Tj ET\n\
        BT /F2 10 Tf 72 610 Td 12 TL\n\
        (let cfg = load\\(path\\)?;      // the file, then the environment) Tj T*\n\
        (let pool = connect\\(&cfg\\)?;  // one pool for the process) Tj T*\n\
        (serve\\(cfg, pool\\)            // until SIGTERM) Tj ET";
    let doc = parse(&one_page_pdf(content), &Hint::default(), &Limits::default()).expect("parse");
    let text = to_text(&doc);
    let tables = first_page_tables(&doc);
    assert_eq!(
        tables,
        [vec![
            vec!["Target", "Tier", "std", "host"],
            vec!["x86_64-unknown-linux-gnu", "1", "yes", "yes"],
            vec!["aarch64-unknown-linux-gnu", "1", "yes", "yes"],
            vec!["wasm32-unknown-unknown", "2", "yes", "no"],
            vec!["thumbv7em-none-eabihf", "2", "no", "no"],
        ]],
        "{text}"
    );
    assert!(
        text.contains(
            "let cfg = load(path)?; // the file, then the environment\n\
             let pool = connect(&cfg)?; // one pool for the process\n\
             serve(cfg, pool) // until SIGTERM"
        ),
        "{text}"
    );
}

#[test]
fn pdf_table_rows_become_a_table_block() {
    // A table as a browser prints one: a header row, then rows 24 pt apart whose second
    // cell may wrap onto two lines with the first cell centred beside them; text above
    // and below it spans the page.
    let content = "BT /F1 11 Tf 72 720 Td (Every target the compiler builds for, with its notes.) Tj ET\n\
        BT /F1 11 Tf 72 690 Td (target) Tj 220 0 Td (notes) Tj ET\n\
        BT /F1 11 Tf 72 666 Td (aarch64-apple-darwin) Tj 220 0 Td (ARM64 macOS 11.0+) Tj ET\n\
        BT /F1 11 Tf 72 636 Td (i686-pc-windows-msvc) Tj ET\n\
        BT /F1 11 Tf 292 642 Td 13 TL (32-bit MSVC, Windows 10+,) Tj T* (Pentium 4) Tj ET\n\
        BT /F1 11 Tf 72 606 Td (x86_64-unknown-linux-gnu) Tj 220 0 Td (64-bit Linux, kernel 3.2+) Tj ET\n\
        BT /F1 11 Tf 72 570 Td (Tier 2 targets are guaranteed to build.) Tj ET";
    let doc = parse(&one_page_pdf(content), &Hint::default(), &Limits::default()).expect("parse");
    let blocks = &doc.pages[0].blocks;
    let kinds: Vec<&str> = blocks
        .iter()
        .map(|b| match b.kind {
            BlockKind::Table { .. } => "table",
            BlockKind::Paragraph => "paragraph",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["paragraph", "table", "paragraph"], "{blocks:#?}");
    let BlockKind::Table { rows } = &blocks[1].kind else { unreachable!() };
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(|c| c.text.as_str()).collect()).collect();
    assert_eq!(
        cells,
        [
            ["target", "notes"],
            ["aarch64-apple-darwin", "ARM64 macOS 11.0+"],
            ["i686-pc-windows-msvc", "32-bit MSVC, Windows 10+, Pentium 4"],
            ["x86_64-unknown-linux-gnu", "64-bit Linux, kernel 3.2+"],
        ]
    );
    assert!(to_text(&doc).contains("i686-pc-windows-msvc\t32-bit MSVC, Windows 10+, Pentium 4\n"), "{}", to_text(&doc));
}
