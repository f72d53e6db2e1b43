//! Query-centred snippets with the matches marked, as HTML.

use std::collections::{HashMap, HashSet};

use crate::script::{is_cjk, is_closer, is_sentence_end};
use crate::tokenize::{Token, index_tokens};

/// Matches beyond this many are not considered when choosing the window.
const MAX_MATCHES: usize = 2_000;

/// A match, in char indexes of the text.
#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    lexeme: usize,
}

/// An HTML excerpt of `text` of at most `max_chars` characters (not counting the `…` added where the text
/// was cut), around the part that holds the most distinct query lexemes, then the most matches, with every
/// match wrapped in `<mark>…</mark>`.
///
/// Matches are found by tokenising `text` with [`index_tokens`] and comparing lexemes with those of `query`
/// (normally [`crate::query_tokens`]), so `running` marks `Running` and `PPR-9087` marks `PPR-9087` whole.
/// The window is cut at a sentence start or a word boundary where it can be; runs of whitespace become one
/// space; everything is HTML-escaped. Without any match the excerpt is the start of the text.
pub fn snippet(text: &str, query: &[Token], max_chars: usize) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let Some(first) = chars.iter().position(|(_, c)| !c.is_whitespace()) else {
        return String::new();
    };
    if max_chars == 0 {
        return String::new();
    }
    let last = chars.iter().rposition(|(_, c)| !c.is_whitespace()).map_or(first, |k| k + 1);
    let char_at = |byte: usize| chars.partition_point(|&(offset, _)| offset < byte);

    let mut ids: HashMap<&str, usize> = HashMap::new();
    for token in query {
        let next = ids.len();
        ids.entry(token.lexeme.as_str()).or_insert(next);
    }
    let mut hits: Vec<Hit> = Vec::new();
    if !ids.is_empty() {
        for token in index_tokens(text) {
            if let Some(&lexeme) = ids.get(token.lexeme.as_str()) {
                hits.push(Hit { start: char_at(token.start), end: char_at(token.end), lexeme });
                if hits.len() >= MAX_MATCHES {
                    break;
                }
            }
        }
    }
    hits.sort_by_key(|h| (h.start, h.end));

    let (start, end) = match best_window(&hits, max_chars) {
        Some((hit_start, hit_end)) => place_window(&chars, first, last, hit_start, hit_end, max_chars),
        None => {
            let end = (first + max_chars).min(last);
            let end = if end < last { snap_end(&chars, first, first, end) } else { end };
            (first, end)
        }
    };
    render(&chars, &hits, start, end, start > first, end < last)
}

/// The first and last char of the matches in the best window: most distinct lexemes, then most matches,
/// then the earliest.
fn best_window(hits: &[Hit], max_chars: usize) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, usize, usize)> = None;
    let mut seen = HashSet::new();
    for (i, hit) in hits.iter().enumerate() {
        let limit = hit.start + max_chars;
        seen.clear();
        let mut total = 0;
        let mut last_end = hit.start;
        for other in hits[i..].iter().take_while(|h| h.start < limit) {
            if other.end <= limit {
                seen.insert(other.lexeme);
                total += 1;
                last_end = last_end.max(other.end);
            }
        }
        if total == 0 {
            continue;
        }
        if best.is_none_or(|(d, t, _, _)| (seen.len(), total) > (d, t)) {
            best = Some((seen.len(), total, hit.start, last_end));
        }
    }
    best.map(|(_, _, start, end)| (start, end))
}

fn is_word(c: char) -> bool {
    (c.is_alphanumeric() || c == '_') && !is_cjk(c)
}

/// Whether a cut between chars `p - 1` and `p` splits no word.
fn is_boundary(chars: &[(usize, char)], p: usize) -> bool {
    p == 0 || p >= chars.len() || !(is_word(chars[p - 1].1) && is_word(chars[p].1))
}

/// Whether a sentence starts at char `p`: after a newline, or after final punctuation (and a space, for
/// ASCII punctuation).
fn is_sentence_start(chars: &[(usize, char)], p: usize) -> bool {
    if p == 0 || p >= chars.len() || chars[p].1.is_whitespace() {
        return p == 0;
    }
    let mut k = p;
    while k > 0 && chars[k - 1].1.is_whitespace() {
        if chars[k - 1].1 == '\n' {
            return true;
        }
        k -= 1;
    }
    while k > 0 && is_closer(chars[k - 1].1) {
        k -= 1;
    }
    k > 0 && is_sentence_end(chars[k - 1].1) && (k < p || !chars[k - 1].1.is_ascii())
}

/// Where to cut a window that must show chars `hit_start..hit_end`.
fn place_window(
    chars: &[(usize, char)],
    first: usize,
    last: usize,
    hit_start: usize,
    hit_end: usize,
    max_chars: usize,
) -> (usize, usize) {
    // Centre the matches, slid back inside the text.
    let slack = max_chars - (hit_end - hit_start);
    let mut centred = hit_start.saturating_sub(slack / 2).max(first);
    if (centred + max_chars).min(last) - centred < max_chars {
        centred = last.saturating_sub(max_chars).max(first);
    }
    let mut start = centred;
    if start > first {
        // The start of the first match's sentence when the window can still show every match from there,
        // else the next word.
        let earliest = hit_end.saturating_sub(max_chars).max(first);
        let sentence = (earliest..=hit_start).rev().find(|&p| p == first || is_sentence_start(chars, p));
        start = sentence.or_else(|| (centred..=hit_start).find(|&p| is_boundary(chars, p))).unwrap_or(centred);
        while start < hit_start && chars[start].1.is_whitespace() {
            start += 1;
        }
    }
    let mut end = (start + max_chars).min(last);
    if end < last {
        end = snap_end(chars, start, hit_end, end);
    }
    (start, end)
}

