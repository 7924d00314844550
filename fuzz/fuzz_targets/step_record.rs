//! A stored step record's bytes, as fsck, `Get` and export packages decode them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = ketqua::record::decode(data) {
        let _ = format!("{record:?}");
    }
});
