//! Unit tests for the development hierarchy and the key store. OpenSSL is the external judge
//! of what we generate; when it is missing the openssl checks are skipped, except under
//! `CI=true` where that is a failure.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use ring::signature::UnparsedPublicKey;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::flow::Role;

pub(crate) fn openssl_available() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openssl is required when CI=true; install it (Debian: apt-get install openssl)"
        );
        eprintln!("SKIP: openssl is not installed; external checks not run");
    }
    found
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl")
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub(crate) fn dev_store() -> (tempfile::TempDir, DevPkiSummary, KeyStore) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let summary = init_dev_pki(tmp.path(), &default_dev_departments()).expect("init");
    let store = KeyStore::load(tmp.path()).expect("load");
    (tmp, summary, store)
}

/// Issues a credential with OpenSSL, signed by the `stp` CA, and appends it to
/// credentials.toml as an operator would. `genpkey` selects the key type.
pub(crate) fn add_openssl_credential(
    dir: &Path,
    id: &str,
    genpkey: &[&str],
    signature_algorithm: Option<&str>,
    use_pem_key: bool,
) {
    let rel = format!("hand/{id}");
    let sub = dir.join(&rel);
    std::fs::create_dir_all(&sub).expect("mkdir");
    let pem_key = format!("{rel}/key.pem");
    let der_key = format!("{rel}/key.pk8");
    let csr = format!("{rel}/req.csr");
    let ext = format!("{rel}/ext.cnf");
    let cert = format!("{rel}/cert.pem");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend_from_slice(&["-out", &pem_key]);
    let o = openssl(dir, &args);
    assert!(o.status.success(), "genpkey: {}", text(&o));
    // `genpkey -outform DER` writes SEC1/PKCS#1 for some key types; PEM output is PKCS#8.
    let o = openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", &pem_key, "-outform", "DER", "-out", &der_key,
        ],
    );
    assert!(o.status.success(), "pkcs8: {}", text(&o));
    let key = if use_pem_key {
        pem_key.clone()
    } else {
        der_key.clone()
    };
    let subj = format!("/C=VN/O=Sở Tư pháp tỉnh Quảng Ninh/title=Chuyên viên/CN=Trịnh Văn {id}");
    let o = openssl(
        dir,
        &[
            "req", "-new", "-utf8", "-key", &der_key, "-keyform", "DER", "-subj", &subj, "-out",
            &csr,
        ],
    );
    assert!(o.status.success(), "req: {}", text(&o));
    std::fs::write(
        dir.join(&ext),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n\
         extendedKeyUsage=1.3.6.1.5.5.7.3.36,emailProtection\nsubjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid\n",
    )
    .expect("ext");
    let o = openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "stp/ca.pem",
            "-CAkey",
            "stp/ca.key",
            "-CAkeyform",
            "DER",
            "-set_serial",
            "0x5eed1234abcd",
            "-days",
            "365",
            "-sha256",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
    assert!(o.status.success(), "x509 -req: {}", text(&o));
    let alg = signature_algorithm
        .map(|a| format!("signature_algorithm = \"{a}\"\n"))
        .unwrap_or_default();
    let entry = format!(
        "\n[[credential]]\nid = \"{id}\"\nrole = \"approver\"\ndepartment = \"stp\"\n\
         cert = \"{cert}\"\nkey = \"{key}\"\nchain = [\"stp/ca.pem\"]\n{alg}"
    );
    let manifest = dir.join(MANIFEST_FILE);
    let mut body = std::fs::read_to_string(&manifest).expect("read manifest");
    body.push_str(&entry);
    std::fs::write(&manifest, body).expect("write manifest");
}

fn public_key(cert_der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).expect("cert");
    cert.public_key().subject_public_key.data.to_vec()
}

fn end_entity_ids(store: &KeyStore) -> Vec<String> {
    store.credentials().map(|c| c.id().to_string()).collect()
}

