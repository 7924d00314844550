//! TSA tests. `openssl ts -verify` is the judge of the tokens and responses we produce.

use std::sync::Arc;

use time::OffsetDateTime;

use super::authority::generalized_time_millis;
use super::failure::FailureInfo;
use super::*;
use crate::cms::verify::{verify_signed_data, Expected};
use crate::cms::{CmsError, Timestamper};
use crate::crypto::der::{self, context_constructed, parse_single, Reader, Writer, BOOLEAN};
use crate::crypto::oid::{
    self, DEFAULT_TSA_POLICY as DEFAULT_POLICY_DER, ID_CT_TST_INFO as ID_CT_TSTINFO, SHA384, SHA512,
};
use crate::crypto::sha256;
use crate::pki::testing::{dev_store, openssl, openssl_available, text};
use crate::pki::{Credential, KeyStore};

const DATA: &[u8] = "Phiếu lý lịch tư pháp số 1 — Nguyễn Thị Hương".as_bytes();

fn tsa_of(store: &KeyStore) -> LocalTsa {
    LocalTsa::from_key_store(store).expect("dev store has a TSA")
}

/// Status, failInfo bytes (BIT STRING content) and token of a response, strictly parsed.
fn parse_response(resp: &[u8]) -> (u64, Option<Vec<u8>>, Option<Vec<u8>>) {
    let outer = parse_single(resp, der::SEQUENCE).expect("TimeStampResp");
    let mut r = Reader::new(outer.content);
    let mut si = r.nested(der::SEQUENCE).expect("PKIStatusInfo");
    let status = si.read_small_uint().expect("status");
    si.read_optional(der::SEQUENCE).expect("statusString");
    let fail = si
        .read_optional(der::BIT_STRING)
        .expect("failInfo")
        .map(|t| t.content.to_vec());
    si.finish().expect("end of PKIStatusInfo");
    let token = r
        .read_optional(der::SEQUENCE)
        .expect("token")
        .map(|t| t.raw.to_vec());
    r.finish().expect("end of TimeStampResp");
    (status, fail, token)
}

fn fail_bits(info: FailureInfo) -> Vec<u8> {
    info.bit_string()[2..info.encoded_len()].to_vec()
}

/// The nonce INTEGER content in a token's TSTInfo, if any.
fn nonce_of(token: &[u8]) -> Option<Vec<u8>> {
    let (_, tst) =
        verify_signed_data(token, Expected::Encapsulated(ID_CT_TSTINFO)).expect("token verifies");
    let tst = parse_single(tst.expect("eContent"), der::SEQUENCE).expect("TSTInfo");
    let mut r = Reader::new(tst.content);
    r.read_small_uint().expect("version");
    r.read_oid().expect("policy");
    r.read(der::SEQUENCE).expect("imprint");
    r.read_integer_bytes().expect("serial");
    r.read(der::GENERALIZED_TIME).expect("genTime");
    r.read_optional(der::SEQUENCE).expect("accuracy");
    r.read_optional(BOOLEAN).expect("ordering");
    (r.peek_tag() == Some(der::INTEGER)).then(|| r.read_integer_bytes().expect("nonce").to_vec())
}

#[test]
fn default_policy_constant_matches_its_text() {
    assert_eq!(
        der::oid_from_string(DEFAULT_POLICY).as_deref(),
        Some(DEFAULT_POLICY_DER)
    );
    assert_eq!(
        der::oid_to_string(DEFAULT_POLICY_DER).unwrap(),
        DEFAULT_POLICY
    );
    for bad in [
        "", "1", "3.1", "1.40", "1..2", "1.2.", "1.02", "1.-2", "1.2.x", " 1.2",
    ] {
        assert_eq!(der::oid_from_string(bad), None, "{bad:?}");
    }
    assert_eq!(
        der::oid_from_string("1.2.840.113549.1.9.16.1.4").as_deref(),
        Some(ID_CT_TSTINFO)
    );
}