/// Where to end a window `start..end` that must show chars up to `floor`: after a sentence in its last
/// third, else at the latest word boundary (else at `end`), without trailing whitespace.
fn snap_end(chars: &[(usize, char)], start: usize, floor: usize, end: usize) -> usize {
    let third = start + (end - start) * 2 / 3;
    let sentence_end = |p: usize| {
        let before = chars[p - 1].1;
        is_sentence_end(before) && (!before.is_ascii() || chars.get(p).is_none_or(|&(_, c)| c.is_whitespace()))
    };
    let mut end = (floor.max(third)..=end)
        .rev()
        .find(|&p| p > floor && sentence_end(p))
        .or_else(|| (floor..=end).rev().find(|&p| p > floor && is_boundary(chars, p)))
        .unwrap_or(end);
    while end > floor && chars[end - 1].1.is_whitespace() {
        end -= 1;
    }
    end
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

fn render(
    chars: &[(usize, char)],
    hits: &[Hit],
    start: usize,
    end: usize,
    cut_before: bool,
    cut_after: bool,
) -> String {
    // Overlapping matches (an identifier and its parts) become one mark.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for hit in hits {
        let (a, b) = (hit.start.max(start), hit.end.min(end));
        if a >= b {
            continue;
        }
        match marks.last_mut() {
            Some(mark) if a < mark.1 => mark.1 = mark.1.max(b),
            _ => marks.push((a, b)),
        }
    }
    let mut out = String::new();
    if cut_before {
        out.push('…');
    }
    let mut marks = marks.into_iter().peekable();
    let mut open: Option<usize> = None;
    let mut in_space = false;
    for (k, &(_, c)) in chars.iter().enumerate().take(end).skip(start) {
        if open.is_none()
            && let Some(&(a, b)) = marks.peek()
            && a == k
        {
            out.push_str("<mark>");
            open = Some(b);
            marks.next();
        }
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            push_escaped(&mut out, c);
            in_space = false;
        }
        if open == Some(k + 1) {
            out.push_str("</mark>");
            open = None;
        }
    }
    if cut_after {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snippet;
    use crate::tokenize::query_tokens;

    fn snip(text: &str, query: &str, max_chars: usize) -> String {
        snippet(text, &query_tokens(query), max_chars)
    }

    #[test]
    fn marks_stemmed_matches_in_a_short_text() {
        assert_eq!(
            snip("Restoring a database: run the restore command.", "restore database", 100),
            "<mark>Restoring</mark> a <mark>database</mark>: run the <mark>restore</mark> command."
        );
    }

    #[test]
    fn picks_the_window_with_the_most_distinct_matches() {
        let text = "Backups run nightly. Nothing else happens here at all. Later on, to restore a backup \
                    you stop the server first and then restore the files. The end of the story is long.";
        assert_eq!(
            snip(text, "restore backup server", 60),
            "…<mark>restore</mark> a <mark>backup</mark> you stop the <mark>server</mark> first and then \
             <mark>restore</mark>…"
        );
    }

    #[test]
    fn cuts_at_a_sentence_start_when_it_can() {
        let text = "First sentence is filler text. Second one mentions nginx here. Third is filler.";
        assert_eq!(snip(text, "nginx", 40), "…Second one mentions <mark>nginx</mark> here.…");
    }

    #[test]
    fn identifiers_are_marked_whole_and_html_is_escaped() {
        let text = "Ticket <b>PPR-9087</b> & \"PPR\" isn't the same as ppr_9087.";
        assert_eq!(
            snip(text, "PPR-9087", 200),
            "Ticket &lt;b&gt;<mark>PPR-9087</mark>&lt;/b&gt; &amp; &quot;<mark>PPR</mark>&quot; isn&#39;t the same as \
             <mark>ppr</mark>_<mark>9087</mark>."
        );
        assert_eq!(snip("call std::fs::read(path)", "std::fs::read", 50), "call <mark>std::fs::read</mark>(path)");
    }

    #[test]
    fn chinese_counts_chars_not_bytes() {
        let text = "本文介绍系统的安装步骤。数据库备份与恢复需要先停止服务，然后复制数据目录。最后检查日志。";
        assert_eq!(
            snip(text, "数据库恢复", 20),
            "…<mark>数据库</mark>备份与<mark>恢复</mark>需要先停止服务，然后复制…"
        );
        assert_eq!(snip(text, "向量", 8), "本文介绍系统的安…");
    }

    #[test]
    fn without_a_match_the_start_of_the_text_is_shown() {
        assert_eq!(snip("  alpha beta gamma delta", "zeta", 12), "alpha beta…");
        assert_eq!(snip("alpha beta", "", 12), "alpha beta");
        assert_eq!(snip("   ", "alpha", 12), "");
        assert_eq!(snip("alpha", "alpha", 0), "");
    }

    #[test]
    fn whitespace_runs_become_one_space() {
        assert_eq!(snip("one\n\n  two\tthree", "two", 50), "one <mark>two</mark> three");
    }
}