#[test]
fn init_is_quick_and_creates_the_documented_layout() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("certs/dev");
    assert!(!dev_pki_exists(&dir));
    let started = std::time::Instant::now();
    let summary = init_dev_pki(&dir, &default_dev_departments()).expect("init");
    let elapsed = started.elapsed();
    eprintln!("init_dev_pki took {elapsed:?}");
    assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    assert!(dev_pki_exists(&dir));
    for f in [
        "root.pem",
        "root.key",
        "root.crl",
        "tsa/cert.pem",
        "tsa/key.pk8",
        "stp/ca.pem",
        "stp/ca.key",
        "stp/ca.crl",
        "sxd/ca.pem",
        "sxd/ca.key",
        "sxd/ca.crl",
        "credentials.toml",
        "credentials/stp-receiver/cert.pem",
        "credentials/stp-receiver/key.pk8",
        "credentials/sxd-seal/key.pk8",
        "credentials/stp-approver-expired/cert.pem",
        "credentials/stp-approver-revoked/key.pk8",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let ids: Vec<&str> = summary.credentials.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "stp-appraiser",
            "stp-approver",
            "stp-approver-expired",
            "stp-approver-revoked",
            "stp-receiver",
            "stp-seal",
            "sxd-appraiser",
            "sxd-approver",
            "sxd-receiver",
            "sxd-seal",
        ]
    );
    let err = init_dev_pki(&dir, &default_dev_departments()).expect_err("second init");
    assert!(matches!(err, PkiError::AlreadyExists { .. }), "{err}");
}

#[test]
fn subjects_carry_vietnamese_names_positions_and_organisation() {
    let (_tmp, summary, store) = dev_store();
    let approver = store.get("stp-approver").expect("approver").info();
    assert_eq!(approver.position, "Giám đốc");
    assert_eq!(approver.organisation, "Sở Tư pháp tỉnh Quảng Ninh");
    assert_eq!(approver.role, Role::Approver);
    assert_eq!(approver.department, "stp");
    assert_eq!(
        approver.subject,
        format!(
            "CN={},title=Giám đốc,O=Sở Tư pháp tỉnh Quảng Ninh,C=VN",
            approver.common_name
        )
    );
    let receiver = store.get("stp-receiver").expect("receiver").info();
    assert_eq!(receiver.position, "Chuyên viên Bộ phận một cửa");
    assert_eq!(
        store.get("stp-appraiser").expect("a").info().position,
        "Chuyên viên"
    );
    let seal = store.get("sxd-seal").expect("seal").info();
    assert_eq!(seal.common_name, "Sở Xây dựng tỉnh Quảng Ninh");
    assert_eq!(seal.role, Role::Seal);

    let people: Vec<&str> = summary
        .credentials
        .iter()
        .filter(|c| c.role != Role::Seal)
        .map(|c| c.common_name.as_str())
        .collect();
    let mut unique = people.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), people.len(), "names repeat: {people:?}");

    for info in &summary.credentials {
        let loaded = store.get(&info.id).expect("in store").info();
        assert_eq!(loaded, info);
    }
    assert_eq!(store.tsa().expect("tsa").info(), &summary.tsa);
    assert_eq!(summary.root_fingerprint, fingerprint(store.root_der()));
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