#[test]
fn timestamper_token_round_trips() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    let digest = sha256(DATA);
    let before = OffsetDateTime::now_utc() - time::Duration::milliseconds(1);
    let token = tsa.timestamp(&digest).expect("token");
    let after = OffsetDateTime::now_utc();
    let info = verify_token(&token, &digest).expect("verify");
    assert!(
        before <= info.gen_time && info.gen_time <= after,
        "{info:?}"
    );
    assert_eq!(info.policy, DEFAULT_POLICY);
    assert_eq!(info.serial.len(), 16, "fixed-length positive serial");
    let tsa_cert = store.tsa().expect("tsa").certificate_der();
    assert_eq!(info.tsa_certificate_der, tsa_cert);
    assert_eq!(info.certificates_der[0], tsa_cert);

    // Another digest, or any altered byte, must not verify.
    assert!(verify_token(&token, &sha256(b"other")).is_err());
    assert!(verify_token(&token, &digest[..31]).is_err());
    for i in (0..token.len()).step_by(7) {
        let mut bad = token.clone();
        bad[i] ^= 0x01;
        assert!(verify_token(&bad, &digest).is_err(), "flip at {i} accepted");
    }
    // A token is not a detached signature, and vice versa.
    assert!(crate::cms::verify_detached_digest(&token, &digest).is_err());
}

#[test]
fn token_from_a_non_tsa_certificate_is_refused() {
    let (_tmp, _summary, store) = dev_store();
    let not_a_tsa = LocalTsa::new(Arc::new(approver_as_tsa(store.dir())));
    let digest = sha256(DATA);
    let token = not_a_tsa.timestamp(&digest).expect("token");
    let err = verify_token(&token, &digest).expect_err("must refuse");
    assert!(err.to_string().contains("timeStamping"), "{err}");
}

/// The approver's credential loaded as if it were the TSA (copy of the PKI with the manifest's
/// [tsa] entry pointing at the approver's certificate and key).
fn approver_as_tsa(dir: &std::path::Path) -> Credential {
    let copy = tempfile::tempdir().expect("tmp");
    copy_dir(dir, copy.path());
    let manifest_path = copy.path().join(crate::pki::MANIFEST_FILE);
    let manifest = std::fs::read_to_string(&manifest_path).expect("manifest");
    let mut doc: toml::Table = toml::from_str(&manifest).expect("toml");
    let creds = doc["credential"].as_array().expect("credentials").clone();
    let approver = creds
        .iter()
        .find(|c| c["id"].as_str() == Some("stp-approver"))
        .expect("approver entry")
        .clone();
    let mut tsa = toml::Table::new();
    tsa.insert("cert".into(), approver["cert"].clone());
    tsa.insert("key".into(), approver["key"].clone());
    tsa.insert(
        "chain".into(),
        approver
            .get("chain")
            .cloned()
            .unwrap_or(toml::Value::Array(vec![])),
    );
    doc.insert("tsa".into(), toml::Value::Table(tsa));
    std::fs::write(&manifest_path, toml::to_string(&doc).expect("toml")).expect("write");
    let store = KeyStore::load(copy.path()).expect("load copy");
    let shared = store.tsa_shared().expect("tsa");
    drop(store);
    Arc::try_unwrap(shared).expect("sole owner")
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn respond_grants_echoes_the_nonce_and_honours_cert_req() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    let digest = sha256(DATA);
    let nonce = [0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21];

    let resp = tsa.respond(&request(&digest, Some(&nonce), true));
    let (status, fail, token) = parse_response(&resp);
    assert_eq!((status, fail), (0, None));
    let token = token.expect("token");
    assert_eq!(token_from_response(&resp).expect("granted"), token);
    assert_eq!(nonce_of(&token).as_deref(), Some(&nonce[..]));
    let info = verify_token(&token, &digest).expect("verify");
    assert_eq!(
        info.certificates_der.len(),
        1 + store.tsa().unwrap().chain_der().len()
    );

    // certReq absent: RFC 3161 §2.4.1 says the certificates field MUST then be absent, so the
    // token cannot be verified without the TSA certificate from elsewhere.
    let resp = tsa.respond(&request(&digest, None, false));
    let (status, _, token) = parse_response(&resp);
    assert_eq!(status, 0);
    let token = token.expect("token");
    assert_eq!(nonce_of_unverified(&token), None);
    assert!(matches!(
        verify_token(&token, &digest),
        Err(CmsError::SignerCertificateNotFound)
    ));
    // A nonce with the high bit set is a positive INTEGER padded with 0x00: echoed verbatim.
    let resp = tsa.respond(&request(&digest, Some(&[0x80, 1]), true));
    let token = token_from_response(&resp).expect("granted");
    assert_eq!(nonce_of(&token).as_deref(), Some(&[0x00, 0x80, 1][..]));
}

