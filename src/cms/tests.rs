//! CMS tests. `openssl cms -verify` is the judge of what we produce; our own verifier is
//! tested for agreement and for refusing anything altered.

use std::path::Path;

use time::OffsetDateTime;

use super::*;
use crate::crypto::der::{self, context_constructed, parse_single, Reader};
use crate::crypto::{oid, sha256, SignatureAlgorithm};
use crate::pki::testing::{add_openssl_credential, dev_store, openssl, openssl_available, text};
use crate::pki::KeyStore;

const CONTENT: &[u8] = "Quyết định phê duyệt hồ sơ 000.00.12.H22-261122-0042".as_bytes();

fn step_time() -> OffsetDateTime {
    time::macros::datetime!(2026-05-04 03:02:01 UTC)
}

fn write_pair(dir: &Path, name: &str, sig: &[u8], content: &[u8]) -> (String, String) {
    let sig_name = format!("{name}.p7s");
    let content_name = format!("{name}.bin");
    std::fs::write(dir.join(&sig_name), sig).expect("write sig");
    std::fs::write(dir.join(&content_name), content).expect("write content");
    (sig_name, content_name)
}

fn openssl_verifies(dir: &Path, name: &str, sig: &[u8], content: &[u8]) -> Result<(), String> {
    let (sig_name, content_name) = write_pair(dir, name, sig, content);
    let o = openssl(
        dir,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            &sig_name,
            "-content",
            &content_name,
            "-CAfile",
            "root.pem",
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    if o.status.success() {
        Ok(())
    } else {
        Err(text(&o))
    }
}

#[test]
fn signature_verifies_with_openssl_and_ourselves() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("stp-approver").expect("approver");
    let opts = SignOptions {
        signing_time: Some(step_time()),
    };
    let sig = sign_detached(CONTENT, cred, &opts).expect("sign");

    let verified = verify_detached(&sig, CONTENT).expect("verify");
    assert_eq!(verified.signer_certificate_der, cred.certificate_der());
    assert_eq!(verified.certificates_der.len(), 2);
    assert_eq!(verified.certificates_der[0], cred.certificate_der());
    assert_eq!(verified.certificates_der[1], cred.chain_der()[0]);
    assert_eq!(verified.signing_time, Some(step_time()));
    assert_eq!(verified.algorithm, SignatureAlgorithm::EcdsaP256Sha256);
    assert!(verified.unsigned_attributes.is_empty());
    let by_digest = verify_detached_digest(&sig, &sha256(CONTENT)).expect("digest verify");
    assert_eq!(by_digest, verified);

    if !openssl_available() {
        return;
    }
    let dir = tmp.path();
    openssl_verifies(dir, "step", &sig, CONTENT).expect("openssl cms -verify");
    let o = openssl(
        dir,
        &[
            "cms", "-cmsout", "-print", "-inform", "DER", "-in", "step.p7s",
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("id-smime-aa-signingCertificateV2") || t.contains("1.2.840.113549.1.9.16.2.47"),
        "{t}"
    );
    assert!(t.contains("signingTime"), "{t}");
    assert!(t.contains("eContent: <ABSENT>"), "{t}");
}

#[test]
fn every_dev_credential_signs_acceptably() {
    let (tmp, _summary, store) = dev_store();
    let check_openssl = openssl_available();
    for cred in store.credentials().chain(store.tsa()) {
        let sig = sign_detached(CONTENT, cred, &SignOptions::default()).expect("sign");
        let v = verify_detached(&sig, CONTENT).expect("verify");
        assert_eq!(v.signing_time, None);
        if check_openssl && !cred.id().ends_with("-expired") {
            openssl_verifies(tmp.path(), cred.id(), &sig, CONTENT)
                .unwrap_or_else(|e| panic!("{}: {e}", cred.id()));
        }
    }
}

#[test]
fn pades_signature_has_no_signing_time() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("sxd-seal").expect("seal");
    let digest = sha256(CONTENT);
    let sig = sign_detached_digest(&digest, cred, &SignOptions::default()).expect("sign");
    assert_eq!(
        verify_detached_digest(&sig, &digest)
            .expect("verify")
            .signing_time,
        None
    );
    if !openssl_available() {
        return;
    }
    let (sig_name, _) = write_pair(tmp.path(), "pades", &sig, CONTENT);
    let o = openssl(
        tmp.path(),
        &[
            "cms", "-cmsout", "-print", "-inform", "DER", "-in", &sig_name,
        ],
    );
    let t = text(&o);
    assert!(!t.contains("signingTime"), "{t}");
    assert!(t.contains("signingCertificateV2"), "{t}");
}

