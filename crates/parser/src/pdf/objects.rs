//! Small helpers over lopdf objects: resolving references, reading numbers and names,
//! and decoding streams within a byte budget.

use std::io::Read;

use lopdf::{Dictionary, Document, Object, Stream};

/// Follows references (a bounded number of hops).
pub fn resolve<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    let mut o = obj;
    for _ in 0..16 {
        match o {
            Object::Reference(id) => o = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

pub fn name_of(doc: &Document, obj: Option<&Object>) -> Option<Vec<u8>> {
    match resolve(doc, obj?)? {
        Object::Name(n) => Some(n.clone()),
        _ => None,
    }
}

pub fn dict_f32(doc: &Document, d: &Dictionary, key: &[u8]) -> Option<f32> {
    resolve(doc, d.get(key).ok()?)?.as_float().ok()
}

pub fn dict_get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    resolve(doc, d.get(key).ok()?)
}

pub fn dict_dict<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    match dict_get(doc, d, key)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Decoded stream data, at most `max` bytes. A damaged flate stream yields what could
/// be inflated before the damage (a truncated download keeps its readable part).
pub fn stream_data(stream: &Stream, max: usize) -> Option<Vec<u8>> {
    let filters: Vec<&[u8]> = stream.filters().unwrap_or_default();
    let plain_flate = filters.len() == 1
        && (filters[0] == b"FlateDecode" || filters[0] == b"Fl")
        && stream.dict.get(b"DecodeParms").is_err();
    if filters.is_empty() {
        return (stream.content.len() <= max).then(|| stream.content.clone());
    }
    if plain_flate {
        return Some(inflate(&stream.content, max));
    }
    stream.decompressed_content_with_limit(max).ok()
}

/// Decoded content-stream data; a stream that inflates past `max` is an error (the
/// document exceeds its decompressed-bytes budget), damage keeps the readable prefix.
///
/// `raw` is the file from its `%PDF-` header on: a stream whose `/Length` could not
/// be resolved (an indirect length lost to truncation) is re-read up to `endstream`.
pub fn content_data(stream: &Stream, max: usize, raw: &[u8]) -> Result<Vec<u8>, Exceeded> {
    if stream.content.is_empty()
        && let Some(start) = stream.start_position
        && let Some(body) = raw.get(start..)
    {
        let body = body.strip_prefix(b"\r\n").or_else(|| body.strip_prefix(b"\n")).unwrap_or(body);
        let end = body.windows(9).take(64 << 20).position(|w| w == b"endstream").unwrap_or(body.len().min(64 << 20));
        let mut recovered = stream.clone();
        recovered.content = body[..end].to_vec();
        while recovered.content.last().is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            recovered.content.pop();
        }
        if !recovered.content.is_empty() {
            return content_data(&recovered, max, raw);
        }
    }
    let filters: Vec<&[u8]> = stream.filters().unwrap_or_default();
    if filters.is_empty() {
        return if stream.content.len() <= max { Ok(stream.content.clone()) } else { Err(Exceeded) };
    }
    if filters.len() == 1
        && (filters[0] == b"FlateDecode" || filters[0] == b"Fl")
        && stream.dict.get(b"DecodeParms").is_err()
    {
        let out = inflate(&stream.content, max.saturating_add(1));
        return if out.len() > max { Err(Exceeded) } else { Ok(out) };
    }
    match stream.decompressed_content_with_limit(max) {
        Ok(d) => Ok(d),
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => Err(Exceeded),
        Err(_) => Ok(Vec::new()),
    }
}

/// A stream inflated past its budget.
#[derive(Debug, Clone, Copy)]
pub struct Exceeded;

/// Inflates zlib (or raw deflate) data up to `max` bytes, keeping the readable prefix.
pub fn inflate(data: &[u8], max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity((data.len() * 4).min(max).min(1 << 24));
    let zlib = data.len() >= 2 && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0 && data[0] & 0x0F == 8;
    let res = if zlib {
        flate2::read::ZlibDecoder::new(data).take(max as u64).read_to_end(&mut out)
    } else {
        flate2::read::DeflateDecoder::new(data).take(max as u64).read_to_end(&mut out)
    };
    if res.is_err() && out.is_empty() && zlib {
        // Some producers write a zlib header over raw data with a bad checksum or a
        // damaged header: try the raw deflate body.
        let _ = flate2::read::DeflateDecoder::new(&data[2..]).take(max as u64).read_to_end(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn truncated_flate_keeps_prefix() {
        let text: Vec<u8> = (0..20_000u32).flat_map(|i| format!("BT ({i}) Tj ET\n").into_bytes()).collect();
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&text).unwrap();
        let z = enc.finish().unwrap();
        let cut = &z[..z.len() / 2];
        let out = inflate(cut, usize::MAX);
        assert!(out.len() > 1000 && text.starts_with(&out[..1000]));
        assert_eq!(inflate(&z, 100).len(), 100);
    }
}