/// The nonce of a token without certificates (not verifiable on its own).
fn nonce_of_unverified(token: &[u8]) -> Option<Vec<u8>> {
    // Find the TSTInfo by its position: ContentInfo → [0] → SignedData → encapContentInfo.
    let ci = parse_single(token, der::SEQUENCE).expect("ContentInfo");
    let mut r = Reader::new(ci.content);
    r.read_oid().expect("type");
    let sd = parse_single(r.read(context_constructed(0)).expect("[0]"), der::SEQUENCE)
        .expect("SignedData");
    let mut sd = Reader::new(sd.content);
    sd.read_small_uint().expect("version");
    sd.read(der::SET).expect("digestAlgorithms");
    let mut encap = sd.nested(der::SEQUENCE).expect("encap");
    assert!(
        sd.read_optional(context_constructed(0))
            .expect("certificates")
            .is_none(),
        "certificates present although certReq was false"
    );
    encap.read_oid().expect("eContentType");
    let octets = parse_single(
        encap.read(context_constructed(0)).expect("eContent"),
        der::OCTET_STRING,
    )
    .expect("octets");
    let tst = parse_single(octets.content, der::SEQUENCE).expect("TSTInfo");
    let mut r = Reader::new(tst.content);
    r.read_small_uint().expect("version");
    r.read_oid().expect("policy");
    r.read(der::SEQUENCE).expect("imprint");
    r.read_integer_bytes().expect("serial");
    r.read(der::GENERALIZED_TIME).expect("genTime");
    r.read_optional(der::SEQUENCE).expect("accuracy");
    (r.peek_tag() == Some(der::INTEGER)).then(|| r.read_integer_bytes().expect("nonce").to_vec())
}

#[test]
fn sha384_and_sha512_imprints_are_accepted() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    for (alg, len) in [(SHA384, 48usize), (SHA512, 64)] {
        let digest = vec![0x5a; len];
        let mut w = Writer::with_capacity(128);
        w.sequence(|w| {
            w.small_uint(1);
            w.sequence(|w| {
                w.sequence(|w| w.oid(alg));
                w.octet_string(&digest);
            });
            w.element(BOOLEAN, &[0xff]);
        });
        let token = token_from_response(&tsa.respond(&w.into_vec())).expect("granted");
        let info = verify_token(&token, &digest).expect("verify");
        assert_eq!(info.policy, DEFAULT_POLICY);
    }
}

/// A request with the given pieces, each already DER (empty slice: left out).
fn raw_request(version: u64, imprint: &[u8], rest: &[&[u8]]) -> Vec<u8> {
    let mut w = Writer::with_capacity(128);
    w.sequence(|w| {
        w.small_uint(version);
        w.raw(imprint);
        for r in rest {
            w.raw(r);
        }
    });
    w.into_vec()
}

fn imprint(alg_oid: &[u8], digest: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(96);
    w.sequence(|w| {
        w.sequence(|w| {
            w.oid(alg_oid);
            w.null();
        });
        w.octet_string(digest);
    });
    w.into_vec()
}