#[test]
fn changed_content_is_rejected_by_openssl_and_us() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("stp-receiver").expect("receiver");
    let sig = sign_detached(CONTENT, cred, &SignOptions::default()).expect("sign");
    let mut changed = CONTENT.to_vec();
    changed[5] ^= 0x20;
    assert!(matches!(
        verify_detached(&sig, &changed),
        Err(CmsError::DigestMismatch)
    ));
    if !openssl_available() {
        return;
    }
    let err = openssl_verifies(tmp.path(), "changed", &sig, &changed).expect_err("openssl");
    assert!(err.contains("verif"), "{err}");
}

#[test]
fn external_signer_path() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("stp-appraiser").expect("appraiser");
    let digest = sha256(CONTENT);
    let opts = SignOptions {
        signing_time: Some(step_time()),
    };
    // PrepareSignature: the service hands out bytes_to_sign …
    let prepared = SignedAttributes::new(&digest, cred.certificate_der(), &opts).expect("attrs");
    assert_eq!(prepared.bytes_to_sign().first(), Some(&0x31));
    let handed_out = prepared.bytes_to_sign().to_vec();
    // … the official's token signs them …
    let signature = cred.sign(&handed_out).expect("token signs");
    // … and CompleteSignature, perhaps on another replica, assembles.
    let restored = SignedAttributes::from_der(&handed_out).expect("restore");
    assert_eq!(restored, prepared);
    restored
        .check_signature(
            &signature,
            cred.signature_algorithm(),
            cred.certificate_der(),
        )
        .expect("signature checks");
    let other = store.get("stp-approver").expect("approver");
    let wrong = other.sign(&handed_out).expect("sign");
    assert!(matches!(
        restored.check_signature(&wrong, other.signature_algorithm(), cred.certificate_der()),
        Err(CmsError::BadSignature)
    ));
    assert!(matches!(
        restored.check_signature(&wrong, other.signature_algorithm(), other.certificate_der()),
        Err(CmsError::AttributesForOtherCertificate)
    ));
    assert!(matches!(
        assemble(
            &restored,
            &signature,
            cred.signature_algorithm(),
            other.certificate_der(),
            &[],
            &[]
        ),
        Err(CmsError::AttributesForOtherCertificate)
    ));
    let cms = assemble(
        &restored,
        &signature,
        cred.signature_algorithm(),
        cred.certificate_der(),
        cred.chain_der(),
        &[],
    )
    .expect("assemble");
    // Same attributes and key: only the ECDSA nonce differs from an internal signature.
    verify_detached(&cms, CONTENT).expect("verify");
    if openssl_available() {
        openssl_verifies(tmp.path(), "external", &cms, CONTENT).expect("openssl");
    }
}

#[test]
fn signed_attributes_are_der_sorted_and_complete() {
    let (_tmp, _summary, store) = dev_store();
    let cred = store.get("stp-seal").expect("seal");
    let attrs = SignedAttributes::new(
        &[7; 32],
        cred.certificate_der(),
        &SignOptions {
            signing_time: Some(step_time()),
        },
    )
    .expect("attrs");
    let set = parse_single(attrs.bytes_to_sign(), der::SET).expect("set");
    let mut r = Reader::new(set.content);
    let mut encodings = Vec::new();
    let mut oids = Vec::new();
    while !r.is_empty() {
        let tlv = r.read_any().expect("attr");
        let mut a = Reader::new(tlv.content);
        oids.push(der::oid_to_string(a.read_oid().expect("oid")).expect("text"));
        encodings.push(tlv.raw);
    }
    let mut sorted = encodings.clone();
    sorted.sort();
    assert_eq!(encodings, sorted);
    oids.sort();
    assert_eq!(
        oids,
        [
            "1.2.840.113549.1.9.16.2.47",
            "1.2.840.113549.1.9.3",
            "1.2.840.113549.1.9.4",
            "1.2.840.113549.1.9.5"
        ]
    );
    let bad_time = SignOptions {
        signing_time: Some(time::macros::datetime!(-0001-01-01 00:00 UTC)),
    };
    assert!(matches!(
        SignedAttributes::new(&[0; 32], cred.certificate_der(), &bad_time),
        Err(CmsError::InvalidSigningTime(_))
    ));
    assert!(matches!(
        SignedAttributes::new(&[0; 32], b"not a certificate", &SignOptions::default()),
        Err(CmsError::InvalidCertificate(_))
    ));
}

