//! The verification page's multipart/form-data reader on arbitrary bodies. The first line of
//! the input is taken as the Content-Type header.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let content_type = String::from_utf8_lossy(header);
    if let Some(parts) = ketqua::fuzzing::multipart(&content_type, body) {
        for (_, content) in parts {
            assert!(content.len() <= body.len());
        }
    }
});
