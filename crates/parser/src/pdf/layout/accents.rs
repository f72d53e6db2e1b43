//! Accents drawn as glyphs of their own over (or under) a letter, as TeX does for
//! letters its fonts lack ("na\"{\i}ve" is n a ¨ ı v e): the spacing accent becomes the
//! combining mark of the letter it sits on, composed where Unicode has the letter
//! ("naïve", "Erdős"). A dotless i or j under an accent above is the plain letter.

use unicode_normalization::UnicodeNormalization;

use super::super::interp::{GlyphBox, PageText};

/// The combining mark of a spacing accent, and whether it sits above the letter.
fn combining(c: char) -> Option<(char, bool)> {
    Some(match c {
        '`' | '\u{2CB}' => ('\u{300}', true),
        '\u{B4}' | '\u{2CA}' => ('\u{301}', true),
        '\u{2C6}' => ('\u{302}', true),
        '\u{2DC}' => ('\u{303}', true),
        '\u{AF}' | '\u{2C9}' => ('\u{304}', true),
        '\u{2D8}' => ('\u{306}', true),
        '\u{2D9}' => ('\u{307}', true),
        '\u{A8}' => ('\u{308}', true),
        '\u{2DA}' => ('\u{30A}', true),
        '\u{2DD}' => ('\u{30B}', true),
        '\u{2C7}' => ('\u{30C}', true),
        '\u{B8}' => ('\u{327}', false),
        '\u{2DB}' => ('\u{328}', false),
        _ => return None,
    })
}

fn text<'a>(page: &'a PageText, g: &GlyphBox) -> &'a str {
    page.text.get(g.start as usize..(g.start + g.len) as usize).unwrap_or("")
}

/// The accent a glyph shows alone, if it does.
fn accent_of(page: &PageText, g: &GlyphBox) -> Option<(char, bool)> {
    let mut cs = text(page, g).chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if !g.space => combining(c),
        _ => None,
    }
}

/// Whether accent glyph `a` sits on letter glyph `b`: its middle over the letter, near
/// its baseline (raised for capitals), at a similar size.
fn sits_on(page: &PageText, a: &GlyphBox, b: &GlyphBox) -> bool {
    let mid = a.x + a.w / 2.0;
    let slack = 0.1 * b.size;
    !b.space
        && b.dir == a.dir
        && b.w > 0.0
        && text(page, b).chars().next().is_some_and(char::is_alphabetic)
        && accent_of(page, b).is_none()
        && mid >= b.x - slack
        && mid <= b.x + b.w + slack
        && (a.y - b.y).abs() < 0.8 * b.size
        && a.size < 2.0 * b.size
        && b.size < 2.0 * a.size
}

/// Joins accents to the letters they sit on; a page without such accents is left as is.
pub fn attach(page: &mut PageText) {
    let n = page.glyphs.len();
    // For each glyph: the accents it receives, in drawing order.
    let mut marks: Vec<(usize, char, bool)> = Vec::new();
    let mut dropped = vec![false; n];
    for i in 0..n {
        let Some((mark, above)) = accent_of(page, &page.glyphs[i]) else { continue };
        let a = page.glyphs[i];
        // The letter is drawn right after the accent (TeX) or right before it.
        let base = [i + 1, i.wrapping_sub(1)]
            .into_iter()
            .find(|&j| j < n && !dropped[j] && sits_on(page, &a, &page.glyphs[j]));
        if let Some(j) = base {
            dropped[i] = true;
            marks.push((j, mark, above));
        }
    }
    if marks.is_empty() {
        return;
    }
    marks.sort_by_key(|m| m.0);
    let mut text = String::with_capacity(page.text.len());
    let mut glyphs = Vec::with_capacity(n);
    let mut next = 0;
    for (j, g) in page.glyphs.iter().enumerate() {
        if dropped[j] {
            continue;
        }
        let start = text.len();
        let own = &page.text[g.start as usize..(g.start + g.len) as usize];
        let first = next;
        while next < marks.len() && marks[next].0 == j {
            next += 1;
        }
        let mine = &marks[first..next];
        if mine.is_empty() {
            text.push_str(own);
        } else {
            let mut s = String::with_capacity(own.len() + 4);
            let above = mine.iter().any(|m| m.2);
            for c in own.chars() {
                s.push(match c {
                    '\u{131}' if above => 'i',
                    '\u{237}' if above => 'j',
                    c => c,
                });
            }
            s.extend(mine.iter().map(|m| m.1));
            text.extend(s.nfc());
        }
        glyphs.push(GlyphBox { start: start as u32, len: (text.len() - start) as u32, ..*g });
    }
    page.text = text;
    page.glyphs = glyphs;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of 10 pt, each (x, y, width, text).
    fn page(items: &[(f32, f32, f32, &str)]) -> PageText {
        let mut p = PageText::default();
        for &(x, y, w, t) in items {
            let start = p.text.len() as u32;
            p.text.push_str(t);
            let len = t.len() as u32;
            p.glyphs.push(GlyphBox { x, y, w, size: 10.0, dir: 0, space: false, start, len });
        }
        p
    }

    #[test]
    fn accents_join_the_letters_they_sit_on() {
        // "na\"{\i}ve": the diaeresis drawn first, over the dotless i.
        let mut p = page(&[
            (0.0, 0.0, 5.0, "n"),
            (5.0, 0.0, 5.0, "a"),
            (10.0, 0.0, 5.0, "\u{A8}"),
            (10.0, 0.0, 3.0, "ı"),
            (13.0, 0.0, 5.0, "v"),
            (18.0, 0.0, 5.0, "e"),
        ]);
        attach(&mut p);
        assert_eq!(p.text, "naïve");
        assert_eq!(p.glyphs.len(), 5);
        assert_eq!(&p.text[p.glyphs[2].start as usize..(p.glyphs[2].start + p.glyphs[2].len) as usize], "ï");
        // An acute drawn after its capital and raised; a cedilla under a c.
        let mut p =
            page(&[(0.0, 0.0, 7.0, "E"), (1.0, 2.0, 5.0, "\u{B4}"), (7.0, 0.0, 5.0, "c"), (7.0, 0.0, 5.0, "\u{B8}")]);
        attach(&mut p);
        assert_eq!(p.text, "Éç");
        // Accents standing alone (beside letters, or in a line of their own) stay.
        let mut p = page(&[(0.0, 0.0, 5.0, "a"), (8.0, 0.0, 5.0, "\u{B4}"), (14.0, 0.0, 5.0, "b")]);
        attach(&mut p);
        assert_eq!(p.text, "a\u{B4}b");
        let mut p = page(&[(0.0, 20.0, 5.0, "`"), (0.0, 0.0, 5.0, "x")]);
        attach(&mut p);
        assert_eq!(p.text, "`x");
    }
}
