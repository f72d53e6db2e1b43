//! Layout of hand-placed glyphs: words, lines, columns, rows, reading order.

use super::*;

fn page(items: &[(f32, f32, &str)]) -> PageText {
    // Each item is one word at (x, y) with 10 pt glyphs of width 5.
    let mut p = PageText::default();
    for &(x, y, word) in items {
        for (k, ch) in word.chars().enumerate() {
            let start = p.text.len() as u32;
            p.text.push(ch);
            p.glyphs.push(GlyphBox {
                x: x + 5.0 * k as f32,
                y,
                w: 5.0,
                size: 10.0,
                dir: 0,
                space: false,
                start,
                len: ch.len_utf8() as u32,
            });
        }
    }
    p
}

fn text(p: &PageText) -> Vec<String> {
    layout(p).iter().map(|b| join_lines(&b.lines)).collect()
}

#[test]
fn words_from_gaps() {
    let p = page(&[(0.0, 700.0, "Hello"), (28.0, 700.0, "world")]);
    assert_eq!(text(&p), vec!["Hello world"]);
}

/// Monospaced lines (advance 6, size 10), each glyph placed on its own; a space is a
/// space glyph when `spaces`, else a gap.
fn monospaced(lines: &[&str], spaces: bool) -> PageText {
    let mut p = PageText::default();
    for (i, line) in lines.iter().enumerate() {
        let y = 700.0 - 12.0 * i as f32;
        for (k, ch) in line.chars().enumerate() {
            let start = p.text.len() as u32;
            let space = ch == ' ';
            if space && !spaces {
                continue;
            }
            if !space {
                p.text.push(ch);
            }
            let len = p.text.len() as u32 - start;
            p.glyphs.push(GlyphBox { x: 6.0 * k as f32, y, w: 6.0, size: 10.0, dir: 0, space, start, len });
        }
    }
    p
}

#[test]
fn monospaced_lines_with_aligned_words_stay_lines() {
    // Three lines of a monospaced font (advance 0.6 em, as Courier), each glyph
    // placed on its own and words one space apart, so every word starts at the same
    // x on each line: a single space is a word gap, not a column gutter, whether the
    // space is drawn or left as a gap.
    for spaces in [true, false] {
        let p = monospaced(&["Test test test", "Code code code", "Rest rest rest"], spaces);
        assert_eq!(text(&p), vec!["Test test test\nCode code code\nRest rest rest"], "spaces drawn: {spaces}");
    }
}

#[test]
fn code_with_comments_aligned_by_spaces_reads_line_by_line() {
    // Comments aligned in a column by runs of spaces the content stream draws: each line
    // is one run of text, however wide its gap, not a column of code beside a column of
    // comments.
    let code = [
        "let cfg = load(path)?;      // the file, then the environment",
        "let pool = connect(&cfg)?;  // one pool for the process",
        "let store = open(&cfg)?;    // S3 or a folder",
        "serve(cfg, pool, store)     // until SIGTERM",
    ];
    assert_eq!(
        text(&monospaced(&code, true)),
        vec![
            "let cfg = load(path)?; // the file, then the environment\n\
             let pool = connect(&cfg)?; // one pool for the process\n\
             let store = open(&cfg)?; // S3 or a folder\n\
             serve(cfg, pool, store) // until SIGTERM"
        ]
    );
    // The same words placed apart without spaces drawn between them are two columns.
    assert_eq!(
        text(&monospaced(&code, false)),
        vec![
            "let cfg = load(path)?;\nlet pool = connect(&cfg)?;\nlet store = open(&cfg)?;\nserve(cfg, pool, store)",
            "// the file, then the environment\n// one pool for the process\n// S3 or a folder\n// until SIGTERM",
        ]
    );
}