#[test]
fn bad_requests_are_rejected_with_the_right_failure_info() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    let good = imprint(oid::SHA256, &[7; 32]);
    let sha1 = [0x2b, 0x0e, 0x03, 0x02, 0x1a];
    let other_policy = der::oid_from_string("1.2.3.4").unwrap();
    let mut policy_tlv = vec![der::OID, other_policy.len() as u8];
    policy_tlv.extend_from_slice(&other_policy);
    let mut own_policy = vec![der::OID, DEFAULT_POLICY_DER.len() as u8];
    own_policy.extend_from_slice(DEFAULT_POLICY_DER);
    let extensions: &[u8] = &[0xa0, 0x02, 0x30, 0x00];

    let cases: Vec<(&str, Vec<u8>, Option<FailureInfo>)> = vec![
        ("empty", vec![], Some(FailureInfo::BadDataFormat)),
        (
            "garbage",
            b"GET / HTTP/1.1\r\n".to_vec(),
            Some(FailureInfo::BadDataFormat),
        ),
        (
            "empty sequence",
            vec![0x30, 0x00],
            Some(FailureInfo::BadDataFormat),
        ),
        (
            "version 2",
            raw_request(2, &good, &[]),
            Some(FailureInfo::BadRequest),
        ),
        (
            "sha1",
            raw_request(1, &imprint(&sha1, &[7; 20]), &[]),
            Some(FailureInfo::BadAlg),
        ),
        (
            "short digest",
            raw_request(1, &imprint(oid::SHA256, &[7; 20]), &[]),
            Some(FailureInfo::BadDataFormat),
        ),
        (
            "other policy",
            raw_request(1, &good, &[&policy_tlv]),
            Some(FailureInfo::UnacceptedPolicy),
        ),
        ("own policy", raw_request(1, &good, &[&own_policy]), None),
        (
            "extensions",
            raw_request(1, &good, &[extensions]),
            Some(FailureInfo::UnacceptedExtension),
        ),
        (
            "bad boolean",
            raw_request(1, &good, &[&[0x01, 0x01, 0x01]]),
            Some(FailureInfo::BadDataFormat),
        ),
        (
            "explicit false",
            raw_request(1, &good, &[&[0x01, 0x01, 0x00]]),
            None,
        ),
        (
            "trailing",
            raw_request(1, &good, &[&[0x05, 0x00]]),
            Some(FailureInfo::BadDataFormat),
        ),
        (
            "huge nonce",
            raw_request(1, &good, &[&[&[0x02, 0x41, 0x01][..], &[0u8; 64]].concat()]),
            Some(FailureInfo::BadDataFormat),
        ),
    ];
    for (name, req, expected) in cases {
        let resp = tsa.respond(&req);
        let (status, fail, token) = parse_response(&resp);
        match expected {
            None => assert_eq!(
                (status, fail.is_none(), token.is_some()),
                (0, true, true),
                "{name}"
            ),
            Some(info) => {
                assert_eq!(status, 2, "{name}");
                assert_eq!(fail, Some(fail_bits(info)), "{name}");
                assert!(token.is_none(), "{name}");
                let err = token_from_response(&resp).expect_err(name);
                assert!(err.to_string().contains("refused"), "{name}: {err}");
            }
        }
    }
}

#[test]
fn failure_info_bit_strings_are_der() {
    // Named bit lists drop trailing zero bits (X.690 §11.2.2).
    let enc = |i: FailureInfo| i.bit_string()[..i.encoded_len()].to_vec();
    assert_eq!(enc(FailureInfo::BadAlg), [0x03, 0x02, 0x07, 0x80]);
    assert_eq!(enc(FailureInfo::BadRequest), [0x03, 0x02, 0x05, 0x20]);
    assert_eq!(enc(FailureInfo::BadDataFormat), [0x03, 0x02, 0x02, 0x04]);
    assert_eq!(
        enc(FailureInfo::UnacceptedPolicy),
        [0x03, 0x03, 0x00, 0x00, 0x01]
    );
    assert_eq!(
        enc(FailureInfo::UnacceptedExtension),
        [0x03, 0x04, 0x07, 0x00, 0x00, 0x80]
    );
    assert_eq!(
        enc(FailureInfo::SystemFailure),
        [0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40]
    );
}

#[test]
fn hostile_requests_never_panic() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    let good = request(&sha256(DATA), Some(&[1, 2, 3]), true);
    // Every truncation, and every single-bit flip of every byte.
    for end in 0..good.len() {
        let (status, _, _) = parse_response(&tsa.respond(&good[..end]));
        assert_eq!(status, 2, "truncated at {end}");
    }
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut bad = good.clone();
            bad[i] ^= 1 << bit;
            parse_response(&tsa.respond(&bad));
        }
    }
    // Deterministic pseudo-random inputs, some starting like a SEQUENCE.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for n in 0..2000usize {
        let len = n % 97;
        let mut input: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        if n % 2 == 0 && !input.is_empty() {
            input[0] = 0x30;
        }
        let (status, _, _) = parse_response(&tsa.respond(&input));
        assert_eq!(status, 2);
    }
}

