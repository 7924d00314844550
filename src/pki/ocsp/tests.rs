//! The responder's answers read back by the reader: statuses, CertIDs, times and the
//! delegation, and hostile bytes refused without a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use time::{Duration, OffsetDateTime};

use super::response::{parse_response, CertStatus, ResponderId, ResponseProblem};
use crate::pki::testing::dev_store;

fn issuer_of<'a>(
    store: &'a crate::pki::KeyStore,
    id: &str,
) -> (&'a [u8], x509_parser::certificate::X509Certificate<'a>) {
    let credential = store.get(id).expect("credential");
    let chain = credential.chain_der().first().expect("issuer in chain");
    let (_, issuer) = x509_parser::parse_x509_certificate(chain).expect("issuer");
    (credential.certificate_der(), issuer)
}

#[test]
fn answers_for_the_dss_say_good_and_revoked_and_skip_the_anchor() {
    let (_dir, _summary, store) = dev_store();
    let now = OffsetDateTime::now_utc();
    let good = store
        .credentials()
        .find(|c| c.revoked_at().is_none() && !c.chain_der().is_empty())
        .expect("a good credential")
        .id()
        .to_owned();
    let revoked = store
        .credentials()
        .find(|c| c.revoked_at().is_some())
        .expect("a revoked credential")
        .id()
        .to_owned();
    let (good_der, issuer) = issuer_of(&store, &good);
    let (revoked_der, _) = issuer_of(&store, &revoked);
    let answers = store.ocsp_answers(&[good_der, store.root_der(), revoked_der], now);
    assert_eq!(answers.len(), 2, "the self-signed anchor gets no answer");

    let name = issuer.subject().as_raw();
    let key = issuer.public_key().subject_public_key.data.as_ref();
    let (_, good_cert) = x509_parser::parse_x509_certificate(good_der).expect("cert");
    let first = parse_response(&answers[0]).expect("parses");
    let [single] = first.responses.as_slice() else {
        panic!("one single response");
    };
    assert!(single.is_about(good_cert.raw_serial(), name, key));
    assert!(!single.is_about(&[0x01, 0x02], name, key), "another serial");
    assert_eq!(single.status, CertStatus::Good);
    assert!(single.this_update <= now && single.next_update > Some(now));
    assert!(matches!(first.responder, ResponderId::ByKey(hash) if hash.len() == 20));
    assert_eq!(
        first.certificates.len(),
        1,
        "the delegated responder's certificate"
    );
    let (_, responder) =
        x509_parser::parse_x509_certificate(first.certificates[0]).expect("responder");
    assert_eq!(
        responder.issuer().as_raw(),
        name,
        "delegated by the CA itself"
    );

    let second = parse_response(&answers[1]).expect("parses");
    let expected = store
        .get(&revoked)
        .and_then(|c| c.revoked_at())
        .expect("revocation time");
    match second.responses[0].status {
        CertStatus::Revoked(at) => assert!((at - expected).abs() < Duration::seconds(1)),
        other => panic!("revoked certificate answered {other:?}"),
    }
}

#[test]
fn hostile_responses_are_refused() {
    let (_dir, _summary, store) = dev_store();
    let good = store
        .credentials()
        .find(|c| !c.chain_der().is_empty())
        .expect("credential");
    let answer = store
        .ocsp_answers(&[good.certificate_der()], OffsetDateTime::now_utc())
        .pop()
        .expect("answer");
    // Every truncation and every single-byte flip is read without a panic; truncations fail.
    for cut in 0..answer.len() {
        assert!(
            parse_response(&answer[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    for i in 0..answer.len() {
        let mut flipped = answer.clone();
        flipped[i] ^= 0x41;
        let _ = parse_response(&flipped);
    }
    // An error status (malformedRequest) carries no response.
    assert_eq!(
        parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x01]),
        Err(ResponseProblem::Status(1))
    );
}