#[test]
fn right_to_left_glyphs_read_in_logical_order() {
    // "سلام 2024 بات" drawn left to right as a renderer places it: "بات" reversed,
    // the number as it reads, then "سلام" reversed with its lam-alef drawn as one
    // glyph whose text "لا" is already in logical order.
    let mut p = PageText::default();
    let glyphs: [(f32, &str); 10] = [
        (0.0, "ت"),
        (5.0, "ا"),
        (10.0, "ب"),
        (20.0, "2"),
        (25.0, "0"),
        (30.0, "2"),
        (35.0, "4"),
        (45.0, "م"),
        (50.0, "لا"),
        (55.0, "س"),
    ];
    for (x, t) in glyphs {
        let start = p.text.len() as u32;
        p.text.push_str(t);
        let len = t.len() as u32;
        p.glyphs.push(GlyphBox { x, y: 700.0, w: 5.0, size: 10.0, dir: 0, space: false, start, len });
    }
    assert_eq!(text(&p), vec!["سلام 2024 بات"]);
}

fn grids(p: &PageText) -> Vec<Vec<Vec<String>>> {
    layout(p).into_iter().filter_map(|b| b.rows).collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn rows_of_single_lines_read_row_by_row() {
    // A form: labels and values on shared baselines, rows far apart (each line its
    // own block); a value sits a little off its label's baseline.
    let p = page(&[
        (50.0, 700.0, "First:"),
        (200.0, 700.0, "Lucia"),
        (50.0, 670.0, "Last:"),
        (200.0, 669.0, "Garzas"),
        (50.0, 640.0, "Country:"),
        (200.0, 640.5, "Spain"),
    ]);
    assert_eq!(
        grids(&p),
        vec![vec![row(&["First:", "Lucia"]), row(&["Last:", "Garzas"]), row(&["Country:", "Spain"])]]
    );
    assert_eq!(text(&p), vec!["First:\nLucia\nLast:\nGarzas\nCountry:\nSpain"]);
}

#[test]
fn a_table_with_cells_over_several_lines_reads_row_by_row() {
    // A two-column table (a target and its notes) whose third row's note wraps onto a
    // second line, its target centred beside the two, and a fourth row with an empty
    // first cell; rows 20 pt apart, lines of a cell 12 pt.
    let p = page(&[
        (50.0, 700.0, "target"),
        (200.0, 700.0, "notes"),
        (50.0, 680.0, "aarch64-darwin"),
        (200.0, 680.0, "ARM64 macOS"),
        (50.0, 654.0, "i686-msvc"),
        (230.0, 660.0, "32-bit MSVC (Windows 10+,"),
        (230.0, 648.0, "Pentium 4)"),
        (200.0, 628.0, "see above"),
        (50.0, 608.0, "x86_64-gnu"),
        (200.0, 608.0, "64-bit Linux"),
    ]);
    assert_eq!(
        grids(&p),
        vec![vec![
            row(&["target", "notes"]),
            row(&["aarch64-darwin", "ARM64 macOS"]),
            row(&["i686-msvc", "32-bit MSVC (Windows 10+, Pentium 4)"]),
            row(&["", "see above"]),
            row(&["x86_64-gnu", "64-bit Linux"]),
        ]]
    );
}

#[test]
fn a_table_whose_rows_align_their_cells_differently_is_a_grid() {
    // As a browser prints one under a paragraph: a centred header row, then rows whose
    // cells are centred vertically, one of them a command whose lines are 18 pt apart
    // (each its own block); no row's gutters are clear in the next row.
    let p = page(&[
        (50.0, 730.0, "What a backup holds and what it restores, by kind:"),
        (60.0, 700.0, "kind"),
        (140.0, 700.0, "command"),
        (270.0, 700.0, "holds"),
        (50.0, 660.0, "database"),
        (120.0, 678.0, "aidoc-"),
        (120.0, 660.0, "backup"),
        (120.0, 642.0, "backup"),
        (230.0, 672.0, "a dump of the catalog"),
        (230.0, 660.0, "and the blob manifest"),
        (230.0, 648.0, "with every checksum"),
        (50.0, 600.0, "full"),
        (120.0, 600.0, "aidoc-backup full"),
        (230.0, 606.0, "the same and"),
        (230.0, 594.0, "every blob"),
    ]);
    assert_eq!(
        grids(&p),
        vec![vec![
            row(&["kind", "command", "holds"]),
            row(&[
                "database",
                "aidoc- backup backup",
                "a dump of the catalog and the blob manifest with every checksum"
            ]),
            row(&["full", "aidoc-backup full", "the same and every blob"]),
        ]]
    );
}

#[test]
fn cells_of_a_table_drawn_row_by_row_are_no_paragraph() {
    // Rows 16 pt apart (cell padding over a 12 pt line pitch): close enough for a column's
    // cells to stack like the lines of a paragraph, but the content stream draws each row's
    // other cells between them, and a wrapped cell's second line is 12 pt below its first.
    let p = page(&[
        (50.0, 700.0, "k1"),
        (120.0, 700.0, "the first"),
        (120.0, 688.0, "value"),
        (50.0, 672.0, "k2"),
        (120.0, 672.0, "the second"),
        (50.0, 656.0, "k3"),
        (120.0, 656.0, "the third"),
        (120.0, 644.0, "value"),
        (50.0, 628.0, "k4"),
        (120.0, 628.0, "the fourth"),
        (50.0, 612.0, "k5"),
        (120.0, 612.0, "the fifth"),
    ]);
    assert_eq!(
        grids(&p),
        vec![vec![
            row(&["k1", "the first value"]),
            row(&["k2", "the second"]),
            row(&["k3", "the third value"]),
            row(&["k4", "the fourth"]),
            row(&["k5", "the fifth"]),
        ]]
    );
}

#[test]
fn a_short_line_after_a_table_is_no_row_of_it() {
    // A table under a paragraph, then a line short enough to sit in the first column:
    // its band merges with the last row's, but it stays a paragraph after the table.
    let p = page(&[
        (50.0, 730.0, "The backup service exports these metrics, by name and labels:"),
        (90.0, 700.0, "metric"),
        (270.0, 700.0, "labels"),
        (50.0, 676.0, "backup_last_success"),
        (262.0, 676.0, "kind"),
        (50.0, 652.0, "backup_size_bytes"),
        (262.0, 658.0, "kind,"),
        (262.0, 646.0, "target"),
        (50.0, 622.0, "Alerts use them."),
    ]);
    assert_eq!(
        grids(&p),
        vec![vec![
            row(&["metric", "labels"]),
            row(&["backup_last_success", "kind"]),
            row(&["backup_size_bytes", "kind, target"]),
        ]]
    );
    assert_eq!(text(&p).last().map(String::as_str), Some("Alerts use them."));
}

#[test]
fn the_labels_of_a_figure_are_no_table() {
    // Node labels of a diagram under its caption stand in rows, each row's labels apart,
    // but most cells of such a grid are empty: they stay paragraphs, row by row.
    let p = page(&[
        (50.0, 730.0, "Figure 2: the states of a job in the queue and the moves between them, as the api records them"),
        (50.0, 700.0, "queued"),
        (300.0, 700.0, "parsing"),
        (150.0, 660.0, "indexing"),
        (400.0, 660.0, "failed"),
        (100.0, 620.0, "ready"),
        (350.0, 620.0, "retry"),
    ]);
    assert!(grids(&p).is_empty());
    assert_eq!(text(&p)[1..], ["queued", "parsing", "indexing", "failed", "ready", "retry"]);
}

#[test]
fn a_table_of_contents_under_its_heading_is_a_grid() {
    // Section numbers, titles and page numbers in rows 22 pt apart, under a heading that
    // starts in the numbers' column, above a page number centred between the columns.
    let mut items = vec![(50.0, 760.0, "Contents")];
    for (k, (n, title, page)) in [("1", "Foo", "2"), ("2", "Bar", "2"), ("3", "Baz", "3")].into_iter().enumerate() {
        let y = 720.0 - 22.0 * k as f32;
        items.extend([(50.0, y, n), (80.0, y, title), (400.0, y, page)]);
    }
    items.push((230.0, 80.0, "1"));
    let p = page(&items);
    assert_eq!(grids(&p), vec![vec![row(&["1", "Foo", "2"]), row(&["2", "Bar", "2"]), row(&["3", "Baz", "3"])]]);
    let t = text(&p);
    assert_eq!((t[0].as_str(), t[2].as_str()), ("Contents", "1"));
}

#[test]
fn columns_of_paragraphs_whose_first_lines_align_are_not_a_table() {
    // Two columns, each of paragraphs of three lines whose first lines share baselines:
    // with two rows of them (drawn column after column), or with a paragraph that runs
    // past the start of its neighbour's next one, the columns read one after the other.
    let para = |x: f32, y: f32, lines: usize, word: &'static str| -> Vec<(f32, f32, &'static str)> {
        (0..lines).map(|k| (x, y - 12.0 * k as f32, word)).collect()
    };
    let two_rows = [
        para(50.0, 700.0, 3, "left"),
        para(50.0, 650.0, 3, "left"),
        para(300.0, 700.0, 3, "right"),
        para(300.0, 650.0, 3, "right"),
    ];
    let t = text(&page(&two_rows.concat()));
    assert_eq!(t, vec!["left\nleft\nleft", "left\nleft\nleft", "right\nright\nright", "right\nright\nright"]);

    let overlapping = [
        para(50.0, 700.0, 3, "left"),
        para(50.0, 650.0, 3, "left"),
        para(50.0, 600.0, 3, "left"),
        para(300.0, 700.0, 3, "right"),
        para(300.0, 650.0, 6, "right"),
        para(300.0, 580.0, 1, "right"),
    ];
    let p = page(&overlapping.concat());
    assert!(grids(&p).is_empty());
    let t = text(&p);
    assert_eq!(t[..3], ["left\nleft\nleft", "left\nleft\nleft", "left\nleft\nleft"]);
}

