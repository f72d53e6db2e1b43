//! PDF: lopdf reads the file (xref repair, decryption with the empty password, object
//! streams); our own engine interprets the content streams, decodes fonts and lays out
//! the text (see `interp`, `font` and `layout`).

mod cff;
mod cjk;
mod cmap;
mod encoding;
mod font;
mod fontfile;
mod interp;
mod layout;
mod lexer;
mod meta;
mod objects;
mod structure;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document as PdfDoc, LoadOptions, Object, ObjectId};

use crate::error::{ParseError, Result};
use crate::limits::{Budget, Limits};
use crate::model::{Document, Format, PageError};
use interp::{FontCache, Interp, Matrix, Resources};
use objects::{content_data, dict_dict, dict_get, name_of, resolve, stream_data};

pub use lexer::{Lexer, Token};

/// Parses a PDF file.
pub fn parse(bytes: &[u8], limits: &Limits, budget: &mut Budget) -> Result<Document> {
    let max_stream = budget.inflate_allowance().min(usize::MAX as u64) as usize;
    let options = LoadOptions { max_decompressed_size: Some(max_stream.min(512 << 20)), ..LoadOptions::default() };
    // lopdf reads from the header on; stream positions count from there.
    let raw = &bytes[bytes.windows(5).position(|w| w == b"%PDF-").unwrap_or(0)..];
    let doc = match PdfDoc::load_mem_with_options(bytes, options) {
        Ok(d) => d,
        Err(e) => return Err(load_error(e, limits)),
    };
    budget.check_time()?;
    if doc.trailer.has(b"Encrypt") && !doc.was_encrypted() {
        return Err(ParseError::Encrypted("a password is required to open this PDF".into()));
    }
    if doc.objects.len() as u64 > limits.max_objects {
        return Err(ParseError::TooLarge { what: "objects", limit: limits.max_objects });
    }
    let pages = page_list(&doc, limits.max_nesting_depth);
    if pages.len() as u64 > u64::from(limits.max_pages) {
        return Err(ParseError::TooLarge { what: "pages", limit: u64::from(limits.max_pages) });
    }
    if pages.is_empty() {
        return Err(ParseError::corrupt("no pages could be found"));
    }
    let mut info = meta::info(&doc);
    info.format = Format::Pdf;
    info.page_count = pages.len() as u32;
    let page_numbers: std::collections::HashMap<ObjectId, u32> =
        pages.iter().enumerate().map(|(i, id)| (*id, i as u32 + 1)).collect();
    info.outline = meta::outline(&doc, &page_numbers, limits.max_nesting_depth);

    let mut out = Document { info, ..Document::default() };
    let mut cache = FontCache::default();
    let mut page_blocks = Vec::with_capacity(pages.len());
    for (i, &page_id) in pages.iter().enumerate() {
        budget.check_time()?;
        let number = i as u32 + 1;
        let result = catch_unwind(AssertUnwindSafe(|| extract_page(&doc, raw, page_id, &mut cache, limits, budget)));
        match result {
            Ok(Ok(blocks)) => page_blocks.push(blocks),
            Ok(Err(e @ (ParseError::Timeout { .. } | ParseError::TooLarge { .. }))) => return Err(e),
            Ok(Err(e)) => {
                out.page_errors.push(PageError { page: number, message: e.to_string() });
                page_blocks.push(Vec::new());
            }
            Err(_) => {
                out.page_errors.push(PageError { page: number, message: "page could not be read".into() });
                page_blocks.push(Vec::new());
            }
        }
    }
    out.pages = structure::build(page_blocks, &out.info.outline);
    for name in cache.unmapped.iter().take(10) {
        out.warnings.push(format!("font {name} has no Unicode mapping; its text may be missing"));
    }
    Ok(out)
}

fn load_error(e: lopdf::Error, limits: &Limits) -> ParseError {
    use lopdf::Error as E;
    match e {
        E::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            ParseError::TooLarge { what: "decompressed bytes", limit: limits.max_decompressed_bytes }
        }
        E::Decryption(d) => ParseError::Encrypted(d.to_string()),
        E::InvalidPassword => ParseError::Encrypted("a password is required to open this PDF".into()),
        other => ParseError::corrupt(other),
    }
}

/// Pages in order: the page tree, or, when it is unusable, every page object in file order.
fn page_list(doc: &PdfDoc, _max_depth: u32) -> Vec<ObjectId> {
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if !pages.is_empty() {
        return pages;
    }
    let mut found: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| matches!(o, Object::Dictionary(d) if d.get(b"Type").ok().and_then(|t| t.as_name().ok()) == Some(b"Page")))
        .map(|(id, _)| *id)
        .collect();
    found.sort();
    found
}

/// A page attribute, inherited through the page tree.
fn inherited<'a>(doc: &'a PdfDoc, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..32 {
        if let Some(v) = dict_get(doc, node, key) {
            return Some(v);
        }
        node = dict_dict(doc, node, b"Parent")?;
    }
    None
}