#[test]
fn serials_are_unique_and_grow() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store);
    let digest = sha256(DATA);
    let serials: Vec<Vec<u8>> = (0..50)
        .map(|_| {
            verify_token(&tsa.timestamp(&digest).expect("token"), &digest)
                .expect("verify")
                .serial
        })
        .collect();
    for pair in serials.windows(2) {
        // Fixed length, so byte order is numeric order; the counter (bytes 6..10) breaks ties
        // within a millisecond.
        assert!(pair[0][..10] < pair[1][..10], "{pair:?}");
    }
}

#[test]
fn gen_time_has_millisecond_der_form() {
    let t = time::macros::datetime!(2026-05-04 03:02:01.120 UTC);
    assert_eq!(
        generalized_time_millis(t).unwrap().text,
        "20260504030201.12Z"
    );
    let t = time::macros::datetime!(2026-05-04 03:02:01.000999 UTC);
    assert_eq!(generalized_time_millis(t).unwrap().text, "20260504030201Z");
    let t = time::macros::datetime!(2026-05-04 10:02:01.007 +07:00);
    assert_eq!(
        generalized_time_millis(t).unwrap().text,
        "20260504030201.007Z"
    );
}

#[test]
fn custom_policy_is_used_and_enforced() {
    let (_tmp, _summary, store) = dev_store();
    let tsa = tsa_of(&store).with_policy("1.2.704.1.2.3").expect("policy");
    assert!(tsa_of(&store).with_policy("not.an.oid").is_err());
    let digest = sha256(DATA);
    let info = verify_token(&tsa.timestamp(&digest).unwrap(), &digest).unwrap();
    assert_eq!(info.policy, "1.2.704.1.2.3");
    let mut own = vec![der::OID, 0];
    own.extend_from_slice(&der::oid_from_string("1.2.704.1.2.3").unwrap());
    own[1] = (own.len() - 2) as u8;
    let req = raw_request(1, &imprint(oid::SHA256, &digest), &[&own]);
    assert_eq!(parse_response(&tsa.respond(&req)).0, 0);
}

#[test]
fn openssl_verifies_query_reply_and_token() {
    let (tmp, _summary, store) = dev_store();
    if !openssl_available() {
        eprintln!("SKIPPED: openssl_verifies_query_reply_and_token");
        return;
    }
    let tsa = tsa_of(&store);
    let dir = tmp.path();
    std::fs::write(dir.join("data.bin"), DATA).expect("write data");
    let o = openssl(
        dir,
        &[
            "ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "q.tsq",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let query = std::fs::read(dir.join("q.tsq")).expect("query");
    std::fs::write(dir.join("r.tsr"), tsa.respond(&query)).expect("write reply");
    let o = openssl(
        dir,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "r.tsr",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "tsa/cert.pem",
        ],
    );
    let t = text(&o);
    assert!(o.status.success() && t.contains("Verification: OK"), "{t}");

    let o = openssl(dir, &["ts", "-reply", "-in", "r.tsr", "-text"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("Status: Granted"), "{t}");
    assert!(t.contains(&format!("Policy OID: {DEFAULT_POLICY}")), "{t}");
    assert!(
        t.contains("Accuracy: unspecified seconds, 0x01 millis"),
        "{t}"
    );
    assert!(t.contains("Ordering: no"), "{t}");

    // The bare token from the Timestamper, verified against the digest.
    let digest = sha256(DATA);
    std::fs::write(dir.join("token.der"), tsa.timestamp(&digest).unwrap()).unwrap();
    let o = openssl(
        dir,
        &[
            "ts",
            "-verify",
            "-digest",
            &hex::encode(digest),
            "-token_in",
            "-in",
            "token.der",
            "-CAfile",
            "root.pem",
        ],
    );
    let t = text(&o);
    assert!(o.status.success() && t.contains("Verification: OK"), "{t}");

    // A rejection is also a response openssl understands.
    std::fs::write(dir.join("bad.tsr"), tsa.respond(b"\x30\x00")).unwrap();
    let o = openssl(dir, &["ts", "-reply", "-in", "bad.tsr", "-text"]);
    let t = text(&o);
    assert!(o.status.success() && t.contains("Status: Rejected"), "{t}");
    assert!(t.contains("the data submitted has the wrong format"), "{t}");
}