#[test]
fn line_fragments_join_across_a_neighbour_columns_baseline() {
    // The right column's line has a gap (a glyph without text) and its second part sits
    // 1 pt lower (it starts with a subscript); the left column's line has its baseline
    // between the two, so it sorts between them.
    let p = page(&[
        (300.0, 700.0, "alpha"),
        (330.0, 700.0, "beta"),
        (50.0, 699.5, "left"),
        (75.0, 699.5, "side"),
        (358.0, 699.0, "gamma"),
        (388.0, 699.0, "delta"),
    ]);
    assert_eq!(text(&p), vec!["left side", "alpha beta gamma delta"]);
}

#[test]
fn two_columns_read_column_by_column() {
    // A title wide enough to span both columns (60 glyphs of 5 pt), then two columns of
    // text, the content stream drawing each line of the left one, then the line beside it.
    let title = "T".repeat(60);
    let mut items = vec![(60.0, 760.0, title.as_str())];
    for i in 0..6 {
        let y = 720.0 - 12.0 * i as f32;
        items.extend(column_line(50.0, y, i % 2 == 0, "left"));
        items.extend(column_line(300.0, y, i % 2 == 0, "right"));
    }
    let t = text(&page(&items));
    assert_eq!(t[0], title);
    assert_eq!(t[1], COLUMN_TEXT.replace("{}", "left"));
    assert_eq!(t[2], COLUMN_TEXT.replace("{}", "right"));
}