#[test]
fn unsigned_attributes_are_carried_and_reported() {
    let (tmp, _summary, store) = dev_store();
    let cred = store.get("stp-receiver").expect("receiver");
    let attrs = SignedAttributes::new(
        &sha256(CONTENT),
        cred.certificate_der(),
        &SignOptions::default(),
    )
    .expect("attrs");
    let signature = cred.sign(attrs.bytes_to_sign()).expect("sign");
    // Attribute { 1.3.6.1.4.1.99999.1, SET { UTF8String "dấu thời gian" } }
    let value = "dấu thời gian".as_bytes();
    let mut w = der::Writer::default();
    w.sequence(|w| {
        w.oid(&[0x2b, 0x06, 0x01, 0x04, 0x01, 0x86, 0x8d, 0x1f, 0x01]);
        w.constructed(der::SET, |w| w.element(0x0c, value));
    });
    let attribute = w.into_vec();
    let cms = assemble(
        &attrs,
        &signature,
        cred.signature_algorithm(),
        cred.certificate_der(),
        cred.chain_der(),
        std::slice::from_ref(&attribute),
    )
    .expect("assemble");
    let v = verify_detached(&cms, CONTENT).expect("verify");
    assert_eq!(v.unsigned_attributes.len(), 1);
    assert_eq!(v.unsigned_attributes[0].0, "1.3.6.1.4.1.99999.1");
    let mut expected_values = vec![0x0c, value.len() as u8];
    expected_values.extend_from_slice(value);
    assert_eq!(v.unsigned_attributes[0].1, expected_values);
    if openssl_available() {
        openssl_verifies(tmp.path(), "unsigned", &cms, CONTENT).expect("openssl");
    }
    assert!(matches!(
        assemble(
            &attrs,
            &signature,
            cred.signature_algorithm(),
            cred.certificate_der(),
            &[],
            &[vec![0x30, 0x00]],
        ),
        Err(CmsError::InvalidUnsignedAttribute { index: 0, .. })
    ));
    assert!(matches!(
        assemble(
            &attrs,
            &[],
            cred.signature_algorithm(),
            cred.certificate_der(),
            &[],
            &[]
        ),
        Err(CmsError::EmptySignature)
    ));
}

#[test]
fn substituted_certificate_is_detected() {
    let (_tmp, _summary, store) = dev_store();
    let signer = store.get("stp-approver").expect("approver");
    let other = store.get("stp-receiver").expect("receiver");
    let mut attrs = SignedAttributes::new(
        &sha256(CONTENT),
        signer.certificate_der(),
        &SignOptions::default(),
    )
    .expect("attrs");
    let signature = signer.sign(attrs.bytes_to_sign()).expect("sign");
    // Bypass assemble's own guard to build what an attacker could: SignerInfo naming another
    // certificate than the one the signed ESS attribute binds.
    attrs.signer_cert_hash = sha256(other.certificate_der());
    let cms = assemble(
        &attrs,
        &signature,
        signer.signature_algorithm(),
        other.certificate_der(),
        other.chain_der(),
        &[],
    )
    .expect("assemble");
    assert!(matches!(
        verify_detached(&cms, CONTENT),
        Err(CmsError::SigningCertificateMismatch)
    ));
}

