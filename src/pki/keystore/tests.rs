//! Tests of loading and using credentials: every dev credential signs verifiably, validity and
//! revocation are enforced, keys stay out of debug output, a broken store says what to fix,
//! and credentials an operator issues with OpenSSL load.

use ring::signature::UnparsedPublicKey;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::crypto::SignatureAlgorithm;
use crate::pki::testing::{add_openssl_credential, dev_store, openssl, openssl_available, text};
use crate::pki::{fingerprint, CredentialProblem, PkiError};

fn public_key(cert_der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).expect("cert");
    cert.public_key().subject_public_key.data.to_vec()
}

fn end_entity_ids(store: &KeyStore) -> Vec<String> {
    store.credentials().map(|c| c.id().to_string()).collect()
}

#[test]
fn every_credential_signs_verifiably() {
    let (_tmp, _summary, store) = dev_store();
    let message = "Giấy tiếp nhận hồ sơ và hẹn trả kết quả".as_bytes();
    let all: Vec<&Credential> = store.credentials().chain(store.tsa()).collect();
    assert_eq!(all.len(), 11);
    for cred in all {
        assert_eq!(
            cred.signature_algorithm(),
            SignatureAlgorithm::EcdsaP256Sha256
        );
        let sig = cred.sign(message).expect("sign");
        let key = public_key(cred.certificate_der());
        UnparsedPublicKey::new(cred.signature_algorithm().verification_algorithm(), &key)
            .verify(message, &sig)
            .unwrap_or_else(|_| panic!("{} signature does not verify", cred.id()));
        assert_eq!(cred.info().fingerprint, fingerprint(cred.certificate_der()));
    }
    let ids = end_entity_ids(&store);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(store.tsa().expect("tsa").is_timestamp_authority());
    assert_eq!(store.crls_der().len(), 3);
    for cred in store.credentials() {
        assert_eq!(cred.chain_der().len(), 1);
    }
}

#[test]
fn check_usable_rejects_expired_and_revoked_only() {
    let (_tmp, _summary, store) = dev_store();
    let now = OffsetDateTime::now_utc();
    for cred in store.credentials() {
        let result = cred.check_usable(now);
        match cred.id() {
            "stp-approver-expired" => {
                assert!(
                    matches!(&result, Err(CredentialProblem::Expired { id, .. }) if id == cred.id()),
                    "{result:?}"
                );
            }
            "stp-approver-revoked" => match &result {
                Err(CredentialProblem::Revoked { revoked_at, .. }) => {
                    assert!(*revoked_at < now);
                    // Before the revocation it was fine: signatures made then stay good.
                    let before = *revoked_at - Duration::hours(1);
                    assert_eq!(cred.check_usable(before), Ok(()));
                }
                other => panic!("expected Revoked, got {other:?}"),
            },
            _ => assert_eq!(result, Ok(()), "{}", cred.id()),
        }
    }
    let receiver = store.get("stp-receiver").expect("receiver");
    let early = receiver.info().not_before - Duration::seconds(1);
    assert!(matches!(
        receiver.check_usable(early),
        Err(CredentialProblem::NotYetValid { .. })
    ));
    let late = receiver.info().not_after + Duration::seconds(1);
    let err = receiver.check_usable(late).expect_err("expired later");
    assert!(err.to_string().contains("stp-receiver"), "{err}");
    assert!(store.tsa().expect("tsa").check_usable(now).is_ok());
}

#[test]
fn debug_output_redacts_keys() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("stp-seal").expect("seal");
    let key = std::fs::read(tmp.path().join("credentials/stp-seal/key.pk8")).expect("key");
    let shown = format!("{cred:?} {cred:#?} {store:?}");
    assert!(shown.contains("<redacted>"));
    for window in key.windows(8) {
        assert!(!shown.contains(&hex::encode(window)));
        assert!(!shown.contains(&hex::encode_upper(window)));
        let list = format!("{window:?}");
        assert!(!shown.contains(list.trim_end_matches(']')));
    }
}