/// Six lines of a column of text, alternately as [`column_line`] draws them.
const COLUMN_TEXT: &str = "the {} column goes on\nand then some more\nthe {} column goes on\nand then some more\nthe {} column goes on\nand then some more";

/// A line of a column of text at (x, y): four or five words.
fn column_line(x: f32, y: f32, first: bool, name: &'static str) -> Vec<(f32, f32, &'static str)> {
    let words: Vec<&'static str> =
        if first { vec!["the", name, "column", "goes", "on"] } else { vec!["and", "then", "some", "more"] };
    let mut out = Vec::new();
    let mut at = x;
    for w in words {
        out.push((at, y, w));
        at += 5.0 * w.len() as f32 + 3.0;
    }
    out
}

#[test]
fn loosely_set_columns_drawn_line_by_line_stay_paragraphs() {
    // Two columns of 10 pt text on 14 pt leading, the content stream drawing each line of
    // the left column, then the line beside it in the right one: lines drawn beside are no
    // table rows when the pitch stays the paragraph's.
    let title = "T".repeat(60);
    let mut items = vec![(60.0, 760.0, title.as_str())];
    for i in 0..6 {
        let y = 720.0 - 14.0 * i as f32;
        items.extend(column_line(50.0, y, i % 2 == 0, "left"));
        items.extend(column_line(300.0, y, i % 2 == 0, "right"));
    }
    let p = page(&items);
    assert!(grids(&p).is_empty());
    let t = text(&p);
    assert_eq!(t[1], COLUMN_TEXT.replace("{}", "left"));
    assert_eq!(t[2], COLUMN_TEXT.replace("{}", "right"));
}