#[test]
fn rsa_credentials_sign_and_verify() {
    if !openssl_available() {
        return;
    }
    let (tmp, _summary, _store) = dev_store();
    let dir = tmp.path();
    let rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];
    add_openssl_credential(dir, "stp-approver-rsa", &rsa, None, false);
    add_openssl_credential(
        dir,
        "stp-approver-rsa-pss",
        &rsa,
        Some("rsa-pss-sha256"),
        false,
    );
    let store = KeyStore::load(dir).expect("load");
    for (id, alg) in [
        ("stp-approver-rsa", SignatureAlgorithm::RsaPkcs1Sha256),
        ("stp-approver-rsa-pss", SignatureAlgorithm::RsaPssSha256),
    ] {
        let cred = store.get(id).expect("rsa credential");
        assert_eq!(cred.signature_algorithm(), alg);
        let opts = SignOptions {
            signing_time: Some(step_time()),
        };
        let sig = sign_detached(CONTENT, cred, &opts).expect("sign");
        let v = verify_detached(&sig, CONTENT).expect("verify");
        assert_eq!(v.algorithm, alg);
        openssl_verifies(dir, id, &sig, CONTENT).unwrap_or_else(|e| panic!("{id}: {e}"));
        let mut changed = CONTENT.to_vec();
        changed[0] ^= 1;
        assert!(openssl_verifies(dir, id, &sig, &changed).is_err());
        assert!(verify_detached(&sig, &changed).is_err());
    }
}

#[test]
fn truncated_or_flipped_signatures_fail_without_panicking() {
    let (_tmp, _summary, store) = dev_store();
    let cred = store.get("stp-approver").expect("approver");
    let opts = SignOptions {
        signing_time: Some(step_time()),
    };
    let sig = sign_detached(CONTENT, cred, &opts).expect("sign");
    verify_detached(&sig, CONTENT).expect("baseline");

    for len in 0..sig.len() {
        assert!(
            verify_detached(&sig[..len], CONTENT).is_err(),
            "truncated to {len}"
        );
    }
    let mut extended = sig.clone();
    extended.push(0);
    assert!(verify_detached(&extended, CONTENT).is_err());

    // The issuing CA's certificate is carried for convenience but covered by nothing in the
    // signature; flips there are the chain validator's business, so they only must not panic.
    let ca = &cred.chain_der()[0];
    let ca_start = sig
        .windows(ca.len())
        .position(|w| w == ca.as_slice())
        .expect("CA certificate inside the CMS");
    let ca_range = ca_start..ca_start + ca.len();
    let mut accepted_in_ca = 0;
    for i in 0..sig.len() {
        for bit in 0..8 {
            let mut flipped = sig.clone();
            flipped[i] ^= 1 << bit;
            let result = verify_detached(&flipped, CONTENT);
            if ca_range.contains(&i) {
                accepted_in_ca += usize::from(result.is_ok());
            } else {
                assert!(
                    result.is_err(),
                    "flip of bit {bit} at byte {i} was accepted"
                );
            }
        }
    }
    eprintln!("flips inside the unsigned CA certificate still verifying: {accepted_in_ca}");

    assert!(matches!(
        verify_detached(&vec![0u8; MAX_CMS_LEN + 1], CONTENT),
        Err(CmsError::TooLarge { .. })
    ));
    let msg = verify_detached(&sig[..sig.len() - 1], CONTENT)
        .expect_err("truncated")
        .to_string();
    assert!(msg.contains("malformed CMS signature"), "{msg}");
}

#[test]
fn foreign_structures_get_clear_errors() {
    let (_tmp, _summary, store) = dev_store();
    let cred = store.get("stp-approver").expect("approver");
    // ContentInfo { id-data, ... } is not a SignedData.
    let mut w = der::Writer::default();
    w.sequence(|w| {
        w.oid(oid::ID_DATA);
        w.constructed(context_constructed(0), |w| w.octet_string(b"x"));
    });
    assert!(matches!(
        verify_detached(w.as_slice(), CONTENT),
        Err(CmsError::NotSignedData(ref o)) if o == "1.2.840.113549.1.7.1"
    ));
    let attrs = SignedAttributes::new(
        &sha256(CONTENT),
        cred.certificate_der(),
        &SignOptions::default(),
    )
    .expect("attrs");
    let signature = cred.sign(attrs.bytes_to_sign()).expect("sign");
    // Claiming RSA for an ECDSA key.
    let cms = assemble(
        &attrs,
        &signature,
        SignatureAlgorithm::RsaPkcs1Sha256,
        cred.certificate_der(),
        cred.chain_der(),
        &[],
    )
    .expect("assemble");
    assert!(matches!(
        verify_detached(&cms, CONTENT),
        Err(CmsError::KeyAlgorithmMismatch { .. })
    ));
}
