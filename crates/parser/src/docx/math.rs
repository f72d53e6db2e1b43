//! Office Math (OMML) as linear plain text: scripts as `_(..)` / `^(..)` (digits as Unicode
//! sub/superscripts), accents as combining marks, delimiters, n-ary operators, fractions as
//! `num/den`, radicals as `√(..)`, and operators spaced as in `a = b + c`.

/// An open OMML element that renders the text inside it.
#[derive(Debug)]
pub(super) struct Open {
    /// Its local name: `sub`, `sup`, `acc`, `d`, `nary`, `f`, `rad` or `deg`.
    pub kind: Vec<u8>,
    /// Where its text starts in the paragraph's text.
    pub start: usize,
    /// The accent or operator character of an `acc` / `nary` (`m:chr`).
    pub chr: Option<String>,
    /// The opening and closing characters of a delimiter (`m:begChr`, `m:endChr`).
    pub beg: Option<String>,
    pub end: Option<String>,
    /// Where a fraction's numerator or a radical's degree ends in the paragraph's text.
    pub split: Option<usize>,
}

impl Open {
    pub fn new(kind: &[u8], start: usize) -> Self {
        Open { kind: kind.to_vec(), start, chr: None, beg: None, end: None, split: None }
    }

    /// Whether operators inside it stay as written (scripts, fractions, degrees are compact).
    pub fn compact(&self) -> bool {
        matches!(self.kind.as_slice(), b"sub" | b"sup" | b"f" | b"deg")
    }

    /// Its text `inner` (what the paragraph holds from `start` on) rendered.
    pub fn render(&self, inner: &str) -> String {
        match self.kind.as_slice() {
            b"sub" | b"sup" => script(&self.kind, inner),
            b"acc" => format!("{inner}{}", self.chr.as_deref().unwrap_or("\u{302}")),
            b"nary" => format!("{}{inner}", self.chr.as_deref().unwrap_or("∫")),
            b"f" | b"rad" => {
                let at = self.split.unwrap_or(self.start).saturating_sub(self.start);
                let at = if inner.is_char_boundary(at) { at } else { 0 };
                let (first, second) = (inner[..at].trim(), inner[at..].trim());
                if self.kind == b"f" {
                    return format!("{}/{}", group(first), group(second));
                }
                let root = match first {
                    "" | "2" => "√".to_string(),
                    "3" => "∛".to_string(),
                    "4" => "∜".to_string(),
                    n => format!("({n})√"),
                };
                format!("{root}({second})")
            }
            b"d" => format!("{}{inner}{}", self.beg.as_deref().unwrap_or("("), self.end.as_deref().unwrap_or(")")),
            _ => inner.to_string(),
        }
    }
}

/// A superscript (`kind` `sup`) or subscript: digits and signs as Unicode super/subscripts,
/// anything else as `^(..)` / `_(..)`.
pub(super) fn script(kind: &[u8], inner: &str) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    const SUB: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    let sup = kind == b"sup";
    let (table, plus, minus, mark) = if sup { (&SUP, '⁺', '⁻', "^") } else { (&SUB, '₊', '₋', "_") };
    let simple = !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '−' | '+'));
    if !simple {
        return format!("{mark}({inner})");
    }
    inner
        .chars()
        .map(|c| match c {
            '0'..='9' => table[c as usize - '0' as usize],
            '+' => plus,
            _ => minus,
        })
        .collect()
}

/// A fraction's part: one symbol, a word or number, or one parenthesised group as it is,
/// anything longer in parentheses.
fn group(t: &str) -> String {
    let bare = t.chars().count() == 1
        || t.chars().all(|c| c.is_alphanumeric() || c == '.')
        || (t.starts_with('(') && t.ends_with(')') && !t[1..t.len() - 1].contains(['(', ')']));
    if bare { t.to_string() } else { format!("({t})") }
}

/// Operators of equation text that read with a space either side, as in `a = b + c`.
fn spaced_operator(c: char) -> bool {
    "=≠<>≤≥≈≡∼≅∝→←↔⇒⇐⇔∈∉⊂⊆⊃⊇+-−±∓×÷".contains(c)
}

/// Appends equation text with a space either side of its operators; a sign that opens an
/// expression (`−x`, `(−1)`, `= −2`) stays attached to what follows. `from` is where the
/// equation starts in `text`.
pub(super) fn push_spaced(text: &mut String, from: usize, run: &str) {
    let from = if text.is_char_boundary(from) { from } else { text.len() };
    for c in run.chars() {
        let last = text.get(from..).unwrap_or_default().trim_end().chars().next_back();
        if c.is_whitespace() {
            if !text.is_empty() && !text.ends_with(char::is_whitespace) {
                text.push(' ');
            }
            continue;
        }
        let sign = matches!(c, '+' | '-' | '−' | '±' | '∓')
            && last.is_none_or(|l| spaced_operator(l) || "([{,|∑∏∫".contains(l));
        if spaced_operator(c) && !sign {
            text.truncate(text.trim_end().len());
            if !text.is_empty() {
                text.push(' ');
            }
            text.push(c);
            text.push(' ');
        } else {
            text.push(c);
        }
    }
}
