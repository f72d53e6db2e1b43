//! Right-to-left text drawn in visual order (left to right on the page) put back in
//! logical order. Units (the glyphs of a word, the words of a line) are reordered, never
//! the characters inside one: the text of one glyph (a lam-alef ligature, a cluster) is
//! already in logical order. Runs of left-to-right letters and of digits inside
//! right-to-left text keep their own order ("PDF 2.0", "١٢٣").

/// Letters (and marks) of the right-to-left scripts: Hebrew, Arabic, Syriac, Thaana,
/// N'Ko, Samaritan, Mandaic and the Hebrew and Arabic presentation forms.
pub fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF) && !c.is_numeric()
}

/// The direction a unit of text asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rtl,
    Ltr,
    /// Digits: numbers read left to right in every script, but do not decide the
    /// direction of the text around them.
    Number,
    /// Punctuation, symbols: they take the direction around them.
    Neutral,
}

/// The kind of a piece of text: that of its first letter or digit.
pub fn kind(s: &str) -> Kind {
    for c in s.chars() {
        if c.is_numeric() {
            return Kind::Number;
        }
        if is_rtl(c) {
            return Kind::Rtl;
        }
        if c.is_alphabetic() {
            return Kind::Ltr;
        }
    }
    Kind::Neutral
}

/// Whether units of these kinds read right to left as a whole: more right-to-left units
/// than left-to-right ones.
pub fn rtl_base(kinds: &[Kind]) -> bool {
    let rtl = kinds.iter().filter(|&&k| k == Kind::Rtl).count();
    let ltr = kinds.iter().filter(|&&k| k == Kind::Ltr).count();
    rtl > ltr
}

/// The logical order of units given in visual (left-to-right) order. With a
/// right-to-left base the units are reversed except for embedded left-to-right runs;
/// with a left-to-right base only the embedded right-to-left runs are reversed. A run
/// starts and ends with a unit of its own direction; neutrals inside it belong to it.
pub fn logical_order(kinds: &[Kind], rtl: bool) -> Vec<usize> {
    let embedded = |k: Kind| if rtl { matches!(k, Kind::Ltr | Kind::Number) } else { k == Kind::Rtl };
    let base = |k: Kind| k != Kind::Neutral && !embedded(k);
    let mut order: Vec<usize> = (0..kinds.len()).collect();
    if rtl {
        order.reverse();
    }
    // Runs of the embedded direction are reversed (back) in place.
    let mut i = 0;
    while i < order.len() {
        if !embedded(kinds[order[i]]) {
            i += 1;
            continue;
        }
        let mut end = i;
        let mut j = i + 1;
        while j < order.len() && !base(kinds[order[j]]) {
            if embedded(kinds[order[j]]) {
                end = j;
            }
            j += 1;
        }
        order[i..=end].reverse();
        i = end + 1;
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(units: &[&str]) -> String {
        let kinds: Vec<Kind> = units.iter().map(|u| kind(u)).collect();
        logical_order(&kinds, rtl_base(&kinds)).into_iter().map(|i| units[i]).collect()
    }

    #[test]
    fn visual_order_becomes_logical_by_units() {
        // "سلام" drawn left to right: م ا ل س.
        assert_eq!(logical(&["م", "ا", "ل", "س"]), "سلام");
        // A lam-alef ligature glyph carries "لا" in logical order: it stays so ("سلام"
        // drawn as م, ﻻ-glyph, س).
        assert_eq!(logical(&["م", "لا", "س"]), "سلام");
        // Digits inside right-to-left text keep their order.
        assert_eq!(logical(&["ب", "1", "2", "3", "ا"]), "ا123ب");
        assert_eq!(logical(&["١", "٢", "ب"]), "ب١٢");
        // Left-to-right words in a right-to-left line keep theirs, neutrals inside too.
        assert_eq!(logical(&["PDF ", "2.0 ", "ملف ", "هو ", "هذا "]), "هذا هو ملف PDF 2.0 ");
        // A right-to-left run inside left-to-right text is reversed alone.
        assert_eq!(logical(&["see ", "ب", "ا", " now"]), "see اب now");
        // Nothing right to left: unchanged.
        assert_eq!(logical(&["a", "b", "-", "c"]), "ab-c");
    }
}