fn rect(doc: &PdfDoc, o: Option<&Object>) -> Option<[f32; 4]> {
    let a = o?.as_array().ok()?;
    if a.len() != 4 {
        return None;
    }
    let mut v = [0f32; 4];
    for (i, x) in a.iter().enumerate() {
        v[i] = resolve(doc, x)?.as_float().ok()?;
    }
    Some([v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])])
}

fn extract_page(
    doc: &PdfDoc,
    raw: &[u8],
    page_id: ObjectId,
    cache: &mut FontCache,
    limits: &Limits,
    budget: &mut Budget,
) -> Result<Vec<layout::TextBlock>> {
    let page = doc.get_dictionary(page_id).map_err(ParseError::corrupt)?;
    let bbox = rect(doc, inherited(doc, page, b"CropBox"))
        .or_else(|| rect(doc, inherited(doc, page, b"MediaBox")))
        .unwrap_or([0.0, 0.0, 612.0, 792.0]);
    let res_dict = match inherited(doc, page, b"Resources") {
        Some(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let res = Resources { dict: res_dict, parent: None };
    let allowance = budget.inflate_allowance().min(usize::MAX as u64) as usize;
    let mut content = Vec::new();
    let too_large = || ParseError::TooLarge { what: "decompressed bytes", limit: limits.max_decompressed_bytes };
    for id in doc.get_page_contents(page_id) {
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else { continue };
        let data = content_data(stream, allowance.saturating_sub(content.len()), raw).map_err(|_| too_large())?;
        content.extend_from_slice(&data);
        content.push(b'\n');
    }
    budget.add_inflated(content.len() as u64)?;
    let mut it = Interp::new(doc, cache, bbox, limits.max_nesting_depth, allowance);
    it.raw = raw;
    it.deadline = Some(budget.deadline());
    it.run(&content, res, 0);
    annotations(doc, page, &mut it, res);
    if it.timed_out {
        return Err(ParseError::Timeout { limit_ms: limits.timeout.as_millis() as u64 });
    }
    budget.add_inflated(it.inflated)?;
    layout::accents::attach(&mut it.out);
    Ok(layout::layout(&it.out))
}

/// Text of annotation appearances (form fields, free text, stamps), drawn where the
/// annotation sits.
fn annotations<'d>(doc: &'d PdfDoc, page: &'d Dictionary, it: &mut Interp<'d>, page_res: Resources<'d>) {
    let Some(Object::Array(annots)) = dict_get(doc, page, b"Annots") else { return };
    for a in annots.iter().take(2000) {
        let Some(Object::Dictionary(annot)) = resolve(doc, a) else { continue };
        let subtype = name_of(doc, annot.get(b"Subtype").ok()).unwrap_or_default();
        if matches!(subtype.as_slice(), b"Link" | b"Popup") {
            continue;
        }
        let flags = dict_get(doc, annot, b"F").and_then(|o| o.as_i64().ok()).unwrap_or(0);
        if flags & 2 != 0 {
            continue;
        }
        let Some(arect) = rect(doc, dict_get(doc, annot, b"Rect")) else { continue };
        let Some(ap) = dict_dict(doc, annot, b"AP") else { continue };
        let Some(normal) = dict_get(doc, ap, b"N") else { continue };
        let stream = match normal {
            Object::Stream(s) => s,
            Object::Dictionary(states) => {
                let Some(state) = name_of(doc, annot.get(b"AS").ok()) else { continue };
                match states.get(&state).ok().and_then(|o| resolve(doc, o)) {
                    Some(Object::Stream(s)) => s,
                    _ => continue,
                }
            }
            _ => continue,
        };
        let Some(content) = stream_data(stream, 16 << 20) else { continue };
        let form_matrix = dict_get(doc, &stream.dict, b"Matrix")
            .and_then(|o| o.as_array().ok())
            .and_then(|a| Matrix::from_array(doc, a))
            .unwrap_or(Matrix::IDENTITY);
        let bbox = rect(doc, dict_get(doc, &stream.dict, b"BBox")).unwrap_or(arect);
        // Map the transformed form box onto the annotation rectangle (PDF 12.5.5).
        let corners = [(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[0], bbox[3]), (bbox[2], bbox[3])]
            .map(|(x, y)| form_matrix.apply(x, y));
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (x, y) in corners {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let sx = if x1 - x0 > 1e-3 { (arect[2] - arect[0]) / (x1 - x0) } else { 1.0 };
        let sy = if y1 - y0 > 1e-3 { (arect[3] - arect[1]) / (y1 - y0) } else { 1.0 };
        let fit = Matrix([sx, 0.0, 0.0, sy, arect[0] - x0 * sx, arect[1] - y0 * sy]);
        let own = dict_dict(doc, &stream.dict, b"Resources");
        let res = Resources { dict: own.or(page_res.dict), parent: page_res.dict };
        it.run_form(&content, form_matrix.mul(&fit), res, 1);
    }
}