#[test]
fn a_gutter_shared_by_chance_does_not_cut_bands_drawn_one_after_the_other() {
    // Two columns of text, then a heading and a list in three columns whose middle one
    // sits in the text's gutter: gutters run down the whole page, but the content stream
    // draws the text, then the heading, then the list. Read band after band.
    let mut items = Vec::new();
    for (x, name) in [(50.0, "left"), (300.0, "right")] {
        for i in 0..6 {
            items.extend(column_line(x, 700.0 - 12.0 * i as f32, i % 2 == 0, name));
        }
    }
    items.push((50.0, 620.0, "Keywords"));
    for (x, words) in
        [(50.0, ["alpha", "beta", "gamma"]), (180.0, ["delta", "eta", "zeta"]), (400.0, ["theta", "iota", "kappa"])]
    {
        for (k, w) in words.into_iter().enumerate() {
            items.push((x, 600.0 - 12.0 * k as f32, w));
        }
    }
    assert_eq!(
        text(&page(&items)),
        vec![
            COLUMN_TEXT.replace("{}", "left"),
            COLUMN_TEXT.replace("{}", "right"),
            "Keywords".to_string(),
            "alpha\nbeta\ngamma".to_string(),
            "delta\neta\nzeta".to_string(),
            "theta\niota\nkappa".to_string(),
        ]
    );
}

#[test]
fn short_cells_drawn_row_by_row_are_rows() {
    // A table of numbers without borders: rows at a paragraph's pitch, each drawn cell by
    // cell, no cell wrapped (nothing off the pitch). Its columns are no paragraphs.
    let mut items = vec![(50.0, 712.0, "Year"), (110.0, 712.0, "Q1"), (160.0, 712.0, "Q2"), (210.0, 712.0, "Total")];
    let years = ["2021", "2022", "2023", "2024"];
    let figures = [["1.2", "1.4", "2.6"], ["1.5", "1.6", "3.1"], ["1.8", "2.0", "3.8"], ["2.1", "2.3", "4.4"]];
    for (r, (year, row)) in years.iter().zip(&figures).enumerate() {
        let y = 700.0 - 12.0 * r as f32;
        items.push((50.0, y, year));
        for (c, v) in row.iter().enumerate() {
            items.push((110.0 + 50.0 * c as f32, y, v));
        }
    }
    let p = page(&items);
    assert_eq!(
        grids(&p),
        vec![vec![
            row(&["Year", "Q1", "Q2", "Total"]),
            row(&["2021", "1.2", "1.4", "2.6"]),
            row(&["2022", "1.5", "1.6", "3.1"]),
            row(&["2023", "1.8", "2.0", "3.8"]),
            row(&["2024", "2.1", "2.3", "4.4"]),
        ]]
    );
}

#[test]
fn words_drawn_twice_in_place_show_once() {
    // A line drawn again after other text, once exactly and once 0.5 pt off (a
    // shadow); the same word elsewhere on the line and on the next line stays.
    let p = page(&[
        (0.0, 700.0, "Total"),
        (40.0, 700.0, "due"),
        (0.0, 688.0, "due"),
        (0.0, 700.0, "Total"),
        (40.5, 700.0, "due"),
        (60.0, 700.0, "due"),
    ]);
    assert_eq!(text(&p), vec!["Total due due\ndue"]);
}

#[test]
fn dehyphenation() {
    let l = vec!["an exam-".to_string(), "ple of run-".to_string(), "Time".to_string()];
    assert_eq!(join_lines(&l), "an example of run-\nTime");
}

#[test]
fn identifiers_wrapped_after_a_hyphen_keep_it() {
    let join = |a: &str, b: &str| join_lines(&[a.to_string(), b.to_string()]);
    assert_eq!(join("search?q=PPR-", "9087'"), "search?q=PPR-9087'");
    assert_eq!(join("the ticket PPR-", "9087"), "the ticket PPR-9087");
    assert_eq!(join("target x86_64-unknown-", "linux-gnu"), "target x86_64-unknown-linux-gnu");
    assert_eq!(join("pass --", "header"), "pass --header");
    assert_eq!(join("pages 10-", "20"), "pages 10-20");
    assert_eq!(join("a state-of-the-", "art design"), "a state-of-the-art design");
    // Words the typesetter hyphenated lose the hyphen; a soft hyphen always goes.
    assert_eq!(join("an exam-", "ple"), "an example");
    assert_eq!(join("TraceMon-", "key"), "TraceMonkey");
    assert_eq!(join("an exam\u{AD}", "ple"), "an example");
    // A dash or bullet, and a hyphen before a capital, keep the line break.
    assert_eq!(join("first -", "second"), "first -\nsecond");
    assert_eq!(join("-", "item"), "-\nitem");
    assert_eq!(join("Windows-", "Server"), "Windows-\nServer");
}

