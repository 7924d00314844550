//! The whole verification of a document, as the citizens' page runs it on an upload.
#![no_main]

#[path = "common.rs"]
mod common;

use ketqua::pdf::ReadLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ReadLimits {
        max_stream_bytes: 4 << 20,
        max_decoded_bytes: 16 << 20,
        ..ReadLimits::default()
    };
    let now = time::OffsetDateTime::now_utc();
    let report = ketqua::verify::verify_within(data, &common::trust(), None, now, limits);
    assert!(!report.reason.is_empty());
});
