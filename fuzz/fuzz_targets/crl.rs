//! CRLs as a document's DSS carries them, checked on a real certificate path.
#![no_main]

#[path = "common.rs"]
mod common;

use ketqua::verify::{check_path, CrlSource, Purpose};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(signer) = common::KEYS.get("stp-approver") else {
        return;
    };
    let crls = [CrlSource {
        der: data,
        from_document: true,
    }];
    let _ = check_path(
        signer.certificate_der(),
        signer.chain_der(),
        &[common::KEYS.root_der().to_vec()],
        &crls,
        time::OffsetDateTime::now_utc(),
        false,
        Purpose::DocumentSigning,
    );
});