#[cfg(unix)]
#[test]
fn key_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, _summary, _store) = dev_store();
    let mut keys = vec![
        PathBuf::from("root.key"),
        PathBuf::from("tsa/key.pk8"),
        PathBuf::from("stp/ca.key"),
        PathBuf::from("sxd/ca.key"),
    ];
    for entry in std::fs::read_dir(tmp.path().join("credentials")).expect("dir") {
        keys.push(entry.expect("entry").path().join("key.pk8"));
    }
    assert_eq!(keys.len(), 14);
    for k in keys {
        let mode = std::fs::metadata(tmp.path().join(&k))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", k.display());
    }
    let cert_mode = std::fs::metadata(tmp.path().join("root.pem"))
        .expect("meta")
        .permissions()
        .mode();
    assert_ne!(cert_mode & 0o777, 0o600);
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
fn openssl_accepts_the_hierarchy() {
    if !openssl_available() {
        return;
    }
    let (tmp, _summary, store) = dev_store();
    let dir = tmp.path();
    for cred in store.credentials() {
        let cert = format!("credentials/{}/cert.pem", cred.id());
        let ca = format!("{}/ca.pem", cred.department());
        let o = openssl(
            dir,
            &["verify", "-CAfile", "root.pem", "-untrusted", &ca, &cert],
        );
        if cred.id().ends_with("-expired") {
            assert!(!o.status.success(), "expired cert verified: {}", text(&o));
            assert!(text(&o).contains("expired"), "{}", text(&o));
        } else {
            assert!(o.status.success(), "{}: {}", cred.id(), text(&o));
        }
        let o = openssl(dir, &["x509", "-noout", "-text", "-in", &cert]);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(
            t.contains("Document Signing") || t.contains("1.3.6.1.5.5.7.3.36"),
            "{t}"
        );
        assert!(t.contains("X509v3 Key Usage: critical"), "{t}");
        assert!(t.contains("Non Repudiation"), "{t}");
        assert!(t.contains("X509v3 Authority Key Identifier"), "{t}");
        assert!(t.contains("X509v3 Subject Key Identifier"), "{t}");
    }
    let o = openssl(dir, &["verify", "-CAfile", "root.pem", "tsa/cert.pem"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = openssl(dir, &["x509", "-noout", "-text", "-in", "tsa/cert.pem"]);
    let t = text(&o);
    assert!(t.contains("X509v3 Extended Key Usage: critical"), "{t}");
    assert!(t.contains("Time Stamping"), "{t}");
    let o = openssl(dir, &["x509", "-noout", "-text", "-in", "stp/ca.pem"]);
    let t = text(&o);
    assert!(t.contains("CA:TRUE, pathlen:0"), "{t}");
    assert!(t.contains("Certificate Sign, CRL Sign"), "{t}");
    let o = openssl(
        dir,
        &[
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "utf8,sep_comma_plus",
            "-in",
            "credentials/stp-seal/cert.pem",
        ],
    );
    assert!(
        text(&o).contains("Sở Tư pháp tỉnh Quảng Ninh"),
        "{}",
        text(&o)
    );
}

#[test]
fn openssl_parses_crls_and_sees_the_revocation() {
    if !openssl_available() {
        return;
    }
    let (tmp, _summary, store) = dev_store();
    let dir = tmp.path();
    std::fs::write(
        dir.join("bundle.pem"),
        [
            std::fs::read(dir.join("root.pem")).expect("root"),
            std::fs::read(dir.join("stp/ca.pem")).expect("stp"),
            std::fs::read(dir.join("sxd/ca.pem")).expect("sxd"),
        ]
        .concat(),
    )
    .expect("bundle");
    let revoked = store.get("stp-approver-revoked").expect("revoked");
    let (_, cert) = x509_parser::parse_x509_certificate(revoked.certificate_der()).expect("cert");
    let serial_hex = hex::encode_upper(cert.raw_serial());
    let serial_hex = serial_hex.trim_start_matches("00");
    for crl in ["root.crl", "stp/ca.crl", "sxd/ca.crl"] {
        let o = openssl(
            dir,
            &[
                "crl",
                "-inform",
                "DER",
                "-in",
                crl,
                "-noout",
                "-text",
                "-CAfile",
                "bundle.pem",
            ],
        );
        let t = text(&o);
        assert!(o.status.success(), "{crl}: {t}");
        assert!(t.contains("verify OK"), "{crl}: {t}");
        assert!(t.contains("X509v3 CRL Number"), "{crl}: {t}");
        assert!(t.contains("X509v3 Authority Key Identifier"), "{crl}: {t}");
        if crl == "stp/ca.crl" {
            assert!(t.contains(serial_hex), "{serial_hex} not in {t}");
            assert!(t.contains("Key Compromise"), "{t}");
        } else {
            assert!(t.contains("No Revoked Certificates"), "{crl}: {t}");
        }
    }
    let o = openssl(
        dir,
        &[
            "verify",
            "-crl_check",
            "-CRLfile",
            "stp/ca.crl",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "stp/ca.pem",
            "credentials/stp-approver-revoked/cert.pem",
        ],
    );
    assert!(!o.status.success(), "revoked cert passed -crl_check");
    assert!(text(&o).contains("revoked"), "{}", text(&o));
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
fn invalid_departments_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (id, name) in [
        ("", "x"),
        ("Bad", "x"),
        ("tsa", "x"),
        ("ok", " "),
        ("a/b", "x"),
    ] {
        let err = init_dev_pki(
            tmp.path(),
            &[DevDepartment {
                id: id.into(),
                name: name.into(),
            }],
        )
        .expect_err("invalid");
        assert!(matches!(err, PkiError::InvalidDepartment { .. }), "{err}");
    }
    let twice = vec![
        DevDepartment {
            id: "stp".into(),
            name: "A".into(),
        };
        2
    ];
    assert!(init_dev_pki(tmp.path(), &twice).is_err());
    assert!(!dev_pki_exists(tmp.path()));
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
fn signature_algorithm_identifiers_are_well_formed() {
    for alg in [
        SignatureAlgorithm::EcdsaP256Sha256,
        SignatureAlgorithm::RsaPkcs1Sha256,
        SignatureAlgorithm::RsaPssSha256,
    ] {
        let der = alg.algorithm_identifier_der();
        let tlv = crate::crypto::der::parse_single(der, crate::crypto::der::SEQUENCE).expect("der");
        let mut r = crate::crypto::der::Reader::new(tlv.content);
        let oid = r.read_oid().expect("oid");
        assert_eq!(
            crate::crypto::der::oid_to_string(oid).expect("text"),
            alg.oid()
        );
        assert_eq!(alg.name().parse::<SignatureAlgorithm>(), Ok(alg));
    }
    assert!("dsa".parse::<SignatureAlgorithm>().is_err());
}

#[test]
fn key_store_is_shareable_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<KeyStore>();
    shareable::<Credential>();
}

/// `pki rotate-tsa`: a new TSA key and certificate that outlive the old one, chain to the same
/// root and keep the critical timeStamping EKU; the old files stay for past timestamps.
#[test]
fn rotating_the_tsa_keeps_the_old_one_and_extends_validity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init_dev_pki(dir, &default_dev_departments()).unwrap();
    let before = KeyStore::load(dir).unwrap();
    let old = before.tsa().unwrap().info().clone();
    assert!(rotate_dev_tsa(dir, 0).is_err());
    let info = rotate_dev_tsa(dir, 5000).unwrap();
    assert_ne!(info.fingerprint, old.fingerprint);
    assert!(info.not_after > old.not_after);
    assert!(dir.join("tsa/cert.pem").exists() && dir.join("tsa/key.pk8").exists());
    let name = hex::encode(&info.fingerprint[..8]);
    assert!(dir.join(format!("tsa/cert-{name}.pem")).exists());
    let after = KeyStore::load(dir).unwrap();
    let tsa = after.tsa().unwrap();
    assert_eq!(tsa.info().fingerprint, info.fingerprint);
    assert!(tsa.is_timestamp_authority());
    assert!(tsa.check_usable(OffsetDateTime::now_utc()).is_ok());
    // Role-bearing credentials are untouched.
    assert_eq!(after.credentials().count(), before.credentials().count());
    // Never beyond the root.
    let capped = rotate_dev_tsa(dir, 100 * 365).unwrap();
    let root = x509_parser::parse_x509_certificate(after.root_der())
        .unwrap()
        .1;
    assert_eq!(
        capped.not_after.unix_timestamp(),
        root.validity().not_after.timestamp()
    );
    if openssl_available() {
        let manifest = std::fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
        let cert = manifest
            .lines()
            .find_map(|l| l.strip_prefix("cert = \"tsa/"))
            .map(|rest| format!("tsa/{}", rest.trim_end_matches('"')))
            .unwrap();
        let o = openssl(dir, &["verify", "-CAfile", "root.pem", &cert]);
        assert!(o.status.success(), "{}", text(&o));
        let o = openssl(dir, &["x509", "-noout", "-text", "-in", &cert]);
        assert!(text(&o).contains("X509v3 Extended Key Usage: critical"));
    }
}