#[test]
fn load_reports_what_to_fix() {
    let (tmp, _summary, _store) = dev_store();
    let dir = tmp.path();
    let manifest_path = dir.join(MANIFEST_FILE);
    let original = std::fs::read_to_string(&manifest_path).expect("manifest");
    let with = |body: &str| -> String {
        std::fs::write(&manifest_path, body).expect("write");
        let err = KeyStore::load(dir).expect_err("load must fail");
        std::fs::write(&manifest_path, &original).expect("restore");
        err.to_string()
    };

    let msg = with(&original.replace("chain = [", "chian = ["));
    assert!(
        msg.contains("credentials.toml") && msg.contains("chian"),
        "{msg}"
    );

    let msg = with(&original.replace(
        "credentials/stp-seal/cert.pem",
        "credentials/stp-seal/missing.pem",
    ));
    assert!(msg.contains("missing.pem"), "{msg}");

    let msg = with(&original.replace(
        "key = \"credentials/stp-seal/key.pk8\"",
        "key = \"credentials/stp-receiver/key.pk8\"",
    ));
    assert!(
        msg.contains("does not match") && msg.contains("stp-seal"),
        "{msg}"
    );

    let msg = with(&original.replacen("role = \"receiver\"", "role = \"clerk\"", 1));
    assert!(msg.contains("clerk"), "{msg}");

    let msg = with(&original.replacen("chain = [\"stp/ca.pem\"]", "chain = [\"sxd/ca.pem\"]", 1));
    assert!(msg.contains("not issued by"), "{msg}");

    let dup = format!(
        "{original}\n[[credential]]\nid = \"stp-seal\"\nrole = \"seal\"\ndepartment = \"stp\"\n\
         cert = \"credentials/stp-seal/cert.pem\"\nkey = \"credentials/stp-seal/key.pk8\"\n"
    );
    let msg = with(&dup);
    assert!(msg.contains("more than once"), "{msg}");

    std::fs::write(
        dir.join("garbage.pem"),
        "-----BEGIN CERTIFICATE-----\nnope\n",
    )
    .expect("w");
    let msg = with(&original.replace("credentials/stp-seal/cert.pem", "garbage.pem"));
    assert!(msg.contains("garbage.pem"), "{msg}");

    // A CRL altered after signing must not load (it could hide a revocation).
    let crl_path = dir.join("stp/ca.crl");
    let crl = std::fs::read(&crl_path).expect("crl");
    let mut altered = crl.clone();
    let idx = altered.len() / 3;
    altered[idx] ^= 0x01;
    std::fs::write(&crl_path, &altered).expect("w");
    let err = KeyStore::load(dir).expect_err("altered CRL");
    assert!(err.to_string().contains("ca.crl"), "{err}");
    std::fs::write(&crl_path, &crl).expect("restore");

    std::fs::remove_file(&manifest_path).expect("rm");
    let msg = KeyStore::load(dir).expect_err("no manifest").to_string();
    assert!(msg.contains("credentials.toml"), "{msg}");
}

#[test]
fn operator_added_credentials_load() {
    if !openssl_available() {
        return;
    }
    let (tmp, _summary, _store) = dev_store();
    let dir = tmp.path();
    let original = std::fs::read_to_string(dir.join(MANIFEST_FILE)).expect("manifest");
    add_openssl_credential(
        dir,
        "ec-hand",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        None,
        true,
    );
    add_openssl_credential(
        dir,
        "rsa-hand",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        Some("rsa-pss-sha256"),
        false,
    );
    let store = KeyStore::load(dir).expect("load with hand-added credentials");
    let ec = store.get("ec-hand").expect("ec");
    assert_eq!(
        ec.signature_algorithm(),
        SignatureAlgorithm::EcdsaP256Sha256
    );
    assert_eq!(ec.info().position, "Chuyên viên");
    let rsa = store.get("rsa-hand").expect("rsa");
    assert_eq!(rsa.signature_algorithm(), SignatureAlgorithm::RsaPssSha256);
    for cred in [ec, rsa] {
        let sig = cred.sign(b"ket qua").expect("sign");
        UnparsedPublicKey::new(
            cred.signature_algorithm().verification_algorithm(),
            public_key(cred.certificate_der()),
        )
        .verify(b"ket qua", &sig)
        .expect("verify");
    }

    add_openssl_credential(
        dir,
        "rsa-small",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        None,
        false,
    );
    let err = KeyStore::load(dir).expect_err("1024-bit RSA");
    assert!(
        matches!(err, PkiError::RsaKeyTooSmall { bits: 1024, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("2048"), "{err}");

    // A SEC1 key (what `genpkey -outform DER` writes for EC) gets a conversion hint.
    let o = openssl(
        dir,
        &[
            "ec",
            "-in",
            "hand/ec-hand/key.pem",
            "-outform",
            "DER",
            "-out",
            "hand/ec-hand/sec1.der",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let entry = "\n[[credential]]\nid = \"ec-sec1\"\nrole = \"approver\"\ndepartment = \"stp\"\n\
                 cert = \"hand/ec-hand/cert.pem\"\nkey = \"hand/ec-hand/sec1.der\"\n";
    std::fs::write(dir.join(MANIFEST_FILE), format!("{original}{entry}")).expect("write");
    let err = KeyStore::load(dir).expect_err("SEC1 key");
    assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
}

#[test]
fn key_store_is_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<KeyStore>();
    shareable::<Credential>();
}
