//! A minimal reader of `multipart/form-data` bodies, for the verification page's upload form.
//! The body comes from anyone on the internet: every position is checked, nothing is copied.

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// The verification form has two fields; a body of thousands of parts is not a form of ours.
const MAX_PARTS: usize = 16;

/// Where `needle` first occurs in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .and_then(|i| i.checked_add(from))
}

/// A minimal multipart/form-data reader: `(field name, content)` of every part, or `None` for
/// anything that is not a well-formed form of at most [`MAX_PARTS`] parts.
pub fn multipart<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<(String, &'a [u8])>> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_owned())
    })?;
    if boundary.is_empty() || boundary.len() > 200 {
        return None;
    }
    let delimiter = format!("--{boundary}");
    let delim = delimiter.as_bytes();
    let next_delim = format!("\r\n{delimiter}").into_bytes();
    let mut out = Vec::new();
    let mut pos = find(body, delim, 0)?.checked_add(delim.len())?;
    loop {
        if body.get(pos..pos.checked_add(2)?) == Some(b"--") {
            break;
        }
        if out.len() >= MAX_PARTS {
            return None;
        }
        // Skip CRLF after the delimiter.
        pos = find(body, b"\r\n", pos)?.checked_add(2)?;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(body.get(pos..headers_end)?).ok()?;
        let content_start = headers_end.checked_add(4)?;
        let content_end = find(body, &next_delim, content_start)?;
        let name = headers.lines().find_map(|line| {
            let (k, v) = line.split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            v.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == "name").then(|| v.trim_matches('"').to_owned())
            })
        })?;
        out.push((name, body.get(content_start..content_end)?));
        pos = content_end.checked_add(next_delim.len())?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn multipart_forms() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"result_code\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\r\n--X\r\n--XyZ--\r\n";
        let parts = multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], ("result_code".to_string(), &b"abc"[..]));
        assert_eq!(parts[1].1, b"%PDF-1.7\r\n--X");
        assert!(multipart("text/plain", body).is_none());
        assert!(multipart("multipart/form-data; boundary=XyZ", b"garbage").is_none());
        assert!(multipart("multipart/form-data; boundary=XyZ", b"--XyZ\r\nno end").is_none());
        let many = "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
            .repeat(MAX_PARTS + 1)
            + "--B--\r\n";
        assert!(multipart("multipart/form-data; boundary=B", many.as_bytes()).is_none());
        let few = "--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
            .repeat(MAX_PARTS)
            + "--B--\r\n";
        assert_eq!(
            multipart("multipart/form-data; boundary=B", few.as_bytes())
                .unwrap()
                .len(),
            MAX_PARTS
        );
    }
}
