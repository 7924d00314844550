//! Tests of the development hierarchy: the layout `pki init` writes, the names and extensions
//! of its certificates, its CRLs, private key files and TSA rotation. OpenSSL judges what we
//! generate.

use std::path::PathBuf;

use time::OffsetDateTime;

use super::*;
use crate::flow::Role;
use crate::pki::testing::{dev_store, openssl, openssl_available, text};
use crate::pki::{fingerprint, KeyStore, MANIFEST_FILE};

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

/// `pki rotate-tsa`: a new TSA key and certificate that outlive the old one, chain to the same
/// root and keep the critical timeStamping EKU; the old files stay for past timestamps.
#[test]
fn rotating_the_tsa_keeps_the_old_one_and_extends_validity() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    init_dev_pki(dir, &default_dev_departments()).unwrap();
    let before = KeyStore::load(dir).unwrap();
    let old = before.tsa().unwrap().info().clone();
    assert!(rotate_dev_tsa(dir, 0, DEFAULT_PUBLIC_URL).is_err());
    let info = rotate_dev_tsa(dir, 5000, DEFAULT_PUBLIC_URL).unwrap();
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
    let capped = rotate_dev_tsa(dir, 100 * 365, DEFAULT_PUBLIC_URL).unwrap();
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