/// The words of `line` from (x, y) on, one space (5 pt) apart, as [`page`] places them.
fn line_at<'a>(items: &mut Vec<(f32, f32, &'a str)>, x: f32, y: f32, line: &'a str) {
    let mut x = x;
    for w in line.split(' ') {
        items.push((x, y, w));
        x += 5.0 * (w.chars().count() + 1) as f32;
    }
}

#[test]
fn a_box_at_the_top_of_a_column_is_read_before_the_column_runs_on_below_it() {
    // Three tables of symbol and name, each drawn row by row; the first sits under a box
    // of text at the top left, the other two start beside the box. A running header spans
    // the page and a footer of two blocks apart closes it. The box, then each table.
    let header = "Character sets of the page: the glyphs of a font with their names and their code points";
    let mut items = Vec::new();
    line_at(&mut items, 50.0, 760.0, header);
    let boxed = ["Character Sets", "of the Dingbats", "This page tests", "the glyphs of the", "font and names."];
    for (k, line) in boxed.into_iter().enumerate() {
        line_at(&mut items, 50.0, 700.0 - 12.0 * k as f32, line);
    }
    let names: Vec<Vec<String>> =
        (0..3).map(|t| (0..12).map(|r| format!("{}{r}", ["a", "b", "c"][t])).collect()).collect();
    for (t, (x, top)) in [(50.0, 630.0), (200.0, 700.0), (350.0, 700.0)].into_iter().enumerate() {
        for (r, name) in names[t].iter().enumerate() {
            let y = top - 13.0 * r as f32;
            items.push((x, y, "*"));
            items.push((x + 23.0, y, name));
            items.push((x + 28.0 + 5.0 * name.len() as f32, y, "[x27]"));
        }
    }
    items.push((50.0, 380.0, "Footer"));
    items.push((350.0, 380.0, "Suite"));
    let out = text(&page(&items));
    let lines: Vec<&str> = out.iter().flat_map(|b| b.lines()).collect();
    let mut want: Vec<String> = vec![header.to_string()];
    want.extend(boxed.iter().map(|l| l.to_string()));
    want.extend(names.iter().flatten().map(|n| format!("{n} [x27]")));
    want.extend(["Footer".to_string(), "Suite".to_string()]);
    // Symbols aside (their place within a table is the table's business), every line in
    // reading order.
    assert_eq!(lines.iter().filter(|l| **l != "*").copied().collect::<Vec<_>>(), want, "{out:#?}");
    assert_eq!(lines.iter().filter(|l| **l == "*").count(), 36);
}

#[test]
fn a_short_cell_under_a_wrapped_one_starts_the_next_row() {
    // Labels and descriptions in two columns, drawn row by row, rows at the pitch of the
    // wrapped description's lines. The short description of the second row is no third
    // line of the first row's description.
    let rows: [(&str, &[&str]); 3] = [
        ("database.url", &["Where the catalog lives, in PostgreSQL", "with the pgvector extension."]),
        ("storage.kind", &["s3 or fs."]),
        ("model.threads", &["Threads per session."]),
    ];
    let mut items = Vec::new();
    let mut y = 700.0;
    for (label, desc) in rows {
        items.push((50.0, y, label));
        for line in desc {
            line_at(&mut items, 130.0, y, line);
            y -= 12.0;
        }
    }
    let out = text(&page(&items));
    let lines: Vec<&str> = out.iter().flat_map(|b| b.lines()).collect();
    let want: Vec<&str> = rows.iter().flat_map(|(l, d)| std::iter::once(*l).chain(d.iter().copied())).collect();
    assert_eq!(lines, want, "{out:#?}");
}
