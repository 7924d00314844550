//! The archive package reader (`ketqua archive verify-package`) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = ketqua::package::read_all(data) {
        for (name, content) in entries {
            assert!(!name.is_empty());
            assert!(content.len() <= data.len());
        }
    }
});
