//! Paragraph styles (heading levels, list numbering) and numbering definitions.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Default, Clone)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num: Option<(u32, u8)>,
}

#[derive(Debug, Default, Clone)]
struct Level {
    start: u32,
    format: String,
    text: String,
}

#[derive(Debug, Default)]
pub struct Styles {
    styles: HashMap<String, Style>,
    /// abstractNumId → levels
    abstracts: HashMap<u32, Vec<Level>>,
    /// numId → (abstractNumId, start overrides per level)
    nums: HashMap<u32, (u32, HashMap<u8, u32>)>,
    default_paragraph: Option<String>,
}

pub fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| {
        let raw = String::from_utf8_lossy(&a.value).into_owned();
        if raw.contains('&') { super::body::unescape(&raw) } else { raw }
    })
}

fn val(e: &BytesStart<'_>) -> Option<String> {
    attr(e, b"val")
}

impl Styles {
    pub fn parse(styles: &[u8], numbering: &[u8]) -> Styles {
        let mut s = Styles::default();
        s.read_styles(styles);
        s.read_numbering(numbering);
        s
    }

    fn read_styles(&mut self, xml: &[u8]) {
        let mut r = quick_xml::Reader::from_reader(xml);
        let mut cur: Option<(String, Style, bool)> = None;
        loop {
            let ev = match r.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(ev) => ev,
            };
            match ev {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    b"style" => {
                        let paragraph = attr(&e, b"type").is_none_or(|t| t == "paragraph");
                        let id = attr(&e, b"styleId").unwrap_or_default();
                        if paragraph && attr(&e, b"default").is_some_and(|d| d == "1" || d == "true") {
                            self.default_paragraph = Some(id.clone());
                        }
                        cur = Some((id, Style::default(), paragraph));
                    }
                    b"name" => {
                        if let Some((_, st, _)) = cur.as_mut() {
                            st.name = val(&e).unwrap_or_default();
                        }
                    }
                    b"basedOn" => {
                        if let Some((_, st, _)) = cur.as_mut() {
                            st.based_on = val(&e);
                        }
                    }
                    b"outlineLvl" => {
                        if let Some((_, st, _)) = cur.as_mut() {
                            st.outline = val(&e).and_then(|v| v.parse().ok());
                        }
                    }
                    b"numId" => {
                        if let Some((_, st, _)) = cur.as_mut() {
                            let id: u32 = val(&e).and_then(|v| v.parse().ok()).unwrap_or(0);
                            st.num = Some((id, st.num.map_or(0, |n| n.1)));
                        }
                    }
                    b"ilvl" => {
                        if let Some((_, st, _)) = cur.as_mut() {
                            let l: u8 = val(&e).and_then(|v| v.parse().ok()).unwrap_or(0);
                            st.num = Some((st.num.map_or(0, |n| n.0), l));
                        }
                    }
                    _ => {}
                },
                Event::End(e) if e.local_name().as_ref() == b"style" => {
                    if let Some((id, st, paragraph)) = cur.take()
                        && paragraph
                    {
                        self.styles.insert(id, st);
                    }
                }
                _ => {}
            }
        }
    }

    fn read_numbering(&mut self, xml: &[u8]) {
        let mut r = quick_xml::Reader::from_reader(xml);
        let mut abs: Option<(u32, Vec<Level>)> = None;
        let mut lvl: Option<(usize, Level)> = None;
        let mut num: Option<(u32, u32, HashMap<u8, u32>)> = None;
        let mut override_lvl: u8 = 0;
        loop {
            let ev = match r.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(ev) => ev,
            };
            match ev {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    b"abstractNum" => {
                        abs = Some((attr(&e, b"abstractNumId").and_then(|v| v.parse().ok()).unwrap_or(0), Vec::new()))
                    }
                    b"lvl" if abs.is_some() => {
                        let i = attr(&e, b"ilvl").and_then(|v| v.parse().ok()).unwrap_or(0usize);
                        lvl = Some((i.min(8), Level { start: 1, format: "decimal".into(), text: String::new() }));
                    }
                    b"start" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.start = val(&e).and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    b"numFmt" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.format = val(&e).unwrap_or_default();
                        }
                    }
                    b"lvlText" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.text = val(&e).unwrap_or_default();
                        }
                    }
                    b"num" => {
                        num = Some((attr(&e, b"numId").and_then(|v| v.parse().ok()).unwrap_or(0), 0, HashMap::new()))
                    }
                    b"abstractNumId" => {
                        if let Some(n) = num.as_mut() {
                            n.1 = val(&e).and_then(|v| v.parse().ok()).unwrap_or(0);
                        }
                    }
                    b"lvlOverride" => override_lvl = attr(&e, b"ilvl").and_then(|v| v.parse().ok()).unwrap_or(0),
                    b"startOverride" => {
                        if let Some(n) = num.as_mut() {
                            n.2.insert(override_lvl, val(&e).and_then(|v| v.parse().ok()).unwrap_or(1));
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    b"lvl" => {
                        if let (Some((i, l)), Some((_, levels))) = (lvl.take(), abs.as_mut()) {
                            if levels.len() <= i {
                                levels.resize(i + 1, Level::default());
                            }
                            levels[i] = l;
                        }
                    }
                    b"abstractNum" => {
                        if let Some((id, levels)) = abs.take() {
                            self.abstracts.insert(id, levels);
                        }
                    }
                    b"num" => {
                        if let Some((id, a, o)) = num.take() {
                            self.nums.insert(id, (a, o));
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    fn chain(&self, id: &str) -> impl Iterator<Item = &Style> {
        let mut next = Some(id.to_string());
        let mut n = 0;
        std::iter::from_fn(move || {
            n += 1;
            if n > 12 {
                return None;
            }
            let st = self.styles.get(next.as_deref()?)?;
            next = st.based_on.clone();
            Some(st)
        })
    }

    /// Heading level (1 = top) of a paragraph style, from its name or outline level.
    pub fn heading_level(&self, style: Option<&str>, outline: Option<u8>) -> Option<u8> {
        if let Some(o) = outline
            && o < 9
        {
            return Some(o + 1);
        }
        let id = style.or(self.default_paragraph.as_deref())?;
        for st in self.chain(id) {
            let name = st.name.to_ascii_lowercase();
            if let Some(n) = name.strip_prefix("heading").map(str::trim)
                && let Ok(level) = n.parse::<u8>()
            {
                return Some(level.clamp(1, 9));
            }
            if name == "title" {
                return Some(1);
            }
            if let Some(o) = st.outline
                && o < 9
            {
                return Some(o + 1);
            }
        }
        // Style ids like "Heading2" without a name entry.
        let lower = id.to_ascii_lowercase();
        lower.strip_prefix("heading").and_then(|n| n.parse::<u8>().ok()).map(|l| l.clamp(1, 9))
    }

    /// List numbering a paragraph style carries.
    pub fn style_numbering(&self, style: Option<&str>) -> Option<(u32, u8)> {
        self.chain(style?).find_map(|s| s.num)
    }

    fn level(&self, num: u32, ilvl: u8) -> Option<(&Level, u32)> {
        let (abs, overrides) = self.nums.get(&num)?;
        let levels = self.abstracts.get(abs)?;
        let l = levels.get(ilvl as usize)?;
        Some((l, overrides.get(&ilvl).copied().unwrap_or(l.start)))
    }
}

/// Running list counters, producing labels as Word shows them.
#[derive(Debug, Default)]
pub struct Counters {
    counts: HashMap<u32, [u32; 9]>,
}

fn roman(mut n: u32) -> String {
    let table = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

fn letters(n: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let c = char::from(b'a' + ((n - 1) % 26) as u8);
    std::iter::repeat_n(c, ((n - 1) / 26 + 1) as usize).collect()
}

fn format_number(n: u32, fmt: &str) -> String {
    match fmt {
        "lowerLetter" => letters(n),
        "upperLetter" => letters(n).to_uppercase(),
        "lowerRoman" => roman(n),
        "upperRoman" => roman(n).to_uppercase(),
        "decimalZero" => format!("{n:02}"),
        _ => n.to_string(),
    }
}

impl Counters {
    /// The label of the next item of list `num` at level `ilvl`.
    pub fn next(&mut self, styles: &Styles, num: u32, ilvl: u8) -> String {
        let ilvl = ilvl.min(8);
        let Some((level, start)) = styles.level(num, ilvl) else { return String::new() };
        let counts = self.counts.entry(num).or_insert([0; 9]);
        let i = ilvl as usize;
        counts[i] = if counts[i] == 0 { start } else { counts[i] + 1 };
        for c in counts.iter_mut().skip(i + 1) {
            *c = 0;
        }
        if level.format == "bullet" || level.format == "none" {
            let t = level.text.trim();
            return if t.is_empty() || t.chars().any(|c| ('\u{E000}'..='\u{F8FF}').contains(&c)) {
                "•".into()
            } else {
                t.to_string()
            };
        }
        let snapshot = *counts;
        let mut label = level.text.clone();
        for k in (1..=9u8).rev() {
            let pat = format!("%{k}");
            if label.contains(&pat) {
                let li = (k - 1) as usize;
                let fmt = styles.level(num, k - 1).map_or("decimal", |(l, _)| l.format.as_str()).to_string();
                let n = if snapshot[li] == 0 { styles.level(num, k - 1).map_or(1, |(_, s)| s) } else { snapshot[li] };
                label = label.replace(&pat, &format_number(n, &fmt));
            }
        }
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STYLES: &[u8] = br#"<w:styles xmlns:w="w">
      <w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
      <w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/></w:style>
      <w:style w:type="paragraph" w:styleId="MyHead"><w:name w:val="Custom"/><w:basedOn w:val="Heading2"/></w:style>
      <w:style w:type="paragraph" w:styleId="Chapter"><w:name w:val="Chapter"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
    </w:styles>"#;
    const NUMBERING: &[u8] = br#"<w:numbering xmlns:w="w">
      <w:abstractNum w:abstractNumId="0">
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%1.%2)"/></w:lvl>
      </w:abstractNum>
      <w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="&#61623;"/></w:lvl></w:abstractNum>
      <w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
      <w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>
    </w:numbering>"#;

    #[test]
    fn heading_levels() {
        let s = Styles::parse(STYLES, NUMBERING);
        assert_eq!(s.heading_level(Some("Heading2"), None), Some(2));
        assert_eq!(s.heading_level(Some("MyHead"), None), Some(2));
        assert_eq!(s.heading_level(Some("Chapter"), None), Some(1));
        assert_eq!(s.heading_level(Some("Normal"), None), None);
        assert_eq!(s.heading_level(None, Some(2)), Some(3));
    }

    #[test]
    fn list_labels() {
        let s = Styles::parse(STYLES, NUMBERING);
        let mut c = Counters::default();
        assert_eq!(c.next(&s, 1, 0), "1.");
        assert_eq!(c.next(&s, 1, 1), "1.a)");
        assert_eq!(c.next(&s, 1, 1), "1.b)");
        assert_eq!(c.next(&s, 1, 0), "2.");
        assert_eq!(c.next(&s, 1, 1), "2.a)");
        assert_eq!(c.next(&s, 2, 0), "•");
        assert_eq!(roman(14), "xiv");
        assert_eq!(letters(28), "bb");
    }
}
