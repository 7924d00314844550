//! The incremental signer on arbitrary input, as `Signing.SignDocument` receives it.
#![no_main]

#[path = "common.rs"]
mod common;

use ketqua::pdf::{self, PadesLevel, SignatureRequest, Validation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(credential) = common::KEYS.get("stp-seal") else {
        return;
    };
    let request = SignatureRequest::new(credential, PadesLevel::BB, time::OffsetDateTime::now_utc());
    if let Ok(appendix) = pdf::sign(data, &request, &Validation::default()) {
        // What was appended must read back as a PDF with the old bytes in front.
        let mut signed = data.to_vec();
        signed.extend_from_slice(&appendix);
        assert!(pdf::Document::open(&signed).is_ok());
    }
});
