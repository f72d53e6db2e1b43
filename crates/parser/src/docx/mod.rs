//! DOCX: the package is read part by part with the zip and XML stack docx-rs itself
//! is built on (zip + quick-xml), matching elements by local name so Transitional and
//! Strict OOXML read alike.
//!
//! Body paragraphs, headings from styles (names and outline levels), lists with labels
//! computed from numbering definitions, tables (nested too), footnotes and endnotes,
//! tracked changes as accepted, text boxes, equations (OMML) as text, image alt text,
//! content controls, and core properties. Headers and footers come last, each distinct
//! text once: they repeat on every page, but they often carry what people search for
//! (document numbers, revisions, product names).

mod body;
mod math;
mod package;
mod styles;

use crate::error::{ParseError, Result};
use crate::limits::{Budget, Limits};
use crate::model::{Document, DocumentInfo, Format};

pub use package::cfb_error;

/// Parses a DOCX package.
pub fn parse(bytes: &[u8], limits: &Limits, budget: &mut Budget) -> Result<Document> {
    let mut pkg = package::Package::open(bytes, limits)?;
    let main = pkg.main_part();
    let Some(document_xml) = pkg.read(&main, budget)? else {
        return Err(ParseError::corrupt("the package has no main document part"));
    };
    let base = main.rsplit_once('/').map_or(String::new(), |(d, _)| format!("{d}/"));
    let rels = pkg.rels(&main, budget)?;
    let part = |kind: &str| rels.iter().find(|r| r.kind.ends_with(kind)).map(|r| format!("{base}{}", r.target));
    let styles_xml = match part("/styles") {
        Some(p) => pkg.read(&p, budget)?,
        None => None,
    };
    let numbering_xml = match part("/numbering") {
        Some(p) => pkg.read(&p, budget)?,
        None => None,
    };
    let styles = styles::Styles::parse(styles_xml.as_deref().unwrap_or(b""), numbering_xml.as_deref().unwrap_or(b""));

    let mut walker = body::Walker::new(&styles, limits);
    walker.walk(&document_xml, body::Part::Body, budget)?;
    // Notes: collected per part, emitted after the body in reference order.
    for (kind, label) in [("/footnotes", body::Part::Footnotes), ("/endnotes", body::Part::Endnotes)] {
        if let Some(p) = part(kind)
            && let Some(xml) = pkg.read(&p, budget)?
        {
            walker.walk(&xml, label, budget)?;
        }
    }
    // Headers and footers, each distinct text once.
    for r in rels.iter().filter(|r| r.kind.ends_with("/header") || r.kind.ends_with("/footer")) {
        let p = format!("{base}{}", r.target);
        if let Some(xml) = pkg.read(&p, budget)? {
            walker.walk(&xml, body::Part::HeaderFooter, budget)?;
        }
    }
    budget.check_time()?;
    let mut info = DocumentInfo { format: Format::Docx, ..DocumentInfo::default() };
    if let Some(core) = pkg.read("docProps/core.xml", budget)? {
        package::core_properties(&core, &mut info);
    }
    let pages = walker.finish();
    info.page_count = pages.len() as u32;
    Ok(Document { info, pages, ..Document::default() })
}

#[cfg(test)]
mod tests;
