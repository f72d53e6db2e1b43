//! Token budgets, citations and cursors shared by the MCP tools.

use aidoc_proto::indexer::v1 as idx;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A conservative token estimate: one token per three ASCII characters
/// (tokenisers average about four) and one per any other character (CJK
/// text is close to one token per character; accented or symbol-heavy text
/// is never more).
pub fn estimate_tokens(s: &str) -> usize {
    let (mut ascii, mut other) = (0usize, 0usize);
    for c in s.chars() {
        if c.is_ascii() {
            ascii += 1;
        } else {
            other += 1;
        }
    }
    ascii.div_ceil(3) + other
}

/// Tokens of a JSON value as the client receives it.
pub fn json_tokens(v: &Value) -> usize {
    estimate_tokens(&v.to_string())
}

/// Tokens set aside for a result's heading, paging note and JSON envelope.
pub const RESERVE: usize = 400;

/// What is left of one result's budget.
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

impl Budget {
    pub fn new(total: u32) -> Budget {
        Budget { left: (total as usize).saturating_sub(RESERVE) }
    }

    /// Spends `cost` when it fits.
    pub fn take(&mut self, cost: usize) -> bool {
        if cost <= self.left {
            self.left -= cost;
            true
        } else {
            false
        }
    }

    pub fn left(&self) -> usize {
        self.left
    }
}

/// Cuts `text` so that it estimates to at most `tokens`, at a character
/// boundary; says whether it cut.
pub fn cut_to_tokens(text: &str, tokens: usize) -> (String, bool) {
    if estimate_tokens(text) <= tokens {
        return (text.to_owned(), false);
    }
    let (mut ascii, mut other) = (0usize, 0usize);
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if c.is_ascii() {
            ascii += 1;
        } else {
            other += 1;
        }
        if ascii.div_ceil(3) + other > tokens {
            break;
        }
        end = i + c.len_utf8();
    }
    (text[..end].to_owned(), true)
}

/// Where a passage comes from, with links a person or agent can follow.
#[derive(Debug, Clone, Serialize)]
pub struct Citation {
    pub document_id: String,
    pub title: String,
    pub heading_path: Vec<String>,
    pub page_start: u32,
    pub page_end: u32,
    /// The web UI at the passage's first page.
    pub url: String,
    /// The document in the REST API.
    pub api_url: String,
}

impl Citation {
    pub fn new(base: &str, document_id: &str, title: &str, heading_path: &[String], pages: (u32, u32)) -> Citation {
        let url = if pages.0 > 0 {
            format!("{base}/documents/{document_id}?page={}", pages.0)
        } else {
            format!("{base}/documents/{document_id}")
        };
        Citation {
            document_id: document_id.to_owned(),
            title: title.to_owned(),
            heading_path: heading_path.to_vec(),
            page_start: pages.0,
            page_end: pages.1,
            url,
            api_url: format!("{base}/api/v1/documents/{document_id}"),
        }
    }

    pub fn of_chunk(base: &str, title: &str, c: &idx::Chunk) -> Citation {
        Citation::new(base, &c.document_id, title, &c.heading_path, (c.page_start, c.page_end))
    }

    /// `Title › Heading › Subheading, p. 3–4`.
    pub fn label(&self) -> String {
        let mut s = if self.title.is_empty() { self.document_id.clone() } else { self.title.clone() };
        for h in &self.heading_path {
            s.push_str(" › ");
            s.push_str(h);
        }
        s.push_str(&pages_label(self.page_start, self.page_end));
        s
    }

    /// A Markdown line naming and linking the source.
    pub fn line(&self) -> String {
        format!("Source: {} — {}", self.label(), self.url)
    }
}

/// `, p. 3`, `, pp. 3–4`, or nothing for formats without pages.
pub fn pages_label(start: u32, end: u32) -> String {
    match (start, end) {
        (0, _) => String::new(),
        (s, e) if e > s => format!(", pp. {s}–{e}"),
        (s, _) => format!(", p. {s}"),
    }
}

/// The cursor handed to agents: the backend's own cursor for the page that
/// was being read, and how many of that page's items were already returned
/// (a result cut short by the budget resumes inside a backend page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "c", default)]
    pub inner: String,
    #[serde(rename = "s", default)]
    pub skip: usize,
}

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json!(self).to_string())
    }

    pub fn decode(s: &str) -> Result<Cursor, String> {
        let bad = || format!("cursor `{s}` is not one this server returned; pass next_cursor from the previous result");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// A tool answer: Markdown for the model, the same facts as structured data.
#[derive(Debug)]
pub struct Answer {
    pub text: String,
    pub data: Value,
}

impl Answer {
    pub fn into_result(self) -> Value {
        json!({
            "content": [{ "type": "text", "text": self.text }],
            "structuredContent": self.data,
            "isError": false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_conservative_for_ascii_and_cjk() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcd"), 2);
        assert_eq!(estimate_tokens("数据库备份"), 5);
        assert_eq!(estimate_tokens("ab数据"), 3);
    }

    #[test]
    fn cutting_respects_the_budget_and_char_boundaries() {
        let text = "数据库备份与恢复 and some English words here";
        for budget in 0..20 {
            let (cut, was_cut) = cut_to_tokens(text, budget);
            assert!(estimate_tokens(&cut) <= budget, "{budget}: {cut:?}");
            assert!(text.starts_with(&cut));
            assert_eq!(was_cut, cut.len() < text.len());
        }
        assert_eq!(cut_to_tokens("short", 100), ("short".to_owned(), false));
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = Cursor { inner: "abc".into(), skip: 3 };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not a cursor!").unwrap_err().contains("next_cursor"));
        assert!(Cursor::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[1]")).is_err());
    }

    #[test]
    fn citations_link_to_the_page() {
        let c = Citation::new("http://h:8080", "d1", "Guide", &["Setup".into(), "Install".into()], (3, 4));
        assert_eq!(c.url, "http://h:8080/documents/d1?page=3");
        assert_eq!(c.api_url, "http://h:8080/api/v1/documents/d1");
        assert_eq!(c.label(), "Guide › Setup › Install, pp. 3–4");
        let plain = Citation::new("http://h", "d2", "", &[], (0, 0));
        assert_eq!(plain.url, "http://h/documents/d2");
        assert_eq!(plain.label(), "d2");
    }
}
