//! RFC 3161 timestamp responses and tokens, as signers and the verifier read them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ketqua::cms::tsp::verify_token(data, &[0x5a; 32]);
    if let Ok(token) = ketqua::cms::tsp::token_from_response(data) {
        let _ = ketqua::cms::tsp::verify_token(&token, &[0x5a; 32]);
    }
});
