//! CMS SignedData as step records' detached signatures carry it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ketqua::cms::verify_detached(data, b"a step record");
    let _ = ketqua::cms::verify_detached_digest(data, &[0x5a; 32]);
});
