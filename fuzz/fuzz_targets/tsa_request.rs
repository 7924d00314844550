//! Timestamp requests as the HTTP TSA (`POST /tsa`) receives them: every answer is a DER
//! TimeStampResp, a rejection for anything malformed.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::LazyLock;

use ketqua::cms::tsp::LocalTsa;
use libfuzzer_sys::fuzz_target;

static TSA: LazyLock<LocalTsa> =
    LazyLock::new(|| LocalTsa::from_key_store(&common::KEYS).expect("the development TSA"));

fuzz_target!(|data: &[u8]| {
    let answer = TSA.respond(data);
    assert_eq!(answer.first(), Some(&0x30), "a TimeStampResp is a SEQUENCE");
});
